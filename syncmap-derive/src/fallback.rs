//! What is emitted next to the errors when the input cannot be expanded: the generated types,
//! empty, so the user's code that names them does not add errors of its own (thiserror's
//! `fallback.rs`). A generated name that the user's scope already defines (see `collision`) gets
//! no stand-in: it would be defined twice.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, GenericParam, Ident};

use crate::naming::TypeNames;

pub(crate) fn expand(input: &DeriveInput, names: &TypeNames, taken: &[Ident]) -> TokenStream {
    let vis = &input.vis;
    let generics = &input.generics;
    let where_clause = &generics.where_clause;
    let used: Vec<TokenStream> = generics
        .params
        .iter()
        .filter_map(|param| match param {
            GenericParam::Type(param) => {
                let ident = &param.ident;
                Some(quote!(#ident))
            }
            GenericParam::Lifetime(param) => {
                let lifetime = &param.lifetime;
                Some(quote!(&#lifetime ()))
            }
            GenericParam::Const(_) => None,
        })
        .collect();
    let phantom = quote!(::core::marker::PhantomData<fn() -> (#(#used,)*)>);
    let mut registry_generics = generics.clone();
    registry_generics.params.push(syn::parse_quote!(M = ()));
    registry_generics.params.push(syn::parse_quote!(P = ()));
    let stub = |ident: &Ident, generics: &syn::Generics, phantom: TokenStream| {
        if taken.contains(ident) {
            return quote!();
        }
        quote! {
            #[doc = "Not generated: `#[derive(SyncRegistry)]` failed on this struct."]
            #[allow(dead_code)]
            #vis struct #ident #generics (#phantom) #where_clause;
        }
    };
    let key = stub(&names.key, generics, phantom.clone());
    let value = stub(&names.value, generics, phantom.clone());
    let registry = stub(
        &names.registry,
        &registry_generics,
        quote!(#phantom, ::core::marker::PhantomData<(M, P)>),
    );
    quote! {
        #key
        #value
        #registry
    }
}
