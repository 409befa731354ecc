//! Change detection for the generated `RegistryStruct::value_eq`: compares a field's values with
//! `PartialEq` where its type has it, and reports "cannot tell" where it does not, without
//! requiring `PartialEq` of every field (autoref specialization, resolved at the expansion's
//! concrete types).

/// Two values of one field, to compare.
#[doc(hidden)]
#[allow(missing_debug_implementations)] // transient, never stored
pub struct EqProbe<'a, T: ?Sized>(pub &'a T, pub &'a T);

/// Chosen by method resolution first, where `T: PartialEq`.
#[doc(hidden)]
pub trait CompareByPartialEq {
    /// `Some(equal)`.
    fn probe_eq(&self) -> Option<bool>;
}

impl<T: PartialEq + ?Sized> CompareByPartialEq for EqProbe<'_, T> {
    #[inline]
    fn probe_eq(&self) -> Option<bool> {
        Some(self.0 == self.1)
    }
}

/// Chosen through one more autoref, where `T` is not `PartialEq`.
#[doc(hidden)]
pub trait CannotCompare {
    /// `None`: every write of such a field counts as a change.
    fn probe_eq(&self) -> Option<bool>;
}

impl<T: ?Sized> CannotCompare for &EqProbe<'_, T> {
    #[inline]
    fn probe_eq(&self) -> Option<bool> {
        None
    }
}
