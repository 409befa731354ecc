//! The impls of the runtime's schema traits for the struct: `RegistryStruct` (entries in and
//! out, metadata, change detection, validation, paths), one `FieldAt`/`MapFieldAt`/`NestAt` per
//! field, and `Defaults` when every field has a default.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;

use super::{FieldGen, Gen, doc_text, type_name};
use crate::ast::FieldKind;

impl Gen<'_> {
    pub(crate) fn schema(&self) -> TokenStream {
        let registry_struct = self.registry_struct_impl();
        let per_field = self.fields.iter().map(|f| self.field_impl(f));
        let defaults = self.defaults_impl();
        quote! {
            #registry_struct
            #(#per_field)*
            #defaults
        }
    }

    /// The expression of a required field's default, if it has one.
    pub(crate) fn default_expr(&self, f: &FieldGen<'_>) -> Option<TokenStream> {
        let krate = &self.krate;
        if let Some(default) = &f.field.attrs.default {
            return Some(match &default.expr {
                Some(expr) => quote!(#expr),
                None => quote!(<_ as #krate::__private::Default>::default()),
            });
        }
        f.field.language_default.map(|expr| quote!(#expr))
    }

    fn registry_struct_impl(&self) -> TokenStream {
        let krate = &self.krate;
        let p = quote!(#krate::__private);
        let struct_ident = &self.input.original.ident;
        let struct_ty = self.struct_ty();
        let key_ty = self.with_params(&self.names.key);
        let value_ty = self.with_params(&self.names.value);
        let registry = &self.names.registry;
        let (impl_generics, _, _) = self.generics().split_for_impl();
        let ty_params = self.param_args();
        let where_clause = self.where_clause(&[]);
        let allows = Self::allows();
        let place = &self.place_param;
        let name = struct_ident.unraw().to_string();

        let infos = self.fields.iter().map(|f| {
            let ident = f.field.ident.unraw().to_string();
            let key_name = f.field.key_name();
            let docs = doc_text(f.field);
            let ty = type_name(f.field.ty);
            let default = match self.default_expr(f) {
                // A secret's default is a secret too.
                Some(_) if f.field.attrs.secret.is_some() => quote!(#p::Some("<redacted>")),
                Some(_)
                    if f.field
                        .attrs
                        .default
                        .as_ref()
                        .is_some_and(|d| d.expr.is_none()) =>
                {
                    quote!(#p::Some("Default::default()"))
                }
                Some(expr) => {
                    let text = expr.to_string();
                    quote!(#p::Some(#text))
                }
                None => quote!(#p::None),
            };
            let kind = match f.kind {
                FieldKind::Required => quote!(Required),
                FieldKind::Optional { .. } => quote!(Optional),
                FieldKind::Map { .. } => quote!(Map),
                FieldKind::Nested => quote!(Nested),
                FieldKind::Skip => unreachable!("skipped fields are not generated"),
            };
            let secret = f.field.attrs.secret.is_some();
            let env = match &f.field.attrs.env {
                Some(name) => quote!(#p::Some(#name)),
                None => quote!(#p::None),
            };
            let restart_required = f.field.attrs.restart_required.is_some();
            let nested = match f.kind {
                FieldKind::Nested => {
                    let ty = f.field.ty;
                    quote!(#p::Some(|| <#ty as #p::RegistryStruct>::FIELDS))
                }
                _ => quote!(#p::None),
            };
            quote! {
                #p::FieldInfo::__new(
                    #ident, #key_name, #docs, #ty, #default, #p::FieldKind::#kind, #secret, #nested,
                    #env, #restart_required,
                )
            }
        });

        let sinks = self.fields.iter().map(|f| {
            let ident = Self::local(f.field);
            let variant = &f.variant;
            match f.kind {
                FieldKind::Required => {
                    quote!(sink(#key_ty::#variant, #value_ty::#variant(#ident));)
                }
                FieldKind::Optional { .. } => quote! {
                    if let #p::Some(value) = #ident {
                        sink(#key_ty::#variant, #value_ty::#variant(value));
                    }
                },
                FieldKind::Map { .. } => {
                    let payload = self.wrap_payload(f, quote!(value));
                    quote! {
                        for (key, value) in #ident {
                            sink(#key_ty::#variant(key), #value_ty::#variant(#payload));
                        }
                    }
                }
                FieldKind::Nested => {
                    let ty = f.field.ty;
                    quote! {
                        <#ty as #p::RegistryStruct>::into_entries(#ident, &mut |key, value| {
                            sink(#key_ty::#variant(key), #value_ty::#variant(value));
                        });
                    }
                }
                FieldKind::Skip => quote!(),
            }
        });
        let all_idents: Vec<_> = self.input.fields.iter().map(|f| f.ident).collect();
        let all_locals: Vec<_> = self.input.fields.iter().map(|f| Self::local(f)).collect();
        let stored_idents: Vec<_> = self.fields.iter().map(|f| f.field.ident).collect();
        let skipped: Vec<_> = self
            .input
            .fields
            .iter()
            .filter(|f| matches!(f.kind(), FieldKind::Skip))
            .map(|f| f.ident)
            .collect();
        let skipped_locals: Vec<_> = self
            .input
            .fields
            .iter()
            .filter(|f| matches!(f.kind(), FieldKind::Skip))
            .map(|f| Self::local(f))
            .collect();
        let stored_locals: Vec<_> = self.fields.iter().map(|f| Self::local(f.field)).collect();

        let collectors = self.fields.iter().map(|f| {
            let ident = Self::local(f.field);
            match f.kind {
                FieldKind::Required | FieldKind::Optional { .. } => {
                    quote!(let mut #ident = #p::None;)
                }
                _ => quote!(let mut #ident = #p::Vec::new();),
            }
        });
        let collect_arms = self.fields.iter().map(|f| {
            let ident = Self::local(f.field);
            let variant = &f.variant;
            match f.kind {
                FieldKind::Required | FieldKind::Optional { .. } => {
                    quote!((#key_ty::#variant, #value_ty::#variant(value)) => #ident = #p::Some(value),)
                }
                _ => {
                    let value = self.unwrap_payload(f, quote!(value));
                    quote!((#key_ty::#variant(key), #value_ty::#variant(value)) => #ident.push((key, #value)),)
                }
            }
        });
        let finishers = self.fields.iter().map(|f| {
            let ident = Self::local(f.field);
            let key_name = f.field.key_name();
            match f.kind {
                FieldKind::Required => {
                    let index = f.index;
                    let fallback = quote!(<Self as #p::FieldAt<#index>>::default_value());
                    quote! {
                        let #ident = match #ident {
                            #p::Some(value) => #p::Some(value),
                            #p::None => {
                                let fallback = #fallback;
                                if fallback.is_none() {
                                    missing.push(#p::String::from(#key_name));
                                }
                                fallback
                            }
                        };
                    }
                }
                FieldKind::Optional { .. } => quote!(let #ident = #p::Some(#ident);),
                FieldKind::Map { .. } => quote!(let #ident = #p::Some(#p::IntoIterator::into_iter(#ident).collect());),
                FieldKind::Nested => {
                    let ty = f.field.ty;
                    quote! {
                        let #ident = match <#ty as #p::RegistryStruct>::from_entries(&mut #p::IntoIterator::into_iter(#ident)) {
                            #p::Ok(value) => #p::Some(value),
                            #p::Err(nested) => {
                                missing.extend(nested.under(#key_name).paths().iter().cloned());
                                #p::None
                            }
                        };
                    }
                }
                FieldKind::Skip => quote!(),
            }
        });
        let some_patterns = stored_locals.iter().map(|local| quote!(#p::Some(#local)));
        let phantom_arm = self
            .phantom_variant()
            .map(|_| quote!((#key_ty::__Phantom(__never, _), _) | (_, #value_ty::__Phantom(__never, _)) => match __never {},));

        let eq_arms = self.fields.iter().map(|f| {
            let variant = &f.variant;
            let compare = match f.kind {
                FieldKind::Nested => {
                    let ty = f.field.ty;
                    quote!(<#ty as #p::RegistryStruct>::value_eq(a, b))
                }
                _ if f.field.attrs.secret.is_some() => {
                    quote!(#p::Some(#p::SecretValue::secret_eq(a, b)))
                }
                _ => quote! {{
                    #[allow(unused_imports)]
                    use #p::{CompareByPartialEq as _, CannotCompare as _};
                    (&#p::EqProbe(a, b)).probe_eq()
                }},
            };
            let (a, b) = (self.payload_ref(f, quote!(a)), self.payload_ref(f, quote!(b)));
            quote!((#value_ty::#variant(a), #value_ty::#variant(b)) => { let (a, b) = (#a, #b); #compare },)
        });
        let cache_items = self.cache_items();

        let field_validators = self.fields.iter().filter_map(|f| {
            f.field.attrs.validate.as_ref()?;
            let ident = f.field.ident;
            let path = f.field.key_name();
            let index = f.index;
            Some(match f.kind {
                FieldKind::Required => quote! {
                    <Self as #p::FieldAt<#index>>::check(&self.#ident, &mut errors, #path);
                },
                FieldKind::Optional { .. } => quote! {
                    if let #p::Some(value) = &self.#ident {
                        <Self as #p::FieldAt<#index>>::check(value, &mut errors, #path);
                    }
                },
                // Refused by validation.
                _ => return None,
            })
        });
        let nested_validators = self
            .fields
            .iter()
            .filter(|f| matches!(f.kind, FieldKind::Nested))
            .map(|f| {
                let ident = f.field.ident;
                let ty = f.field.ty;
                let path = f.field.key_name();
                quote! {
                    if let #p::Err(nested) = <#ty as #p::RegistryStruct>::validate(&self.#ident) {
                        errors.extend_under(#path, nested);
                    }
                }
            });
        let struct_validator =
            self.input
                .attrs
                .validate
                .as_ref()
                .map(|validator| match validator {
                    syn::Expr::Closure(_) => {
                        quote!(#p::run_validator(&mut errors, "", self, #validator);)
                    }
                    _ => quote!(#p::run_path_validator(&mut errors, "", self, #validator);),
                });

        let path_arms = self.fields.iter().map(|f| {
            let variant = &f.variant;
            let key_name = f.field.key_name();
            match f.kind {
                FieldKind::Map { .. } if f.field.attrs.secret.is_some() => quote! {
                    #key_ty::#variant(_) => {
                        #p::push_path(out, #key_name);
                        #p::push_entry(out, &#p::FmtWith(|f: &mut #p::fmt::Formatter<'_>| f.write_str(#p::REDACTED)));
                    }
                },
                FieldKind::Map { .. } => quote! {
                    #key_ty::#variant(key) => {
                        #p::push_path(out, #key_name);
                        #p::push_entry(out, &#p::FmtWith(|f: &mut #p::fmt::Formatter<'_>| {
                            #[allow(unused_imports)]
                            use #p::{FmtByDebug as _, FmtOpaque as _};
                            (&#p::DebugProbe(key)).probe_fmt(f)
                        }));
                    }
                },
                FieldKind::Nested => {
                    let ty = f.field.ty;
                    quote! {
                        #key_ty::#variant(key) => {
                            #p::push_path(out, #key_name);
                            <#ty as #p::RegistryStruct>::write_key_path(key, out);
                        }
                    }
                }
                _ => quote!(#key_ty::#variant => #p::push_path(out, #key_name),),
            }
        });
        let field_arms = self.fields.iter().map(|f| {
            let variant = &f.variant;
            let index = f.index;
            match f.kind {
                FieldKind::Map { .. } => quote!(#key_ty::#variant(_) => &Self::FIELDS[#index],),
                FieldKind::Nested => {
                    let ty = f.field.ty;
                    quote!(#key_ty::#variant(key) => <#ty as #p::RegistryStruct>::key_field(key),)
                }
                _ => quote!(#key_ty::#variant => &Self::FIELDS[#index],),
            }
        });
        let key_phantom = self.phantom_arm(quote!(#key_ty::__Phantom(__never, _)));
        let match_arms = self.fields.iter().map(|f| {
            let variant = &f.variant;
            match f.kind {
                FieldKind::Map { .. } => quote!((#key_ty::#variant(_), #value_ty::#variant(_)) => true,),
                FieldKind::Nested => {
                    let ty = f.field.ty;
                    quote!((#key_ty::#variant(key), #value_ty::#variant(value)) => <#ty as #p::RegistryStruct>::entry_matches(key, value),)
                }
                _ => quote!((#key_ty::#variant, #value_ty::#variant(_)) => true,),
            }
        });

        quote! {
            #[automatically_derived]
            #allows
            impl #impl_generics #p::RegistryStruct for #struct_ty #where_clause {
                type Key = #key_ty;
                type Value = #value_ty;
                type Registry<#place: #p::Holds<Self>> = #registry<#(#ty_params,)* (), #place>;

                const NAME: &'static str = #name;
                const FIELDS: &'static [#p::FieldInfo] = &[#(#infos),*];

                fn into_entries(self, sink: &mut dyn #p::FnMut(Self::Key, Self::Value)) {
                    let Self { #(#all_idents: #all_locals,)* .. } = self;
                    #( let _ = #skipped_locals; )*
                    #(#sinks)*
                }

                fn from_entries(
                    entries: &mut dyn #p::Iterator<Item = (Self::Key, Self::Value)>,
                ) -> #p::Result<Self, #p::MissingFields> {
                    #(#collectors)*
                    for entry in entries {
                        match entry {
                            #(#collect_arms)*
                            #phantom_arm
                            _ => {}
                        }
                    }
                    let mut missing: #p::Vec<#p::String> = #p::Vec::new();
                    #(#finishers)*
                    let (#(#some_patterns,)*) = (#(#stored_locals,)*) else {
                        return #p::Err(#p::MissingFields::new(missing));
                    };
                    #p::Ok(Self {
                        #(#stored_idents: #stored_locals,)*
                        #(#skipped: #p::Default::default(),)*
                    })
                }

                fn entry_matches(key: &Self::Key, value: &Self::Value) -> bool {
                    match (key, value) {
                        #(#match_arms)*
                        _ => false,
                    }
                }

                fn value_eq(a: &Self::Value, b: &Self::Value) -> #p::Option<bool> {
                    match (a, b) {
                        #(#eq_arms)*
                        _ => #p::Some(false),
                    }
                }

                fn validate(&self) -> #p::Result<(), #p::ValidationError> {
                    let mut errors = #p::ValidationError::default();
                    #(#field_validators)*
                    #(#nested_validators)*
                    #struct_validator
                    errors.into_result()
                }

                fn write_key_path(key: &Self::Key, out: &mut #p::String) {
                    match key {
                        #(#path_arms)*
                        #key_phantom
                    }
                }

                fn key_field(key: &Self::Key) -> &'static #p::FieldInfo {
                    match key {
                        #(#field_arms)*
                        #key_phantom
                    }
                }

                fn registry_at<#place: #p::Holds<Self>>(place: #place) -> Self::Registry<#place> {
                    #registry::<#(#ty_params,)* (), #place> { place, backend: #p::PhantomData }
                }

                #cache_items
            }
        }
    }

    fn field_impl(&self, f: &FieldGen<'_>) -> TokenStream {
        let krate = &self.krate;
        let p = quote!(#krate::__private);
        let struct_ty = self.struct_ty();
        let key_ty = self.with_params(&self.names.key);
        let value_ty = self.with_params(&self.names.value);
        let (impl_generics, _, _) = self.generics().split_for_impl();
        let where_clause = self.where_with_struct(&[]);
        let allows = Self::allows();
        let variant = &f.variant;
        let index = f.index;
        let wildcard = quote!(_ => #p::None,);
        match f.kind {
            FieldKind::Required | FieldKind::Optional { .. } => {
                let ty = f.field.stored_type();
                let check = f.field.attrs.validate.as_ref().map(|validator| {
                    let run = match validator {
                        syn::Expr::Closure(_) => {
                            quote!(#p::run_validator(errors, path, value, #validator))
                        }
                        _ => quote!(#p::run_path_validator(errors, path, value, #validator)),
                    };
                    quote! {
                        fn check(value: &#ty, errors: &mut #p::ValidationError, path: &str) {
                            #run;
                        }
                    }
                });
                let default = match (&f.kind, self.default_expr(f)) {
                    (FieldKind::Required, Some(expr)) => quote!(#p::Some(#expr)),
                    _ => quote!(#p::None),
                };
                quote! {
                    #[automatically_derived]
                    #allows
                    impl #impl_generics #p::FieldAt<#index> for #struct_ty #where_clause {
                        type Type = #ty;
                        #[inline]
                        fn key() -> #key_ty { #key_ty::#variant }
                        #[inline]
                        fn wrap(value: #ty) -> #value_ty { #value_ty::#variant(value) }
                        #[inline]
                        fn unwrap(value: #value_ty) -> #p::Option<#ty> {
                            match value { #value_ty::#variant(value) => #p::Some(value), #wildcard }
                        }
                        #[inline]
                        fn unwrap_ref(value: &#value_ty) -> #p::Option<&#ty> {
                            match value { #value_ty::#variant(value) => #p::Some(value), #wildcard }
                        }
                        fn default_value() -> #p::Option<#ty> { #default }
                        #check
                    }
                }
            }
            FieldKind::Map { key, value } => {
                let wrapped = self.wrap_payload(f, quote!(value));
                let unwrapped = self.unwrap_payload(f, quote!(value));
                let by_ref = self.payload_ref(f, quote!(value));
                let cache_slot = Self::is_cache(f).then(|| {
                    let offset = &self.cache_offsets()[f.index];
                    quote!(const CACHE_SLOT: #p::Option<usize> = #p::Some(#offset);)
                });
                quote! {
                #[automatically_derived]
                #allows
                impl #impl_generics #p::MapFieldAt<#index> for #struct_ty #where_clause {
                    type MapKey = #key;
                    type MapValue = #value;
                    #cache_slot
                    #[inline]
                    fn wrap_key(key: #key) -> #key_ty { #key_ty::#variant(key) }
                    #[inline]
                    fn unwrap_key_ref(key: &#key_ty) -> #p::Option<&#key> {
                        match key { #key_ty::#variant(key) => #p::Some(key), #wildcard }
                    }
                    #[inline]
                    fn wrap(value: #value) -> #value_ty { #value_ty::#variant(#wrapped) }
                    #[inline]
                    fn unwrap(value: #value_ty) -> #p::Option<#value> {
                        match value { #value_ty::#variant(value) => #p::Some(#unwrapped), #wildcard }
                    }
                    #[inline]
                    fn unwrap_ref(value: &#value_ty) -> #p::Option<&#value> {
                        match value { #value_ty::#variant(value) => #p::Some(#by_ref), #wildcard }
                    }
                }
                }
            }
            FieldKind::Nested => {
                let ty = f.field.ty;
                let inner_key = quote!(<#ty as #p::RegistryStruct>::Key);
                let inner_value = quote!(<#ty as #p::RegistryStruct>::Value);
                let offset = &self.cache_offsets()[f.index];
                quote! {
                    #[automatically_derived]
                    #allows
                    impl #impl_generics #p::NestAt<#index> for #struct_ty #where_clause {
                        type Inner = #ty;
                        const CACHE_OFFSET: usize = #offset;
                        #[inline]
                        fn wrap_key(key: #inner_key) -> #key_ty { #key_ty::#variant(key) }
                        #[inline]
                        fn unwrap_key_ref(key: &#key_ty) -> #p::Option<&#inner_key> {
                            match key { #key_ty::#variant(key) => #p::Some(key), #wildcard }
                        }
                        #[inline]
                        fn wrap(value: #inner_value) -> #value_ty { #value_ty::#variant(value) }
                        #[inline]
                        fn unwrap(value: #value_ty) -> #p::Option<#inner_value> {
                            match value { #value_ty::#variant(value) => #p::Some(value), #wildcard }
                        }
                        #[inline]
                        fn unwrap_ref(value: &#value_ty) -> #p::Option<&#inner_value> {
                            match value { #value_ty::#variant(value) => #p::Some(value), #wildcard }
                        }
                    }
                }
            }
            FieldKind::Skip => quote!(),
        }
    }

    /// `Defaults` when every field has a value without being given one.
    fn defaults_impl(&self) -> TokenStream {
        let krate = &self.krate;
        let p = quote!(#krate::__private);
        let mut nested_bounds = Vec::new();
        let mut inits = Vec::new();
        for field in &self.input.fields {
            let ident = field.ident;
            let init = match field.kind() {
                FieldKind::Skip | FieldKind::Map { .. } => {
                    quote!(#p::Default::default())
                }
                FieldKind::Optional { .. } => quote!(#p::None),
                FieldKind::Nested => {
                    let ty = field.ty;
                    nested_bounds.push(super::lenient(ty, quote!(#p::Defaults)));
                    quote!(<#ty as #p::Defaults>::defaults())
                }
                FieldKind::Required => {
                    let Some(f) = self.fields.iter().find(|f| f.field.ident == ident) else {
                        return quote!();
                    };
                    if self.default_expr(f).is_none() {
                        return quote!();
                    }
                    let index = f.index;
                    quote! {
                        match <Self as #p::FieldAt<#index>>::default_value() {
                            #p::Some(value) => value,
                            #p::None => ::core::unreachable!("a declared default"),
                        }
                    }
                }
            };
            inits.push(quote!(#ident: #init));
        }
        let struct_ty = self.struct_ty();
        let (impl_generics, _, _) = self.generics().split_for_impl();
        let where_clause = self.where_with_struct(&nested_bounds);
        let allows = Self::allows();
        quote! {
            #[automatically_derived]
            #allows
            impl #impl_generics #p::Defaults for #struct_ty #where_clause {
                fn defaults() -> Self {
                    Self { #(#inits,)* }
                }
            }
        }
    }
}
