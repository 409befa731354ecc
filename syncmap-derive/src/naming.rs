//! The names of generated items, in one place so validation checks exactly what expansion emits.

use proc_macro2::Span;
use quote::format_ident;
use syn::Ident;
use syn::ext::IdentExt;

use crate::ast::{Field, FieldKind};

/// The generated type names, from the struct's name or `#[registry(name = ...)]`.
pub(crate) struct TypeNames {
    pub(crate) key: Ident,
    pub(crate) value: Ident,
    pub(crate) registry: Ident,
    pub(crate) key_error: Ident,
    pub(crate) missing_fields: Ident,
    pub(crate) batch: Ident,
}

impl TypeNames {
    pub(crate) fn new(base: &Ident) -> Self {
        let base = base.unraw();
        let span = base.span();
        TypeNames {
            key: format_ident!("{}Key", base, span = span),
            value: format_ident!("{}Value", base, span = span),
            registry: format_ident!("{}Registry", base, span = span),
            key_error: format_ident!("{}KeyError", base, span = span),
            missing_fields: format_ident!("{}MissingFields", base, span = span),
            batch: format_ident!("{}Batch", base, span = span),
        }
    }
}

/// Methods of every registry; a field whose accessor would take one of these names is refused.
pub(crate) const REGISTRY_METHODS: &[&str] = &[
    "new",
    "with_map",
    "map",
    "into_map",
    "load_struct",
    "store_struct",
    "snapshot",
    "update",
    "version",
    "wait_for_change",
    "subscribe",
];

/// `timeout_secs` -> `TimeoutSecs`: the field's variant in the key and value enums.
pub(crate) fn variant_ident(field: &Field<'_>) -> Ident {
    let name = field.ident.unraw().to_string();
    let mut camel = String::with_capacity(name.len());
    for word in name.split('_').filter(|word| !word.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            camel.extend(first.to_uppercase());
            camel.push_str(chars.as_str());
        }
    }
    // `_1` or `__` would leave nothing that can start an identifier.
    if !camel.starts_with(|c: char| c.is_alphabetic()) {
        camel.insert_str(0, "Field");
    }
    Ident::new(&camel, field.ident.span())
}

/// The accessors of a field, named `{field}`, `{field}_with` or `{verb}_{field}`.
pub(crate) struct Accessors {
    pub(crate) get: Ident,
    pub(crate) get_with: Ident,
    pub(crate) contains: Ident,
    pub(crate) store: Ident,
    pub(crate) swap: Ident,
    pub(crate) delete: Ident,
    pub(crate) load_and_delete: Ident,
    pub(crate) load_or_store: Ident,
    pub(crate) load_or_store_with: Ident,
    pub(crate) compare_and_swap: Ident,
    pub(crate) compare_and_delete: Ident,
    pub(crate) update: Ident,
    /// `map` fields only.
    pub(crate) range: Option<Ident>,
    /// Plain fields with `#[registry(validate = ...)]` only.
    pub(crate) try_store: Option<Ident>,
}

impl Accessors {
    pub(crate) fn new(field: &Field<'_>) -> Self {
        let raw = field.ident;
        let name = raw.unraw();
        let span = raw.span();
        let prefixed = |verb: &str| format_ident!("{}_{}", verb, name, span = span);
        Accessors {
            // The getter keeps `r#` so a keyword field (`r#type`) stays a valid method name.
            get: raw.clone(),
            get_with: format_ident!("{}_with", name, span = span),
            contains: prefixed("contains"),
            store: prefixed("store"),
            swap: prefixed("swap"),
            delete: prefixed("delete"),
            load_and_delete: prefixed("load_and_delete"),
            load_or_store: prefixed("load_or_store"),
            load_or_store_with: format_ident!("load_or_store_{}_with", name, span = span),
            compare_and_swap: prefixed("compare_and_swap"),
            compare_and_delete: prefixed("compare_and_delete"),
            update: prefixed("update"),
            range: match field.kind() {
                FieldKind::Map { .. } => Some(prefixed("range")),
                _ => None,
            },
            try_store: match field.kind() {
                FieldKind::Plain if field.attrs.validate.is_some() => Some(prefixed("try_store")),
                _ => None,
            },
        }
    }

    pub(crate) fn all(&self) -> impl Iterator<Item = &Ident> {
        [
            &self.get,
            &self.get_with,
            &self.contains,
            &self.store,
            &self.swap,
            &self.delete,
            &self.load_and_delete,
            &self.load_or_store,
            &self.load_or_store_with,
            &self.compare_and_swap,
            &self.compare_and_delete,
            &self.update,
        ]
        .into_iter()
        .chain(&self.range)
        .chain(&self.try_store)
    }
}

/// The name a type parameter may take without clashing with the struct's own parameters.
pub(crate) fn map_param(generics: &syn::Generics) -> Ident {
    let taken = |name: &str| generics.type_params().any(|param| param.ident == name);
    let name = ["M", "Map", "__SyncRegistryMap"]
        .into_iter()
        .find(|name| !taken(name));
    Ident::new(name.unwrap_or("__SyncRegistryMap_"), Span::call_site())
}
