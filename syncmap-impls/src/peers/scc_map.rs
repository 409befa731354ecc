//! [`SccHashMapAdapter`]: scc 3's `HashMap` (bucket locks, in-place updates) behind the trait,
//! for churn; its read-mostly `HashIndex` is [`SccHashIndexAdapter`](super::SccHashIndexAdapter).

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};

use std::collections::HashSet;

use scc::{HashMap, hash_map};
use syncmap_core::{ConcurrentMap, LoadOrStore};

use crate::DefaultHashBuilder;

/// [`scc::HashMap`] (bucket locks, in-place updates) behind [`ConcurrentMap`].
///
/// Every access locks a bucket, so this adapter clones values out before it runs a caller's
/// closure, and `range` copies the entries out first.
///
/// ```
/// use syncmap_core::{ConcurrentMap, LoadOrStore};
/// use syncmap_impls::peers::SccHashMapAdapter;
///
/// let map = SccHashMapAdapter::with_hasher(syncmap_impls::DefaultHashBuilder::default());
/// map.store(1_u64, 10_u64);
/// assert!(map.compare_and_swap(&1, &10, 11));
/// assert!(!map.compare_and_delete(&1, &10));
/// assert!(map.compare_and_delete(&1, &11));
/// assert_eq!(map.load_or_store(1, 12), LoadOrStore::Stored(12));
/// ```
pub struct SccHashMapAdapter<K, V, S: BuildHasher>(HashMap<K, V, S>);

impl<K, V, S: BuildHasher> SccHashMapAdapter<K, V, S> {
    /// An empty map hashing with `hasher`.
    pub fn with_hasher(hasher: S) -> Self {
        Self(HashMap::with_hasher(hasher))
    }
}

impl<K, V, S: BuildHasher> fmt::Debug for SccHashMapAdapter<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SccHashMapAdapter").finish_non_exhaustive()
    }
}

impl<K, V, S> ConcurrentMap<K, V> for SccHashMapAdapter<K, V, S>
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
        // `read_sync` holds the bucket lock while its reader runs: clone, then call `f`.
        let value = self.0.read_sync(key, |_, value| value.clone())?;
        Some(f(&value))
    }

    fn load<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        // One clone, not the two that `load_with(key, V::clone)` would make here.
        self.0.read_sync(key, |_, value| value.clone())
    }

    fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.contains_sync(key)
    }

    fn store(&self, key: K, value: V) {
        drop(self.0.upsert_sync(key, value));
    }

    fn load_or_store(&self, key: K, value: V) -> LoadOrStore<V>
    where
        V: Clone,
    {
        match self.0.entry_sync(key) {
            hash_map::Entry::Occupied(entry) => {
                let current = entry.get().clone();
                drop(entry);
                drop(value);
                LoadOrStore::Loaded(current)
            }
            hash_map::Entry::Vacant(entry) => {
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
        if let Some(current) = self.0.read_sync(&key, |_, current| current.clone()) {
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
        self.0.remove_sync(key).map(|(_, value)| value)
    }

    fn delete<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.remove_sync(key).is_some()
    }

    fn swap(&self, key: K, value: V) -> Option<V>
    where
        V: Clone,
    {
        self.0.upsert_sync(key, value)
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
            drop(entry);
            drop(new);
            return false;
        }
        let previous = core::mem::replace(entry.get_mut(), new);
        drop(entry);
        drop(previous);
        true
    }

    fn compare_and_delete<Q>(&self, key: &Q, old: &V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        self.0
            .remove_if_sync(key, |current| *current == *old)
            .is_some()
    }

    fn range<F>(&self, mut f: F)
    where
        F: FnMut(&K, &V) -> bool,
        K: Clone,
        V: Clone,
    {
        // scc may visit an entry twice while the table resizes; the trait promises once.
        let mut seen =
            HashSet::with_capacity_and_hasher(self.0.len(), DefaultHashBuilder::default());
        let mut entries = Vec::with_capacity(self.0.len());
        self.0.iter_sync(|key, value| {
            if seen.insert(key.clone()) {
                entries.push((key.clone(), value.clone()));
            }
            true
        });
        for (key, value) in &entries {
            if !f(key, value) {
                break;
            }
        }
    }

    fn clear(&self) {
        // `clear_sync` drops entries under bucket locks; remove key by key instead.
        let mut keys = Vec::with_capacity(self.0.len());
        self.0.iter_sync(|key, _| {
            keys.push(key.clone());
            true
        });
        // Drop what was removed only at the end, so a `Drop` that reads the map sees it cleared.
        let removed: Vec<(K, V)> = keys
            .iter()
            .filter_map(|key| self.0.remove_sync(key))
            .collect();
        drop(removed);
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}
