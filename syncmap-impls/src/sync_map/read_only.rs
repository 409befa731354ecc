//! Go's `readOnly`: the map that readers use without a lock.

use super::sync::{AtomicBool, Ordering};
use std::collections::HashMap;

use super::entry::EntryPtr;

/// The shared table type of `read` and `dirty`: both point at the same entries.
pub(super) type Table<K, V, S> = HashMap<K, EntryPtr<V>, S>;

/// The `read` map: its set of keys never changes once published (values change inside the
/// entries), and it is replaced as a whole when `dirty` is promoted or the map is cleared.
pub(super) struct ReadOnly<K, V, S> {
    pub(super) m: Table<K, V, S>,
    /// `true` if `dirty` holds a key that `m` does not. Go replaces the whole `readOnly` to set
    /// it; here it is an atomic flag set under `mu`, which lets `m` stay one allocation. Readers
    /// that still see `false` miss without locking, which linearizes them before the store that
    /// set it.
    amended: AtomicBool,
}

impl<K, V, S> Drop for ReadOnly<K, V, S> {
    fn drop(&mut self) {
        // A table stops dropping its keys at the first `Drop` that panics and leaks the rest; a
        // vector keeps going. Entries are not the table's to free (the map owns them).
        if std::mem::needs_drop::<K>() {
            let keys: Vec<K> = self.m.drain().map(|(key, _)| key).collect();
            drop(keys);
        }
    }
}

/// The keys of a table, moved into a vector: dropping it drops every key even if one `Drop`
/// panics.
pub(super) fn into_keys<K, V, S>(table: Table<K, V, S>) -> Vec<K> {
    table.into_keys().collect()
}

impl<K, V, S> ReadOnly<K, V, S> {
    pub(super) fn new(m: Table<K, V, S>) -> Self {
        Self {
            m,
            amended: AtomicBool::new(false),
        }
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
