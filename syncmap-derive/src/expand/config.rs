//! The invocation of `__registry_config!`: the facade's `config` feature turns it into the
//! struct's `ConfigStruct` impl, which walks the fields for a loader. Only the field kinds and
//! numbers are generated; what loading does with each field is library code.

use proc_macro2::TokenStream;
use quote::quote;

use super::Gen;
use crate::ast::FieldKind;

impl Gen<'_> {
    pub(crate) fn config(&self) -> TokenStream {
        let krate = &self.krate;
        let struct_ty = self.struct_ty();
        let fields = self.fields.iter().filter_map(|f| {
            let index = f.index;
            let kind = match f.kind {
                FieldKind::Required => quote!(Required),
                FieldKind::Optional { .. } => quote!(Optional),
                FieldKind::Map { .. } => quote!(Map),
                FieldKind::Nested => quote!(Nested),
                FieldKind::Skip => return None,
            };
            Some(quote!(#kind #index))
        });
        // Impl parameters carry no defaults.
        let mut generics = self.generics().clone();
        for param in &mut generics.params {
            match param {
                syn::GenericParam::Type(param) => param.default = None,
                syn::GenericParam::Const(param) => param.default = None,
                syn::GenericParam::Lifetime(_) => {}
            }
        }
        let params = &generics.params;
        let predicates = self.where_predicates(&[]);
        quote! {
            #krate::__registry_config!(
                {#params} {#struct_ty} {#predicates} {#(#fields)*}
            );
        }
    }
}
