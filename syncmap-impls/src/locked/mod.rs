//! One hash table ([`HashedTable`], which keeps each key's hash) behind one lock: the machinery shared by [`MutexMap`](crate::MutexMap) and
//! [`RwLockMap`](crate::RwLockMap), which differ only in the lock that guards the table.
//!
//! Values are kept as `Arc<V>` so that everything the contract keeps out of the lock can run
//! after it is released: a `load_with` closure reads through a cloned `Arc`, `load` clones the
//! value itself outside the lock, a replaced value's last `Arc` (and so its `Drop`) is released
//! after unlocking, and `compare_and_swap` compares values outside the lock and re-checks, under
//! it, that the entry is still the same allocation.

pub(crate) mod public_map;
mod table_lock;

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

use syncmap_core::{ConcurrentMap, LoadOrStore};

use crate::hashed::HashedTable;

pub(crate) use table_lock::TableLock;

/// Ties `K`, `V` and `S`, which appear only inside `L`, to the table type.
type TableTypes<K, V, S> = std::marker::PhantomData<fn() -> (K, V, S)>;

/// A table of `Arc`ed values behind the lock `L`.
pub(crate) struct LockedTable<K, V, S, L: TableLock<HashedTable<K, Arc<V>, S>>> {
    lock: L,
    _marker: TableTypes<K, V, S>,
}

impl<K, V, S, L> LockedTable<K, V, S, L>
where
    L: TableLock<HashedTable<K, Arc<V>, S>>,
{
    pub(crate) fn with_hasher(hasher: S) -> Self {
        Self {
            lock: L::new(HashedTable::with_hasher(hasher)),
            _marker: std::marker::PhantomData,
        }
    }

    pub(crate) fn with_capacity_and_hasher(capacity: usize, hasher: S) -> Self {
        Self {
            lock: L::new(HashedTable::with_capacity_and_hasher(capacity, hasher)),
            _marker: std::marker::PhantomData,
        }
    }
}

impl<K, V, S, L> LockedTable<K, V, S, L>
where
    K: Hash + Eq,
    S: BuildHasher,
    L: TableLock<HashedTable<K, Arc<V>, S>>,
{
    fn get_arc<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.lock.read().get(key).cloned()
    }

    fn insert_if_absent(&self, key: K, value: V) -> LoadOrStore<Arc<V>> {
        let value = Arc::new(value);
        let mut table = self.lock.write();
        // One `Hash` call, before the table changes; inserting runs no user code.
        let hash = table.hash(&key);
        if let Some(found) = table.get_hashed(hash, &key) {
            let found = Arc::clone(found);
            drop(table);
            // The offered key and value are dropped here, outside the lock.
            drop(key);
            drop(value);
            return LoadOrStore::Loaded(found);
        }
        table.insert_unique_hashed(hash, key, Arc::clone(&value));
        LoadOrStore::Stored(value)
    }

    /// Replaces or inserts; returns what was replaced. A present key is replaced in place and
    /// the offered key dropped after unlocking.
    fn replace(&self, key: K, value: V) -> Option<Arc<V>> {
        let value = Arc::new(value);
        let mut table = self.lock.write();
        let hash = table.hash(&key);
        if let Some(slot) = table.get_mut_hashed(hash, &key) {
            let previous = std::mem::replace(slot, value);
            drop(table);
            drop(key);
            return Some(previous);
        }
        table.insert_unique_hashed(hash, key, value);
        None
    }

    /// Removes `key`; the key and the value's `Arc` come back to be dropped after unlocking.
    fn remove<Q>(&self, key: &Q) -> Option<(K, Arc<V>)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.lock.write().remove_entry(key)
    }
}

/// Clones the value out of the `Arc`, after the lock is released. The clone is bound to a
/// local before the `Arc` drops, so a panicking `Drop` of the last reference unwinds through it
/// rather than leaking it (a temporary in a returned expression would be leaked:
/// rust-lang/rust#47949).
fn clone_value<V: Clone>(arc: Arc<V>) -> V {
    let value = V::clone(&arc);
    drop(arc);
    value
}

impl<K, V, S, L> ConcurrentMap<K, V> for LockedTable<K, V, S, L>
where
    K: Hash + Eq,
    S: BuildHasher,
    L: TableLock<HashedTable<K, Arc<V>, S>>,
{
    fn load_with<Q, R, F>(&self, key: &Q, f: F) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        F: FnOnce(&V) -> R,
    {
        self.get_arc(key).map(|arc| f(&arc))
    }

    fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.lock.read().contains_key(key)
    }

    fn store(&self, key: K, value: V) {
        drop(self.replace(key, value));
    }

    fn load_or_store(&self, key: K, value: V) -> LoadOrStore<V>
    where
        V: Clone,
    {
        self.insert_if_absent(key, value).map(clone_value)
    }

    fn load_or_store_with<F>(&self, key: K, make: F) -> LoadOrStore<V>
    where
        F: FnOnce() -> V,
        V: Clone,
    {
        // The builder must not run under the lock, so look first, build outside, then insert
        // only if nobody else did meanwhile.
        if let Some(found) = self.get_arc(&key) {
            // The key is dropped before the clone is built, so a panicking key `Drop` cannot
            // leak the returned value (rust-lang/rust#47949).
            drop(key);
            return LoadOrStore::Loaded(clone_value(found));
        }
        let value = make();
        self.insert_if_absent(key, value).map(clone_value)
    }

    fn load_and_delete<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        let (removed_key, arc) = self.remove(key)?;
        drop(removed_key);
        Some(clone_value(arc))
    }

    fn delete<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.remove(key).is_some()
    }

    fn swap(&self, key: K, value: V) -> Option<V>
    where
        V: Clone,
    {
        let previous = self.replace(key, value)?;
        Some(clone_value(previous))
    }

    fn compare_and_swap<Q>(&self, key: &Q, old: &V, new: V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        let new = Arc::new(new);
        loop {
            // Compare outside the lock; then swap only if the entry is still that allocation.
            let Some(current) = self.get_arc(key) else {
                return false;
            };
            if *current != *old {
                return false;
            }
            let mut table = self.lock.write();
            match table.get_mut(key) {
                Some(slot) if Arc::ptr_eq(slot, &current) => {
                    let replaced = std::mem::replace(slot, new);
                    drop(table);
                    drop(replaced);
                    return true;
                }
                // Replaced or deleted between the compare and the lock: look again.
                _ => continue,
            }
        }
    }

    fn compare_and_delete<Q>(&self, key: &Q, old: &V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        loop {
            let Some(current) = self.get_arc(key) else {
                return false;
            };
            if *current != *old {
                return false;
            }
            let mut table = self.lock.write();
            let still_current = table
                .get(key)
                .is_some_and(|slot| Arc::ptr_eq(slot, &current));
            if still_current {
                let removed = table.remove_entry(key);
                drop(table);
                drop(removed);
                return true;
            }
        }
    }

    fn range<F>(&self, mut f: F)
    where
        F: FnMut(&K, &V) -> bool,
        K: Clone,
        V: Clone,
    {
        // Copy the entries out (keys cloned, values shared) so `f` runs with no lock held.
        let entries: Vec<(K, Arc<V>)> = self
            .lock
            .read()
            .iter()
            .map(|(k, v)| (k.clone(), Arc::clone(v)))
            .collect();
        for (key, value) in &entries {
            if !f(key, value) {
                break;
            }
        }
    }

    fn clear(&self) {
        let mut table = self.lock.write();
        // Move the entries out so their drops run after the lock is released.
        let removed: Vec<(K, Arc<V>)> = table.drain().collect();
        drop(table);
        drop(removed);
    }

    fn len(&self) -> usize {
        self.lock.read().len()
    }
}

impl<K, V, S, L> std::fmt::Debug for LockedTable<K, V, S, L>
where
    K: std::fmt::Debug,
    V: std::fmt::Debug,
    L: TableLock<HashedTable<K, Arc<V>, S>>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Formatting runs user code; copying out would need `Clone`, so format under the lock
        // but never call back into the map from `Debug`.
        f.debug_map().entries(self.lock.read().iter()).finish()
    }
}
