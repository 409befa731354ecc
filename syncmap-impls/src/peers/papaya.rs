//! [`PapayaAdapter`]: papaya 0.2 behind the trait.

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};

use std::collections::HashSet;

use papaya::{Compute, HashMap, Operation};
use syncmap_core::{ConcurrentMap, LoadOrStore};

use crate::DefaultHashBuilder;

/// [`papaya::HashMap`] (lock-free reads, epoch-based reclamation) behind [`ConcurrentMap`].
///
/// papaya never locks, so closures run in place under its epoch guard and may call back into the
/// map; `range` skips the duplicates papaya's iterator may yield during a resize. `compare_and_swap` is papaya's `compute`, which applies the new value only if the entry
/// is still the one the comparison saw.
///
/// ```
/// use syncmap_core::{ConcurrentMap, LoadOrStore};
/// use syncmap_impls::peers::PapayaAdapter;
///
/// let map = PapayaAdapter::with_hasher(syncmap_impls::DefaultHashBuilder::default());
/// map.store(1_u64, 10_u64);
/// assert!(!map.compare_and_swap(&1, &9, 11));
/// assert!(map.compare_and_swap(&1, &10, 11));
/// assert_eq!(map.load(&1), Some(11));
/// assert_eq!(map.load_or_store(1, 0), LoadOrStore::Loaded(11));
/// ```
pub struct PapayaAdapter<K, V, S>(HashMap<K, V, S>);

impl<K, V, S> PapayaAdapter<K, V, S> {
    /// An empty map hashing with `hasher`.
    pub fn with_hasher(hasher: S) -> Self {
        Self(HashMap::with_hasher(hasher))
    }
}

impl<K, V, S> fmt::Debug for PapayaAdapter<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PapayaAdapter").finish_non_exhaustive()
    }
}

impl<K, V, S> ConcurrentMap<K, V> for PapayaAdapter<K, V, S>
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
        self.0.pin().get(key).map(f)
    }

    fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.pin().contains_key(key)
    }

    fn store(&self, key: K, value: V) {
        self.0.pin().insert(key, value);
    }

    fn load_or_store(&self, key: K, value: V) -> LoadOrStore<V>
    where
        V: Clone,
    {
        match self.0.pin().try_insert(key, value) {
            Ok(stored) => LoadOrStore::Stored(stored.clone()),
            Err(occupied) => LoadOrStore::Loaded(occupied.current.clone()),
        }
    }

    fn load_or_store_with<F>(&self, key: K, make: F) -> LoadOrStore<V>
    where
        F: FnOnce() -> V,
        V: Clone,
    {
        match self.0.pin().try_insert_with(key, make) {
            Ok(stored) => LoadOrStore::Stored(stored.clone()),
            Err(current) => LoadOrStore::Loaded(current.clone()),
        }
    }

    fn load_and_delete<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        self.0.pin().remove(key).cloned()
    }

    fn delete<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.pin().remove(key).is_some()
    }

    fn swap(&self, key: K, value: V) -> Option<V>
    where
        V: Clone,
    {
        self.0.pin().insert(key, value).cloned()
    }

    fn compare_and_swap<Q>(&self, key: &Q, old: &V, new: V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        let map = self.0.pin();
        // `compute` takes an owned key; borrow the stored one and clone it.
        let Some((stored_key, _)) = map.get_key_value(key) else {
            return false;
        };
        // The closure may run again if the entry changes under it, so it hands out clones of
        // `new`; an entry gone in the meantime (`None`) means the swap fails, as the contract says.
        let outcome = map.compute(stored_key.clone(), |entry| match entry {
            Some((_, current)) if current == old => Operation::Insert(new.clone()),
            _ => Operation::Abort(()),
        });
        matches!(outcome, Compute::Updated { .. })
    }

    fn compare_and_delete<Q>(&self, key: &Q, old: &V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        matches!(
            self.0.pin().remove_if(key, |_, current| current == old),
            Ok(Some(_))
        )
    }

    fn range<F>(&self, mut f: F)
    where
        F: FnMut(&K, &V) -> bool,
        K: Clone,
        V: Clone,
    {
        // papaya's iterator may yield a key twice while the table is being resized under it;
        // the trait promises each key at most once.
        let mut seen =
            HashSet::with_capacity_and_hasher(self.0.len(), DefaultHashBuilder::default());
        let map = self.0.pin();
        for (key, value) in map.iter() {
            if seen.insert(key) && !f(key, value) {
                break;
            }
        }
    }

    fn clear(&self) {
        self.0.pin().clear();
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}
