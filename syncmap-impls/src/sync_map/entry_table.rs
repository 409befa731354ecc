//! [`EntryTable`]: the table type of `read` and `dirty`, a hash table of entry pointers.
//!
//! Each slot holds an entry pointer and its key's hash; the key lives in the entry. So:
//!
//! - **rebuilding `dirty` copies slots**, 16 bytes each, with their stored hashes, and never
//!   clones or hashes a key (before, every rebuild cloned every key of `read`, an allocation per
//!   `String` key, and `SyncMap` needed `K: Clone`);
//! - **growing never runs user code or touches an entry**: it reads the stored hashes;
//! - **a lookup compares the stored hash first**, then the key in the entry, which it reads
//!   next anyway for the value.
//!
//! Entries are not the table's: the map frees them through its reclaimer. A table only reads
//! them, so every method that looks at a key takes the guard that keeps the entries alive.

use std::borrow::Borrow;

use hashbrown::HashTable;

use super::entry::EntryPtr;
use super::reclaim::Guard;

/// A slot: an entry and its key's hash.
struct Slot<K, V> {
    hash: u64,
    entry: EntryPtr<K, V>,
}

// Derived `Clone`/`Copy` would require `K: Copy` and `V: Copy`.
impl<K, V> Clone for Slot<K, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K, V> Copy for Slot<K, V> {}

/// The stored hash, which is all that growing needs.
fn stored_hash<K, V>(slot: &Slot<K, V>) -> u64 {
    slot.hash
}

/// A set of entries keyed by their keys.
///
/// It holds no hasher: callers hash with the map's, once per operation, and growing reads the
/// stored hashes. So a rebuild of `dirty` runs no user code at all, a hasher's `Clone` included.
pub(super) struct EntryTable<K, V> {
    table: HashTable<Slot<K, V>>,
}

impl<K, V> EntryTable<K, V> {
    pub(super) fn new() -> Self {
        Self {
            table: HashTable::new(),
        }
    }

    /// An empty table with room for `capacity` entries before it grows.
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Self {
            table: HashTable::with_capacity(capacity),
        }
    }

    #[inline]
    pub(super) fn len(&self) -> usize {
        self.table.len()
    }

    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The entries with their stored hashes, in table order.
    pub(super) fn slots(&self) -> impl Iterator<Item = (u64, EntryPtr<K, V>)> + '_ {
        self.table.iter().map(|slot| (slot.hash, slot.entry))
    }

    /// The entries, in table order.
    pub(super) fn entries(&self) -> impl Iterator<Item = EntryPtr<K, V>> + '_ {
        self.table.iter().map(|slot| slot.entry)
    }

    /// The entry of `key`, whose hash is `hash`; the entries are read under `guard`.
    #[inline(always)]
    pub(super) fn find<Q>(&self, hash: u64, key: &Q, guard: &Guard<'_>) -> Option<EntryPtr<K, V>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.table
            .find(hash, |slot| {
                slot.hash == hash && *key == *slot.entry.get(guard).key().borrow()
            })
            .map(|slot| slot.entry)
    }

    /// Adds `entry`, whose key the caller found absent. Runs no user code, growth included.
    #[inline]
    pub(super) fn insert_unique(&mut self, entry: EntryPtr<K, V>, guard: &Guard<'_>) {
        self.insert_unique_hashed(entry.get(guard).hash(), entry);
    }

    /// [`insert_unique`](Self::insert_unique) of an entry whose stored hash is `hash`.
    #[inline]
    pub(super) fn insert_unique_hashed(&mut self, hash: u64, entry: EntryPtr<K, V>) {
        self.table
            .insert_unique(hash, Slot { hash, entry }, stored_hash);
    }

    /// Removes the entry of `key`, whose hash is `hash`, and returns it.
    pub(super) fn remove<Q>(
        &mut self,
        hash: u64,
        key: &Q,
        guard: &Guard<'_>,
    ) -> Option<EntryPtr<K, V>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let found = self.table.find_entry(hash, |slot| {
            slot.hash == hash && *key == *slot.entry.get(guard).key().borrow()
        });
        let (slot, _) = found.ok()?.remove();
        Some(slot.entry)
    }
}
