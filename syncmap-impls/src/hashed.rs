//! [`HashedTable`]: the hash table of every map, which stores each entry's hash beside it.
//!
//! std's `HashMap` keeps no hashes: to grow, or to rehash in place when deletions have left too
//! many tombstones, it calls `Hash` on every key again, user code that may panic, and a panic in
//! the middle of an in-place rehash drops every entry not yet moved (issue 14, point 2: a store
//! of one key lost others, and `SyncMap`, whose tables hold entry pointers, leaked their values).
//! Here growing and rehashing read the stored hash and never run user code. `Hash` runs once per
//! operation, on the key it was given, before the table is touched; `Eq` runs only while probing
//! for that key. A panic in either leaves the table as it was.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};

use hashbrown::HashTable;

/// An entry with the hash of its key.
#[derive(Clone)]
struct Slot<K, V> {
    hash: u64,
    key: K,
    value: V,
}

/// The stored hash, which is all that growing and rehashing need.
fn stored_hash<K, V>(slot: &Slot<K, V>) -> u64 {
    slot.hash
}

/// A map of `K` to `V` hashed by `S`, with the subset of `HashMap`'s API the maps use. Cloning
/// copies it slot for slot, hashes included, without hashing a key.
#[derive(Clone)]
pub(crate) struct HashedTable<K, V, S> {
    table: HashTable<Slot<K, V>>,
    hasher: S,
}

impl<K, V, S> HashedTable<K, V, S> {
    pub(crate) fn with_hasher(hasher: S) -> Self {
        Self {
            table: HashTable::new(),
            hasher,
        }
    }

    pub(crate) fn with_capacity_and_hasher(capacity: usize, hasher: S) -> Self {
        Self {
            table: HashTable::with_capacity(capacity),
            hasher,
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// The entries, in table order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.table.iter().map(|slot| (&slot.key, &slot.value))
    }

    /// Moves every entry out, leaving the table empty (its allocation kept).
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = (K, V)> {
        self.table.drain().map(|slot| (slot.key, slot.value))
    }
}

impl<K, V, S: BuildHasher> HashedTable<K, V, S> {
    /// The hash of `key`: the only call of `Hash` an operation makes. Clones of one hasher give
    /// the same hash, so a hash may be used with every table built from such clones.
    #[inline(always)]
    pub(crate) fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The entry of `key`, whose hash is `hash`.
    #[inline(always)]
    pub(crate) fn get_hashed<Q>(&self, hash: u64, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        // No comparison of the stored hash first: the table's 7-bit tags already filter almost
        // every other slot, and on the read path the extra load cost more than the `Eq` it
        // saves for the small keys registries use.
        self.table
            .find(hash, |slot| *key == *slot.key.borrow())
            .map(|slot| &slot.value)
    }

    #[inline(always)]
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        // As std does, an empty table answers without hashing.
        if self.table.is_empty() {
            return None;
        }
        self.get_hashed(self.hash(key), key)
    }

    #[inline]
    pub(crate) fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get(key).is_some()
    }

    /// The entry of `key`, whose hash is `hash`, for writing.
    #[inline]
    pub(crate) fn get_mut_hashed<Q>(&mut self, hash: u64, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.table
            .find_mut(hash, |slot| slot.hash == hash && *key == *slot.key.borrow())
            .map(|slot| &mut slot.value)
    }

    #[inline]
    pub(crate) fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.table.is_empty() {
            return None;
        }
        self.get_mut_hashed(self.hash(key), key)
    }

    /// Inserts `key`, whose hash is `hash`, which the caller found absent. Runs no user code,
    /// growing included.
    #[inline]
    pub(crate) fn insert_unique_hashed(&mut self, hash: u64, key: K, value: V) -> &mut V {
        let slot = Slot { hash, key, value };
        &mut self
            .table
            .insert_unique(hash, slot, stored_hash)
            .into_mut()
            .value
    }

    /// Removes `key`; returns the stored key and its value.
    pub(crate) fn remove_entry<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.table.is_empty() {
            return None;
        }
        let hash = self.hash(key);
        let found = self
            .table
            .find_entry(hash, |slot| slot.hash == hash && *key == *slot.key.borrow());
        let (slot, _) = found.ok()?.remove();
        Some((slot.key, slot.value))
    }
}
