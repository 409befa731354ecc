//! [`DashMapAdapter`]: dashmap 6 behind the trait.

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use syncmap_core::{ConcurrentMap, LoadOrStore};

/// [`dashmap::DashMap`] (a sharded `RwLock<HashMap>`) behind [`ConcurrentMap`].
///
/// dashmap hands out guards that hold a shard lock, so this adapter clones a value out of the
/// guard and drops the guard before it runs a caller's closure; `range` copies all entries out
/// first. That keeps the trait's promise that closures may call back into the map, which a
/// direct `DashMap::iter` plus a write to the same shard would break with a deadlock.
///
/// ```
/// use syncmap_core::{ConcurrentMap, LoadOrStore};
/// use syncmap_impls::peers::DashMapAdapter;
///
/// let map = DashMapAdapter::with_hasher(syncmap_impls::DefaultHashBuilder::default());
/// assert_eq!(map.load_or_store(1_u64, 10_u64), LoadOrStore::Stored(10));
/// assert!(map.compare_and_swap(&1, &10, 11));
/// // A closure may write to the map it is reading.
/// map.range(|k, _| {
///     map.delete(k);
///     true
/// });
/// assert!(map.is_empty());
/// ```
pub struct DashMapAdapter<K, V, S>(DashMap<K, V, S>);

impl<K: Eq + Hash, V, S: BuildHasher + Clone> DashMapAdapter<K, V, S> {
    /// An empty map hashing with `hasher`.
    pub fn with_hasher(hasher: S) -> Self {
        Self(DashMap::with_hasher(hasher))
    }
}

impl<K, V, S> fmt::Debug for DashMapAdapter<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DashMapAdapter").finish_non_exhaustive()
    }
}

impl<K, V, S> ConcurrentMap<K, V> for DashMapAdapter<K, V, S>
where
    K: Eq + Hash + Clone,
    V: Clone,
    S: BuildHasher + Clone,
{
    fn load_with<Q, R, F>(&self, key: &Q, f: F) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        F: FnOnce(&V) -> R,
    {
        // Clone under the shard's read lock, call `f` after the guard is gone.
        let value = self.0.get(key).map(|guard| guard.value().clone())?;
        Some(f(&value))
    }

    fn load<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        // One clone, not the two that `load_with(key, V::clone)` would make here.
        self.0.get(key).map(|guard| guard.value().clone())
    }

    fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.contains_key(key)
    }

    fn store(&self, key: K, value: V) {
        // The replaced value comes back to us and is dropped after the shard lock is released.
        drop(self.0.insert(key, value));
    }

    fn load_or_store(&self, key: K, value: V) -> LoadOrStore<V>
    where
        V: Clone,
    {
        match self.0.entry(key) {
            Entry::Occupied(entry) => {
                let current = entry.get().clone();
                drop(entry);
                drop(value);
                LoadOrStore::Loaded(current)
            }
            Entry::Vacant(entry) => {
                entry.insert(value.clone());
                LoadOrStore::Stored(value)
            }
        }
    }

    fn load_or_store_with<F>(&self, key: K, make: F) -> LoadOrStore<V>
    where
        F: FnOnce() -> V,
        V: Clone,
    {
        if let Some(current) = self.0.get(&key).map(|guard| guard.value().clone()) {
            return LoadOrStore::Loaded(current);
        }
        // `make` runs with no lock held; if another thread stores first, its value wins.
        self.load_or_store(key, make())
    }

    fn load_and_delete<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        self.0.remove(key).map(|(_, value)| value)
    }

    fn delete<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.remove(key).is_some()
    }

    fn swap(&self, key: K, value: V) -> Option<V>
    where
        V: Clone,
    {
        self.0.insert(key, value)
    }

    fn compare_and_swap<Q>(&self, key: &Q, old: &V, new: V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        // Compare and replace under the shard's write lock: one atomic step.
        let Some(mut guard) = self.0.get_mut(key) else {
            return false;
        };
        if *guard.value() != *old {
            drop(guard);
            drop(new);
            return false;
        }
        let previous = core::mem::replace(guard.value_mut(), new);
        drop(guard);
        drop(previous);
        true
    }

    fn compare_and_delete<Q>(&self, key: &Q, old: &V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        self.0.remove_if(key, |_, value| value == old).is_some()
    }

    fn range<F>(&self, mut f: F)
    where
        F: FnMut(&K, &V) -> bool,
        K: Clone,
        V: Clone,
    {
        // dashmap's iterator holds a shard read lock while it stands on that shard, so copy the
        // entries out and call `f` with no lock held.
        let entries: Vec<(K, V)> = self
            .0
            .iter()
            .map(|entry| (entry.key().clone(), entry.value().clone()))
            .collect();
        for (key, value) in &entries {
            if !f(key, value) {
                break;
            }
        }
    }

    fn clear(&self) {
        // `DashMap::clear` drops entries under the shard locks; remove key by key instead, and
        // drop what was removed only at the end, so a `Drop` that reads the map sees it cleared.
        let keys: Vec<K> = self.0.iter().map(|entry| entry.key().clone()).collect();
        let removed: Vec<(K, V)> = keys.iter().filter_map(|key| self.0.remove(key)).collect();
        drop(removed);
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}
