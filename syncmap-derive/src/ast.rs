//! A borrowed view of the derive input with its attributes parsed: what the struct is, before
//! any check of whether it makes sense.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, GenericArgument, Ident, PathArguments, Type};

use crate::attr::{self, FieldAttrs, StructAttrs};
use crate::ctxt::Ctxt;

pub(crate) struct Input<'a> {
    pub(crate) original: &'a DeriveInput,
    pub(crate) attrs: StructAttrs,
    pub(crate) fields: Vec<Field<'a>>,
}

pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    pub(crate) attrs: FieldAttrs,
    /// The field's doc comment, forwarded to its variants and accessors.
    pub(crate) docs: Vec<&'a Attribute>,
    /// The field's `#[deprecated]`, forwarded to its accessors.
    pub(crate) deprecated: Vec<&'a Attribute>,
    /// Rust's own default field value (`field: T = expr`), kept as a registry default.
    pub(crate) language_default: Option<&'a syn::Expr>,
}

/// How a field is kept in the registry, once its attributes are checked.
pub(crate) enum FieldKind<'a> {
    /// Not in the registry; rebuilt with `Default::default()`.
    Skip,
    /// One entry that is always there.
    Required,
    /// An `Option<T>`: one entry of type `inner` while set.
    Optional { inner: &'a Type },
    /// One entry per key of the `HashMap<K, V>` / `BTreeMap<K, V>`.
    Map { key: &'a Type, value: &'a Type },
    /// The leaves of a struct that derives `SyncRegistry` too.
    Nested,
}

impl<'a> Input<'a> {
    /// `None` if the input is not a struct with named fields (the error is in `cx`).
    pub(crate) fn from_syn(cx: &Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let attrs = attr::struct_attrs(cx, &input.attrs);
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => &named.named,
                Fields::Unnamed(unnamed) => {
                    cx.fatal_spanned_by(
                        unnamed,
                        "SyncRegistry needs a struct with named fields, not a tuple struct: \
                         each field's name becomes a key",
                    );
                    return None;
                }
                Fields::Unit => {
                    cx.fatal_spanned_by(
                        &input.ident,
                        "SyncRegistry needs a struct with named fields, not a unit struct",
                    );
                    return None;
                }
            },
            Data::Enum(data) => {
                cx.fatal_spanned_by(
                    data.enum_token,
                    "SyncRegistry needs a struct with named fields, not an enum",
                );
                return None;
            }
            Data::Union(data) => {
                cx.fatal_spanned_by(
                    data.union_token,
                    "SyncRegistry needs a struct with named fields, not a union",
                );
                return None;
            }
        };
        let fields = fields
            .iter()
            .filter_map(|field| {
                if let Err(err) = field.modifiers.require_empty() {
                    cx.syn_error(err);
                }
                Some(Field {
                    ident: field.ident.as_ref()?,
                    ty: &field.ty,
                    attrs: attr::field_attrs(cx, &field.attrs),
                    docs: field
                        .attrs
                        .iter()
                        .filter(|attr| attr.path().is_ident("doc"))
                        .collect(),
                    deprecated: field
                        .attrs
                        .iter()
                        .filter(|attr| attr.path().is_ident("deprecated"))
                        .collect(),
                    language_default: field.default.as_ref().map(|(_, expr)| expr),
                })
            })
            .collect();
        Some(Input {
            original: input,
            attrs,
            fields,
        })
    }
}

impl<'a> Field<'a> {
    /// The kind the attributes and the type ask for; `map` on a type that is not a map falls
    /// back to `Required` (validation reports it).
    pub(crate) fn kind(&self) -> FieldKind<'a> {
        if self.attrs.skip.is_some() {
            FieldKind::Skip
        } else if self.attrs.nested.is_some() {
            FieldKind::Nested
        } else if self.attrs.map_span().is_some() {
            match map_types(self.ty) {
                Some((key, value)) => FieldKind::Map { key, value },
                None => FieldKind::Required,
            }
        } else if let Some(inner) = option_type(self.ty) {
            FieldKind::Optional { inner }
        } else {
            FieldKind::Required
        }
    }

    /// The type of one stored value: the field's, `T` of an `Option<T>`, `V` of a map.
    pub(crate) fn stored_type(&self) -> &'a Type {
        match self.kind() {
            FieldKind::Optional { inner } => inner,
            FieldKind::Map { value, .. } => value,
            _ => self.ty,
        }
    }

    /// The name of the field's key: the `rename` or the identifier without `r#`.
    pub(crate) fn key_name(&self) -> String {
        match &self.attrs.rename {
            Some(lit) => lit.value(),
            None => syn::ext::IdentExt::unraw(self.ident).to_string(),
        }
    }

    /// Where errors about the field's name belong.
    pub(crate) fn name_span(&self) -> Span {
        match &self.attrs.rename {
            Some(lit) => lit.span(),
            None => self.ident.span(),
        }
    }
}

/// `K` and `V` of a `HashMap<K, V, ..>` or `BTreeMap<K, V>` (any path to them); the type is read
/// as written, so an alias of a map is not recognised.
pub(crate) fn map_types(ty: &Type) -> Option<(&Type, &Type)> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "HashMap" && last.ident != "BTreeMap" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    });
    let key = types.next()?;
    let value = types.next()?;
    Some((key, value))
}

/// `T` of an `Option<T>` (any path ending in `Option`); an alias is not recognised.
pub(crate) fn option_type(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(ty) if args.args.len() == 1 => Some(ty),
        _ => None,
    }
}

/// The span of a type, for errors that belong under it.
pub(crate) fn type_span(ty: &Type) -> Span {
    ty.span()
}
