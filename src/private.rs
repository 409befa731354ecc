//! Runtime support for the code that `#[derive(SyncRegistry)]` generates; not a public API.
//!
//! Generated code names everything here by absolute path (`::syncmap::__private::...`, or the
//! path given with `#[registry(crate = "...")]`), so it keeps working when the user's crate
//! shadows `std`, `core` or any trait name. Nothing here is covered by semver.

use core::borrow::Borrow;
use core::hash::{Hash, Hasher};

pub use core::borrow::Borrow as BorrowTrait;
pub use core::clone::Clone;
pub use core::cmp::{Eq, PartialEq};
pub use core::convert::{From, Infallible, TryFrom};
pub use core::default::Default;
pub use core::fmt;
pub use core::hash::{Hash as HashTrait, Hasher as HasherTrait};
pub use core::iter::{FromIterator, IntoIterator, Iterator};
pub use core::marker::{PhantomData, Send, Sync};
pub use core::option::Option::{self, None, Some};
pub use core::result::Result::{self, Err, Ok};
pub use core::str::FromStr;
pub use std::collections::HashSet;
pub use std::error::Error;
pub use std::string::String;
pub use std::vec::Vec;

pub use core::time::Duration;
pub use std::boxed::Box;
pub use std::collections::HashMap;

pub use syncmap_core::{ConcurrentMap, LoadOrStore};

#[path = "registry_sync.rs"]
mod registry_sync;
pub use registry_sync::{
    Changes, RegistryChange, RegistrySubscription, RegistrySync, SNAPSHOT_TRIES,
};

/// The error a registry's validating methods return: whatever the validator returned, boxed.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// Runs a `#[registry(validate = path)]` validator and boxes its error. Called with the path's
/// span, so a path that is not a `fn(&U) -> Result<(), E>` is reported under it. `U` is `T` or
/// what `T` borrows as (`str` for a `String` field), as clippy prefers.
#[inline]
pub fn run_validator<T, U, E>(validator: fn(&U) -> Result<(), E>, value: &T) -> Result<(), BoxError>
where
    T: Borrow<U> + ?Sized,
    U: ?Sized,
    E: Into<BoxError>,
{
    validator(value.borrow()).map_err(Into::into)
}

/// What a `#[registry(secret)]` value or key prints as in every generated `Debug`.
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

/// The backend a registry gets when its map type parameter is not given: `SyncMap`, since a
/// registry's keys are a fixed set, written rarely and read often, the read/dirty design's best
/// case (reads of a promoted key take no lock).
pub type DefaultMap<K, V> = syncmap_impls::SyncMap<K, V>;

/// Checked for every stored field type, with the field type's span, so the error underlines the
/// field rather than the derive.
pub const fn assert_send_sync<T: Send + Sync + 'static>() {}

/// Values are handed out by clone, as the backend's `load` does.
pub const fn assert_clone<T: Clone>() {}

/// A `map` field's key becomes part of the backend's key.
pub const fn assert_map_key<T: Hash + Eq + Clone>() {}

/// Feeds a field's position into a hasher. The key enum's `Hash` and [`EntryQuery`] both start
/// with it, which keeps the two hashes equal as `Borrow` requires.
#[inline]
pub fn hash_field<H: Hasher + ?Sized>(field: u32, state: &mut H) {
    state.write_u32(field);
}

/// Reached only when a value of one field was stored, through the registry's raw `map()`, under
/// another field's key.
#[cold]
#[track_caller]
pub fn wrong_variant(field: &str) -> ! {
    panic!(
        "the registry's backend holds a value of another field under the key of `{field}`; \
         values stored through `map()` must be of their key's own field"
    )
}

/// A lookup key for a registry's backend that need not own its data: either a stored key enum
/// (through the blanket impl) or an [`EntryQuery`] that borrows a `map` field's key as `&Q`.
///
/// Every generated key enum implements `Borrow<dyn KeyQuery<Self>>`, so `map` field lookups by
/// `&str` (for a `String` key) reach the backend without building an owned key.
pub trait KeyQuery<Key> {
    /// The stored key this view is, or `None` for a borrowed query.
    fn stored_key(&self) -> Option<&Key>;
    /// Whether this view names `stored`.
    fn matches(&self, stored: &Key) -> bool;
    /// Hashes exactly as `Key`'s `Hash` hashes the key this view names.
    fn hash_query(&self, state: &mut dyn Hasher);
}

impl<K: Hash + Eq> KeyQuery<K> for K {
    fn stored_key(&self) -> Option<&K> {
        Some(self)
    }

    fn matches(&self, stored: &K) -> bool {
        self == stored
    }

    fn hash_query(&self, mut state: &mut dyn Hasher) {
        self.hash(&mut state);
    }
}

/// A borrowed lookup of one `map` field's entry: the field's position and `&Q`.
pub struct EntryQuery<'q, Key, K, Q: ?Sized> {
    field: u32,
    key: &'q Q,
    project: fn(&Key) -> Option<&K>,
}

impl<Key, K, Q: ?Sized> fmt::Debug for EntryQuery<'_, Key, K, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntryQuery")
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

impl<'q, Key, K, Q: ?Sized> EntryQuery<'q, Key, K, Q> {
    /// `project` returns the field's key inside a stored key enum, if the enum is of that field.
    pub fn new(field: u32, key: &'q Q, project: fn(&Key) -> Option<&K>) -> Self {
        Self {
            field,
            key,
            project,
        }
    }
}

impl<Key, K, Q> KeyQuery<Key> for EntryQuery<'_, Key, K, Q>
where
    K: Borrow<Q>,
    Q: Hash + Eq + ?Sized,
{
    fn stored_key(&self) -> Option<&Key> {
        None
    }

    fn matches(&self, stored: &Key) -> bool {
        (self.project)(stored).is_some_and(|key| key.borrow() == self.key)
    }

    fn hash_query(&self, mut state: &mut dyn Hasher) {
        hash_field(self.field, &mut state);
        // `K: Borrow<Q>` promises that `Q` hashes as `K` does.
        self.key.hash(&mut state);
    }
}

impl<Key> Hash for dyn KeyQuery<Key> + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.hash_query(state);
    }
}

impl<Key> PartialEq for dyn KeyQuery<Key> + '_ {
    fn eq(&self, other: &Self) -> bool {
        match (self.stored_key(), other.stored_key()) {
            (_, Some(stored)) => self.matches(stored),
            (Some(stored), None) => other.matches(stored),
            // A map compares a query with stored keys only, never two queries.
            (None, None) => false,
        }
    }
}

impl<Key> Eq for dyn KeyQuery<Key> + '_ {}

/// `compare_and_swap` for a field with a default, where an unset field holds its default.
pub fn compare_and_swap_or_default<M, K, V>(map: &M, key: K, old: V, new: V, default: V) -> bool
where
    M: ConcurrentMap<K, V>,
    K: Hash + Eq + Clone,
    V: Clone + PartialEq,
{
    let old_is_default = old == default;
    drop(default);
    loop {
        if map.compare_and_swap(&key, &old, new.clone()) {
            return true;
        }
        if !old_is_default {
            return false;
        }
        // The swap failed on an unset field or on a value other than `old`; `load_or_store`
        // tells which, in one step.
        match map.load_or_store(key.clone(), new.clone()) {
            LoadOrStore::Stored(_) => return true,
            LoadOrStore::Loaded(current) if current != old => return false,
            // Someone set the field to `old` in between: try the swap again.
            LoadOrStore::Loaded(_) => {}
        }
    }
}

/// The stored key `query` names, if the map holds it: a scan, for a registry that must name
/// to its subscribers an entry written by a borrowed key.
pub fn find_key<M, K, V>(map: &M, query: &dyn KeyQuery<K>) -> Option<K>
where
    M: ConcurrentMap<K, V>,
    K: Clone,
    V: Clone,
{
    let mut found = None;
    map.range(|key, _| {
        if query.matches(key) {
            found = Some(key.clone());
        }
        found.is_none()
    });
    found
}

/// Debug-prints a backend's entries, as a map.
#[allow(missing_debug_implementations)] // it is the `Debug` implementation
pub struct DebugEntries<'a, M, K, V>(pub &'a M, pub PhantomData<fn() -> (K, V)>);

impl<M, K, V> fmt::Debug for DebugEntries<'_, M, K, V>
where
    M: ConcurrentMap<K, V>,
    K: fmt::Debug + Clone,
    V: fmt::Debug + Clone,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut entries = Vec::new();
        self.0.range(|key, value| {
            entries.push((key.clone(), value.clone()));
            true
        });
        f.debug_map()
            .entries(entries.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

/// `load_with` for a field with a default: `f` sees the stored value, or the default if unset.
pub fn load_with_or_else<M, K, V, T, R>(
    map: &M,
    key: &K,
    project: fn(&V) -> &T,
    f: impl FnOnce(&T) -> R,
    default: impl FnOnce() -> T,
) -> R
where
    M: ConcurrentMap<K, V>,
    K: Hash + Eq,
{
    let mut f = Some(f);
    let loaded = map.load_with(key, |value| f.take().map(|f| f(project(value))));
    match (loaded.flatten(), f) {
        (Some(result), _) => result,
        (None, Some(f)) => f(&default()),
        // `f` was taken only by a call that returned its result.
        (None, None) => unreachable!("load_with ran its closure without returning its result"),
    }
}
