//! Why `get_or_load_*` returned no value, and why an entry left a cache.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// Why an entry left a cache field, as told to its eviction listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EvictionCause {
    /// Removed to keep the field within its capacity.
    Capacity,
    /// Its time to live, time to idle or own expiry passed.
    Expired,
    /// A store under its key replaced it.
    Replaced,
    /// Deleted (`delete_*`, `load_and_delete_*`, a whole-struct store without it).
    Removed,
}

/// What went wrong in a `get_or_load_*` or `try_get_or_load_*`: which entry, and why.
///
/// Every caller that waited for one load gets the same error; an error is never cached, so the
/// next call loads again.
#[derive(Clone)]
pub struct LoadError {
    path: String,
    kind: LoadErrorKind,
}

/// The reason of a [`LoadError`].
#[derive(Clone)]
#[non_exhaustive]
pub enum LoadErrorKind {
    /// The loader returned this error.
    Failed(Arc<dyn Error + Send + Sync>),
    /// The loader panicked (on the thread that ran it, where the panic goes on unwinding).
    Panicked,
    /// The loader asked for the entry it was loading, which would never finish.
    Recursive,
}

impl LoadError {
    pub(crate) fn new(path: String, kind: LoadErrorKind) -> Self {
        Self { path, kind }
    }

    /// The entry's path: the field's and the key's (`users[42]`; a secret field's key redacted).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Why.
    pub fn kind(&self) -> &LoadErrorKind {
        &self.kind
    }

    /// The loader's own error, if it returned one of type `E`.
    pub fn loader_error<E: Error + 'static>(&self) -> Option<&E> {
        match &self.kind {
            LoadErrorKind::Failed(error) => error.downcast_ref(),
            _ => None,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = &self.path;
        match &self.kind {
            LoadErrorKind::Failed(error) => write!(f, "loading `{path}` failed: {error}"),
            LoadErrorKind::Panicked => write!(f, "the loader of `{path}` panicked"),
            LoadErrorKind::Recursive => write!(
                f,
                "the loader of `{path}` asked for `{path}` itself, which it is still loading"
            ),
        }
    }
}

impl fmt::Debug for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadError")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .finish()
    }
}

impl fmt::Debug for LoadErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Failed(error) => f
                .debug_tuple("Failed")
                .field(&format_args!("{error}"))
                .finish(),
            Self::Panicked => f.write_str("Panicked"),
            Self::Recursive => f.write_str("Recursive"),
        }
    }
}

impl Error for LoadError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.kind {
            LoadErrorKind::Failed(error) => Some(&**error),
            _ => None,
        }
    }
}
