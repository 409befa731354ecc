//! Parsing of `#[registry(...)]` on the struct and on its fields.
//!
//! Every problem is recorded in the [`Ctxt`] and parsing goes on with the next key, so one run
//! reports every bad attribute. A bad key is dropped; what was understood is kept.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Expr, Ident, LitStr, Path, Token};

use crate::ctxt::Ctxt;

/// `#[registry(name = ..., crate = "...", validate = path)]` on the struct.
#[derive(Default)]
pub(crate) struct StructAttrs {
    /// Base of the generated names: `{name}Key`, `{name}Value`, `{name}Registry`, ...
    pub(crate) name: Option<Ident>,
    /// Path of the `syncmap` facade in generated code.
    pub(crate) krate: Option<Path>,
    /// A `fn(&S) -> Result<(), E>` (a path or a closure) run before a whole struct or a batch
    /// is published.
    pub(crate) validate: Option<Expr>,
}

/// `#[registry(...)]` on a field; each keyword is kept for its span.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) default: Option<FieldDefault>,
    pub(crate) skip: Option<Span>,
    pub(crate) rename: Option<LitStr>,
    pub(crate) map: Option<Span>,
    /// A `fn(&T) -> Result<(), E>` checking the field's value.
    pub(crate) validate: Option<Expr>,
    /// Redacted in every generated `Debug`.
    pub(crate) secret: Option<Span>,
    pub(crate) nested: Option<Span>,
    /// The environment variable that sets the field, instead of the one named from its path.
    pub(crate) env: Option<LitStr>,
    /// Changing the field at run time takes a restart to take effect (reload reports say so).
    pub(crate) restart_required: Option<Span>,
    /// `cache(capacity = ..., ...)`: a bounded, expiring map field (implies `map`).
    pub(crate) cache: Option<CacheAttrs>,
}

impl FieldAttrs {
    /// Where the field is declared a map: `map`, or `cache(...)`, which implies it.
    pub(crate) fn map_span(&self) -> Option<Span> {
        self.map
            .or_else(|| self.cache.as_ref().map(|cache| cache.keyword))
    }
}

/// `cache(capacity = N, weigher = f, ttl = d, tti = d, expire_after = f)` on a field.
pub(crate) struct CacheAttrs {
    /// The `cache` keyword.
    pub(crate) keyword: Span,
    pub(crate) capacity: Option<Expr>,
    pub(crate) weigher: Option<Expr>,
    pub(crate) ttl: Option<Expr>,
    pub(crate) tti: Option<Expr>,
    pub(crate) expire_after: Option<Expr>,
}

/// `default` (the type's `Default`) or `default = EXPR`.
pub(crate) struct FieldDefault {
    /// The `default` keyword.
    pub(crate) keyword: Span,
    pub(crate) expr: Option<Expr>,
}

const STRUCT_KEYS: &str = "`name`, `crate` or `validate`";
const FIELD_KEYS: &str = "`default`, `skip`, `rename`, `map`, `cache`, `nested`, `validate`, `secret`, `env` or `restart_required`";
const CACHE_KEYS: &str = "`capacity`, `weigher`, `ttl`, `tti` or `expire_after`";

pub(crate) fn struct_attrs(cx: &Ctxt, attrs: &[Attribute]) -> StructAttrs {
    let mut out = StructAttrs::default();
    for attr in registry_attrs(cx, attrs) {
        each_key(cx, attr, |key, input| {
            if key.is_ident("name") {
                if let Some(value) = parse_value(cx, key, input, |input| input.parse::<Ident>()) {
                    set_once(cx, key, &mut out.name, value);
                }
            } else if key.is_ident("crate") {
                if let Some(lit) = parse_value(cx, key, input, |input| input.parse::<LitStr>()) {
                    match lit.parse::<Path>() {
                        Ok(path) => set_once(cx, key, &mut out.krate, path),
                        Err(_) => cx.error_spanned_by(
                            &lit,
                            format!(
                                "`crate` expects a path such as \"::syncmap\", found {:?}",
                                lit.value()
                            ),
                        ),
                    }
                }
            } else if key.is_ident("validate") {
                if let Some(path) = parse_value(cx, key, input, parse_validator) {
                    set_once(cx, key, &mut out.validate, path);
                }
            } else {
                unknown_key(cx, key, "struct", STRUCT_KEYS);
            }
        });
    }
    out
}

pub(crate) fn field_attrs(cx: &Ctxt, attrs: &[Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in registry_attrs(cx, attrs) {
        each_key(cx, attr, |key, input| {
            let span = key_span(key);
            if key.is_ident("default") {
                let expr = if input.peek(Token![=]) {
                    match parse_value(cx, key, input, |input| input.parse::<Expr>()) {
                        Some(expr) => Some(expr),
                        None => return,
                    }
                } else {
                    None
                };
                set_once(
                    cx,
                    key,
                    &mut out.default,
                    FieldDefault {
                        keyword: span,
                        expr,
                    },
                );
            } else if key.is_ident("skip") {
                if flag(cx, key, input) {
                    set_once(cx, key, &mut out.skip, span);
                }
            } else if key.is_ident("rename") {
                if let Some(lit) = parse_value(cx, key, input, |input| input.parse::<LitStr>()) {
                    set_once(cx, key, &mut out.rename, lit);
                }
            } else if key.is_ident("map") {
                if flag(cx, key, input) {
                    set_once(cx, key, &mut out.map, span);
                }
            } else if key.is_ident("validate") {
                if let Some(path) = parse_value(cx, key, input, parse_validator) {
                    set_once(cx, key, &mut out.validate, path);
                }
            } else if key.is_ident("nested") {
                if flag(cx, key, input) {
                    set_once(cx, key, &mut out.nested, span);
                }
            } else if key.is_ident("secret") {
                if flag(cx, key, input) {
                    set_once(cx, key, &mut out.secret, span);
                }
            } else if key.is_ident("env") {
                if let Some(lit) = parse_value(cx, key, input, |input| input.parse::<LitStr>()) {
                    let name = lit.value();
                    if name.is_empty()
                        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    {
                        cx.error_spanned_by(
                            &lit,
                            format!(
                                "`env` expects an environment variable name of ASCII letters, digits and `_`, found {name:?}"
                            ),
                        );
                    } else {
                        set_once(cx, key, &mut out.env, lit);
                    }
                }
            } else if key.is_ident("restart_required") {
                if flag(cx, key, input) {
                    set_once(cx, key, &mut out.restart_required, span);
                }
            } else if key.is_ident("cache") {
                if let Some(cache) = cache_attrs(cx, key, input) {
                    set_once(cx, key, &mut out.cache, cache);
                }
            } else {
                unknown_key(cx, key, "field", FIELD_KEYS);
            }
        });
    }
    out
}

/// The list after `cache`: `key = expr` pairs; an unknown or repeated key is an error under it,
/// and the keys understood are kept.
fn cache_attrs(cx: &Ctxt, key: &Path, input: ParseStream<'_>) -> Option<CacheAttrs> {
    let keyword = key_span(key);
    if !input.peek(syn::token::Paren) {
        cx.error_spanned_by(key, "expected `cache(capacity = N, ...)`");
        return None;
    }
    let parsed = (|| {
        let content;
        syn::parenthesized!(content in input);
        content.parse_terminated(syn::MetaNameValue::parse, Token![,])
    })();
    let pairs = match parsed {
        Ok(pairs) => pairs,
        Err(err) => {
            cx.syn_error(err);
            return None;
        }
    };
    let mut out = CacheAttrs {
        keyword,
        capacity: None,
        weigher: None,
        ttl: None,
        tti: None,
        expire_after: None,
    };
    for pair in pairs {
        let slot = match pair.path.get_ident().map(ToString::to_string).as_deref() {
            Some("capacity") => &mut out.capacity,
            Some("weigher") => &mut out.weigher,
            Some("ttl") => &mut out.ttl,
            Some("tti") => &mut out.tti,
            Some("expire_after") => &mut out.expire_after,
            _ => {
                unknown_key(cx, &pair.path, "cache", CACHE_KEYS);
                continue;
            }
        };
        set_once(cx, &pair.path, slot, pair.value);
    }
    if out.capacity.is_none() {
        cx.error_at(
            keyword,
            "`cache` needs a capacity: `cache(capacity = 10_000)` (entries, or the weigher's units)",
        );
    }
    Some(out)
}

/// The `#[registry(...)]` attributes, each checked to be a list.
fn registry_attrs<'a>(
    cx: &'a Ctxt,
    attrs: &'a [Attribute],
) -> impl Iterator<Item = &'a Attribute> + 'a {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("registry"))
        .filter(move |attr| match attr.meta.require_list() {
            Ok(_) => true,
            Err(_) => {
                cx.error_spanned_by(attr, "expected `#[registry(...)]`");
                false
            }
        })
}

/// Calls `each` on every `key` or `key = value` of the list, whatever errors come up.
fn each_key(cx: &Ctxt, attr: &Attribute, mut each: impl FnMut(&Path, ParseStream<'_>)) {
    let result = attr.parse_nested_meta(|meta| {
        each(&meta.path, meta.input);
        // Whatever `each` left unparsed after an error, skip it to reach the next key.
        skip_to_comma(meta.input);
        Ok(())
    });
    if let Err(err) = result {
        cx.syn_error(err);
    }
}

fn skip_to_comma(input: ParseStream<'_>) {
    while !input.is_empty() && !input.peek(Token![,]) {
        if input.parse::<proc_macro2::TokenTree>().is_err() {
            break;
        }
    }
}

/// Parses `= value` after `key`; records the error and returns `None` if it is missing or
/// malformed.
fn parse_value<T>(
    cx: &Ctxt,
    key: &Path,
    input: ParseStream<'_>,
    parse: impl FnOnce(ParseStream<'_>) -> syn::Result<T>,
) -> Option<T> {
    if input.parse::<Token![=]>().is_err() {
        cx.error_spanned_by(key, format!("expected `{} = ...`", path_name(key)));
        return None;
    }
    let value = if input.is_empty() || input.peek(Token![,]) {
        Err(input.error(format!("expected a value after `{} =`", path_name(key))))
    } else {
        parse(input)
    };
    match value {
        Ok(value) if input.is_empty() || input.peek(Token![,]) => Some(value),
        Ok(_) => {
            cx.syn_error(input.error("expected `,` or the end of the attribute"));
            None
        }
        Err(err) => {
            cx.syn_error(err);
            None
        }
    }
}

/// A validator: a path to a function, or a closure.
fn parse_validator(input: ParseStream<'_>) -> syn::Result<Expr> {
    let expr: Expr = input.parse()?;
    match &expr {
        Expr::Path(_) | Expr::Closure(_) => Ok(expr),
        other => Err(syn::Error::new_spanned(
            other,
            "`validate` expects a path to a function or a closure, such as \
             `validate = check_port` or `validate = |value| ...`",
        )),
    }
}

/// A key that takes no value; records an error and returns `false` if one is given.
fn flag(cx: &Ctxt, key: &Path, input: ParseStream<'_>) -> bool {
    if input.is_empty() || input.peek(Token![,]) {
        return true;
    }
    let rest: TokenStream = input.cursor().token_stream();
    let mut tokens = key.to_token_stream();
    tokens.extend(rest.into_iter().take_while(|tt| !is_comma(tt)));
    cx.error_spanned_by(tokens, format!("`{}` takes no value", path_name(key)));
    false
}

fn is_comma(tt: &proc_macro2::TokenTree) -> bool {
    matches!(tt, proc_macro2::TokenTree::Punct(p) if p.as_char() == ',')
}

fn set_once<T>(cx: &Ctxt, key: &Path, slot: &mut Option<T>, value: T) {
    if slot.is_some() {
        cx.error_spanned_by(key, format!("duplicate `{}` attribute", path_name(key)));
    } else {
        *slot = Some(value);
    }
}

fn unknown_key(cx: &Ctxt, key: &Path, place: &str, expected: &str) {
    cx.error_spanned_by(
        key,
        format!(
            "unknown {place} attribute `{}`; expected {expected}",
            path_name(key)
        ),
    );
}

fn key_span(key: &Path) -> Span {
    key.segments
        .first()
        .map_or_else(Span::call_site, |segment| segment.ident.span())
}

fn path_name(path: &Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}
