//! Collects every error found in the input so the user sees all of them at once, each under
//! its own token, in source order (serde's `Ctxt`, without the drop bomb: `check` consumes it).

use std::cell::{Cell, RefCell};

use proc_macro2::Span;
use quote::ToTokens;

/// The errors found so far, and whether any of them makes the full expansion impossible.
#[derive(Default)]
pub(crate) struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
    fatal: Cell<bool>,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// An error after which the registry can still be generated (the bad attribute is ignored),
    /// so the user's code that names generated items does not drown the error in more errors.
    pub(crate) fn error_spanned_by(&self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.syn_error(syn::Error::new_spanned(tokens, message));
    }

    /// Like [`error_spanned_by`](Self::error_spanned_by), at one span.
    pub(crate) fn error_at(&self, span: Span, message: impl std::fmt::Display) {
        self.syn_error(syn::Error::new(span, message));
    }

    pub(crate) fn syn_error(&self, error: syn::Error) {
        self.errors.borrow_mut().push(error);
    }

    /// An error after which only stubs can be emitted (the shape of the input is wrong).
    pub(crate) fn fatal_spanned_by(&self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.fatal.set(true);
        self.error_spanned_by(tokens, message);
    }

    pub(crate) fn is_fatal(&self) -> bool {
        self.fatal.get()
    }

    /// All errors combined into one, or `None` if there were none.
    pub(crate) fn check(self) -> Option<syn::Error> {
        let mut errors = self.errors.into_inner().into_iter();
        let mut combined = errors.next()?;
        for error in errors {
            combined.combine(error);
        }
        Some(combined)
    }
}
