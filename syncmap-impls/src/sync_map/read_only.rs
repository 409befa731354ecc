//! Go's `readOnly`: the map that readers use without a lock.

use super::sync::{AtomicBool, Ordering};

use super::entry::EntryPtr;
use super::new_keys::NewKeys;
use crate::hashed::HashedTable;

/// The shared table type of `read` and `dirty`: both point at the same entries. It keeps each
/// key's hash, so growing `dirty` or rehashing it never runs a key's `Hash` (issue 14, point 2).
pub(super) type Table<K, V, S> = HashedTable<K, EntryPtr<V>, S>;

/// The `read` map: its set of keys never changes once published (values change inside the
/// entries), and it is replaced as a whole when `dirty` is promoted or the map is cleared.
pub(super) struct ReadOnly<K, V, S> {
    pub(super) m: Table<K, V, S>,
    /// `true` if `dirty` holds a key that `m` does not. Go replaces the whole `readOnly` to set
    /// it; here it is an atomic flag set under `mu`, which lets `m` stay one allocation. Readers
    /// that still see `false` miss without locking, which linearizes them before the store that
    /// set it.
    amended: AtomicBool,
    /// The hashes of the keys `dirty` gained since this `read` was published, which lets a
    /// miss in an amended `read` skip the lock (see the `new_keys` module).
    pub(super) new_keys: NewKeys,
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
    table.into_keys()
}

impl<K, V, S> ReadOnly<K, V, S> {
    pub(super) fn new(m: Table<K, V, S>) -> Self {
        Self {
            new_keys: NewKeys::for_read_of(m.len()),
            m,
            amended: AtomicBool::new(false),
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

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::hash::{Hash, Hasher};
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::rc::Rc;

    use super::{ReadOnly, Table, into_keys};
    use crate::DefaultHashBuilder;
    use crate::sync_map::entry::EntryPtr;

    /// A key that counts its drops; the first one dropped panics.
    struct Key {
        k: u32,
        drops: Rc<Cell<u32>>,
    }

    impl Hash for Key {
        fn hash<H: Hasher>(&self, state: &mut H) {
            self.k.hash(state);
        }
    }

    impl PartialEq for Key {
        fn eq(&self, other: &Self) -> bool {
            self.k == other.k
        }
    }

    impl Eq for Key {}

    impl Drop for Key {
        fn drop(&mut self) {
            self.drops.set(self.drops.get() + 1);
            if self.drops.get() == 1 && !std::thread::panicking() {
                panic!("the first key dropped panics");
            }
        }
    }

    /// Eight keys, each with an entry that the test must free.
    #[allow(
        clippy::mutable_key_type,
        reason = "the drop counter is not part of the key's hash or equality"
    )]
    fn table(drops: &Rc<Cell<u32>>) -> (Table<Key, u32, DefaultHashBuilder>, Vec<EntryPtr<u32>>) {
        let mut m = Table::with_hasher(DefaultHashBuilder::default());
        let mut entries = Vec::new();
        for k in 0..8 {
            let entry = EntryPtr::new(k);
            entries.push(entry);
            let drops = Rc::clone(drops);
            m.insert(Key { k, drops }, entry);
        }
        (m, entries)
    }

    fn free(entries: Vec<EntryPtr<u32>>) {
        for entry in entries {
            // SAFETY: made by `table` and never put into a map, so nothing else can reach it.
            unsafe { entry.free() };
        }
    }

    #[test]
    fn a_dropped_read_drops_every_key_even_when_one_panics() {
        let drops = Rc::new(Cell::new(0));
        let (m, entries) = table(&drops);
        let read = ReadOnly::new(m);
        assert!(catch_unwind(AssertUnwindSafe(|| drop(read))).is_err());
        assert_eq!(drops.get(), 8, "a table would stop at the panicking key");
        free(entries);
    }

    #[test]
    fn into_keys_moves_every_key_out() {
        let drops = Rc::new(Cell::new(1)); // no panics
        let (m, entries) = table(&drops);
        let mut keys: Vec<u32> = into_keys(m).iter().map(|key| key.k).collect();
        keys.sort_unstable();
        assert_eq!(keys, (0..8).collect::<Vec<_>>());
        assert_eq!(drops.get(), 9);
        free(entries);
    }
}
