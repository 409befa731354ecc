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

/// A value to print, where its type may have no `Debug`.
#[doc(hidden)]
#[allow(missing_debug_implementations)] // transient, never stored
pub struct DebugProbe<'a, T: ?Sized>(pub &'a T);

/// Chosen by method resolution first, where `T: Debug`.
#[doc(hidden)]
pub trait FmtByDebug {
    /// The value's `Debug`.
    fn probe_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result;
}

impl<T: std::fmt::Debug + ?Sized> FmtByDebug for DebugProbe<'_, T> {
    fn probe_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.0, f)
    }
}

/// Chosen through one more autoref, where `T` has no `Debug`.
#[doc(hidden)]
pub trait FmtOpaque {
    /// `..`, for a value that cannot be printed.
    fn probe_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result;
}

impl<T: ?Sized> FmtOpaque for &DebugProbe<'_, T> {
    fn probe_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("..")
    }
}

/// Prints with a closure: lets generated code hand a probe's output to `debug_tuple` and paths.
#[doc(hidden)]
pub struct FmtWith<F>(pub F);

impl<F: Fn(&mut std::fmt::Formatter<'_>) -> std::fmt::Result> std::fmt::Debug for FmtWith<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (self.0)(f)
    }
}
