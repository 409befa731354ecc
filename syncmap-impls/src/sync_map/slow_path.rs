//! Everything `SyncMap` does under `mu`: the second look at `read`, `dirty`, misses, promotion
//! and rebuilding `dirty`; and what is left to do once `mu` is released.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};

use smallvec::SmallVec;

use super::compaction::compacts;
use super::entry::{Entry, EntryPtr};
use super::offered::Offered;
use super::read_only::{ReadOnly, Table};
use super::reclaim::Guard;
use super::sync::Ordering;
use super::{DirtyState, SyncMap};
use super::{planted, prefetch};

/// What a locked section unlinked or set aside; released by [`SyncMap::release`] only after
/// `mu` is unlocked, because releasing runs user code (the `Drop` of a spare key; entries and
/// old `read` maps are retired, and their keys and values dropped later by the reclaimer).
#[must_use = "deferred objects must be released after unlocking"]
pub(super) struct Deferred<K, V> {
    /// A `read` map replaced by a promotion, a compacting rebuild of `dirty` or a clear, to
    /// retire.
    pub(super) old_read: Option<*mut ReadOnly<K, V>>,
    /// A key the operation did not need (it was already in the map).
    pub(super) spare_key: Option<K>,
    /// Entries that left the map for good, to retire, with their keys. Inline when there is
    /// one, the common case: a `Vec` cost a `malloc` and a `free` per locked delete.
    pub(super) dead_entries: SmallVec<[EntryPtr<K, V>; 1]>,
}

impl<K, V> Deferred<K, V> {
    pub(super) fn nothing() -> Self {
        Self {
            old_read: None,
            spare_key: None,
            dead_entries: SmallVec::new(),
        }
    }
}

impl<K, V, S> SyncMap<K, V, S> {
    /// Publishes `new` as `read`; the old one goes to `deferred`. Only under `mu`.
    pub(super) fn replace_read_locked(&self, new: ReadOnly<K, V>, deferred: &mut Deferred<K, V>) {
        let old = self
            .read
            .swap(Box::into_raw(Box::new(new)), Ordering::SeqCst);
        debug_assert!(deferred.old_read.is_none(), "one read replaced per section");
        deferred.old_read = Some(old);
    }

    /// Releases what a locked section set aside. Call only after unlocking `mu`.
    pub(super) fn release(&self, deferred: Deferred<K, V>, guard: &Guard<'_>) {
        let Deferred {
            old_read,
            spare_key,
            dead_entries,
        } = deferred;
        // Retiring runs no user code; it goes first, so that a panicking key `Drop` below
        // cannot leak the entries or the old `read`. Indexing the inline vector, rather than
        // consuming it, skips its iterator's drop glue on the path of every locked delete.
        for &entry in dead_entries.iter() {
            // SAFETY: the locked section collected each entry once, as it left the map for good.
            unsafe { entry.retire(guard) };
        }
        if let Some(old) = old_read {
            // SAFETY: `old` was the `read` box until `replace_read_locked` swapped it out, so
            // no operation that starts now can load it, and only that swap produced it.
            unsafe { guard.retire(old) };
        }
        drop(spare_key);
    }

    /// Go's `missLocked`: counts a miss and promotes `dirty` once misses reach its length.
    pub(super) fn miss_locked(
        &self,
        state: &mut DirtyState<K, V>,
        deferred: &mut Deferred<K, V>,
        guard: &Guard<'_>,
    ) {
        state.misses += 1;
        let dirty_len = state.dirty.as_ref().map_or(0, Table::len);
        if planted::promotion_is_due(state.misses, dirty_len) {
            self.promote_locked(state, deferred, guard);
        }
    }

    /// Makes `dirty` the new `read` in one pointer swap (Go: `m.read.Store(&readOnly{m:
    /// m.dirty})`), leaving no `dirty` until the next new key.
    pub(super) fn promote_locked(
        &self,
        state: &mut DirtyState<K, V>,
        deferred: &mut Deferred<K, V>,
        guard: &Guard<'_>,
    ) {
        state.misses = 0;
        // Only an amended `read` promotes, and amended implies a `dirty`.
        if let Some(dirty) = state.dirty.take() {
            self.counters.count_promotion();
            // The entries the rebuild expunged and no store revived are in the old `read`
            // only: they leave the map with it.
            for entry in state.expunged.drain(..) {
                if entry.get(guard).is_expunged() {
                    deferred.dead_entries.push(entry);
                }
            }
            self.replace_read_locked(ReadOnly::new(dirty), deferred);
        }
    }
}

impl<K, V, S> SyncMap<K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher,
{
    /// Go's `dirtyLocked`: when there is no `dirty`, builds one from `read`, expunging deleted
    /// entries and leaving them out. When they are many (see the `compaction` module), it also publishes a
    /// `read` without them, and they leave the map at once; otherwise they stay in `read` until
    /// the next promotion, as in Go. Returns `dirty` and the `read` that is now published.
    pub(super) fn dirty_locked<'s, 'g>(
        &'g self,
        state: &'s mut DirtyState<K, V>,
        mut read: &'g ReadOnly<K, V>,
        deferred: &mut Deferred<K, V>,
        guard: &'g Guard<'_>,
    ) -> (&'s mut Table<K, V>, &'g ReadOnly<K, V>) {
        if state.dirty.is_none() {
            let dirty = Self::rebuild_dirty(read, &mut state.expunged, guard);
            self.counters.count_dirty_rebuild();
            if compacts(state.expunged.len(), read.m.len()) {
                let mut compacted = Table::with_capacity(dirty.len());
                for (hash, entry) in dirty.slots() {
                    compacted.insert_unique_hashed(hash, entry);
                }
                deferred.dead_entries.extend(state.expunged.drain(..));
                self.counters.count_read_compaction();
                self.replace_read_locked(ReadOnly::new(compacted), deferred);
                if !planted::stale_read_after_compaction() {
                    read = self.load_read(guard);
                }
            }
            state.dirty = Some(dirty);
        }
        (state.dirty.as_mut().expect("just built"), read)
    }

    /// A new `dirty`: the entries of `read` that are not deleted. Deleted ones are expunged and
    /// go to `expunged`, still in `read`.
    ///
    /// The table is built by inserting the kept entries with their stored hashes (no key is
    /// cloned or hashed: no user code runs), sized for as many entries as `read` holds, deleted
    /// ones included, which leaves room for new keys (in the Exchange mix, `dirty` gains about
    /// that many before misses promote it). Cloning `read`'s table and then removing the
    /// expunged entries, as before, left a tombstone for most of them, so that new keys soon made
    /// the table rehash, often into twice the buckets; in the Exchange mix the clone and those
    /// rehashes took more cache misses than the walk itself.
    fn rebuild_dirty(
        read: &ReadOnly<K, V>,
        expunged: &mut Vec<EntryPtr<K, V>>,
        guard: &Guard<'_>,
    ) -> Table<K, V> {
        let mut dirty = Table::with_capacity(read.m.len());
        // The entries lie at random addresses, and the compare-and-swap that expunges a deleted
        // one waits for every earlier load: without a prefetch, each entry cost a full cache
        // miss in turn (about 40 ns each at 200,000 entries).
        let mut ahead = read.m.entries().skip(prefetch::DISTANCE);
        for (hash, entry) in read.m.slots() {
            if let Some(later) = ahead.next() {
                later.prefetch();
            }
            if !planted::rebuild_without_expunge() && entry.get(guard).try_expunge_locked() {
                expunged.push(entry);
            } else {
                dirty.insert_unique_hashed(hash, entry);
            }
        }
        dirty
    }

    /// Under `mu`, before storing into `entry`, found in `read` under `key`: if the entry is
    /// expunged, makes it deleted and puts it back into `dirty` (Go's `unexpungeLocked` and
    /// `m.dirty[key] = e`); otherwise the key is not needed and waits in `deferred`.
    pub(super) fn unexpunge_locked(
        &self,
        state: &mut DirtyState<K, V>,
        key: K,
        entry: EntryPtr<K, V>,
        deferred: &mut Deferred<K, V>,
        guard: &Guard<'_>,
    ) {
        // Only `mu`'s holder changes an entry's expunged state, so it cannot change between this
        // check and the unexpunge below.
        if !planted::store_without_unexpunge() && entry.get(guard).is_expunged() {
            // Expunged meant "not in dirty", which therefore exists. The entry goes into `dirty`
            // *before* it is unexpunged, so that a panic could never leave it live in `read` but
            // absent from `dirty` (a later lock-free store landed in it and vanished at the next
            // promotion: issue 14, point 1). The entry brings its key and hash, so the insert,
            // growth included, runs no user code at all.
            let dirty = state
                .dirty
                .as_mut()
                .expect("an expunged entry implies a dirty map");
            dirty.insert_unique(entry, guard);
            let unexpunged = entry.get(guard).unexpunge_locked();
            debug_assert!(unexpunged, "only mu's holder unexpunges");
        }
        deferred.spare_key = Some(key);
    }

    /// Before adding a key that `read` lacks: makes sure `dirty` exists and `read` says it is
    /// amended (Go: `if !read.amended { m.dirtyLocked(); m.read.Store(..amended: true) }`).
    /// Returns `dirty` and the `read` that is now published, which building `dirty` may have
    /// replaced.
    pub(super) fn amend_locked<'s, 'g>(
        &'g self,
        state: &'s mut DirtyState<K, V>,
        read: &'g ReadOnly<K, V>,
        deferred: &mut Deferred<K, V>,
        guard: &'g Guard<'_>,
    ) -> (&'s mut Table<K, V>, &'g ReadOnly<K, V>) {
        if read.amended() {
            let dirty = state
                .dirty
                .as_mut()
                .expect("an amended read implies a dirty map");
            return (dirty, read);
        }
        let (dirty, read) = self.dirty_locked(state, read, deferred, guard);
        read.set_amended_locked();
        (dirty, read)
    }

    /// Adds the offered key, found absent from `read` and from `dirty` under `mu`: makes sure
    /// `dirty` exists and `read` says it is amended, notes the key's hash in the new-key summary
    /// of the `read` now published (building `dirty` may have replaced the one given), and only
    /// then inserts its entry, so that no operation can see the key before a lock-free miss
    /// would send a lookup of it to `dirty` (see the `new_keys` module). Returns the entry.
    ///
    /// The offer becomes an entry only after `dirty` is built, so that nothing between the two
    /// can strand it (building once cloned the hasher, user code that could panic; it now
    /// copies pointers and hashes only). The insert itself uses the stored hash and runs no
    /// user code.
    pub(super) fn add_new_key_locked<'g>(
        &'g self,
        state: &mut DirtyState<K, V>,
        read: &'g ReadOnly<K, V>,
        hash: u64,
        offered: Offered<K, V>,
        deferred: &mut Deferred<K, V>,
        guard: &'g Guard<'_>,
    ) -> EntryPtr<K, V> {
        let (dirty, read) = self.amend_locked(state, read, deferred, guard);
        read.new_keys.note_locked(hash);
        let entry = offered.into_entry(hash);
        dirty.insert_unique(entry, guard);
        entry
    }

    /// The slow path of `load`, `load_and_delete`, `delete`, `compare_and_swap` and
    /// `compare_and_delete`, after the key was missed in `missed_in`: under `mu`, looks in `read`
    /// again (a promotion may have happened since the lock-free look) and then in `dirty`,
    /// counting a miss. With `remove`, the key is
    /// taken out of `dirty` (Go's fix of issue 40999).
    pub(super) fn find_locked<'g, Q>(
        &'g self,
        hash: u64,
        key: &Q,
        remove: bool,
        missed_in: &ReadOnly<K, V>,
        guard: &'g Guard<'_>,
    ) -> Option<&'g Entry<K, V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut deferred = Deferred::nothing();
        let found = {
            let mut state = self.mu.lock();
            let read = self.load_read(guard);
            // The keys of a published `read` never change: if it is still the one the lock-free
            // look missed in, the key is still absent from it and the second look can be
            // skipped. (The guard keeps that `read` allocated, so its address cannot be reused.)
            let second_look = if std::ptr::eq(read, missed_in) || planted::skip_second_read_check()
            {
                None
            } else {
                read.find(hash, key, guard)
            };
            match second_look {
                Some(entry) => Some(entry),
                None if !read.amended() => None,
                None => {
                    let dirty = state.dirty.as_mut()?;
                    let found = if remove && !planted::load_and_delete_keeps_dirty_key() {
                        // Out of `dirty` (Go's fix of issue 40999), and so out of the map: the
                        // entry is retired, which keeps it readable for this operation's guard.
                        dirty.remove(hash, key, guard).inspect(|&entry| {
                            deferred.dead_entries.push(entry);
                        })
                    } else {
                        dirty.find(hash, key, guard)
                    };
                    self.miss_locked(&mut state, &mut deferred, guard);
                    found
                }
            }
        };
        self.release(deferred, guard);
        found.map(|entry| entry.get(guard))
    }

    /// After a compare-and-delete emptied `entry`, a key found only in `dirty`: under `mu`, if
    /// the key is still absent from `read` and `dirty` still maps it to `entry`, still empty (no
    /// store revived it meanwhile, and stores reach a `dirty`-only entry under `mu` only), the
    /// key and the entry leave `dirty`, and so the map, as in `find_locked` with `remove`; then
    /// `dirty` is promoted if its misses now reach its smaller length.
    pub(super) fn forget_deleted_dirty_entry(&self, entry: &Entry<K, V>, guard: &Guard<'_>) {
        let (hash, key) = (entry.hash(), entry.key());
        let mut deferred = Deferred::nothing();
        {
            let mut state = self.mu.lock();
            let read = self.load_read(guard);
            if read.find(hash, key, guard).is_none()
                && let Some(dirty) = state.dirty.as_mut()
                && dirty
                    .find(hash, key, guard)
                    .is_some_and(|found| std::ptr::eq(found.get(guard), entry))
                && entry.load(guard).is_none()
                && let Some(dead) = dirty.remove(hash, key, guard)
            {
                deferred.dead_entries.push(dead);
                // A smaller `dirty` may now be due for promotion: keep `misses < len(dirty)`.
                let dirty_len = state.dirty.as_ref().map_or(0, Table::len);
                if state.misses > 0 && planted::promotion_is_due(state.misses, dirty_len) {
                    self.promote_locked(&mut state, &mut deferred, guard);
                }
            }
        }
        self.release(deferred, guard);
    }
}

impl<K, V, S> SyncMap<K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher,
{
    /// Checks the invariants that tie `read`, `dirty`, `misses` and the entry states together;
    /// the model-checking and stress tests call it between operations. Not part of the API.
    ///
    /// - an amended `read` implies a `dirty`;
    /// - with a `dirty`: every entry of `read` that is not expunged is in it (the same entry), no
    ///   expunged entry is in it, and `misses < len(dirty)` (reaching it promotes);
    /// - without a `dirty`: no entry is expunged and `misses == 0`.
    #[doc(hidden)]
    pub fn check_invariants(&self) -> Result<(), String> {
        let guard = self.reclaimer.enter();
        let state = self.mu.lock();
        let read = self.load_read(&guard);
        let expunged = read
            .m
            .entries()
            .filter(|entry| entry.get(&guard).is_expunged())
            .count();
        match &state.dirty {
            None if read.amended() => Err("read is amended but there is no dirty".into()),
            None if expunged > 0 => Err(format!("{expunged} expunged entries without a dirty")),
            None if state.misses > 0 => Err(format!("{} misses without a dirty", state.misses)),
            None => Ok(()),
            Some(dirty) => {
                if state.misses >= dirty.len().max(1) {
                    return Err(format!(
                        "{} misses did not promote a dirty of {}",
                        state.misses,
                        dirty.len()
                    ));
                }
                if dirty.entries().any(|entry| entry.get(&guard).is_expunged()) {
                    return Err("an expunged entry is in dirty".into());
                }
                for entry in read.m.entries() {
                    let e = entry.get(&guard);
                    let in_dirty = dirty.find(e.hash(), e.key(), &guard) == Some(entry);
                    if e.is_expunged() == in_dirty {
                        return Err(format!(
                            "an entry of read is {} and {} dirty",
                            if in_dirty { "expunged" } else { "live" },
                            if in_dirty { "in" } else { "not in" },
                        ));
                    }
                }
                Ok(())
            }
        }
    }
}
