//! What a `cache(...)` field adds to the generated code: its values are held as
//! `Cached<V>` (the value and its entry's metadata), and the struct tells the runtime which keys
//! and values belong to which cache field, and each one's settings.
//!
//! Cache fields are numbered (slots) in declaration order, depth first: a nested struct's cache
//! fields take the slots after the fields before it. The offsets are constant expressions
//! (`0 + 1 + <Inner as RegistryStruct>::CACHES`), since a nested struct's count is known only
//! to the compiler.

use proc_macro2::TokenStream;
use quote::quote;

use super::{FieldGen, Gen};
use crate::ast::FieldKind;

impl Gen<'_> {
    /// Whether the field is a cache field.
    pub(crate) fn is_cache(f: &FieldGen<'_>) -> bool {
        matches!(f.kind, FieldKind::Map { .. }) && f.field.attrs.cache.is_some()
    }

    /// `value` (of the field's value type) as the value enum's payload.
    pub(crate) fn wrap_payload(&self, f: &FieldGen<'_>, value: TokenStream) -> TokenStream {
        let krate = &self.krate;
        if Self::is_cache(f) {
            quote!(#krate::__private::Cached::new(#value))
        } else {
            value
        }
    }

    /// The value enum's payload `payload` as the field's value (by value).
    pub(crate) fn unwrap_payload(&self, f: &FieldGen<'_>, payload: TokenStream) -> TokenStream {
        let krate = &self.krate;
        if Self::is_cache(f) {
            quote!(#krate::__private::Cached::into_inner(#payload))
        } else {
            payload
        }
    }

    /// The value enum's payload `payload` as the field's value (by reference).
    pub(crate) fn payload_ref(&self, f: &FieldGen<'_>, payload: TokenStream) -> TokenStream {
        let krate = &self.krate;
        if Self::is_cache(f) {
            quote!(#krate::__private::Cached::get(#payload))
        } else {
            payload
        }
    }

    /// The slot of each stored field's first cache field (its own, for a cache field), as a
    /// constant expression.
    pub(crate) fn cache_offsets(&self) -> Vec<TokenStream> {
        let krate = &self.krate;
        let mut offset = quote!(0usize);
        let mut offsets = Vec::with_capacity(self.fields.len());
        for f in &self.fields {
            // Parenthesized: the offset is subtracted from as well as added to.
            offsets.push(quote!((#offset)));
            if Self::is_cache(f) {
                offset = quote!(#offset + 1);
            } else if matches!(f.kind, FieldKind::Nested) {
                let ty = f.field.ty;
                offset = quote!(#offset + <#ty as #krate::__private::RegistryStruct>::CACHES);
            }
        }
        offsets.push(quote!((#offset)));
        offsets
    }

    /// The `RegistryStruct` items that locate cache fields, for a struct that has cache or
    /// nested fields (others keep the runtime's defaults: no caches).
    pub(crate) fn cache_items(&self) -> TokenStream {
        if !self
            .fields
            .iter()
            .any(|f| Self::is_cache(f) || matches!(f.kind, FieldKind::Nested))
        {
            return quote!();
        }
        let krate = &self.krate;
        let p = quote!(#krate::__private);
        let key_ty = self.with_params(&self.names.key);
        let value_ty = self.with_params(&self.names.value);
        let offsets = self.cache_offsets();
        let total = &offsets[self.fields.len()];
        let mut slot_arms = Vec::new();
        let mut meta_arms = Vec::new();
        let mut configs = Vec::new();
        for (f, offset) in self.fields.iter().zip(&offsets) {
            let variant = &f.variant;
            let index = f.index;
            if Self::is_cache(f) {
                slot_arms.push(quote!(#key_ty::#variant(_) => #p::Some(#offset),));
                meta_arms
                    .push(quote!(#value_ty::#variant(value) => #p::Some((#offset, value.meta())),));
                let cache = f.field.attrs.cache.as_ref().expect("a cache field");
                let path = f.field.key_name();
                let capacity = cache.capacity.as_ref().map_or(quote!(0u64), |c| quote!(#c));
                let ttl = cache.ttl.as_ref().map(|ttl| quote!(.__ttl(#ttl)));
                let tti = cache.tti.as_ref().map(|tti| quote!(.__tti(#tti)));
                let weigher = cache
                    .weigher
                    .as_ref()
                    .map(|weigher| quote!(.__weigher::<#index>(#weigher)));
                let expire_after = cache
                    .expire_after
                    .as_ref()
                    .map(|expire| quote!(.__expire_after::<#index>(#expire)));
                configs.push(quote! {
                    if slot == #offset {
                        return #p::Some(
                            #p::CacheConfig::__new(#path, #p::cache_capacity(#capacity))
                                #ttl #tti #weigher #expire_after
                        );
                    }
                });
            } else if matches!(f.kind, FieldKind::Nested) {
                let ty = f.field.ty;
                let inner = quote!(<#ty as #p::RegistryStruct>);
                slot_arms.push(quote! {
                    #key_ty::#variant(key) => #inner::cache_slot(key).map(|slot| slot + #offset),
                });
                meta_arms.push(quote! {
                    #value_ty::#variant(value) => #inner::cache_meta(value).map(|(slot, meta)| (slot + #offset, meta)),
                });
                configs.push(quote! {
                    if slot >= #offset && slot < #offset + #inner::CACHES {
                        return #inner::cache_config(slot - #offset)
                            .map(#p::CacheConfig::__nest::<Self, #index>);
                    }
                });
            }
        }
        quote! {
            const CACHES: usize = #total;

            #[inline]
            fn cache_slot(key: &Self::Key) -> #p::Option<usize> {
                #[allow(unreachable_patterns)]
                match key {
                    #(#slot_arms)*
                    _ => #p::None,
                }
            }

            #[inline]
            fn cache_meta(value: &Self::Value) -> #p::Option<(usize, &#p::EntryMeta)> {
                #[allow(unreachable_patterns)]
                match value {
                    #(#meta_arms)*
                    _ => #p::None,
                }
            }

            fn cache_config(slot: usize) -> #p::Option<#p::CacheConfig<Self>> {
                #(#configs)*
                #p::None
            }
        }
    }
}
