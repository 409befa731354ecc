//! The proc-macro crate behind `#[derive(SyncRegistry)]`; use it through the `syncmap` facade,
//! whose documentation of `SyncRegistry` is the reference for the attributes.
//!
//! The pipeline, as in thiserror-impl: `ast` reads the input and its attributes (`attr`),
//! `valid` checks what was read, `collision` checks that the generated names are free in the
//! struct's scope, `expand` generates the registry, and `fallback` emits empty stand-ins when
//! the input cannot be expanded. Errors are gathered in a `ctxt::Ctxt` so
//! every one is reported at once, under its own token; the macro never panics.

#![deny(missing_docs)]

mod ast;
mod attr;
mod collision;
mod ctxt;
mod expand;
mod fallback;
mod naming;
mod valid;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives a thread-safe, typed registry from a struct with named fields; see the `syncmap`
/// crate's `SyncRegistry` for the generated API and the attributes.
#[proc_macro_derive(SyncRegistry, attributes(registry))]
pub fn derive_sync_registry(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive(&input).into()
}

fn derive(input: &DeriveInput) -> proc_macro2::TokenStream {
    let cx = ctxt::Ctxt::new();
    let parsed = ast::Input::from_syn(&cx, input);
    if let Some(parsed) = &parsed {
        valid::validate(&cx, parsed);
    }
    let name = parsed
        .as_ref()
        .and_then(|parsed| parsed.attrs.name.as_ref());
    let names = naming::TypeNames::new(name.unwrap_or(&input.ident));
    let taken = collision::check(&cx, input, &names);
    let expandable = !cx.is_fatal();
    let errors = cx.check();
    let mut tokens = match (&parsed, expandable) {
        (Some(parsed), true) => expand::expand(parsed),
        _ => fallback::expand(input, &names, &taken),
    };
    if let Some(errors) = errors {
        tokens.extend(errors.into_compile_error());
    }
    tokens
}
