//! Code generation for what reads or writes the struct as a whole: consistent snapshots
//! (`snapshot`, `load_struct`), `store_struct`, batches (`update` and the batch type), the
//! validators, and the change-tracking methods (`version`, `wait_for_change`, `subscribe`).
//!
//! Every write goes through the registry's `RegistrySync` (see `__private::RegistrySync` in the
//! facade): one writer lock, and a sequence counter that snapshots check seqlock-style.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::{FieldGen, Gen, doc, lenient};
use crate::ast::{self, FieldKind};

/// Where a rebuilt struct's fields come from.
#[derive(Clone, Copy, PartialEq)]
enum Source {
    /// The registry's accessors and a `range` over the backend.
    Backend,
    /// A `HashMap` of keys to values named `entries`, emptied as the fields are taken.
    Entries,
}

impl Gen<'_> {
    /// Whether a validator exists anywhere: whole-struct and batch writes then return a `Result`.
    pub(super) fn validates(&self) -> bool {
        self.input.attrs.validate.is_some()
            || self
                .fields
                .iter()
                .any(|f| Self::field_validator(f).is_some())
    }

    /// A plain field's validator; on a `map` field it is an error already, and ignored here.
    fn field_validator<'f>(f: &'f FieldGen<'_>) -> Option<&'f syn::Path> {
        match f.kind {
            FieldKind::Plain => f.field.attrs.validate.as_ref(),
            _ => None,
        }
    }

    fn field_gen(&self, field: &ast::Field<'_>) -> Option<&FieldGen<'_>> {
        self.fields.iter().find(|f| std::ptr::eq(f.field, field))
    }

    /// The bounds rebuilding the struct needs, and the code that rebuilds it as a
    /// `Result<Struct, MissingFields>`.
    fn rebuild(&self, source: Source) -> (Vec<TokenStream>, TokenStream) {
        let krate = &self.krate;
        let p = quote!(#krate::__private);
        let key = &self.names.key;
        let value = &self.names.value;
        let missing = &self.names.missing_fields;
        let struct_ident = self.struct_ident();
        let mut bounds = Vec::new();
        let mut reads = Vec::new();
        let mut required = Vec::new();
        let mut map_vecs = Vec::new();
        let mut map_arms = Vec::new();
        let mut inits = Vec::new();
        for field in &self.input.fields {
            let ident = field.ident;
            let ty = field.ty;
            let Some(f) = self.field_gen(field) else {
                inits.push(
                    quote_spanned!(ast::type_span(ty)=> #ident: <#ty as #p::Default>::default()),
                );
                bounds.push(lenient(ty, quote!(#p::Default)));
                continue;
            };
            let variant = &f.variant;
            let from = Self::helper_ident("from", f);
            match f.kind {
                FieldKind::Map {
                    key: map_key,
                    value: map_value,
                } => {
                    let entries = format_ident!("__entries_{}", ident.unraw());
                    map_vecs.push(quote!(let mut #entries = #p::Vec::new();));
                    map_arms.push(match source {
                        Source::Backend => quote! {
                            #key::#variant(_) => {
                                if let (#key::#variant(key), #value::#variant(value)) =
                                    (#p::Clone::clone(key), #p::Clone::clone(value))
                                {
                                    #entries.push((key, value));
                                }
                            }
                        },
                        Source::Entries => quote! {
                            #key::#variant(key) => #entries.push((key, Self::#from(value))),
                        },
                    });
                    inits.push(quote!(#ident: #p::FromIterator::from_iter(#entries)));
                    bounds.push(lenient(
                        ty,
                        quote!(#p::FromIterator<(#map_key, #map_value)>),
                    ));
                }
                _ => {
                    let has_default = self.default_expr(f).is_some();
                    reads.push(match source {
                        Source::Backend => {
                            let get = &f.accessors.get;
                            quote!(let #ident = self.#get();)
                        }
                        Source::Entries if has_default => {
                            let default_fn = Self::helper_ident("default", f);
                            quote! {
                                let #ident = entries
                                    .remove(&#key::#variant)
                                    .map_or_else(Self::#default_fn, Self::#from);
                            }
                        }
                        Source::Entries => {
                            quote!(let #ident = entries.remove(&#key::#variant).map(Self::#from);)
                        }
                    });
                    if has_default {
                        inits.push(quote!(#ident));
                    } else {
                        required.push((ident, &f.key_name));
                    }
                }
            }
        }
        let collect_maps = match (map_vecs.is_empty(), source) {
            (true, _) => quote!(),
            (false, Source::Backend) => quote! {
                self.map.range(|key, value| {
                    #[allow(unreachable_patterns)]
                    match key {
                        #(#map_arms)*
                        _ => {}
                    }
                    true
                });
            },
            (false, Source::Entries) => quote! {
                for (key, value) in entries {
                    #[allow(unreachable_patterns)]
                    match key {
                        #(#map_arms)*
                        _ => {}
                    }
                }
            },
        };
        let required_idents: Vec<&Ident> = required.iter().map(|(ident, _)| *ident).collect();
        let required_names: Vec<&String> = required.iter().map(|(_, name)| *name).collect();
        let build = quote!(#struct_ident { #(#inits,)* #(#required_idents,)* });
        let assemble = if required.is_empty() {
            quote!(#p::Ok(#build))
        } else {
            quote! {
                match (#(#required_idents,)*) {
                    (#(#p::Some(#required_idents),)*) => #p::Ok(#build),
                    (#(#required_idents,)*) => {
                        let mut fields = #p::Vec::new();
                        #(
                            if #required_idents.is_none() {
                                fields.push(#required_names);
                            }
                        )*
                        #p::Err(#missing { fields })
                    }
                }
            }
        };
        let body = quote! {
            #(#reads)*
            #(#map_vecs)*
            #collect_maps
            #assemble
        };
        (bounds, body)
    }

    pub(super) fn load_struct(&self, struct_ty: &TokenStream) -> TokenStream {
        let krate = &self.krate;
        let p = quote!(#krate::__private);
        let missing = &self.names.missing_fields;
        let struct_ident = self.struct_ident();
        let (bounds, body) = self.rebuild(Source::Backend);
        let snapshot_doc = doc(&format!(
            "Rebuilds a [`{struct_ident}`] from the registry as one consistent state, and returns \
             it with the [`version`](Self::version) it is the state of.\n\n\
             Each field takes its value, its default if it is unset and has one, \
             `Default::default()` for `skip` fields, and each `map` field the entries of its own. \
             Fails, naming them, if fields without a default are unset.\n\n\
             # Consistency\n\n\
             The result is the registry's state between two published changes: a whole-struct \
             store ([`store_struct`](Self::store_struct)), a batch ([`update`](Self::update)) or \
             a single accessor's write is in it entirely or not at all. The fields are read \
             without a lock, then the version is checked (seqlock-style); a read overlapped by a \
             write is retried, and after a bounded number of tries the fields are read under the \
             registry's writer lock, so writers cannot starve it. Writes made through \
             [`map`](Self::map) bypass this.",
        ));
        let load_doc = doc(&format!(
            "Rebuilds a [`{struct_ident}`] from the registry: [`snapshot`](Self::snapshot) without \
             the version, so equally consistent."
        ));
        quote! {
            #[allow(unused_mut)]
            fn __read_struct(&self) -> #p::Result<#struct_ty, #missing>
            where #(#bounds,)*
            {
                #body
            }

            #snapshot_doc
            pub fn snapshot(&self) -> #p::Result<(#struct_ty, u64), #missing>
            where #(#bounds,)*
            {
                let (result, version) = self.sync.read(|| self.__read_struct());
                result.map(|value| (value, version))
            }

            #load_doc
            pub fn load_struct(&self) -> #p::Result<#struct_ty, #missing>
            where #(#bounds,)*
            {
                self.snapshot().map(|(value, _)| value)
            }
        }
    }

    /// `Self::__validate_{field}(&value.field)?;` for each validated field, then the struct's.
    fn validate_whole(&self, value: &TokenStream) -> TokenStream {
        let fields = self.fields.iter().filter_map(|f| {
            Self::field_validator(f)?;
            let ident = f.field.ident;
            let check = Self::helper_ident("validate", f);
            Some(quote!(Self::#check(&#value.#ident)?;))
        });
        let whole = self
            .input
            .attrs
            .validate
            .as_ref()
            .map(|_| quote!(Self::__validate_struct(&#value)?;));
        quote!(#(#fields)* #whole)
    }

    pub(super) fn store_struct(&self, struct_ty: &TokenStream) -> TokenStream {
        let krate = &self.krate;
        let p = quote!(#krate::__private);
        let key = &self.names.key;
        let value = &self.names.value;
        let value_ty = &self.value_ty;
        let struct_ident = self.struct_ident();
        let mut pattern = Vec::new();
        let mut stores = Vec::new();
        let mut map_variants = Vec::new();
        for field in &self.input.fields {
            let ident = field.ident;
            let Some(f) = self.field_gen(field) else {
                pattern.push(quote!(#ident: _));
                continue;
            };
            // Bound to names of our own, which no local below can shadow.
            let binding = format_ident!("__field_{}", ident.unraw());
            pattern.push(quote!(#ident: #binding));
            let variant = &f.variant;
            match f.kind {
                FieldKind::Map { .. } => {
                    map_variants.push(variant);
                    stores.push(quote! {
                        for (key, value) in #binding {
                            let key = #key::#variant(key);
                            fresh.insert(#p::Clone::clone(&key));
                            changes.wrote(|| #p::Clone::clone(&key));
                            replaced.extend(self.map.swap(key, #value::#variant(value)));
                        }
                    });
                }
                _ => stores.push(quote! {
                    changes.wrote(|| #key::#variant);
                    replaced.extend(self.map.swap(#key::#variant, #value::#variant(#binding)));
                }),
            }
        }
        let (fresh, stale) = if map_variants.is_empty() {
            (quote!(), quote!())
        } else {
            (
                quote!(let mut fresh = #p::HashSet::new();),
                quote! {
                    // Entries of `map` fields that `value` does not have go, after the new ones
                    // are in.
                    let mut stale = #p::Vec::new();
                    self.map.range(|key, _| {
                        if matches!(key, #(#key::#map_variants(_))|*) && !fresh.contains(key) {
                            stale.push(#p::Clone::clone(key));
                        }
                        true
                    });
                    for key in stale {
                        if let #p::Some(old) = self.map.load_and_delete(&key) {
                            changes.wrote(|| key);
                            replaced.push(old);
                        }
                    }
                },
            )
        };
        let validates = self.validates();
        let checks = self.validate_whole(&quote!(value));
        let (ret, ok) = if validates {
            (quote!(-> #p::Result<(), #p::BoxError>), quote!(#p::Ok(())))
        } else {
            (quote!(), quote!())
        };
        let errors = if validates {
            "\n\n# Errors\n\nThe first error of a validator (each validated field's, then the \
             struct's), boxed; the registry is then left as it was."
        } else {
            ""
        };
        let store_doc = doc(&format!(
            "Stores every field of `value` as one change: each plain field is set, and each `map` \
             field gets exactly the entries of `value` (others are removed). `skip` fields are \
             dropped.\n\n\
             A [`snapshot`](Self::snapshot) sees all of it or none of it; single-field getters \
             may see some fields written and others not yet. It counts as one change in \
             [`version`](Self::version), and subscribers get it once, naming every key written \
             or removed.{errors}"
        ));
        quote! {
            #store_doc
            #[allow(unused_mut)]
            pub fn store_struct(&self, value: #struct_ty) #ret {
                #checks
                let #struct_ident { #(#pattern,)* } = value;
                let _replaced = self.sync.write(|changes| {
                    let mut replaced: #p::Vec<#value_ty> = #p::Vec::new();
                    #fresh
                    #(#stores)*
                    #stale
                    replaced
                });
                // `_replaced` (the values replaced) is dropped at the end, after the writer lock.
                #ok
            }
        }
    }

    /// `update` (a batch applied as one change) and the private helpers it needs.
    pub(super) fn update(&self, struct_ty: &TokenStream) -> TokenStream {
        let krate = &self.krate;
        let p = quote!(#krate::__private);
        let key = &self.names.key;
        let value = &self.names.value;
        let key_ty = &self.key_ty;
        let value_ty = &self.value_ty;
        let batch = &self.names.batch;
        let ty_args = &self.ty_args;
        let missing = &self.names.missing_fields;
        let validates = self.validates();
        let field_checks = self.fields.iter().filter_map(|f| {
            Self::field_validator(f)?;
            let variant = &f.variant;
            let check = Self::helper_ident("validate", f);
            Some(quote!((#key::#variant, #p::Some(#value::#variant(value))) => Self::#check(value)?,))
        });
        let field_checks = quote! {
            for (key, value) in &ops {
                #[allow(unreachable_patterns)]
                match (key, value) {
                    #(#field_checks)*
                    _ => {}
                }
            }
        };
        let (bounds, candidate_body) = self.rebuild(Source::Entries);
        let (ret, ok, where_bounds, apply, candidate) = match (
            &self.input.attrs.validate,
            validates,
        ) {
            (Some(_), _) => (
                quote!(-> #p::Result<(), #p::BoxError>),
                quote!(#p::Ok(())),
                quote!(where #(#bounds,)*),
                quote! {
                    #field_checks
                    let (candidate, replaced) = self.sync.write_if(
                        move || {
                            let candidate = self.__candidate(&ops)?;
                            Self::__validate_struct(&candidate)?;
                            #p::Ok::<_, #p::BoxError>((candidate, ops))
                        },
                        |(candidate, ops), changes| (candidate, self.__apply(ops, changes)),
                    )?;
                },
                quote! {
                    /// The struct the registry would hold once `ops` are applied.
                    #[allow(unused_mut)]
                    fn __candidate(&self, ops: &[(#key_ty, #p::Option<#value_ty>)]) -> #p::Result<#struct_ty, #missing>
                    where #(#bounds,)*
                    {
                        let mut entries = #p::HashMap::new();
                        self.map.range(|key, value| {
                            entries.insert(#p::Clone::clone(key), #p::Clone::clone(value));
                            true
                        });
                        for (key, value) in ops {
                            match value {
                                #p::Some(value) => {
                                    entries.insert(#p::Clone::clone(key), #p::Clone::clone(value));
                                }
                                #p::None => {
                                    entries.remove(key);
                                }
                            }
                        }
                        #candidate_body
                    }
                },
            ),
            (None, true) => (
                quote!(-> #p::Result<(), #p::BoxError>),
                quote!(#p::Ok(())),
                quote!(),
                quote! {
                    #field_checks
                    let _replaced = self.sync.write(|changes| self.__apply(ops, changes));
                },
                quote!(),
            ),
            (None, false) => (
                quote!(),
                quote!(),
                quote!(),
                quote!(let _replaced = self.sync.write(|changes| self.__apply(ops, changes));),
                quote!(),
            ),
        };
        let errors = match (&self.input.attrs.validate, validates) {
            (Some(_), _) => {
                "\n\n# Errors\n\nThe first error of a validator, boxed: each validated field's \
                 on the values the batch stores, then the struct's on the struct the registry \
                 would hold after the batch (the current state with the batch applied; if that \
                 struct lacks fields without a default, the missing-fields error). The registry \
                 is then left as it was.\n\n\
                 The struct's validator runs while the registry's writer lock is held, so that \
                 what it accepts is exactly what is published: it may read the registry, but \
                 must not write to it."
            }
            (None, true) => {
                "\n\n# Errors\n\nThe first error of a validated field's validator on a value the \
                 batch stores, boxed; the registry is then left as it was."
            }
            (None, false) => "",
        };
        let update_doc = doc(&format!(
            "Applies a batch of writes as one change: `f` queues stores and deletes on a \
             [`{batch}`], then they are applied in order, atomically with respect to \
             [`snapshot`](Self::snapshot) (which sees all of them or none) and to every other \
             write through the registry.\n\n\
             `f` runs before any lock is taken. A batch that changes nothing (empty, or only \
             deletes of unset fields) publishes nothing; otherwise it is one change in \
             [`version`](Self::version), and subscribers get it once, naming the keys it wrote. \
             Single-field getters may see part of a batch while it is applied.{errors}"
        ));
        quote! {
            #update_doc
            pub fn update(&self, f: impl FnOnce(&mut #batch #ty_args)) #ret #where_bounds {
                let mut batch = #batch { ops: #p::Vec::new() };
                f(&mut batch);
                let ops = batch.ops;
                if ops.is_empty() {
                    return #ok;
                }
                #apply
                // `_replaced` (the values replaced) is dropped at the end, after the writer lock.
                #ok
            }

            fn __apply(
                &self,
                ops: #p::Vec<(#key_ty, #p::Option<#value_ty>)>,
                changes: &mut #p::Changes<#key_ty>,
            ) -> #p::Vec<#value_ty> {
                let mut replaced = #p::Vec::new();
                for (key, value) in ops {
                    match value {
                        #p::Some(value) => {
                            changes.wrote(|| #p::Clone::clone(&key));
                            replaced.extend(self.map.swap(key, value));
                        }
                        #p::None => {
                            if let #p::Some(old) = self.map.load_and_delete(&key) {
                                changes.wrote(|| key);
                                replaced.push(old);
                            }
                        }
                    }
                }
                replaced
            }

            #candidate
        }
    }

    /// `version`, `wait_for_change` and `subscribe`.
    pub(super) fn change_methods(&self) -> TokenStream {
        let krate = &self.krate;
        let p = quote!(#krate::__private);
        let key_ty = &self.key_ty;
        quote! {
            /// The number of changes published through the registry so far: it starts at 0 and
            /// grows by one with every write that changed something (a single accessor's write,
            /// a [`store_struct`](Self::store_struct), an [`update`](Self::update) batch).
            /// Writes that change nothing (a failed `compare_and_swap_*`, a `delete_*` of an
            /// unset field) do not count, nor do writes made through [`map`](Self::map).
            pub fn version(&self) -> u64 {
                self.sync.version()
            }

            /// Blocks until the [`version`](Self::version) is greater than `after` and returns
            /// it, or returns `None` if `timeout` passes first. The thread sleeps (a
            /// `parking_lot` condition variable), it does not spin.
            ///
            /// Pass the version of a [`snapshot`](Self::snapshot) to wait for the first change
            /// after it; a change published in between is not missed.
            pub fn wait_for_change(&self, after: u64, timeout: #p::Duration) -> #p::Option<u64> {
                self.sync.wait_for_change(after, timeout)
            }

            /// Calls `callback` once for every change published after this call, with its
            /// version and the keys it wrote, until the returned handle is dropped.
            ///
            /// Callbacks run outside every lock of the registry and of its backend, on the thread
            /// of a writer, one change at a time, in version order: the writer whose change it is
            /// delivers it, unless another thread is delivering earlier changes, which then
            /// delivers this one too (so a write may return before its callbacks ran, and a
            /// callback may write to the registry: its change is delivered after the current
            /// one). A panic in a callback propagates out of the write that was delivering; later
            /// changes are still delivered.
            pub fn subscribe(
                &self,
                callback: impl Fn(&#p::RegistryChange<#key_ty>) + #p::Send + #p::Sync + 'static,
            ) -> #p::RegistrySubscription {
                self.sync.subscribe(callback)
            }
        }
    }

    /// Private functions that run each `#[registry(validate = path)]`, the path spanned so a
    /// wrong one is reported under it, once.
    pub(super) fn validators(&self, struct_ty: &TokenStream) -> TokenStream {
        let krate = &self.krate;
        let p = quote!(#krate::__private);
        let whole = self.input.attrs.validate.as_ref().map(|path| {
            let call =
                quote_spanned!(path.span()=> #p::run_validator::<#struct_ty, _, _>(#path, value));
            quote! {
                fn __validate_struct(value: &#struct_ty) -> #p::Result<(), #p::BoxError> {
                    #call
                }
            }
        });
        let fields = self.fields.iter().filter_map(|f| {
            let path = Self::field_validator(f)?;
            let ty = f.field.ty;
            let name = Self::helper_ident("validate", f);
            let call = quote_spanned!(path.span()=> #p::run_validator::<#ty, _, _>(#path, value));
            Some(quote! {
                fn #name(value: &#ty) -> #p::Result<(), #p::BoxError> {
                    #call
                }
            })
        });
        quote!(#whole #(#fields)*)
    }

    /// The batch type `update` hands to its closure.
    pub(super) fn batch(&self) -> TokenStream {
        let krate = &self.krate;
        let p = quote!(#krate::__private);
        let vis = self.vis();
        let key = &self.names.key;
        let value = &self.names.value;
        let key_ty = &self.key_ty;
        let value_ty = &self.value_ty;
        let batch = &self.names.batch;
        let ty_args = &self.ty_args;
        let batch_ty = quote!(#batch #ty_args);
        let registry = &self.names.registry;
        let struct_ident = self.struct_ident();
        let generics = self.generics();
        let where_clause = &generics.where_clause;
        let bounded = self.bounded_generics();
        let bounded_predicates = Self::where_predicates(&bounded);
        let (impl_generics, _, _) = bounded.split_for_impl();
        let batch_name = batch.to_string();
        let methods = self.fields.iter().map(|f| {
            let variant = &f.variant;
            let name = &f.key_name;
            let store = &f.accessors.store;
            let delete = &f.accessors.delete;
            let d = |summary: String| Self::field_doc(f, &summary);
            match f.kind {
                FieldKind::Map {
                    key: map_key,
                    value: map_value,
                } => {
                    let store_doc = d(format!(
                        "Queues setting the entry of `key` in the `map` field `{name}`."
                    ));
                    let delete_doc = d(format!(
                        "Queues removing the entry of `key` from the `map` field `{name}`."
                    ));
                    quote! {
                        #store_doc
                        pub fn #store(&mut self, key: #map_key, value: #map_value) -> &mut Self {
                            self.ops.push((#key::#variant(key), #p::Some(#value::#variant(value))));
                            self
                        }

                        #delete_doc
                        pub fn #delete(&mut self, key: #map_key) -> &mut Self {
                            self.ops.push((#key::#variant(key), #p::None));
                            self
                        }
                    }
                }
                _ => {
                    let ty = f.field.ty;
                    let check = if Self::field_validator(f).is_some() {
                        " The field's validator checks the value when the batch is applied."
                    } else {
                        ""
                    };
                    let store_doc = d(format!("Queues setting `{name}`.{check}"));
                    let reset = if self.default_expr(f).is_some() {
                        ", so that it reads as its default"
                    } else {
                        ""
                    };
                    let delete_doc = d(format!("Queues unsetting `{name}`{reset}."));
                    quote! {
                        #store_doc
                        pub fn #store(&mut self, value: #ty) -> &mut Self {
                            self.ops.push((#key::#variant, #p::Some(#value::#variant(value))));
                            self
                        }

                        #delete_doc
                        pub fn #delete(&mut self) -> &mut Self {
                            self.ops.push((#key::#variant, #p::None));
                            self
                        }
                    }
                }
            }
        });
        let batch_doc = doc(&format!(
            "Writes to a [`{registry}`] queued to be applied as one change by its `update` \
             method: stores and deletes named after the registry's accessors, applied in the \
             order queued. Its `Debug` redacts `#[registry(secret)]` fields.\n\n\
             [`{registry}`]: {registry}\n[`{struct_ident}`]: {struct_ident}"
        ));
        quote! {
            #batch_doc
            #vis struct #batch #generics #where_clause {
                ops: #p::Vec<(#key_ty, #p::Option<#value_ty>)>,
            }

            impl #impl_generics #batch_ty where #bounded_predicates {
                /// The number of writes queued.
                pub fn len(&self) -> usize {
                    self.ops.len()
                }

                /// Whether no write is queued: applying the batch then changes nothing.
                pub fn is_empty(&self) -> bool {
                    self.ops.is_empty()
                }

                #(#methods)*
            }

            impl #impl_generics #p::fmt::Debug for #batch_ty
            where
                #bounded_predicates
                for<'__r> #key_ty: #p::fmt::Debug,
                for<'__r> #value_ty: #p::fmt::Debug,
            {
                fn fmt(&self, f: &mut #p::fmt::Formatter<'_>) -> #p::fmt::Result {
                    f.debug_struct(#batch_name).field("ops", &self.ops).finish()
                }
            }
        }
    }
}
