//! Lookups of a registry's backend that need not own their key: a `map` field's entry looked up
//! by `&str` for a `String` key reaches the backend without allocating, nested or not.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use super::schema::{MapFieldAt, NestAt, RegistryStruct};

/// Feeds a field's position into a hasher. The key enum's `Hash` and every query start with it,
/// which keeps their hashes equal as `Borrow` requires.
#[doc(hidden)]
#[inline]
pub fn hash_field<H: Hasher + ?Sized>(field: u32, state: &mut H) {
    state.write_u32(field);
}

/// A lookup key for a registry's backend: either a stored key enum (through the blanket impl) or
/// a query that borrows a `map` field's key as `&Q`.
///
/// Every generated key enum implements `Borrow<dyn KeyQuery<Self>>`, so lookups by a borrowed
/// form reach any backend through its ordinary `load_with`.
#[doc(hidden)]
pub trait KeyQuery<Key> {
    /// The stored key this view is, or `None` for a borrowed query.
    fn stored_key(&self) -> Option<&Key>;
    /// Whether this view names `stored`.
    fn matches(&self, stored: &Key) -> bool;
    /// Hashes exactly as `Key`'s `Hash` hashes the key this view names.
    fn hash_query(&self, state: &mut dyn Hasher);
    /// The slot of the cache field the query looks in, if it is one (a stored key's slot is
    /// found through `RegistryStruct::cache_slot`).
    fn cache_slot(&self) -> Option<usize> {
        None
    }
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

/// A borrowed lookup of an entry of the `map` field number `I` of `S`.
pub(crate) struct EntryQuery<'q, S, const I: usize, Q: ?Sized> {
    key: &'q Q,
    _struct: PhantomData<fn() -> S>,
}

impl<'q, S, const I: usize, Q: ?Sized> EntryQuery<'q, S, I, Q> {
    pub(crate) fn new(key: &'q Q) -> Self {
        Self {
            key,
            _struct: PhantomData,
        }
    }
}

impl<S, const I: usize, Q: ?Sized> fmt::Debug for EntryQuery<'_, S, I, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntryQuery")
            .field("field", &I)
            .finish_non_exhaustive()
    }
}

impl<S, const I: usize, Q> KeyQuery<S::Key> for EntryQuery<'_, S, I, Q>
where
    S: MapFieldAt<I>,
    S::MapKey: Borrow<Q>,
    Q: Hash + Eq + ?Sized,
{
    fn stored_key(&self) -> Option<&S::Key> {
        None
    }

    fn matches(&self, stored: &S::Key) -> bool {
        S::unwrap_key_ref(stored).is_some_and(|key| key.borrow() == self.key)
    }

    fn hash_query(&self, mut state: &mut dyn Hasher) {
        #[allow(clippy::cast_possible_truncation)] // a struct has far fewer than 2^32 fields
        hash_field(I as u32, &mut state);
        // `MapKey: Borrow<Q>` promises that `Q` hashes as the key does.
        self.key.hash(&mut state);
    }

    fn cache_slot(&self) -> Option<usize> {
        S::CACHE_SLOT
    }
}

/// A query of the struct nested at field `I` of `S`, as a query of `S`.
pub(crate) struct NestedQuery<'q, S: NestAt<I>, const I: usize> {
    inner: &'q dyn KeyQuery<<S::Inner as RegistryStruct>::Key>,
}

impl<'q, S: NestAt<I>, const I: usize> NestedQuery<'q, S, I> {
    pub(crate) fn new(inner: &'q dyn KeyQuery<<S::Inner as RegistryStruct>::Key>) -> Self {
        Self { inner }
    }
}

impl<S: NestAt<I>, const I: usize> KeyQuery<S::Key> for NestedQuery<'_, S, I> {
    fn stored_key(&self) -> Option<&S::Key> {
        None
    }

    fn matches(&self, stored: &S::Key) -> bool {
        S::unwrap_key_ref(stored).is_some_and(|inner| match self.inner.stored_key() {
            Some(own) => own == inner,
            None => self.inner.matches(inner),
        })
    }

    fn hash_query(&self, mut state: &mut dyn Hasher) {
        #[allow(clippy::cast_possible_truncation)] // a struct has far fewer than 2^32 fields
        hash_field(I as u32, &mut state);
        self.inner.hash_query(state);
    }

    fn cache_slot(&self) -> Option<usize> {
        let inner = match self.inner.stored_key() {
            Some(key) => <S::Inner as RegistryStruct>::cache_slot(key),
            None => self.inner.cache_slot(),
        };
        inner.map(|slot| slot + S::CACHE_OFFSET)
    }
}
