//! Code generation for a validated input, one concern per file: `enums` (the key and value
//! enums), `schema` (the `RegistryStruct`, per-field and `Defaults` impls), `registry` (the
//! registry type and its `Registry` impl) and `accessors` (the typed field accessors).
//!
//! Impls bound the field types with `for<'__r> Type: Trait` rather than `Type: Trait`: a bound
//! without the binder that is false for a concrete type (a field type that is not `Clone`) is a
//! hard error inside generated code, while the binder makes the impl simply not apply. The one
//! error the user then sees is the field type check, under the field's type.

mod accessors;
mod cache;
mod config;
mod enums;
mod registry;
mod schema;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::{Generics, Ident, Type};

use crate::ast::{Field, FieldKind, Input};
use crate::naming::{self, TypeNames};

/// One stored (not skipped) field, with its position among the stored fields.
pub(crate) struct FieldGen<'a> {
    pub(crate) field: &'a Field<'a>,
    pub(crate) index: usize,
    pub(crate) variant: Ident,
    pub(crate) kind: FieldKind<'a>,
}

/// What every generator needs: the input, the runtime's path, the generated names.
pub(crate) struct Gen<'a> {
    pub(crate) input: &'a Input<'a>,
    pub(crate) krate: TokenStream,
    pub(crate) names: TypeNames,
    pub(crate) fields: Vec<FieldGen<'a>>,
    /// Fresh names for the generated type parameters (backend map, place, closure result,
    /// borrowed key).
    pub(crate) map_param: Ident,
    pub(crate) place_param: Ident,
    pub(crate) result_param: Ident,
    pub(crate) query_param: Ident,
}

pub(crate) fn expand(input: &Input<'_>) -> TokenStream {
    let generics = &input.original.generics;
    let names = TypeNames::new(input.attrs.name.as_ref().unwrap_or(&input.original.ident));
    let krate = match &input.attrs.krate {
        Some(path) => path.to_token_stream(),
        None => quote!(::syncmap),
    };
    // A variant name taken by an earlier field is an error reported by validation; the later
    // field gets a numbered variant so that the rest still expands (no cascade).
    let mut variants = std::collections::HashSet::new();
    let fields = input
        .fields
        .iter()
        .filter(|field| !matches!(field.kind(), FieldKind::Skip))
        .enumerate()
        .map(|(index, field)| {
            let mut variant = naming::variant_ident(field);
            if !variants.insert(variant.to_string()) {
                variant = quote::format_ident!("{}{}", variant, index, span = variant.span());
            }
            FieldGen {
                field,
                index,
                variant,
                kind: field.kind(),
            }
        })
        .collect();
    let cx = Gen {
        input,
        krate,
        names,
        fields,
        map_param: naming::fresh_param(generics, "M"),
        place_param: naming::fresh_param(generics, "P"),
        result_param: naming::fresh_param(generics, "R"),
        query_param: naming::fresh_param(generics, "Q"),
    };
    let enums = cx.enums();
    let schema = cx.schema();
    let registry = cx.registry();
    let accessors = cx.accessors();
    let checks = cx.field_type_checks();
    let config = cx.config();
    quote! {
        #enums
        #schema
        #registry
        #accessors
        #checks
        #config
    }
}

impl Gen<'_> {
    pub(crate) fn generics(&self) -> &Generics {
        &self.input.original.generics
    }

    pub(crate) fn vis(&self) -> &syn::Visibility {
        &self.input.original.vis
    }

    /// The struct's type with its parameters: `ServerConfig<T>`.
    pub(crate) fn struct_ty(&self) -> TokenStream {
        let ident = &self.input.original.ident;
        let (_, ty_generics, _) = self.generics().split_for_impl();
        quote!(#ident #ty_generics)
    }

    /// A generated type with the struct's parameters, in turbofish form so that it serves in
    /// patterns and expressions as well as types: `ServerConfigKey::<T>`.
    pub(crate) fn with_params(&self, ident: &Ident) -> TokenStream {
        let (_, ty_generics, _) = self.generics().split_for_impl();
        let turbofish = ty_generics.as_turbofish();
        quote!(#ident #turbofish)
    }

    /// Whether `ty` names one of the struct's parameters (its checks then belong to the user's
    /// bounds, not to the field).
    pub(crate) fn mentions_param(&self, ty: &Type) -> bool {
        let params: Vec<String> = self.param_args().iter().map(ToString::to_string).collect();
        fn walk(tokens: TokenStream, params: &[String]) -> bool {
            tokens.into_iter().any(|tt| match tt {
                proc_macro2::TokenTree::Ident(ident) => params.contains(&ident.to_string()),
                proc_macro2::TokenTree::Group(group) => walk(group.stream(), params),
                _ => false,
            })
        }
        walk(ty.to_token_stream(), &params)
    }

    /// The struct's parameters as arguments, types and consts in order: `T, N`.
    pub(crate) fn param_args(&self) -> Vec<&Ident> {
        self.generics()
            .params
            .iter()
            .filter_map(|param| match param {
                syn::GenericParam::Type(param) => Some(&param.ident),
                syn::GenericParam::Const(param) => Some(&param.ident),
                syn::GenericParam::Lifetime(_) => None,
            })
            .collect()
    }

    /// The attributes every generated item carries: none of its code is the user's to lint.
    pub(crate) fn allows() -> TokenStream {
        quote! {
            #[allow(deprecated, unused_qualifications, non_camel_case_types, non_snake_case, clippy::all,
                clippy::pedantic, clippy::nursery)]
        }
    }

    /// The user's where predicates plus a lenient bound for every stored type.
    pub(crate) fn where_clause(&self, extra: &[TokenStream]) -> TokenStream {
        let predicates = self.where_predicates(extra);
        quote!(where #predicates)
    }

    /// [`where_clause`](Self::where_clause) without `where`, each predicate followed by a comma.
    pub(crate) fn where_predicates(&self, extra: &[TokenStream]) -> TokenStream {
        let krate = &self.krate;
        let mut predicates: Vec<TokenStream> = self
            .generics()
            .where_clause
            .iter()
            .flat_map(|clause| clause.predicates.iter().map(ToTokens::to_token_stream))
            .collect();
        for f in &self.fields {
            match f.kind {
                FieldKind::Map { key, value } => {
                    let ty = f.field.ty;
                    predicates.push(lenient(ty, quote!(#krate::__private::FromIterator<(#key, #value)> + #krate::__private::IntoIterator<Item = (#key, #value)>)));
                    predicates.push(lenient(key, quote!(#krate::__private::Clone + #krate::__private::Eq + #krate::__private::Hash + #krate::__private::Send + #krate::__private::Sync + 'static)));
                    predicates.push(lenient(value, stored_bound(krate)));
                }
                FieldKind::Nested => {
                    predicates.push(lenient(
                        f.field.ty,
                        quote!(#krate::__private::RegistryStruct),
                    ));
                }
                FieldKind::Required | FieldKind::Optional { .. } => {
                    predicates.push(lenient(f.field.stored_type(), stored_bound(krate)));
                }
                FieldKind::Skip => {}
            }
        }
        predicates.extend(extra.iter().cloned());
        quote!(#(#predicates,)*)
    }

    /// [`where_clause`](Self::where_clause), plus the struct's own `RegistryStruct` (lenient
    /// too), for the impls that name the runtime's types over the struct.
    ///
    /// Only for a struct without parameters: on a generic one, the bound would hide the impl's
    /// associated types behind the where clause.
    pub(crate) fn where_with_struct(&self, extra: &[TokenStream]) -> TokenStream {
        let krate = &self.krate;
        let struct_ty = self.struct_ty();
        let mut extra = extra.to_vec();
        if self.generics().params.is_empty() {
            extra.push(lenient(
                struct_ty,
                quote!(#krate::__private::RegistryStruct),
            ));
        }
        self.where_clause(&extra)
    }

    /// The local a field's value is bound to in generated bodies, so that no field name can
    /// shadow the body's own names.
    pub(crate) fn local(field: &Field<'_>) -> Ident {
        quote::format_ident!("__field_{}", syn::ext::IdentExt::unraw(field.ident))
    }

    /// The hidden variant a generic struct's enums carry so that every parameter is used.
    pub(crate) fn phantom_variant(&self) -> Option<TokenStream> {
        let krate = &self.krate;
        let params: Vec<&Ident> = self.generics().type_params().map(|p| &p.ident).collect();
        if params.is_empty() {
            return None;
        }
        Some(quote! {
            #[doc(hidden)]
            __Phantom(#krate::__private::Infallible, #krate::__private::PhantomData<fn() -> (#(#params,)*)>)
        })
    }

    /// The match arm for the phantom variant, where the enum has one.
    pub(crate) fn phantom_arm(&self, pattern: TokenStream) -> TokenStream {
        if self.phantom_variant().is_none() {
            return quote!();
        }
        quote!(#pattern => match *__never {},)
    }

    /// Asserts each field's type where the user wrote it, so a type that cannot be stored is
    /// reported under the field.
    fn field_type_checks(&self) -> TokenStream {
        let krate = &self.krate;
        let checks = self.fields.iter().filter(|f| !self.mentions_param(f.field.ty)).map(|f| {
            let ty = f.field.ty;
            let span = crate::ast::type_span(ty);
            let mut out = TokenStream::new();
            match f.kind {
                FieldKind::Map { key, value } => {
                    let key_span = crate::ast::type_span(key);
                    let value_span = crate::ast::type_span(value);
                    out.extend(quote_spanned!(key_span=> #krate::__private::assert_map_key::<#key>();));
                    out.extend(quote_spanned!(value_span=> #krate::__private::assert_stored::<#value>();));
                }
                FieldKind::Nested => {
                    out.extend(quote_spanned!(span=> #krate::__private::assert_nested::<#ty>();));
                }
                _ => {
                    let stored = f.field.stored_type();
                    let stored_span = crate::ast::type_span(stored);
                    out.extend(quote_spanned!(stored_span=> #krate::__private::assert_stored::<#stored>();));
                }
            }
            if f.field.attrs.secret.is_some() {
                let secret = f.field.stored_type();
                let secret_span = crate::ast::type_span(secret);
                out.extend(quote_spanned!(secret_span=> #krate::__private::assert_secret::<#secret>();));
            }
            out
        });
        let (impl_generics, _, _) = self.generics().split_for_impl();
        let user_where = &self.generics().where_clause;
        let allows = Self::allows();
        quote! {
            #allows
            const _: () = {
                fn __syncmap_check_field_types #impl_generics () #user_where {
                    #(#checks)*
                }
            };
        }
    }
}

/// `for<'__r> #ty: #bound`, a bound that makes its impl not apply instead of failing to compile.
pub(crate) fn lenient(ty: impl ToTokens, bound: TokenStream) -> TokenStream {
    quote!(for<'__r> #ty: #bound)
}

/// What every stored value must be.
pub(crate) fn stored_bound(krate: &TokenStream) -> TokenStream {
    quote!(#krate::__private::Clone + #krate::__private::Send + #krate::__private::Sync + 'static)
}

/// `#[doc = text]`.
pub(crate) fn doc(text: &str) -> TokenStream {
    quote!(#[doc = #text])
}

/// The field's doc comment lines joined, for its metadata.
pub(crate) fn doc_text(field: &Field<'_>) -> String {
    field
        .docs
        .iter()
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A type written back as source text, for metadata.
pub(crate) fn type_name(ty: &Type) -> String {
    ty.to_token_stream()
        .to_string()
        .replace(" < ", "<")
        .replace(" >", ">")
        .replace(" , ", ", ")
        .replace(" :: ", "::")
}
