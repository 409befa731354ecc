//! Secrets that never print: a `#[registry(secret)]` field's type must itself redact, so that no
//! `Debug` (the registry's, a change event's, or the user's own `#[derive(Debug)]` of the struct)
//! can show it.

use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretBox};

/// A type whose `Debug` never shows its value, allowed as a `#[registry(secret)]` field.
///
/// Implemented for the `secrecy` crate's [`SecretBox`] (so [`SecretString`](crate::SecretString)
/// and `SecretBox<T>`), which also wipes the value from memory when dropped. Implement it for a
/// type of your own only if neither its `Debug` nor any `Display` it has can show the value.
#[diagnostic::on_unimplemented(
    message = "`{Self}` can print its value, so it cannot be a `#[registry(secret)]` field",
    label = "this type's `Debug` would show the secret",
    note = "use `syncmap::SecretString` or `syncmap::SecretBox<T>` (from the `secrecy` crate): \
            they print `[REDACTED]` and wipe the value on drop"
)]
pub trait SecretValue: Clone + Send + Sync + 'static {
    /// Whether two secrets are equal, so that storing the same secret again publishes no
    /// change.
    fn secret_eq(&self, other: &Self) -> bool;
}

impl<T> SecretValue for SecretBox<T>
where
    T: Zeroize + PartialEq + Send + Sync + ?Sized + 'static,
    SecretBox<T>: Clone,
{
    fn secret_eq(&self, other: &Self) -> bool {
        self.expose_secret() == other.expose_secret()
    }
}
