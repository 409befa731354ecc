//! The reference map's table: entries in a `Vec`, found by `Eq`. It never calls `Hash`, so
//! growing never runs user code, which is what the kit's check of a panicking `Hash` asks of a
//! map; with `rehashes`, it grows as std's `HashMap` does instead (the planted flaw
//! `REHASHES_STORED_KEYS`): it calls `Hash` on every stored key, and a panic there drops the
//! entries not yet moved.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash, RandomState};

#[derive(Debug)]
pub(crate) struct Table<K, V> {
    entries: Vec<(K, V)>,
    rehashes: bool,
    /// Inserts so far, which scatter new entries over the table as a hash table would (a later
    /// key is not always after an earlier one), so that deletes move untouched entries.
    inserts: usize,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Self::new(false)
    }
}

impl<K, V> Table<K, V> {
    pub(crate) fn new(rehashes: bool) -> Self {
        Self {
            entries: Vec::new(),
            rehashes,
            inserts: 0,
        }
    }

    fn position<Q: Eq + ?Sized>(&self, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
    {
        self.entries.iter().position(|(k, _)| k.borrow() == key)
    }

    pub(crate) fn get<Q: Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.position(key).map(|i| &self.entries[i].1)
    }

    pub(crate) fn get_mut<Q: Eq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.position(key).map(|i| &mut self.entries[i].1)
    }

    pub(crate) fn remove<Q: Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        // `remove`, not `swap_remove`: later entries move to earlier positions, which is what
        // the flaw RANGE_BY_POSITION trips over.
        self.position(key).map(|i| self.entries.remove(i).1)
    }

    pub(crate) fn remove_entry<Q: Eq + ?Sized>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
    {
        self.position(key).map(|i| self.entries.remove(i))
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

impl<K: Hash + Eq, V> Table<K, V> {
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        if let Some(i) = self.position(&key) {
            return Some(std::mem::replace(&mut self.entries[i].1, value));
        }
        if self.rehashes {
            // As std's `HashMap::insert`: the new key's hash first, then growth.
            RandomState::new().hash_one(&key);
            if (self.entries.len() + 1).is_power_of_two() {
                let old = std::mem::take(&mut self.entries);
                for (k, v) in old {
                    // A panic here drops `old`'s remaining entries: they are lost.
                    RandomState::new().hash_one(&k);
                    self.entries.push((k, v));
                }
            }
        }
        self.inserts += 1;
        let at = self.inserts.wrapping_mul(2_654_435_761) % (self.entries.len() + 1);
        self.entries.insert(at, (key, value));
        None
    }
}
