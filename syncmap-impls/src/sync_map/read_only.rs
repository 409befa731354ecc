//! Go's `readOnly`: the map that readers use without a lock.

use std::borrow::Borrow;

use super::sync::{AtomicBool, Ordering};

use super::entry::EntryPtr;
use super::entry_table::EntryTable;
use super::new_keys::NewKeys;
use super::reclaim::Guard;
use super::small_index::SmallIndex;

/// The shared table type of `read` and `dirty`: both point at the same entries, which own
/// their keys and hashes. Growing it reads stored hashes and never runs a key's `Hash` (issue
/// 14, point 2); rebuilding `dirty` from it copies pointers and never clones a key.
pub(super) type Table<K, V> = EntryTable<K, V>;

/// The `read` map: its set of keys never changes once published (values change inside the
/// entries), and it is replaced as a whole when `dirty` is promoted, when a rebuild of `dirty`
/// compacts it, or when the map is cleared.
/// Dropping it frees only its table: the entries, and so the keys, are the map's.
pub(super) struct ReadOnly<K, V> {
    pub(super) m: Table<K, V>,
    /// `true` if `dirty` holds a key that `m` does not. Go replaces the whole `readOnly` to set
    /// it; here it is an atomic flag set under `mu`, which lets `m` stay one allocation. Readers
    /// that still see `false` miss without locking, which linearizes them before the store that
    /// set it. A `read` that a compacting rebuild replaces never gets the flag (a rebuild runs
    /// only while `read` is not amended, and the new key is noted in the new `read`): `dirty`
    /// held none of its missing keys while it was published, so a reader that loaded it and
    /// misses linearizes at that load.
    amended: AtomicBool,
    /// The hashes of the keys `dirty` gained since this `read` was published, which lets a
    /// miss in an amended `read` skip the lock (see the `new_keys` module).
    pub(super) new_keys: NewKeys,
    /// The perfect-hash index of `m`'s keys when `m` is small (see the `small_index` module):
    /// lookups use it instead of `m`.
    small: Option<SmallIndex<K, V>>,
}

impl<K, V> ReadOnly<K, V> {
    pub(super) fn new(m: Table<K, V>) -> Self {
        Self {
            new_keys: NewKeys::for_read_of(m.len()),
            small: SmallIndex::build(&m),
            m,
            amended: AtomicBool::new(false),
        }
    }

    /// Whether lookups use the small index.
    #[cfg(test)]
    pub(super) fn is_indexed(&self) -> bool {
        self.small.is_some()
    }

    /// The entry of `key`, whose hash is `hash`, if this `read` has it; the entries are read
    /// under `guard`. Through the small index where there is one, else the table.
    #[inline(always)]
    pub(super) fn find<Q>(&self, hash: u64, key: &Q, guard: &Guard<'_>) -> Option<EntryPtr<K, V>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        match &self.small {
            Some(index) => index.find(hash, key, guard),
            None => self.m.find(hash, key, guard),
        }
    }

    /// `true` if a key of `hash` that this `read` lacks may be in `dirty`: the key must then be
    /// looked up under `mu`. `false` means that a miss in this `read` is a miss in the map.
    #[inline]
    pub(super) fn may_be_in_dirty(&self, hash: u64) -> bool {
        self.amended() && self.new_keys.may_contain(hash)
    }

    #[inline]
    pub(super) fn amended(&self) -> bool {
        self.amended.load(Ordering::Acquire)
    }

    /// Marks that `dirty` now holds a key `m` lacks. Only under `mu`.
    pub(super) fn set_amended_locked(&self) {
        self.amended.store(true, Ordering::Release);
    }
}
