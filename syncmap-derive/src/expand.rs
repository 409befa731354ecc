//! Code generation for a validated input: the key and value enums, the registry and its
//! accessors, the error types, and the field type checks.
//!
//! Trait impls and impl blocks bound the generated enums with `for<'__r> Type: Trait` rather than
//! `Type: Trait`: a bound without the binder that is false for a concrete type (a field type
//! that is not `Clone`) is a hard error at the derive, while the binder makes the impl simply not
//! apply. The one error the user then sees is the field type check, under the field's type.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::{GenericParam, Generics, Ident, Type, parse_quote};

use crate::ast::{self, Field, FieldKind, Input};
use crate::naming::{self, Accessors, TypeNames};

mod whole;

/// Everything generated for one field.
struct FieldGen<'a> {
    field: &'a Field<'a>,
    kind: FieldKind<'a>,
    /// Position among the registry's fields, hashed into its key.
    index: u32,
    variant: Ident,
    key_name: String,
    accessors: Accessors,
}

struct Gen<'a> {
    input: &'a Input<'a>,
    krate: TokenStream,
    names: TypeNames,
    fields: Vec<FieldGen<'a>>,
    /// `<T, U>` of the key and value enums and the struct.
    ty_args: TokenStream,
    key_ty: TokenStream,
    value_ty: TokenStream,
    map_param: Ident,
}

pub(crate) fn expand(input: &Input<'_>) -> TokenStream {
    let original = input.original;
    let krate = match &input.attrs.krate {
        Some(path) => quote!(#path),
        None => quote!(::syncmap),
    };
    let names = TypeNames::new(input.attrs.name.as_ref().unwrap_or(&original.ident));
    let (_, ty_generics, _) = original.generics.split_for_impl();
    let ty_args = quote!(#ty_generics);
    let key_ident = &names.key;
    let value_ident = &names.value;
    let key_ty = quote!(#key_ident #ty_args);
    let value_ty = quote!(#value_ident #ty_args);
    let fields = input
        .fields
        .iter()
        .filter(|field| field.attrs.skip.is_none())
        .zip(0u32..)
        .map(|(field, index)| FieldGen {
            field,
            kind: field.kind(),
            index,
            variant: naming::variant_ident(field),
            key_name: field.key_name(),
            accessors: Accessors::new(field),
        })
        .collect();
    let generator = Gen {
        input,
        krate,
        names,
        fields,
        ty_args,
        key_ty,
        value_ty,
        map_param: naming::map_param(&original.generics),
    };
    let key_enum = generator.key_enum();
    let value_enum = generator.value_enum();
    let errors = generator.error_types();
    let registry = generator.registry();
    let checks = generator.field_type_checks();
    quote! {
        #key_enum
        #value_enum
        #errors
        #registry
        #checks
    }
}

/// `for<'__r> #ty: #bound`, a bound that makes its impl not apply instead of failing to compile.
fn lenient(ty: impl quote::ToTokens, bound: TokenStream) -> TokenStream {
    quote!(for<'__r> #ty: #bound)
}

fn doc(text: &str) -> TokenStream {
    quote!(#[doc = #text])
}

impl Gen<'_> {
    fn generics(&self) -> &Generics {
        &self.input.original.generics
    }

    fn struct_ident(&self) -> &Ident {
        &self.input.original.ident
    }

    fn vis(&self) -> &syn::Visibility {
        &self.input.original.vis
    }

    fn plain_fields(&self) -> impl Iterator<Item = &FieldGen<'_>> {
        self.fields
            .iter()
            .filter(|f| matches!(f.kind, FieldKind::Plain))
    }

    /// Generics with `T: Send + Sync + 'static` added for every type parameter, for impls.
    fn bounded_generics(&self) -> Generics {
        let mut generics = self.generics().clone();
        // On the parameter itself, not in the where clause, so the generated impls keep each
        // parameter's bounds in the one place the user put them (clippy's
        // `multiple_bound_locations` looks at the user's spans).
        for param in generics.type_params_mut() {
            if param.colon_token.is_none() {
                param.colon_token = Some(Default::default());
            }
            param.bounds.push(parse_quote!(::core::marker::Send));
            param.bounds.push(parse_quote!(::core::marker::Sync));
            param.bounds.push(parse_quote!('static));
        }
        generics
    }

    /// The struct's where predicates, for definitions.
    fn where_predicates(generics: &Generics) -> TokenStream {
        match &generics.where_clause {
            Some(clause) => {
                let predicates = clause.predicates.iter();
                quote!(#(#predicates,)*)
            }
            None => quote!(),
        }
    }

    /// The hidden variant that uses the struct's type parameters, so that enums which do not
    /// otherwise mention one still compile. It holds `Infallible` and can never exist.
    fn marker_variant(&self) -> Option<(TokenStream, TokenStream)> {
        let types: Vec<&Ident> = self
            .generics()
            .type_params()
            .map(|param| &param.ident)
            .collect();
        if types.is_empty() {
            return None;
        }
        let krate = &self.krate;
        let definition = quote! {
            #[doc(hidden)]
            __Marker(#krate::__private::Infallible, #krate::__private::PhantomData<fn() -> (#(#types,)*)>)
        };
        let arm = quote!(Self::__Marker(ref never, _) => match *never {});
        Some((definition, arm))
    }

    fn field_doc(field: &FieldGen<'_>, summary: &str) -> TokenStream {
        let summary = doc(summary);
        let docs = &field.field.docs;
        if docs.is_empty() {
            summary
        } else {
            let blank = doc("");
            quote!(#summary #blank #(#docs)*)
        }
    }

    fn key_enum(&self) -> TokenStream {
        let krate = &self.krate;
        let vis = self.vis();
        let key = &self.names.key;
        let key_ty = &self.key_ty;
        let error = &self.names.key_error;
        let struct_ident = self.struct_ident();
        let generics = self.generics();
        let (impl_generics, _, where_clause) = generics.split_for_impl();
        let predicates = Self::where_predicates(generics);
        let marker = self.marker_variant();
        let marker_def = marker.as_ref().map(|(def, _)| def);
        let marker_arm = marker.as_ref().map(|(_, arm)| arm);

        let variants = self.fields.iter().map(|f| {
            let variant = &f.variant;
            let name = &f.key_name;
            match f.kind {
                FieldKind::Map { key, .. } => {
                    let docs = Self::field_doc(
                        f,
                        &format!("An entry of the `map` field `{name}`, by its key."),
                    );
                    quote!(#docs #variant(#key))
                }
                _ => {
                    let docs = Self::field_doc(f, &format!("The field `{name}`."));
                    quote!(#docs #variant)
                }
            }
        });
        let map_key_types: Vec<(&Type, bool)> = self
            .fields
            .iter()
            .filter_map(|f| match f.kind {
                FieldKind::Map { key, .. } => Some((key, f.field.attrs.secret.is_some())),
                _ => None,
            })
            .collect();
        let bounds = |bound: TokenStream, skip_secret: bool| {
            let bounds = map_key_types
                .iter()
                .filter(|(_, secret)| !(skip_secret && *secret))
                .map(|(ty, _)| lenient(ty, bound.clone()));
            quote!(where #predicates #(#bounds,)*)
        };
        let clone_where = bounds(quote!(#krate::__private::Clone), false);
        let eq_where = bounds(quote!(#krate::__private::PartialEq), false);
        let total_eq_where = bounds(quote!(#krate::__private::Eq), false);
        let hash_where = bounds(quote!(#krate::__private::HashTrait), false);
        // A secret key is never printed, so it need not be `Debug`.
        let debug_where = bounds(quote!(#krate::__private::fmt::Debug), true);

        let clone_arms = self.fields.iter().map(|f| {
            let variant = &f.variant;
            match f.kind {
                FieldKind::Map { .. } => {
                    quote!(Self::#variant(ref key) => Self::#variant(#krate::__private::Clone::clone(key)))
                }
                _ => quote!(Self::#variant => Self::#variant),
            }
        });
        let eq_arms = self.fields.iter().map(|f| {
            let variant = &f.variant;
            match f.kind {
                FieldKind::Map { .. } => quote!((Self::#variant(a), Self::#variant(b)) => a == b),
                _ => quote!((Self::#variant, Self::#variant) => true),
            }
        });
        let hash_arms = self.fields.iter().map(|f| {
            let variant = &f.variant;
            let index = f.index;
            match f.kind {
                FieldKind::Map { .. } => quote! {
                    Self::#variant(ref key) => {
                        #krate::__private::hash_field(#index, state);
                        #krate::__private::HashTrait::hash(key, state);
                    }
                },
                _ => quote!(Self::#variant => #krate::__private::hash_field(#index, state)),
            }
        });
        let debug_arms = self.fields.iter().map(|f| {
            let variant = &f.variant;
            let variant_name = variant.to_string();
            match f.kind {
                FieldKind::Map { .. } if f.field.attrs.secret.is_some() => quote! {
                    Self::#variant(_) => f.debug_tuple(#variant_name).field(&#krate::__private::Redacted).finish()
                },
                FieldKind::Map { .. } => {
                    quote!(Self::#variant(ref key) => f.debug_tuple(#variant_name).field(key).finish())
                }
                _ => quote!(Self::#variant => f.write_str(#variant_name)),
            }
        });
        let name_arms = self.fields.iter().map(|f| {
            let variant = &f.variant;
            let name = &f.key_name;
            match f.kind {
                FieldKind::Map { .. } => quote!(Self::#variant(_) => #name),
                _ => quote!(Self::#variant => #name),
            }
        });
        let names = self.fields.iter().map(|f| &f.key_name);
        let names_len = self.fields.len();
        let plain: Vec<&Ident> = self.plain_fields().map(|f| &f.variant).collect();
        let plain_len = plain.len();
        let parse_arms = self.fields.iter().map(|f| {
            let variant = &f.variant;
            let name = &f.key_name;
            match f.kind {
                FieldKind::Map { .. } => quote! {
                    #name => #krate::__private::Err(#error { name: #krate::__private::From::from(name), map_field: true })
                },
                _ => quote!(#name => #krate::__private::Ok(Self::#variant)),
            }
        });

        let mut borrow_generics = generics.clone();
        borrow_generics.params.insert(0, parse_quote!('__q));
        let (borrow_impl_generics, _, _) = borrow_generics.split_for_impl();

        let enum_doc = doc(&format!(
            "The key of a [`{struct_ident}`] field in a [`{registry}`]: one variant per field; the \
             variant of a `map` field carries the entry's key.\n\n\
             [`{registry}`]: {registry}",
            registry = self.names.registry,
        ));
        quote! {
            #enum_doc
            #vis enum #key #generics #where_clause {
                #(#variants,)*
                #marker_def
            }

            impl #impl_generics #krate::__private::Clone for #key_ty #clone_where {
                fn clone(&self) -> Self {
                    match *self {
                        #(#clone_arms,)*
                        #marker_arm
                    }
                }
            }

            impl #impl_generics #krate::__private::PartialEq for #key_ty #eq_where {
                fn eq(&self, other: &Self) -> bool {
                    #[allow(unreachable_patterns)]
                    match (self, other) {
                        #(#eq_arms,)*
                        _ => false,
                    }
                }
            }

            impl #impl_generics #krate::__private::Eq for #key_ty #total_eq_where {}

            impl #impl_generics #krate::__private::HashTrait for #key_ty #hash_where {
                fn hash<H: #krate::__private::HasherTrait>(&self, state: &mut H) {
                    match *self {
                        #(#hash_arms,)*
                        #marker_arm
                    }
                }
            }

            impl #impl_generics #krate::__private::fmt::Debug for #key_ty #debug_where {
                fn fmt(&self, f: &mut #krate::__private::fmt::Formatter<'_>) -> #krate::__private::fmt::Result {
                    match *self {
                        #(#debug_arms,)*
                        #marker_arm
                    }
                }
            }

            // Lets `map` fields be looked up by `&Q` (a `String` key by `&str`) without building
            // an owned key; see `__private::KeyQuery`.
            impl #borrow_impl_generics #krate::__private::BorrowTrait<dyn #krate::__private::KeyQuery<Self> + '__q>
                for #key_ty
            where
                #predicates
                for<'__r> Self: #krate::__private::HashTrait + #krate::__private::Eq,
                Self: '__q,
            {
                fn borrow(&self) -> &(dyn #krate::__private::KeyQuery<Self> + '__q) {
                    self
                }
            }

            impl #impl_generics #key_ty #where_clause {
                /// The name of every field's key, in declaration order: the field's name as
                /// written, or as given with `#[registry(rename = "...")]`.
                pub const NAMES: [&'static str; #names_len] = [#(#names),*];

                /// The key of every plain (not `map`) field, in declaration order.
                pub const PLAIN_KEYS: [Self; #plain_len] = [#(Self::#plain),*];

                /// The name of this key's field (see [`NAMES`](Self::NAMES)).
                pub fn name(&self) -> &'static str {
                    match *self {
                        #(#name_arms,)*
                        #marker_arm
                    }
                }
            }

            impl #impl_generics #krate::__private::FromStr for #key_ty #where_clause {
                type Err = #error;

                /// Parses the key of a plain field from its name (see [`NAMES`](Self::NAMES)); the
                /// name of a `map` field is an error, since its entries need their own key.
                fn from_str(name: &str) -> #krate::__private::Result<Self, #error> {
                    #[allow(unreachable_patterns)]
                    match name {
                        #(#parse_arms,)*
                        _ => #krate::__private::Err(#error { name: #krate::__private::From::from(name), map_field: false }),
                    }
                }
            }
        }
    }
}

impl Gen<'_> {
    /// The type stored for a field: the field's type, or a `map` field's value type.
    fn stored_type<'a>(field: &FieldGen<'a>) -> &'a Type {
        match field.kind {
            FieldKind::Map { value, .. } => value,
            _ => field.field.ty,
        }
    }

    fn value_enum(&self) -> TokenStream {
        let krate = &self.krate;
        let vis = self.vis();
        let value = &self.names.value;
        let value_ty = &self.value_ty;
        let struct_ident = self.struct_ident();
        let generics = self.generics();
        let (impl_generics, _, where_clause) = generics.split_for_impl();
        let predicates = Self::where_predicates(generics);
        let marker = self.marker_variant();
        let marker_def = marker.as_ref().map(|(def, _)| def);
        let marker_arm = marker.as_ref().map(|(_, arm)| arm);

        let variants = self.fields.iter().map(|f| {
            let variant = &f.variant;
            let ty = Self::stored_type(f);
            let name = &f.key_name;
            let summary = match f.kind {
                FieldKind::Map { .. } => {
                    format!("The value of an entry of the `map` field `{name}`.")
                }
                _ => format!("The value of the field `{name}`."),
            };
            let docs = Self::field_doc(f, &summary);
            quote!(#docs #variant(#ty))
        });
        let stored_types: Vec<(&Type, bool)> = self
            .fields
            .iter()
            .map(|f| (Self::stored_type(f), f.field.attrs.secret.is_some()))
            .collect();
        let bounds = |bound: TokenStream, skip_secret: bool| {
            let bounds = stored_types
                .iter()
                .filter(|(_, secret)| !(skip_secret && *secret))
                .map(|(ty, _)| lenient(ty, bound.clone()));
            quote!(where #predicates #(#bounds,)*)
        };
        let clone_where = bounds(quote!(#krate::__private::Clone), false);
        let eq_where = bounds(quote!(#krate::__private::PartialEq), false);
        // A secret value is never printed, so it need not be `Debug`.
        let debug_where = bounds(quote!(#krate::__private::fmt::Debug), true);
        let variant_idents: Vec<&Ident> = self.fields.iter().map(|f| &f.variant).collect();
        let debug_arms = self.fields.iter().map(|f| {
            let variant = &f.variant;
            let variant_name = variant.to_string();
            if f.field.attrs.secret.is_some() {
                quote!(Self::#variant(_) => f.debug_tuple(#variant_name).field(&#krate::__private::Redacted).finish())
            } else {
                quote!(Self::#variant(ref value) => f.debug_tuple(#variant_name).field(value).finish())
            }
        });

        let enum_doc = doc(&format!(
            "The value of a [`{struct_ident}`] field in a [`{registry}`]: one variant per field, \
             holding the field's value, or for a `map` field the value of one entry.\n\n\
             `PartialEq` is implemented when every field's (or entry's) value type is `PartialEq`; \
             the registry's `compare_and_swap_*`, `compare_and_delete_*` and `update_*` accessors \
             need it, since the backend compares whole values.\n\n\
             [`{registry}`]: {registry}",
            registry = self.names.registry,
        ));
        quote! {
            #enum_doc
            #vis enum #value #generics #where_clause {
                #(#variants,)*
                #marker_def
            }

            impl #impl_generics #krate::__private::Clone for #value_ty #clone_where {
                fn clone(&self) -> Self {
                    match *self {
                        #(Self::#variant_idents(ref value) => Self::#variant_idents(#krate::__private::Clone::clone(value)),)*
                        #marker_arm
                    }
                }
            }

            impl #impl_generics #krate::__private::PartialEq for #value_ty #eq_where {
                fn eq(&self, other: &Self) -> bool {
                    #[allow(unreachable_patterns)]
                    match (self, other) {
                        #((Self::#variant_idents(a), Self::#variant_idents(b)) => a == b,)*
                        _ => false,
                    }
                }
            }

            impl #impl_generics #krate::__private::fmt::Debug for #value_ty #debug_where {
                fn fmt(&self, f: &mut #krate::__private::fmt::Formatter<'_>) -> #krate::__private::fmt::Result {
                    match *self {
                        #(#debug_arms,)*
                        #marker_arm
                    }
                }
            }
        }
    }

    fn error_types(&self) -> TokenStream {
        let krate = &self.krate;
        let vis = self.vis();
        let key_error = &self.names.key_error;
        let missing = &self.names.missing_fields;
        let struct_name = self.struct_ident().to_string();
        let plain_names = self
            .plain_fields()
            .map(|f| format!("`{}`", f.key_name))
            .collect::<Vec<_>>()
            .join(", ");
        let key_error_doc = doc(&format!(
            "The error of parsing a [`{key}`] from a name that is not the key name of a plain \
             field of [`{struct_name}`].\n\n[`{key}`]: {key}",
            key = self.names.key,
        ));
        let missing_doc = doc(&format!(
            "The error of rebuilding a [`{struct_name}`] from a registry in which fields without a \
             default are not set; it names them."
        ));
        // Plain strings, not format strings: a renamed key may contain `{`.
        let unknown_before = "`";
        let unknown_after =
            format!("` is not a field of `{struct_name}`; expected one of: {plain_names}");
        let map_after = format!(
            "` is a `map` field of `{struct_name}`: its entries are keyed, it has no single key"
        );
        let missing_message =
            format!("the registry of `{struct_name}` lacks fields that have no default: ");
        quote! {
            #key_error_doc
            #[derive(Debug, Clone, PartialEq, Eq)]
            #vis struct #key_error {
                name: #krate::__private::String,
                map_field: bool,
            }

            impl #key_error {
                /// The name that was parsed.
                pub fn name(&self) -> &str {
                    &self.name
                }

                /// Whether the name is that of a `map` field, whose entries have keys of their own.
                pub fn is_map_field(&self) -> bool {
                    self.map_field
                }
            }

            impl #krate::__private::fmt::Display for #key_error {
                fn fmt(&self, f: &mut #krate::__private::fmt::Formatter<'_>) -> #krate::__private::fmt::Result {
                    f.write_str(#unknown_before)?;
                    f.write_str(&self.name)?;
                    f.write_str(if self.map_field { #map_after } else { #unknown_after })
                }
            }

            impl #krate::__private::Error for #key_error {}

            #missing_doc
            #[derive(Debug, Clone, PartialEq, Eq)]
            #vis struct #missing {
                fields: #krate::__private::Vec<&'static str>,
            }

            impl #missing {
                /// The key names of the fields that are not set, in declaration order.
                pub fn fields(&self) -> &[&'static str] {
                    &self.fields
                }
            }

            impl #krate::__private::fmt::Display for #missing {
                fn fmt(&self, f: &mut #krate::__private::fmt::Formatter<'_>) -> #krate::__private::fmt::Result {
                    f.write_str(#missing_message)?;
                    for (i, field) in self.fields.iter().enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        f.write_str("`")?;
                        f.write_str(field)?;
                        f.write_str("`")?;
                    }
                    #krate::__private::Ok(())
                }
            }

            impl #krate::__private::Error for #missing {}
        }
    }

    /// Checks each stored type where the user wrote it, so an error underlines the field's type.
    fn field_type_checks(&self) -> TokenStream {
        let krate = &self.krate;
        let generics = self.bounded_generics();
        let (impl_generics, _, where_clause) = generics.split_for_impl();
        let checks = self.fields.iter().map(|f| {
            let (stored, key) = match f.kind {
                FieldKind::Map { key, value } => (value, Some(key)),
                _ => (f.field.ty, None),
            };
            let stored_checks = quote_spanned! {ast::type_span(stored)=>
                #krate::__private::assert_send_sync::<#stored>();
                #krate::__private::assert_clone::<#stored>();
            };
            let key_checks = key.map(|key| {
                quote_spanned! {ast::type_span(key)=>
                    #krate::__private::assert_send_sync::<#key>();
                    #krate::__private::assert_map_key::<#key>();
                }
            });
            quote!(#stored_checks #key_checks)
        });
        quote! {
            const _: () = {
                #[allow(dead_code)]
                fn __check_field_types #impl_generics () #where_clause {
                    #(#checks)*
                }
            };
        }
    }
}

/// The tokens every accessor of one field needs.
struct Access<'a> {
    krate: &'a TokenStream,
    key: &'a Ident,
    value: &'a Ident,
    key_ty: &'a TokenStream,
    variant: &'a Ident,
    name: &'a str,
}

impl Gen<'_> {
    fn registry(&self) -> TokenStream {
        let krate = &self.krate;
        let vis = self.vis();
        let registry = &self.names.registry;
        let key_ty = &self.key_ty;
        let value_ty = &self.value_ty;
        let struct_ident = self.struct_ident();
        let ty_args = &self.ty_args;
        let struct_ty = quote!(#struct_ident #ty_args);
        let map_param = &self.map_param;
        let generics = self.generics();

        // The registry's own generics: the struct's, then the backend `M` with its default.
        let mut def_generics = generics.clone();
        def_generics.params.push(parse_quote! {
            #map_param = #krate::__private::DefaultMap<#key_ty, #value_ty>
        });
        let def_where = &generics.where_clause;
        let mut reg_args: Vec<TokenStream> = generics
            .params
            .iter()
            .map(|param| match param {
                GenericParam::Type(param) => {
                    let ident = &param.ident;
                    quote!(#ident)
                }
                GenericParam::Const(param) => {
                    let ident = &param.ident;
                    quote!(#ident)
                }
                GenericParam::Lifetime(param) => {
                    let lifetime = &param.lifetime;
                    quote!(#lifetime)
                }
            })
            .collect();
        let default_args = reg_args.clone();
        reg_args.push(quote!(#map_param));
        let registry_ty = quote!(#registry<#(#reg_args),*>);
        let default_registry_ty =
            quote!(#registry<#(#default_args,)* #krate::__private::DefaultMap<#key_ty, #value_ty>>);

        // Impls: struct generics with `Send + Sync + 'static`, plus `M`.
        let bounded = self.bounded_generics();
        let bounded_predicates = Self::where_predicates(&bounded);
        let (plain_impl_generics, _, _) = bounded.split_for_impl();
        let mut with_map = bounded.clone();
        with_map.params.push(parse_quote!(#map_param));
        let (impl_generics, _, _) = with_map.split_for_impl();
        let common_where = quote! {
            #bounded_predicates
            #map_param: #krate::__private::ConcurrentMap<#key_ty, #value_ty>,
            for<'__r> #key_ty: #krate::__private::HashTrait + #krate::__private::Eq + #krate::__private::Clone + #krate::__private::Send,
            for<'__r> #value_ty: #krate::__private::Clone,
        };
        let new_where = quote! {
            #bounded_predicates
            for<'__r> #key_ty: #krate::__private::HashTrait + #krate::__private::Eq + #krate::__private::Clone,
            for<'__r> #value_ty: #krate::__private::Clone,
        };

        let accessors = self.fields.iter().map(|f| self.field_accessors(f));
        let helpers = self.fields.iter().map(|f| self.field_helpers(f));
        let load_struct = self.load_struct(&struct_ty);
        let store_struct = self.store_struct(&struct_ty);
        let update = self.update(&struct_ty);
        let changes = self.change_methods();
        let validators = self.validators(&struct_ty);
        let batch = self.batch();
        let registry_name = registry.to_string();
        let p = quote!(#krate::__private);
        let from_struct = if self.validates() {
            quote! {
                impl #impl_generics #p::TryFrom<#struct_ty> for #registry_ty
                where
                    #common_where
                    #map_param: #p::Default,
                {
                    type Error = #p::BoxError;

                    /// A registry holding every field of `value`, if the validators accept it.
                    fn try_from(value: #struct_ty) -> #p::Result<Self, #p::BoxError> {
                        let registry = <Self as #p::Default>::default();
                        registry.store_struct(value)?;
                        #p::Ok(registry)
                    }
                }
            }
        } else {
            quote! {
                impl #impl_generics #p::From<#struct_ty> for #registry_ty
                where
                    #common_where
                    #map_param: #p::Default,
                {
                    /// A registry holding every field of `value`.
                    fn from(value: #struct_ty) -> Self {
                        let registry = <Self as #p::Default>::default();
                        registry.store_struct(value);
                        registry
                    }
                }
            }
        };

        let registry_doc = doc(&format!(
            "A thread-safe registry of the fields of [`{struct_ident}`], generated by \
             `#[derive(SyncRegistry)]`: each field is an entry of the backend map `{map_param}`, \
             keyed by [`{key}`] and holding a [`{value}`].\n\n\
             Every accessor takes `&self`, so one registry is shared between threads (in an \
             `Arc`, a `static` or by reference). Change the backend with the type parameter \
             `{map_param}`: any `ConcurrentMap<{key}, {value}>` will do.\n\n\
             [`{key}`]: {key}\n[`{value}`]: {value}",
            key = self.names.key,
            value = self.names.value,
        ));
        quote! {
            #registry_doc
            #vis struct #registry #def_generics #def_where {
                map: #map_param,
                sync: #krate::__private::RegistrySync<#key_ty>,
                marker: #krate::__private::PhantomData<fn() -> (#key_ty, #value_ty)>,
            }

            #batch

            impl #plain_impl_generics #default_registry_ty where #new_where {
                /// An empty registry on the default backend: every field unset (fields with a
                /// default read as their default), every `map` field empty.
                pub fn new() -> Self {
                    Self::with_map(#krate::__private::Default::default())
                }
            }

            impl #impl_generics #registry_ty where #common_where {
                /// A registry over `map`, which may hold entries already.
                pub fn with_map(map: #map_param) -> Self {
                    Self {
                        map,
                        sync: #krate::__private::Default::default(),
                        marker: #krate::__private::PhantomData,
                    }
                }

                /// The backend map, for its own methods (`len`, `clear`, statistics).
                ///
                /// Writes made through it bypass the registry: they are not counted in
                /// [`version`](Self::version), not announced to subscribers or waiters, not
                /// validated, and not atomic with respect to snapshots.
                ///
                /// # Panics
                ///
                /// Storing through it, under a field's key, a value of another field makes that
                /// field's accessors panic.
                pub fn map(&self) -> &#map_param {
                    &self.map
                }

                /// The backend map, giving the registry up.
                pub fn into_map(self) -> #map_param {
                    self.map
                }

                #load_struct
                #store_struct
                #update
                #changes
                #validators
                #(#accessors)*
                #(#helpers)*
            }

            impl #impl_generics #krate::__private::Default for #registry_ty
            where
                #common_where
                #map_param: #krate::__private::Default,
            {
                fn default() -> Self {
                    Self::with_map(#krate::__private::Default::default())
                }
            }

            #from_struct

            impl #impl_generics #krate::__private::fmt::Debug for #registry_ty
            where
                #common_where
                for<'__r> #key_ty: #krate::__private::fmt::Debug,
                for<'__r> #value_ty: #krate::__private::fmt::Debug,
            {
                fn fmt(&self, f: &mut #krate::__private::fmt::Formatter<'_>) -> #krate::__private::fmt::Result {
                    f.debug_struct(#registry_name)
                        .field("version", &self.sync.version())
                        .field("entries", &#krate::__private::DebugEntries(&self.map, #krate::__private::PhantomData))
                        .finish()
                }
            }
        }
    }
}

impl Gen<'_> {
    fn access<'a>(&'a self, f: &'a FieldGen<'_>) -> Access<'a> {
        Access {
            krate: &self.krate,
            key: &self.names.key,
            value: &self.names.value,
            key_ty: &self.key_ty,
            variant: &f.variant,
            name: &f.key_name,
        }
    }

    fn helper_ident(what: &str, f: &FieldGen<'_>) -> Ident {
        let name = syn::ext::IdentExt::unraw(f.field.ident);
        format_ident!("__{}_{}", what, name)
    }

    /// Private conversions between a field's type and the value enum, and its default.
    fn field_helpers(&self, f: &FieldGen<'_>) -> TokenStream {
        let Access {
            krate,
            key,
            value,
            key_ty,
            variant,
            name,
        } = self.access(f);
        let from = Self::helper_ident("from", f);
        let by_ref = Self::helper_ident("ref", f);
        let stored = Self::stored_type(f);
        let value_ty = &self.value_ty;
        let mut helpers = quote! {
            #[allow(dead_code)]
            fn #from(value: #value_ty) -> #stored {
                #[allow(unreachable_patterns)]
                match value {
                    #value::#variant(value) => value,
                    _ => #krate::__private::wrong_variant(#name),
                }
            }

            #[allow(dead_code)]
            fn #by_ref(value: &#value_ty) -> &#stored {
                #[allow(unreachable_patterns)]
                match value {
                    #value::#variant(value) => value,
                    _ => #krate::__private::wrong_variant(#name),
                }
            }
        };
        match f.kind {
            FieldKind::Map { key: map_key, .. } => {
                let query = Self::helper_ident("query", f);
                let index = f.index;
                helpers.extend(quote! {
                    fn #query<'__q, __Q: ?Sized>(key: &'__q __Q) -> #krate::__private::EntryQuery<'__q, #key_ty, #map_key, __Q> {
                        #krate::__private::EntryQuery::new(#index, key, |stored| {
                            #[allow(unreachable_patterns)]
                            match stored {
                                #key::#variant(key) => #krate::__private::Some(key),
                                _ => #krate::__private::None,
                            }
                        })
                    }
                });
            }
            _ => {
                if let Some(default) = self.default_expr(f) {
                    let default_fn = Self::helper_ident("default", f);
                    helpers.extend(quote! {
                        fn #default_fn() -> #stored {
                            #default
                        }
                    });
                }
            }
        }
        helpers
    }

    /// The default of a plain field, spanned so a type error shows under the expression.
    fn default_expr(&self, f: &FieldGen<'_>) -> Option<TokenStream> {
        let ty = f.field.ty;
        let krate = &self.krate;
        match (&f.field.attrs.default, f.field.language_default) {
            (Some(attr), _) => Some(match &attr.expr {
                Some(expr) => quote_spanned!(syn::spanned::Spanned::span(expr)=> #expr),
                None => {
                    quote_spanned!(attr.keyword=> <#ty as #krate::__private::Default>::default())
                }
            }),
            (None, Some(expr)) => Some(quote!(#expr)),
            (None, None) => None,
        }
    }
}

impl Gen<'_> {
    fn field_accessors(&self, f: &FieldGen<'_>) -> TokenStream {
        match f.kind {
            FieldKind::Map { key, value } => self.map_accessors(f, key, value),
            _ => self.plain_accessors(f),
        }
    }

    fn plain_accessors(&self, f: &FieldGen<'_>) -> TokenStream {
        let Access {
            krate,
            key,
            value,
            key_ty: _,
            variant,
            name,
        } = self.access(f);
        let value_ty = &self.value_ty;
        let ty = f.field.ty;
        let a = &f.accessors;
        let (get, get_with, contains, store, swap, delete) = (
            &a.get,
            &a.get_with,
            &a.contains,
            &a.store,
            &a.swap,
            &a.delete,
        );
        let (load_and_delete, load_or_store, load_or_store_with) =
            (&a.load_and_delete, &a.load_or_store, &a.load_or_store_with);
        let (compare_and_swap, compare_and_delete, update) =
            (&a.compare_and_swap, &a.compare_and_delete, &a.update);
        let from = Self::helper_ident("from", f);
        let by_ref = Self::helper_ident("ref", f);
        let key_expr = quote!(#key::#variant);
        let p = quote!(#krate::__private);
        let partial_eq = quote!(where for<'__r> #value_ty: #p::PartialEq);
        let d = |summary: String| Self::field_doc(f, &summary);

        let shared = {
            let contains_doc = d(format!(
                "Whether `{name}` is set (the backend's `contains_key`); no value is cloned."
            ));
            let store_doc = d(format!("Sets `{name}` (the backend's `store`)."));
            let load_or_store_doc = d(format!(
                "Returns the value of `{name}` if it is set (`Loaded`), else sets it to `value` \
                 (`Stored`): the backend's `load_or_store`."
            ));
            let load_or_store_with_doc = d(format!(
                "Like `{load_or_store}`, building the value with `make` only if `{name}` is unset \
                 (the backend's `load_or_store_with`)."
            ));
            let try_store = a.try_store.as_ref().map(|try_store| {
                let try_store_doc = d(format!(
                    "Sets `{name}` (as `{store}` does) if the field's validator accepts `value`.\n\n\
                     # Errors\n\n\
                     The validator's error, boxed; `{name}` is then left as it was."
                ));
                let check = Self::helper_ident("validate", f);
                quote! {
                    #try_store_doc
                    pub fn #try_store(&self, value: #ty) -> #p::Result<(), #p::BoxError> {
                        Self::#check(&value)?;
                        self.#store(value);
                        #p::Ok(())
                    }
                }
            });
            quote! {
                #contains_doc
                pub fn #contains(&self) -> bool {
                    self.map.contains_key(&#key_expr)
                }

                #store_doc
                pub fn #store(&self, value: #ty) {
                    let value = #value::#variant(value);
                    let _replaced = self.sync.write(|changes| {
                        changes.wrote(|| #key_expr);
                        self.map.swap(#key_expr, value)
                    });
                                    }

                #load_or_store_doc
                pub fn #load_or_store(&self, value: #ty) -> #p::LoadOrStore<#ty> {
                    // Set already: a read, no lock.
                    if let #p::Some(current) = self.map.load(&#key_expr) {
                        return #p::LoadOrStore::Loaded(Self::#from(current));
                    }
                    let value = #value::#variant(value);
                    self.sync
                        .write(|changes| {
                            let result = self.map.load_or_store(#key_expr, value);
                            changes.wrote_if(result.is_stored(), || #key_expr);
                            result
                        })
                        .map(Self::#from)
                }

                #load_or_store_with_doc
                pub fn #load_or_store_with(&self, make: impl FnOnce() -> #ty) -> #p::LoadOrStore<#ty> {
                    if let #p::Some(current) = self.map.load(&#key_expr) {
                        return #p::LoadOrStore::Loaded(Self::#from(current));
                    }
                    // Built outside every lock; if another write wins meanwhile, it is dropped.
                    let value = #value::#variant(make());
                    self.sync
                        .write(|changes| {
                            let result = self.map.load_or_store(#key_expr, value);
                            changes.wrote_if(result.is_stored(), || #key_expr);
                            result
                        })
                        .map(Self::#from)
                }

                #try_store
            }
        };

        let specific = if self.default_expr(f).is_none() {
            let get_doc = d(format!(
                "Returns `{name}`, or `None` if it is not set (the backend's `load`)."
            ));
            let get_with_doc = d(format!(
                "Reads `{name}` through `f` without cloning it, or returns `None` if it is not \
                 set (the backend's `load_with`). `f` runs outside every lock of the backend."
            ));
            let swap_doc = d(format!(
                "Sets `{name}` and returns its previous value, if it was set (the backend's `swap`)."
            ));
            let delete_doc = d(format!(
                "Unsets `{name}`; returns whether it was set (the backend's `delete`)."
            ));
            let load_and_delete_doc = d(format!(
                "Unsets `{name}` and returns its value, if it was set (the backend's `load_and_delete`)."
            ));
            let cas_doc = d(format!(
                "Sets `{name}` to `new` if it is set and equals `old`; returns whether it did (the \
                 backend's `compare_and_swap`). Available when the registry's value type is \
                 `PartialEq`; `old` is taken by value because the backend compares whole values."
            ));
            let cad_doc = d(format!(
                "Unsets `{name}` if it equals `old`; returns whether it did (the backend's \
                 `compare_and_delete`)."
            ));
            let update_doc = d(format!(
                "Replaces `{name}` with `f(&current)` if it is set, retrying if another writer \
                 intervened, and returns the new value; `None` if it is unset (the backend's `update`)."
            ));
            quote! {
                #get_doc
                pub fn #get(&self) -> #p::Option<#ty> {
                    self.map.load(&#key_expr).map(Self::#from)
                }

                #get_with_doc
                pub fn #get_with<R>(&self, f: impl FnOnce(&#ty) -> R) -> #p::Option<R> {
                    self.map.load_with(&#key_expr, |value| f(Self::#by_ref(value)))
                }

                #swap_doc
                pub fn #swap(&self, value: #ty) -> #p::Option<#ty> {
                    let value = #value::#variant(value);
                    self.sync
                        .write(|changes| {
                            changes.wrote(|| #key_expr);
                            self.map.swap(#key_expr, value)
                        })
                        .map(Self::#from)
                }

                #delete_doc
                pub fn #delete(&self) -> bool {
                    self.#load_and_delete().is_some()
                }

                #load_and_delete_doc
                pub fn #load_and_delete(&self) -> #p::Option<#ty> {
                    self.sync
                        .write(|changes| {
                            let old = self.map.load_and_delete(&#key_expr);
                            changes.wrote_if(old.is_some(), || #key_expr);
                            old
                        })
                        .map(Self::#from)
                }

                #cas_doc
                pub fn #compare_and_swap(&self, old: #ty, new: #ty) -> bool #partial_eq {
                    let (old, new) = (#value::#variant(old), #value::#variant(new));
                    self.sync.write(|changes| {
                        let swapped = self.map.compare_and_swap(&#key_expr, &old, new);
                        changes.wrote_if(swapped, || #key_expr);
                        swapped
                    })
                }

                #cad_doc
                pub fn #compare_and_delete(&self, old: #ty) -> bool #partial_eq {
                    let old = #value::#variant(old);
                    self.sync.write(|changes| {
                        let deleted = self.map.compare_and_delete(&#key_expr, &old);
                        changes.wrote_if(deleted, || #key_expr);
                        deleted
                    })
                }

                #update_doc
                pub fn #update(&self, mut f: impl FnMut(&#ty) -> #ty) -> #p::Option<#ty> #partial_eq {
                    loop {
                        let current = self.map.load(&#key_expr)?;
                        // `f` runs outside every lock; the swap below fails if a write came first.
                        let new = #value::#variant(f(Self::#by_ref(&current)));
                        let swapped = self.sync.write(|changes| {
                            let swapped = self.map.compare_and_swap(&#key_expr, &current, #p::Clone::clone(&new));
                            changes.wrote_if(swapped, || #key_expr);
                            swapped
                        });
                        if swapped {
                            return #p::Some(Self::#from(new));
                        }
                    }
                }
            }
        } else {
            let default_fn = Self::helper_ident("default", f);
            let get_doc = d(format!(
                "Returns `{name}`, or its default if it is not set (the backend's `load`)."
            ));
            let get_with_doc = d(format!(
                "Reads `{name}` (or its default, if it is not set) through `f` without cloning it \
                 (the backend's `load_with`). `f` runs outside every lock of the backend."
            ));
            let swap_doc = d(format!(
                "Sets `{name}` and returns its previous value, or its default if it was not set \
                 (the backend's `swap`)."
            ));
            let delete_doc = d(format!(
                "Unsets `{name}`, so that it reads as its default again; returns whether it was set \
                 (the backend's `delete`)."
            ));
            let load_and_delete_doc = d(format!(
                "Unsets `{name}` and returns its value, or its default if it was not set (the \
                 backend's `load_and_delete`)."
            ));
            let cas_doc = d(format!(
                "Sets `{name}` to `new` if it equals `old`, an unset field counting as holding its \
                 default; returns whether it did (the backend's `compare_and_swap`). Available when \
                 the registry's value type is `PartialEq`; `old` is taken by value because the \
                 backend compares whole values."
            ));
            let cad_doc = d(format!(
                "Resets `{name}` to its default if it equals `old`, an unset field counting as \
                 holding its default; returns whether it now holds the default for that reason \
                 (the backend's `compare_and_delete`)."
            ));
            let update_doc = d(format!(
                "Replaces `{name}` with `f(&current)`, where an unset field passes its default, \
                 retrying if another writer intervened; returns the new value (the backend's `compute`)."
            ));
            quote! {
                #get_doc
                pub fn #get(&self) -> #ty {
                    self.map.load(&#key_expr).map_or_else(Self::#default_fn, Self::#from)
                }

                #get_with_doc
                pub fn #get_with<R>(&self, f: impl FnOnce(&#ty) -> R) -> R {
                    #p::load_with_or_else(&self.map, &#key_expr, Self::#by_ref, f, Self::#default_fn)
                }

                #swap_doc
                pub fn #swap(&self, value: #ty) -> #ty {
                    let value = #value::#variant(value);
                    self.sync
                        .write(|changes| {
                            changes.wrote(|| #key_expr);
                            self.map.swap(#key_expr, value)
                        })
                        .map_or_else(Self::#default_fn, Self::#from)
                }

                #delete_doc
                pub fn #delete(&self) -> bool {
                    let old = self.sync.write(|changes| {
                        let old = self.map.load_and_delete(&#key_expr);
                        changes.wrote_if(old.is_some(), || #key_expr);
                        old
                    });
                    old.is_some()
                }

                #load_and_delete_doc
                pub fn #load_and_delete(&self) -> #ty {
                    self.sync
                        .write(|changes| {
                            let old = self.map.load_and_delete(&#key_expr);
                            changes.wrote_if(old.is_some(), || #key_expr);
                            old
                        })
                        .map_or_else(Self::#default_fn, Self::#from)
                }

                #cas_doc
                pub fn #compare_and_swap(&self, old: #ty, new: #ty) -> bool #partial_eq {
                    let (old, new) = (#value::#variant(old), #value::#variant(new));
                    let default = #value::#variant(Self::#default_fn());
                    self.sync.write(|changes| {
                        let swapped = #p::compare_and_swap_or_default(&self.map, #key_expr, old, new, default);
                        changes.wrote_if(swapped, || #key_expr);
                        swapped
                    })
                }

                #cad_doc
                pub fn #compare_and_delete(&self, old: #ty) -> bool #partial_eq {
                    let old = #value::#variant(old);
                    let default = #value::#variant(Self::#default_fn());
                    self.sync.write(|changes| {
                        if self.map.compare_and_delete(&#key_expr, &old) {
                            changes.wrote(|| #key_expr);
                            return true;
                        }
                        // Unset already: it holds the default, which is what deleting gives.
                        old == default && !self.map.contains_key(&#key_expr)
                    })
                }

                #update_doc
                pub fn #update(&self, mut f: impl FnMut(&#ty) -> #ty) -> #ty #partial_eq {
                    let default = Self::#default_fn();
                    loop {
                        let current = self.map.load(&#key_expr);
                        // `f` runs outside every lock; the write below fails if a write came first.
                        let new = #value::#variant(f(current.as_ref().map_or(&default, Self::#by_ref)));
                        let stored = self.sync.write(|changes| {
                            let stored = match &current {
                                #p::Some(current) => {
                                    self.map.compare_and_swap(&#key_expr, current, #p::Clone::clone(&new))
                                }
                                #p::None => self
                                    .map
                                    .load_or_store(#key_expr, #p::Clone::clone(&new))
                                    .is_stored(),
                            };
                            changes.wrote_if(stored, || #key_expr);
                            stored
                        });
                        if stored {
                            return Self::#from(new);
                        }
                    }
                }
            }
        };
        quote!(#specific #shared)
    }

    fn map_accessors(&self, f: &FieldGen<'_>, map_key: &Type, map_value: &Type) -> TokenStream {
        let Access {
            krate,
            key,
            value,
            key_ty,
            variant,
            name,
        } = self.access(f);
        let value_ty = &self.value_ty;
        let a = &f.accessors;
        let (get, get_with, contains, store, swap, delete) = (
            &a.get,
            &a.get_with,
            &a.contains,
            &a.store,
            &a.swap,
            &a.delete,
        );
        let (load_and_delete, load_or_store, load_or_store_with) =
            (&a.load_and_delete, &a.load_or_store, &a.load_or_store_with);
        let (compare_and_swap, compare_and_delete, update) =
            (&a.compare_and_swap, &a.compare_and_delete, &a.update);
        let range = a.range.as_ref();
        let from = Self::helper_ident("from", f);
        let by_ref = Self::helper_ident("ref", f);
        let query = Self::helper_ident("query", f);
        let p = quote!(#krate::__private);
        let lookup = quote! {
            where #map_key: #p::BorrowTrait<__Q>, __Q: #p::HashTrait + #p::Eq + ?Sized
        };
        let partial_eq = quote!(for<'__r> #value_ty: #p::PartialEq);
        // The backend is looked up by `&dyn KeyQuery`, which borrows the caller's `&__Q`.
        let q = quote!(&Self::#query(key) as &dyn #p::KeyQuery<#key_ty>);
        // A write by `&Q` names its key to subscribers: the stored key, found while the writer
        // lock is held (only when someone subscribes).
        let recorded = quote!(changes.recording().then(|| #p::find_key(&self.map, #q)).flatten());
        let d = |summary: String| Self::field_doc(f, &summary);

        let get_doc = d(format!(
            "Returns the value of `key` in the `map` field `{name}`, or `None` if it has no such \
             entry (the backend's `load`). `key` may be any borrowed form of the map's key type."
        ));
        let get_with_doc = d(format!(
            "Reads the value of `key` in `{name}` through `f` without cloning it, or returns \
             `None` (the backend's `load_with`). `f` runs outside every lock of the backend."
        ));
        let contains_doc = d(format!(
            "Whether `{name}` has an entry for `key` (the backend's `contains_key`)."
        ));
        let store_doc = d(format!(
            "Sets the entry of `key` in `{name}` (the backend's `store`)."
        ));
        let swap_doc = d(format!(
            "Sets the entry of `key` in `{name}` and returns its previous value, if any (the \
             backend's `swap`)."
        ));
        let delete_doc = d(format!(
            "Removes the entry of `key` from `{name}`; returns whether there was one (the backend's `delete`)."
        ));
        let load_and_delete_doc = d(format!(
            "Removes the entry of `key` from `{name}` and returns its value, if there was one (the \
             backend's `load_and_delete`)."
        ));
        let load_or_store_doc = d(format!(
            "Returns the value of `key` in `{name}` if there is one (`Loaded`), else stores `value` \
             (`Stored`): the backend's `load_or_store`."
        ));
        let load_or_store_with_doc = d(format!(
            "Like `{load_or_store}`, building the value with `make` only if `{name}` has no entry \
             for `key` (the backend's `load_or_store_with`): the building block of a cache."
        ));
        let cas_doc = d(format!(
            "Sets the entry of `key` in `{name}` to `new` if it exists and equals `old`; returns \
             whether it did (the backend's `compare_and_swap`)."
        ));
        let cad_doc = d(format!(
            "Removes the entry of `key` from `{name}` if it equals `old`; returns whether it did \
             (the backend's `compare_and_delete`)."
        ));
        let update_doc = d(format!(
            "Replaces the value of `key` in `{name}` with `f(&current)`, retrying if another writer \
             intervened; returns the new value, or `None` if there is no such entry (the \
             backend's `update`)."
        ));
        let range_doc = d(format!(
            "Calls `f` on each entry of `{name}` until it returns `false` (the backend's `range`, \
             with its guarantees: not a snapshot). It walks the whole backend, the other fields \
             included, so it costs as much as the registry is large."
        ));
        quote! {
            #get_doc
            pub fn #get<__Q>(&self, key: &__Q) -> #p::Option<#map_value> #lookup {
                self.map.load(#q).map(Self::#from)
            }

            #get_with_doc
            pub fn #get_with<__Q, R>(&self, key: &__Q, f: impl FnOnce(&#map_value) -> R) -> #p::Option<R> #lookup {
                self.map.load_with(#q, |value| f(Self::#by_ref(value)))
            }

            #contains_doc
            pub fn #contains<__Q>(&self, key: &__Q) -> bool #lookup {
                self.map.contains_key(#q)
            }

            #store_doc
            pub fn #store(&self, key: #map_key, value: #map_value) {
                let _replaced = self.#swap(key, value);
                            }

            #swap_doc
            pub fn #swap(&self, key: #map_key, value: #map_value) -> #p::Option<#map_value> {
                let (key, value) = (#key::#variant(key), #value::#variant(value));
                self.sync
                    .write(|changes| {
                        changes.wrote(|| #p::Clone::clone(&key));
                        self.map.swap(key, value)
                    })
                    .map(Self::#from)
            }

            #delete_doc
            pub fn #delete<__Q>(&self, key: &__Q) -> bool #lookup {
                self.#load_and_delete(key).is_some()
            }

            #load_and_delete_doc
            pub fn #load_and_delete<__Q>(&self, key: &__Q) -> #p::Option<#map_value> #lookup {
                self.sync
                    .write(|changes| {
                        let recorded = #recorded;
                        let old = self.map.load_and_delete(#q);
                        if old.is_some() {
                            changes.wrote_recorded(recorded);
                        }
                        old
                    })
                    .map(Self::#from)
            }

            #load_or_store_doc
            pub fn #load_or_store(&self, key: #map_key, value: #map_value) -> #p::LoadOrStore<#map_value> {
                self.#load_or_store_with(key, || value)
            }

            #load_or_store_with_doc
            pub fn #load_or_store_with(&self, key: #map_key, make: impl FnOnce() -> #map_value) -> #p::LoadOrStore<#map_value> {
                let key = #key::#variant(key);
                // Present already: a read, no lock.
                if let #p::Some(current) = self.map.load(&key) {
                    return #p::LoadOrStore::Loaded(Self::#from(current));
                }
                // Built outside every lock; if another write wins meanwhile, it is dropped.
                let value = #value::#variant(make());
                self.sync
                    .write(|changes| {
                        let recorded = changes.recording().then(|| #p::Clone::clone(&key));
                        let result = self.map.load_or_store(key, value);
                        if result.is_stored() {
                            changes.wrote_recorded(recorded);
                        }
                        result
                    })
                    .map(Self::#from)
            }

            #cas_doc
            pub fn #compare_and_swap<__Q>(&self, key: &__Q, old: #map_value, new: #map_value) -> bool
            #lookup, #partial_eq
            {
                let (old, new) = (#value::#variant(old), #value::#variant(new));
                self.sync.write(|changes| {
                    let recorded = #recorded;
                    let swapped = self.map.compare_and_swap(#q, &old, new);
                    if swapped {
                        changes.wrote_recorded(recorded);
                    }
                    swapped
                })
            }

            #cad_doc
            pub fn #compare_and_delete<__Q>(&self, key: &__Q, old: #map_value) -> bool
            #lookup, #partial_eq
            {
                let old = #value::#variant(old);
                self.sync.write(|changes| {
                    let recorded = #recorded;
                    let deleted = self.map.compare_and_delete(#q, &old);
                    if deleted {
                        changes.wrote_recorded(recorded);
                    }
                    deleted
                })
            }

            #update_doc
            pub fn #update<__Q>(&self, key: &__Q, mut f: impl FnMut(&#map_value) -> #map_value) -> #p::Option<#map_value>
            #lookup, #partial_eq
            {
                loop {
                    let current = self.map.load(#q)?;
                    // `f` runs outside every lock; the swap below fails if a write came first.
                    let new = #value::#variant(f(Self::#by_ref(&current)));
                    let swapped = self.sync.write(|changes| {
                        let swapped = self.map.compare_and_swap(#q, &current, #p::Clone::clone(&new));
                        if swapped {
                            let recorded = #recorded;
                            changes.wrote_recorded(recorded);
                        }
                        swapped
                    });
                    if swapped {
                        return #p::Some(Self::#from(new));
                    }
                }
            }

            #range_doc
            pub fn #range(&self, mut f: impl FnMut(&#map_key, &#map_value) -> bool) {
                self.map.range(|key, value| {
                    #[allow(unreachable_patterns)]
                    match key {
                        #key::#variant(key) => f(key, Self::#by_ref(value)),
                        _ => true,
                    }
                })
            }
        }
    }
}
