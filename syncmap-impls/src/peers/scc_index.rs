//! [`SccHashIndexAdapter`]: scc 3's `HashIndex` (lock-free reads, copy-on-write updates) behind
//! the trait; its `HashMap` is [`SccHashMapAdapter`](super::SccHashMapAdapter). scc advises
//! choosing by workload: `HashIndex` for read-mostly data, `HashMap` for churn.

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};

use std::collections::HashSet;

use crate::DefaultHashBuilder;
use scc::{Guard, HashIndex, hash_index};
use syncmap_core::{ConcurrentMap, LoadOrStore};

/// [`scc::HashIndex`] (lock-free reads, copy-on-write updates) behind [`ConcurrentMap`].
///
/// Hits are read without locks; a miss is confirmed under the bucket lock, because `update`
/// replaces an entry copy-on-write and a lock-free peek racing with it can see neither copy.
/// `range` runs without locks and skips the duplicates scc may yield. Writes lock one bucket;
/// `compare_and_swap` compares and replaces under that bucket lock.
///
/// **Limitation:** scc's epoch collector may run the `Drop` of a value retired earlier inside a
/// later call, while that call holds a bucket lock, so a value whose `Drop` calls back into the
/// map can deadlock. Values without such a `Drop` (the benchmark's `u64`s) are unaffected.
///
/// ```
/// use syncmap_core::{ConcurrentMap, LoadOrStore};
/// use syncmap_impls::peers::SccHashIndexAdapter;
///
/// let map = SccHashIndexAdapter::with_hasher(syncmap_impls::DefaultHashBuilder::default());
/// assert_eq!(map.load_or_store(1_u64, 10_u64), LoadOrStore::Stored(10));
/// assert_eq!(map.swap(1, 11), Some(10));
/// assert_eq!(map.load_and_delete(&1), Some(11));
/// assert!(map.is_empty());
/// ```
pub struct SccHashIndexAdapter<K, V, S: BuildHasher>(HashIndex<K, V, S>);

impl<K, V, S: BuildHasher> SccHashIndexAdapter<K, V, S> {
    /// An empty map hashing with `hasher`.
    pub fn with_hasher(hasher: S) -> Self {
        Self(HashIndex::with_hasher(hasher))
    }
}

impl<K, V, S: BuildHasher> fmt::Debug for SccHashIndexAdapter<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SccHashIndexAdapter")
            .finish_non_exhaustive()
    }
}

impl<K, V, S> ConcurrentMap<K, V> for SccHashIndexAdapter<K, V, S>
where
    K: Eq + Hash + Clone,
    V: Clone,
    S: BuildHasher,
{
    fn load_with<Q, R, F>(&self, key: &Q, f: F) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        F: FnOnce(&V) -> R,
    {
        // A lock-free peek can miss an entry that a concurrent `update` is replacing (the new
        // copy is not yet where the peek looks, the old one already marked removed), so a miss
        // is confirmed under the bucket lock; a hit needs no confirmation.
        if let Some(value) = self.0.peek_with(key, |_, value| value.clone()) {
            return Some(f(&value));
        }
        let value = self.0.get_sync(key).map(|entry| entry.get().clone())?;
        Some(f(&value))
    }

    fn load<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        self.0
            .peek_with(key, |_, value| value.clone())
            .or_else(|| self.0.get_sync(key).map(|entry| entry.get().clone()))
    }

    fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.contains(key) || self.0.get_sync(key).is_some()
    }

    fn store(&self, key: K, value: V) {
        match self.0.entry_sync(key) {
            hash_index::Entry::Occupied(mut entry) => entry.update(value),
            hash_index::Entry::Vacant(entry) => drop(entry.insert_entry(value)),
        }
    }

    fn load_or_store(&self, key: K, value: V) -> LoadOrStore<V>
    where
        V: Clone,
    {
        // HashIndex is built for lock-free reads: look before taking the bucket lock, as its
        // documentation advises for read-mostly use.
        if let Some(current) = self.0.peek_with(&key, |_, current| current.clone()) {
            return LoadOrStore::Loaded(current);
        }
        match self.0.entry_sync(key) {
            hash_index::Entry::Occupied(entry) => {
                let current = entry.get().clone();
                drop(entry);
                drop(value);
                LoadOrStore::Loaded(current)
            }
            hash_index::Entry::Vacant(entry) => {
                drop(entry.insert_entry(value.clone()));
                LoadOrStore::Stored(value)
            }
        }
    }

    fn load_or_store_with<F>(&self, key: K, make: F) -> LoadOrStore<V>
    where
        F: FnOnce() -> V,
        V: Clone,
    {
        if let Some(current) = self.0.peek_with(&key, |_, current| current.clone()) {
            return LoadOrStore::Loaded(current);
        }
        self.load_or_store(key, make())
    }

    fn load_and_delete<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        // Read and remove under the same bucket lock.
        let entry = self.0.get_sync(key)?;
        let value = entry.get().clone();
        entry.remove_entry();
        Some(value)
    }

    fn delete<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.remove_sync(key)
    }

    fn swap(&self, key: K, value: V) -> Option<V>
    where
        V: Clone,
    {
        match self.0.entry_sync(key) {
            hash_index::Entry::Occupied(mut entry) => {
                let previous = entry.get().clone();
                entry.update(value);
                Some(previous)
            }
            hash_index::Entry::Vacant(entry) => {
                drop(entry.insert_entry(value));
                None
            }
        }
    }

    fn compare_and_swap<Q>(&self, key: &Q, old: &V, new: V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        let Some(mut entry) = self.0.get_sync(key) else {
            return false;
        };
        if entry.get() != old {
            return false;
        }
        entry.update(new);
        true
    }

    fn compare_and_delete<Q>(&self, key: &Q, old: &V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        self.0.remove_if_sync(key, |current| current == old)
    }

    fn range<F>(&self, mut f: F)
    where
        F: FnMut(&K, &V) -> bool,
        K: Clone,
        V: Clone,
    {
        // The iterator may return an entry twice while the table resizes or an entry is
        // replaced (scc documents it); the trait promises each key at most once.
        let mut seen =
            HashSet::with_capacity_and_hasher(self.0.len(), DefaultHashBuilder::default());
        let guard = Guard::new();
        for (key, value) in self.0.iter(&guard) {
            if seen.insert(key) && !f(key, value) {
                break;
            }
        }
    }

    fn clear(&self) {
        // HashIndex retires removed entries to its epoch collector: no drop runs under a lock.
        self.0.clear_sync();
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}
