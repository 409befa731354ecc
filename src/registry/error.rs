//! The errors of whole-registry operations: a struct rebuilt with fields missing, and a write
//! that a validator refused.

use std::error::Error;
use std::fmt;

/// The boxed error a validator returns.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// Required fields without a default that were absent when a struct was rebuilt from entries.
///
/// A registry never lacks a required field, so this is seen only when rebuilding from entries
/// given by hand ([`RegistryStruct::from_entries`](crate::RegistryStruct::from_entries)) or
/// after the backend was written around the registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingFields {
    paths: Vec<String>,
}

impl MissingFields {
    /// An error naming `paths`.
    pub fn new(paths: Vec<String>) -> Self {
        Self { paths }
    }

    /// The dotted paths of the missing fields, in declaration order.
    pub fn paths(&self) -> &[String] {
        &self.paths
    }

    /// The same fields under `prefix.` (for a nested struct's fields).
    #[must_use]
    pub fn under(mut self, prefix: &str) -> Self {
        for path in &mut self.paths {
            *path = format!("{prefix}.{path}");
        }
        self
    }
}

impl fmt::Display for MissingFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "missing required field")?;
        if self.paths.len() > 1 {
            write!(f, "s")?;
        }
        write!(f, " without a default: {}", self.paths.join(", "))
    }
}

impl Error for MissingFields {}

/// One validator's refusal: the field it is about (empty for the struct as a whole) and why.
#[derive(Debug)]
pub struct Invalid {
    path: String,
    error: BoxError,
}

impl Invalid {
    /// The dotted path of the field, or `""` for a struct-level validator of the root.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What the validator returned.
    pub fn error(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.error
    }
}

/// A write or a construction refused by validators; nothing was written.
///
/// It holds every failure of the run, each with its field's path. Validators write their own
/// messages: a message that quotes a secret's value shows it, so don't.
#[derive(Debug, Default)]
pub struct ValidationError {
    failures: Vec<Invalid>,
}

impl ValidationError {
    /// An error with one failure about `path` (`""` for the whole struct).
    pub fn new(path: impl Into<String>, error: impl Into<BoxError>) -> Self {
        let mut errors = Self::default();
        errors.push(path, error);
        errors
    }

    /// Adds a failure.
    pub fn push(&mut self, path: impl Into<String>, error: impl Into<BoxError>) {
        self.failures.push(Invalid {
            path: path.into(),
            error: error.into(),
        });
    }

    /// Adds the failures of a nested struct, under its field's `prefix`.
    pub fn extend_under(&mut self, prefix: &str, nested: ValidationError) {
        for Invalid { path, error } in nested.failures {
            let path = if path.is_empty() {
                prefix.to_owned()
            } else {
                format!("{prefix}.{path}")
            };
            self.failures.push(Invalid { path, error });
        }
    }

    /// Every failure, in the order the validators ran.
    pub fn failures(&self) -> &[Invalid] {
        &self.failures
    }

    /// `Ok(())` if no validator failed.
    ///
    /// # Errors
    ///
    /// `self`, if it holds a failure.
    pub fn into_result(self) -> Result<(), Self> {
        if self.failures.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid value")?;
        for (n, failure) in self.failures.iter().enumerate() {
            let separator = if n == 0 { ": " } else { "; " };
            if failure.path.is_empty() {
                write!(f, "{separator}{}", failure.error)?;
            } else {
                write!(f, "{separator}{}: {}", failure.path, failure.error)?;
            }
        }
        Ok(())
    }
}

impl Error for ValidationError {}

/// Runs one validator and records its failure under `path`. Generic over the closure so that a
/// `validate = |c| ...` closure is accepted as well as a path to a function.
#[doc(hidden)]
pub fn run_validator<T: ?Sized, E: Into<BoxError>>(
    errors: &mut ValidationError,
    path: &str,
    value: &T,
    validator: impl FnOnce(&T) -> Result<(), E>,
) {
    if let Err(error) = validator(value) {
        errors.push(path, error);
    }
}
