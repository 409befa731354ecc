//! The key and value enums, and the impls the runtime needs of them.

use proc_macro2::TokenStream;
use quote::quote;

use super::{FieldGen, Gen, doc};
use crate::ast::FieldKind;

impl Gen<'_> {
    pub(crate) fn enums(&self) -> TokenStream {
        let key = self.key_enum();
        let value = self.value_enum();
        quote!(#key #value)
    }

    fn variant_doc(&self, f: &FieldGen<'_>, what: &str) -> TokenStream {
        let text = format!(
            "{what} of the field `{}`.",
            syn::ext::IdentExt::unraw(f.field.ident)
        );
        doc(&text)
    }

    fn key_enum(&self) -> TokenStream {
        let krate = &self.krate;
        let p = quote!(#krate::__private);
        let vis = self.vis();
        let key = &self.names.key;
        let key_ty = self.with_params(key);
        let struct_ident = &self.input.original.ident;
        let (impl_generics, _, _) = self.generics().split_for_impl();
        let where_clause = self.where_clause(&[]);
        let user_where = &self.generics().where_clause;
        let allows = Self::allows();
        let phantom = self.phantom_variant();
        let variants = self.fields.iter().map(|f| {
            let variant = &f.variant;
            let docs = self.variant_doc(f, "The key");
            match f.kind {
                FieldKind::Map { key, .. } => quote!(#docs #variant(#key)),
                FieldKind::Nested => {
                    let ty = f.field.ty;
                    quote!(#docs #variant(<#ty as #p::RegistryStruct>::Key))
                }
                _ => quote!(#docs #variant),
            }
        });
        let pattern = |f: &FieldGen<'_>, binding: TokenStream| {
            let variant = &f.variant;
            match f.kind {
                FieldKind::Map { .. } | FieldKind::Nested => quote!(Self::#variant(#binding)),
                _ => quote!(Self::#variant),
            }
        };
        let clone_arms = self.fields.iter().map(|f| {
            let variant = &f.variant;
            match f.kind {
                FieldKind::Map { .. } | FieldKind::Nested => {
                    quote!(Self::#variant(key) => Self::#variant(#p::Clone::clone(key)),)
                }
                _ => quote!(Self::#variant => Self::#variant,),
            }
        });
        let eq_arms = self.fields.iter().map(|f| {
            let variant = &f.variant;
            match f.kind {
                FieldKind::Map { .. } | FieldKind::Nested => {
                    quote!((Self::#variant(a), Self::#variant(b)) => a == b,)
                }
                _ => quote!((Self::#variant, Self::#variant) => true,),
            }
        });
        let hash_arms = self.fields.iter().map(|f| {
            let index = u32::try_from(f.index).expect("fewer than 2^32 fields");
            let pat = pattern(f, quote!(key));
            match f.kind {
                FieldKind::Map { .. } | FieldKind::Nested => quote! {
                    #pat => {
                        #p::hash_field(#index, state);
                        #p::Hash::hash(key, state);
                    }
                },
                _ => quote!(#pat => #p::hash_field(#index, state),),
            }
        });
        let debug_arms = self.fields.iter().map(|f| {
            let variant = &f.variant;
            let name = variant.to_string();
            let pat = pattern(f, quote!(key));
            match f.kind {
                FieldKind::Map { .. } if f.field.attrs.secret.is_some() => quote! {
                    #pat => { let _ = key; f.debug_tuple(#name).field(&#p::FmtWith(|f: &mut #p::fmt::Formatter<'_>| f.write_str(#p::REDACTED))).finish() }
                },
                FieldKind::Map { .. } => quote! {
                    #pat => f.debug_tuple(#name).field(&#p::FmtWith(|f: &mut #p::fmt::Formatter<'_>| {
                        #[allow(unused_imports)]
                        use #p::{FmtByDebug as _, FmtOpaque as _};
                        (&#p::DebugProbe(key)).probe_fmt(f)
                    })).finish(),
                },
                FieldKind::Nested => quote!(#pat => f.debug_tuple(#name).field(key).finish(),),
                _ => quote!(#pat => f.write_str(#name),),
            }
        });
        let phantom_arm = self.phantom_arm(quote!(Self::__Phantom(__never, _)));
        // A wildcard arm only where another variant exists, else it would be unreachable.
        let eq_fallback = if self.fields.len() > 1 || self.phantom_variant().is_some() {
            quote!(_ => false,)
        } else {
            quote!()
        };
        let hasher = crate::naming::fresh_param(self.generics(), "H");
        let mut with_query = self.generics().clone();
        with_query.params.insert(0, syn::parse_quote!('__q));
        let (borrow_generics, _, _) = with_query.split_for_impl();
        let key_doc = doc(&format!(
            "The keys of a registry of [`{struct_ident}`]: one variant per field, carrying the \
             entry's key for a `map` field and the inner key for a `nested` one."
        ));
        quote! {
            #key_doc
            #allows
            #vis enum #key #impl_generics #user_where {
                #(#variants,)*
                #phantom
            }

            #[automatically_derived]
            #allows
            impl #impl_generics #p::Clone for #key_ty #where_clause {
                fn clone(&self) -> Self {
                    match self {
                        #(#clone_arms)*
                        #phantom_arm
                    }
                }
            }

            #[automatically_derived]
            #allows
            impl #impl_generics #p::PartialEq for #key_ty #where_clause {
                // Inlined, the match on a field read's constant key folds to one arm
                // (`hash` too); left to the optimizer, `hash` stayed a call.
                #[inline]
                fn eq(&self, other: &Self) -> bool {
                    match (self, other) {
                        #(#eq_arms)*
                        #eq_fallback
                    }
                }
            }

            #[automatically_derived]
            #allows
            impl #impl_generics #p::Eq for #key_ty #where_clause {}

            #[automatically_derived]
            #allows
            impl #impl_generics #p::Hash for #key_ty #where_clause {
                #[inline]
                fn hash<#hasher: #p::Hasher>(&self, state: &mut #hasher) {
                    match self {
                        #(#hash_arms)*
                        #phantom_arm
                    }
                }
            }

            #[automatically_derived]
            #allows
            impl #impl_generics #p::fmt::Debug for #key_ty #where_clause {
                fn fmt(&self, f: &mut #p::fmt::Formatter<'_>) -> #p::fmt::Result {
                    match self {
                        #(#debug_arms)*
                        #phantom_arm
                    }
                }
            }

            #[automatically_derived]
            #allows
            impl #borrow_generics #p::Borrow<dyn #p::KeyQuery<Self> + '__q> for #key_ty #where_clause {
                fn borrow(&self) -> &(dyn #p::KeyQuery<Self> + '__q) {
                    self
                }
            }
        }
    }

    fn value_enum(&self) -> TokenStream {
        let krate = &self.krate;
        let p = quote!(#krate::__private);
        let vis = self.vis();
        let value = &self.names.value;
        let value_ty = self.with_params(value);
        let struct_ident = &self.input.original.ident;
        let (impl_generics, _, _) = self.generics().split_for_impl();
        let where_clause = self.where_clause(&[]);
        let user_where = &self.generics().where_clause;
        let allows = Self::allows();
        let phantom = self.phantom_variant();
        let variants = self.fields.iter().map(|f| {
            let variant = &f.variant;
            let docs = self.variant_doc(f, "A value");
            let ty = f.field.stored_type();
            match f.kind {
                FieldKind::Nested => quote!(#docs #variant(<#ty as #p::RegistryStruct>::Value)),
                _ if Self::is_cache(f) => quote!(#docs #variant(#p::Cached<#ty>)),
                _ => quote!(#docs #variant(#ty)),
            }
        });
        let clone_arms = self.fields.iter().map(|f| {
            let variant = &f.variant;
            quote!(Self::#variant(value) => Self::#variant(#p::Clone::clone(value)),)
        });
        let debug_arms = self.fields.iter().map(|f| {
            let variant = &f.variant;
            if f.field.attrs.secret.is_some() {
                quote!(Self::#variant(_) => f.write_str(#p::REDACTED),)
            } else {
                quote! {
                    Self::#variant(value) => {
                        #[allow(unused_imports)]
                        use #p::{FmtByDebug as _, FmtOpaque as _};
                        (&#p::DebugProbe(value)).probe_fmt(f)
                    }
                }
            }
        });
        let phantom_arm = self.phantom_arm(quote!(Self::__Phantom(__never, _)));
        let value_doc = doc(&format!(
            "The values of a registry of [`{struct_ident}`]: one variant per field, holding one \
             value (one entry's for a `map` field, one inner value for a `nested` one). Its \
             `Debug` prints the value alone, and never a secret's."
        ));
        quote! {
            #value_doc
            #allows
            #vis enum #value #impl_generics #user_where {
                #(#variants,)*
                #phantom
            }

            #[automatically_derived]
            #allows
            impl #impl_generics #p::Clone for #value_ty #where_clause {
                fn clone(&self) -> Self {
                    match self {
                        #(#clone_arms)*
                        #phantom_arm
                    }
                }
            }

            #[automatically_derived]
            #allows
            impl #impl_generics #p::fmt::Debug for #value_ty #where_clause {
                fn fmt(&self, f: &mut #p::fmt::Formatter<'_>) -> #p::fmt::Result {
                    match self {
                        #(#debug_arms)*
                        #phantom_arm
                    }
                }
            }
        }
    }
}
