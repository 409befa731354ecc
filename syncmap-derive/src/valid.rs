//! Checks that the parsed input makes sense, separately from parsing (thiserror's `valid.rs`).

use std::collections::HashMap;

use syn::GenericParam;
use syn::ext::IdentExt;

use crate::ast::{self, Field, Input};
use crate::ctxt::Ctxt;
use crate::naming;

pub(crate) fn validate(cx: &Ctxt, input: &Input<'_>) {
    for param in &input.original.generics.params {
        if let GenericParam::Lifetime(param) = param {
            cx.fatal_spanned_by(
                &param.lifetime,
                "SyncRegistry does not support lifetime parameters: a registry's values are \
                 shared between threads and must be 'static",
            );
        }
    }
    for field in &input.fields {
        validate_attrs(cx, field);
    }
    if input.fields.iter().all(|field| field.attrs.skip.is_some()) {
        cx.fatal_spanned_by(
            &input.original.ident,
            "SyncRegistry needs at least one field that is not `skip`ped: a registry of no \
             fields holds nothing",
        );
    }
    validate_names(cx, input);
}

fn validate_attrs(cx: &Ctxt, field: &Field<'_>) {
    let attrs = &field.attrs;
    if attrs.skip.is_some() {
        if let Some(default) = &attrs.default {
            cx.error_at(
                default.keyword,
                "`default` cannot be used with `skip`: a skipped field is not in the registry \
                 and is rebuilt with `Default::default()`",
            );
        }
        if let Some(map) = attrs.map_span() {
            cx.error_at(map, "`map` cannot be used with `skip`");
        }
        if let Some(rename) = &attrs.rename {
            cx.error_spanned_by(
                rename,
                "`rename` cannot be used with `skip`: a skipped field has no key",
            );
        }
        if let Some(secret) = attrs.secret {
            cx.error_at(
                secret,
                "`secret` cannot be used with `skip`: a skipped field is not in the registry, \
                 so no generated `Debug` prints it",
            );
        }
        if let Some(validate) = &attrs.validate {
            cx.error_spanned_by(
                validate,
                "`validate` cannot be used with `skip`: a skipped field is never written to the \
                 registry",
            );
        }
        return;
    }
    if let Some(nested) = attrs.nested {
        let refuse = |what: &str, why: &str| {
            cx.error_at(
                nested,
                format!("`nested` cannot be used with `{what}`: {why}"),
            );
        };
        if attrs.map_span().is_some() {
            refuse("map", "a field is either a map or a nested struct");
        }
        if attrs.default.is_some() {
            refuse("default", "a nested struct takes its fields' own defaults");
        }
        if attrs.secret.is_some() {
            refuse(
                "secret",
                "mark the nested struct's secret fields `secret` instead",
            );
        }
        if attrs.validate.is_some() {
            refuse("validate", "give the nested struct a validator of its own");
        }
        if attrs.env.is_some() {
            refuse(
                "env",
                "each of the nested struct's fields has a variable of its own",
            );
        }
        if attrs.restart_required.is_some() {
            refuse(
                "restart_required",
                "mark the nested struct's fields `restart_required` instead",
            );
        }
        return;
    }
    if let (Some(default), Some(_)) = (&attrs.default, ast::option_type(field.ty))
        && attrs.map_span().is_none()
    {
        {
            cx.error_at(
                default.keyword,
                "`default` cannot be used on an `Option` field: an optional field is unset \
                 (`None`) by default",
            );
        }
    }
    if attrs.map_span().is_some() {
        if let Some(default) = &attrs.default {
            cx.error_at(
                default.keyword,
                "`default` cannot be used with `map`: a `map` field with no entries rebuilds as an empty map",
            );
        }
        if let Some(validate) = &attrs.validate {
            cx.error_spanned_by(
                validate,
                "`validate` cannot be used with `map`: check a `map` field's entries in the \
                 struct's validator, `#[registry(validate = ...)]` on the struct",
            );
        }
        if ast::map_types(field.ty).is_none() {
            cx.error_spanned_by(
                field.ty,
                "`#[registry(map)]` and `cache(...)` need a `HashMap<K, V>` or `BTreeMap<K, V>` \
                 field type (written as such, not through an alias)",
            );
        }
    }
    if let (Some(default), Some(_)) = (&attrs.default, field.language_default) {
        cx.error_at(
            default.keyword,
            "the field has a default value already (`= ...` after its type)",
        );
    }
    if let Some(rename) = &attrs.rename
        && rename.value().is_empty()
    {
        cx.error_spanned_by(rename, "`rename` needs a non-empty name");
    }
}

/// Key names, enum variants and accessor names must all be distinct.
fn validate_names(cx: &Ctxt, input: &Input<'_>) {
    let mut key_names = HashMap::new();
    let mut variants = HashMap::new();
    let mut methods: HashMap<String, String> = HashMap::new();
    for field in input
        .fields
        .iter()
        .filter(|field| field.attrs.skip.is_none())
    {
        let field_name = field.ident.unraw().to_string();
        let key_name = field.key_name();
        if let Some(first) = key_names.insert(key_name.clone(), field_name.clone()) {
            cx.error_at(
                field.name_span(),
                format!("the key name \"{key_name}\" is taken by field `{first}` already; choose another with `rename`"),
            );
        }
        let variant = naming::variant_ident(field).to_string();
        if let Some(first) = variants.insert(variant.clone(), field_name.clone()) {
            cx.error_spanned_by(
                field.ident,
                format!("fields `{first}` and `{field_name}` would both be the key variant `{variant}`; rename one of the fields"),
            );
        }
        for op in naming::ops(field) {
            let method = naming::accessor(field, op).unraw().to_string();
            if let Some(owner) = methods.insert(method.clone(), field_name.clone()) {
                cx.error_spanned_by(
                    field.ident,
                    format!("field `{field_name}` would generate the accessor `{method}`, which is an accessor of field `{owner}`; rename one of the fields"),
                );
                break;
            }
        }
    }
}
