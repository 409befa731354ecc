//! The typed accessors of each field: one-line methods that call the runtime's
//! `Required`/`Optional`/`MapField` with the field's number, each carrying the field's docs.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;

use super::{FieldGen, Gen, doc};
use crate::ast::FieldKind;
use crate::naming::{self, Op};

impl Gen<'_> {
    pub(crate) fn accessors(&self) -> TokenStream {
        let krate = &self.krate;
        let p = quote!(#krate::__private);
        let registry = &self.names.registry;
        let struct_ty = self.struct_ty();
        let m = &self.map_param;
        let pl = &self.place_param;
        let ty_params = self.param_args();
        let mut generics = self.generics().clone();
        generics.params.push(syn::parse_quote!(#m));
        generics.params.push(syn::parse_quote!(#pl));
        let (impl_generics, _, _) = generics.split_for_impl();
        let where_clause = self.where_with_struct(&[quote!(#pl: #p::Holds<#struct_ty>)]);
        let allows = Self::allows();
        // An accessor name taken by an earlier field is an error reported by validation; it is
        // generated once, so that the rest still expands (no cascade).
        let mut taken = std::collections::HashSet::new();
        let methods: Vec<_> = self
            .fields
            .iter()
            .map(|f| self.field_accessors(f, &mut taken))
            .collect();
        quote! {
            #allows
            impl #impl_generics #registry<#(#ty_params,)* #m, #pl> #where_clause {
                #(#methods)*
            }
        }
    }

    /// The field's doc comment, then a line on what the accessor does; its `#[deprecated]`
    /// too, so a deprecated field's accessors warn where they are called.
    fn accessor_doc(f: &FieldGen<'_>, summary: &str) -> TokenStream {
        let docs = &f.field.docs;
        let name = f.field.ident.unraw().to_string();
        let deprecated = &f.field.deprecated;
        let summary = doc(&summary.replace("{}", &format!("`{name}`")));
        if docs.is_empty() {
            quote!(#summary #(#deprecated)*)
        } else {
            quote!(#(#docs)* #[doc = ""] #summary #(#deprecated)*)
        }
    }

    fn field_accessors(
        &self,
        f: &FieldGen<'_>,
        taken: &mut std::collections::HashSet<String>,
    ) -> TokenStream {
        let krate = &self.krate;
        let p = quote!(#krate::__private);
        let struct_ty = self.struct_ty();
        let index = f.index;
        let r = &self.result_param;
        let q = &self.query_param;
        let ops: Vec<Op> = naming::ops(f.field)
            .into_iter()
            .filter(|&op| taken.insert(naming::accessor(f.field, op).unraw().to_string()))
            .collect();
        let name = |op| naming::accessor(f.field, op);
        let partial_eq = |ty: &syn::Type| super::lenient(ty, quote!(#p::PartialEq));
        let validate_call = {
            let path = f.field.key_name();
            quote! {
                #p::validate_field(#path, &value, <#struct_ty as #p::FieldAt<#index>>::check)?;
            }
        };
        let mut out = TokenStream::new();
        match f.kind {
            FieldKind::Required => {
                let ty = f.field.ty;
                let req = quote!(#p::Required::<#struct_ty, #index>);
                let eq = partial_eq(ty);
                for op in ops {
                    let method = name(op);
                    out.extend(match op {
                        Op::Get => {
                            let d = Self::accessor_doc(f, "Reads {}: no lock.");
                            quote!(#d #[inline] pub fn #method(&self) -> #ty { #req::get(&self.place) })
                        }
                        Op::GetWith => {
                            let d = Self::accessor_doc(f, "Calls `f` with {} in place (no clone, no lock).");
                            quote!(#d pub fn #method<#r>(&self, f: impl #p::FnOnce(&#ty) -> #r) -> #r { #req::get_with(&self.place, f) })
                        }
                        Op::Store => {
                            let d = Self::accessor_doc(f, "Stores {}, as one change (none if the value is unchanged).");
                            quote!(#d pub fn #method(&self, value: #ty) { #req::store(&self.place, value) })
                        }
                        Op::TryStore => {
                            let d = Self::accessor_doc(f, "Runs the field's validator on `value`, then stores {}.\n\n# Errors\n\nThe validator's failure; nothing is stored then.");
                            let validate = &validate_call;
                            quote!(#d pub fn #method(&self, value: #ty) -> #p::Result<(), #p::ValidationError> { #validate #req::store(&self.place, value); #p::Ok(()) })
                        }
                        Op::Swap => {
                            let d = Self::accessor_doc(f, "Stores {} and returns the value it replaced.");
                            quote!(#d pub fn #method(&self, value: #ty) -> #ty { #req::swap(&self.place, value) })
                        }
                        Op::CompareAndSwap => {
                            let d = Self::accessor_doc(f, "Stores `new` in {} if it holds `old`; whether it did.");
                            quote!(#d pub fn #method(&self, old: &#ty, new: #ty) -> bool where #eq { #req::compare_and_swap(&self.place, old, new) })
                        }
                        Op::Update => {
                            let d = Self::accessor_doc(f, "Replaces {} with `f(value)` and returns the new value; `f` runs outside every lock and again if another write came between.");
                            quote!(#d pub fn #method(&self, f: impl #p::FnMut(&#ty) -> #ty) -> #ty { #req::update(&self.place, f) })
                        }
                        _ => quote!(),
                    });
                }
            }
            FieldKind::Optional { inner: ty } => {
                let opt = quote!(#p::Optional::<#struct_ty, #index>);
                let eq = partial_eq(ty);
                for op in ops {
                    let method = name(op);
                    out.extend(match op {
                        Op::Get => {
                            let d = Self::accessor_doc(f, "Reads {}, `None` while unset: no lock.");
                            quote!(#d #[inline] pub fn #method(&self) -> #p::Option<#ty> { #opt::get(&self.place) })
                        }
                        Op::GetWith => {
                            let d = Self::accessor_doc(f, "Calls `f` with {} in place, if set.");
                            quote!(#d pub fn #method<#r>(&self, f: impl #p::FnOnce(&#ty) -> #r) -> #p::Option<#r> { #opt::get_with(&self.place, f) })
                        }
                        Op::Contains => {
                            let d = Self::accessor_doc(f, "Whether {} is set.");
                            quote!(#d pub fn #method(&self) -> bool { #opt::is_set(&self.place) })
                        }
                        Op::Store => {
                            let d = Self::accessor_doc(f, "Sets {}.");
                            quote!(#d pub fn #method(&self, value: #ty) { #opt::store(&self.place, value) })
                        }
                        Op::TryStore => {
                            let d = Self::accessor_doc(f, "Runs the field's validator on `value`, then sets {}.\n\n# Errors\n\nThe validator's failure; nothing is stored then.");
                            let validate = &validate_call;
                            quote!(#d pub fn #method(&self, value: #ty) -> #p::Result<(), #p::ValidationError> { #validate #opt::store(&self.place, value); #p::Ok(()) })
                        }
                        Op::Swap => {
                            let d = Self::accessor_doc(f, "Sets {} and returns its previous value.");
                            quote!(#d pub fn #method(&self, value: #ty) -> #p::Option<#ty> { #opt::swap(&self.place, value) })
                        }
                        Op::Delete => {
                            let d = Self::accessor_doc(f, "Unsets {}; whether it was set.");
                            quote!(#d pub fn #method(&self) -> bool { #opt::delete(&self.place) })
                        }
                        Op::LoadAndDelete => {
                            let d = Self::accessor_doc(f, "Unsets {} and returns its value.");
                            quote!(#d pub fn #method(&self) -> #p::Option<#ty> { #opt::load_and_delete(&self.place) })
                        }
                        Op::LoadOrStore => {
                            let d = Self::accessor_doc(f, "Returns {} if set; otherwise sets it to `value`.");
                            quote!(#d pub fn #method(&self, value: #ty) -> #p::LoadOrStore<#ty> { #opt::load_or_store(&self.place, value) })
                        }
                        Op::LoadOrStoreWith => {
                            let d = Self::accessor_doc(f, "Returns {} if set; otherwise sets it to `make()`, which runs outside every lock.");
                            quote!(#d pub fn #method(&self, make: impl #p::FnOnce() -> #ty) -> #p::LoadOrStore<#ty> { #opt::load_or_store_with(&self.place, make) })
                        }
                        Op::CompareAndSwap => {
                            let d = Self::accessor_doc(f, "Sets {} to `new` if it holds `old`; whether it did.");
                            quote!(#d pub fn #method(&self, old: &#ty, new: #ty) -> bool where #eq { #opt::compare_and_swap(&self.place, old, new) })
                        }
                        Op::Update => {
                            let d = Self::accessor_doc(f, "Replaces {} with `f(value)` (`None` unsets it) and returns the new state; `f` runs outside every lock and again if another write came between.");
                            quote!(#d pub fn #method(&self, f: impl #p::FnMut(#p::Option<&#ty>) -> #p::Option<#ty>) -> #p::Option<#ty> { #opt::update(&self.place, f) })
                        }
                        _ => quote!(),
                    });
                }
            }
            FieldKind::Map { key, value } => {
                let map = quote!(#p::MapField::<#struct_ty, #index>);
                let eq = partial_eq(value);
                let lookup = quote!(#key: #p::Borrow<#q>, #q: #p::Hash + #p::Eq + ?Sized);
                let owned = quote!(#key: #p::Borrow<#q>, #q: #p::Hash + #p::Eq + #p::ToOwned + ?Sized, <#q as #p::ToOwned>::Owned: #p::Into<#key>);
                for op in ops {
                    let method = name(op);
                    out.extend(match op {
                        Op::Get => {
                            let d = Self::accessor_doc(f, "Reads the entry of {} under `key` (any borrowed form of the key): no lock.");
                            quote!(#d #[inline] pub fn #method<#q>(&self, key: &#q) -> #p::Option<#value> where #lookup { #map::get(&self.place, key) })
                        }
                        Op::GetWith => {
                            let d = Self::accessor_doc(f, "Calls `f` with the entry of {} under `key` in place.");
                            quote!(#d pub fn #method<#q, #r>(&self, key: &#q, f: impl #p::FnOnce(&#value) -> #r) -> #p::Option<#r> where #lookup { #map::get_with(&self.place, key, f) })
                        }
                        Op::Contains => {
                            let d = Self::accessor_doc(f, "Whether {} has an entry under `key`.");
                            quote!(#d pub fn #method<#q>(&self, key: &#q) -> bool where #lookup { #map::contains(&self.place, key) })
                        }
                        Op::Store => {
                            let d = Self::accessor_doc(f, "Stores an entry of {}.");
                            quote!(#d pub fn #method(&self, key: #key, value: #value) { #map::store(&self.place, key, value) })
                        }
                        Op::Swap => {
                            let d = Self::accessor_doc(f, "Stores an entry of {} and returns the value it replaced.");
                            quote!(#d pub fn #method(&self, key: #key, value: #value) -> #p::Option<#value> { #map::swap(&self.place, key, value) })
                        }
                        Op::Delete => {
                            let d = Self::accessor_doc(f, "Removes the entry of {} under `key`; whether it existed.");
                            quote!(#d pub fn #method<#q>(&self, key: &#q) -> bool where #owned { #map::delete(&self.place, key) })
                        }
                        Op::LoadAndDelete => {
                            let d = Self::accessor_doc(f, "Removes the entry of {} under `key` and returns its value.");
                            quote!(#d pub fn #method<#q>(&self, key: &#q) -> #p::Option<#value> where #owned { #map::load_and_delete(&self.place, key) })
                        }
                        Op::LoadOrStore => {
                            let d = Self::accessor_doc(f, "Returns the entry of {} under `key` if it exists; otherwise stores `value`.");
                            quote!(#d pub fn #method(&self, key: #key, value: #value) -> #p::LoadOrStore<#value> { #map::load_or_store(&self.place, key, value) })
                        }
                        Op::LoadOrStoreWith => {
                            let d = Self::accessor_doc(f, "Returns the entry of {} under `key` if it exists; otherwise stores `make()`, which runs outside every lock.");
                            quote!(#d pub fn #method(&self, key: #key, make: impl #p::FnOnce() -> #value) -> #p::LoadOrStore<#value> { #map::load_or_store_with(&self.place, key, make) })
                        }
                        Op::CompareAndSwap => {
                            let d = Self::accessor_doc(f, "Stores `new` in the entry of {} under `key` if it holds `old`; whether it did.");
                            quote!(#d pub fn #method<#q>(&self, key: &#q, old: &#value, new: #value) -> bool where #owned, #eq { #map::compare_and_swap(&self.place, key, old, new) })
                        }
                        Op::Update => {
                            let d = Self::accessor_doc(f, "Replaces the entry of {} under `key` with `f(entry)` (`None` removes it) and returns the new value; `f` runs outside every lock and again if another write came between.");
                            quote!(#d pub fn #method(&self, key: #key, f: impl #p::FnMut(#p::Option<&#value>) -> #p::Option<#value>) -> #p::Option<#value> { #map::update(&self.place, key, f) })
                        }
                        Op::Range => {
                            let d = Self::accessor_doc(f, "Calls `f` on each entry of {} until it returns `false` (not a snapshot: use `Registry::snapshot` for one).");
                            quote!(#d pub fn #method(&self, f: impl #p::FnMut(&#key, &#value) -> bool) { #map::range(&self.place, f) })
                        }
                        Op::Len => {
                            let d = Self::accessor_doc(f, "The number of entries of {} (a walk over the backend).");
                            quote!(#d pub fn #method(&self) -> usize { #map::len(&self.place) })
                        }
                        Op::GetOrLoad => {
                            let d = Self::accessor_doc(f, "The live entry of {} under `key`, else `load(&key)`, stored: one load per key at a time however many threads ask, the others waiting for its value.\n\n# Errors\n\nThe loader panicked, another caller's loader for the key failed, or the loader asked for `key` itself.");
                            quote!(#d pub fn #method(&self, key: #key, load: impl #p::FnOnce(&#key) -> #value) -> #p::Result<#value, #p::LoadError> { #map::get_or_load(&self.place, key, load) })
                        }
                        Op::TryGetOrLoad => {
                            let d = Self::accessor_doc(f, "The live entry of {} under `key`, else `load(&key)`'s value, stored: one load per key at a time; an error goes to every caller that waited for it and is not cached.\n\n# Errors\n\nThe loader's error, its panic, or its asking for `key` itself.");
                            quote!(#d pub fn #method<#r: #p::Into<#p::BoxError>>(&self, key: #key, load: impl #p::FnOnce(&#key) -> #p::Result<#value, #r>) -> #p::Result<#value, #p::LoadError> { #map::try_get_or_load(&self.place, key, load) })
                        }
                        Op::Cache => {
                            let d = Self::accessor_doc(f, "The cache handle of {}: statistics, size, eviction listener, clock.");
                            let pl = &self.place_param;
                            quote!(#d pub fn #method(&self) -> #p::CacheField<'_, #struct_ty, #pl, #index> { #p::CacheField::new(&self.place) })
                        }
                        _ => quote!(),
                    });
                }
            }
            FieldKind::Nested if ops.contains(&Op::Get) => {
                let ty = f.field.ty;
                let method = name(Op::Get);
                let pl = &self.place_param;
                let d = Self::accessor_doc(
                    f,
                    "The nested registry of {}: its fields are leaves of this registry, read and written in place.",
                );
                out.extend(quote! {
                    #d
                    pub fn #method(&self) -> <#ty as #p::RegistryStruct>::Registry<#p::Nested<#struct_ty, &#pl, #index>> {
                        <#ty as #p::RegistryStruct>::registry_at(#p::Nested::new(&self.place))
                    }
                });
            }
            FieldKind::Nested | FieldKind::Skip => {}
        }
        out
    }
}
