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
}

impl TypeNames {
    pub(crate) fn new(base: &Ident) -> Self {
        let base = base.unraw();
        let span = base.span();
        TypeNames {
            key: format_ident!("{}Key", base, span = span),
            value: format_ident!("{}Value", base, span = span),
            registry: format_ident!("{}Registry", base, span = span),
        }
    }
}

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
    // `self_` would be `Self`, a keyword.
    if camel == "Self" {
        camel.push('_');
    }
    Ident::new(&camel, field.ident.span())
}

/// One generated accessor.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Get,
    GetWith,
    Contains,
    Store,
    TryStore,
    Swap,
    Delete,
    LoadAndDelete,
    LoadOrStore,
    LoadOrStoreWith,
    CompareAndSwap,
    Update,
    Range,
    Len,
    GetOrLoad,
    TryGetOrLoad,
    Cache,
}

/// The accessors a field of this kind gets.
pub(crate) fn ops(field: &Field<'_>) -> Vec<Op> {
    use Op::*;
    let validated = field.attrs.validate.is_some();
    // Optional fields and map entries share Go's vocabulary for a value that may be absent.
    let maybe_absent = [
        Get,
        GetWith,
        Contains,
        Store,
        Swap,
        Delete,
        LoadAndDelete,
        LoadOrStore,
        LoadOrStoreWith,
        CompareAndSwap,
        Update,
    ];
    let mut ops = match field.kind() {
        FieldKind::Skip => vec![],
        FieldKind::Nested => vec![Get],
        FieldKind::Required => vec![Get, GetWith, Store, Swap, CompareAndSwap, Update],
        FieldKind::Optional { .. } => maybe_absent.to_vec(),
        FieldKind::Map { .. } => [&maybe_absent[..], &[Range, Len]].concat(),
    };
    if field.attrs.cache.is_some() && matches!(field.kind(), FieldKind::Map { .. }) {
        ops.extend([GetOrLoad, TryGetOrLoad, Cache]);
    }
    if validated
        && matches!(
            field.kind(),
            FieldKind::Required | FieldKind::Optional { .. }
        )
    {
        ops.push(TryStore);
    }
    ops
}

/// The accessor's name: `{field}`, `{field}_with`, `{field}_len`, `{field}_cache` or
/// `{verb}_{field}`.
pub(crate) fn accessor(field: &Field<'_>, op: Op) -> Ident {
    let raw = field.ident;
    let name = raw.unraw();
    let span = raw.span();
    let prefixed = |verb: &str| format_ident!("{}_{}", verb, name, span = span);
    match op {
        // The getter keeps `r#` so a keyword field (`r#type`) stays a valid method name.
        Op::Get => raw.clone(),
        Op::GetWith => format_ident!("{}_with", name, span = span),
        Op::Len => format_ident!("{}_len", name, span = span),
        Op::Contains => prefixed("contains"),
        Op::Store => prefixed("store"),
        Op::TryStore => prefixed("try_store"),
        Op::Swap => prefixed("swap"),
        Op::Delete => prefixed("delete"),
        Op::LoadAndDelete => prefixed("load_and_delete"),
        Op::LoadOrStore => prefixed("load_or_store"),
        Op::LoadOrStoreWith => format_ident!("load_or_store_{}_with", name, span = span),
        Op::CompareAndSwap => prefixed("compare_and_swap"),
        Op::Update => prefixed("update"),
        Op::Range => prefixed("range"),
        Op::GetOrLoad => prefixed("get_or_load"),
        Op::TryGetOrLoad => prefixed("try_get_or_load"),
        Op::Cache => format_ident!("{}_cache", name, span = span),
    }
}

/// A name for a generated type parameter that none of the struct's own parameters has:
/// `preferred`, else `__Syncmap{preferred}`, with `_` appended until free.
pub(crate) fn fresh_param(generics: &syn::Generics, preferred: &str) -> Ident {
    let taken = |name: &str| {
        generics.params.iter().any(|param| match param {
            syn::GenericParam::Type(param) => param.ident == name,
            syn::GenericParam::Const(param) => param.ident == name,
            syn::GenericParam::Lifetime(_) => false,
        })
    };
    let mut name = preferred.to_owned();
    if taken(&name) {
        name = format!("__Syncmap{preferred}");
    }
    while taken(&name) {
        name.push('_');
    }
    Ident::new(&name, Span::call_site())
}
