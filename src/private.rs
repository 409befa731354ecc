//! Runtime support for the code that `#[derive(SyncRegistry)]` generates; not a public API.
//!
//! Generated code names everything here by absolute path (`::syncmap::__private::...`, or the
//! path given with `#[registry(crate = "...")]`), so it keeps working when the user's crate
//! shadows `std`, `core` or any trait name. Nothing here is covered by semver.

pub use core::borrow::Borrow;
pub use core::clone::Clone;
pub use core::cmp::{Eq, PartialEq};
pub use core::convert::{Infallible, Into};
pub use core::default::Default;
pub use core::fmt;
pub use core::hash::{Hash, Hasher};
pub use core::iter::{FromIterator, IntoIterator, Iterator};
pub use core::marker::{PhantomData, Send, Sync};
pub use core::ops::{FnMut, FnOnce};
pub use core::option::Option::{self, None, Some};
pub use core::result::Result::{self, Err, Ok};
pub use std::borrow::ToOwned;
pub use std::boxed::Box;
pub use std::string::String;
pub use std::vec::Vec;

pub use syncmap_core::{ConcurrentMap, LoadOrStore};

#[cfg(feature = "serde")]
pub use serde;

pub use crate::registry::accessors::validate_field;
pub use crate::registry::accessors::{MapField, Optional, Required};
pub use crate::registry::compare::{
    CannotCompare, CompareByPartialEq, DebugProbe, EqProbe, FmtByDebug, FmtOpaque, FmtWith,
};
pub use crate::registry::debug::{REDACTED, debug_registry};
pub use crate::registry::query::{KeyQuery, hash_field};
pub use crate::registry::{
    Defaults, FieldAt, FieldInfo, FieldKind, Holds, MapFieldAt, MissingFields, NestAt, Nested,
    Registry, RegistryCore, RegistryStruct, SecretValue, ValidationError, run_validator,
};

pub use crate::cache::{CacheConfig, CacheField, Cached, EntryMeta, LoadError};
pub use crate::registry::BoxError;

/// The backend a registry gets when its map type parameter is not given: `SyncMap`, since a
/// registry's keys are a fixed set, written rarely and read often, the read/dirty design's best
/// case (reads of a promoted key take no lock).
pub type DefaultMap<K, V> = syncmap_impls::SyncMap<K, V>;

/// Checked for every stored field type, with the field type's span, so the error underlines the
/// field rather than the derive.
pub const fn assert_stored<T: Clone + Send + Sync + 'static>() {}

/// A `map` field's key becomes part of the backend's key.
pub const fn assert_map_key<T: Hash + Eq + Clone + Send + Sync + 'static>() {}

/// A `#[registry(secret)]` field's type must never print its value.
pub const fn assert_secret<T: SecretValue>() {}

/// A `#[registry(nested)]` field's type must derive `SyncRegistry` too.
pub const fn assert_nested<T: RegistryStruct>() {}

/// Runs a validator given as a path to a function of `&U`, where the field's `T: Borrow<U>`
/// (a `fn(&str)` for a `String` field).
pub fn run_path_validator<T, U, E>(
    errors: &mut ValidationError,
    path: &str,
    value: &T,
    validator: fn(&U) -> Result<(), E>,
) where
    T: Borrow<U>,
    U: ?Sized,
    E: Into<crate::registry::BoxError>,
{
    run_validator(errors, path, value.borrow(), validator);
}

/// A cache field's `capacity = N`, whatever its integer type (a negative one holds nothing).
pub fn cache_capacity<T: TryInto<u64>>(capacity: T) -> u64 {
    capacity.try_into().unwrap_or(0)
}

/// Appends `.name` (or `name` at the start) to a path.
pub fn push_path(out: &mut String, name: &str) {
    if !out.is_empty() {
        out.push('.');
    }
    out.push_str(name);
}

/// Appends `[key]` for a map entry, `key` in its `Debug` form.
pub fn push_entry(out: &mut String, key: &dyn fmt::Debug) {
    use fmt::Write as _;
    let _ = write!(out, "[{key:?}]");
}
