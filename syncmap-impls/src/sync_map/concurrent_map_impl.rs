//! `ConcurrentMap` for `SyncMap`: Go 1.19's `Load`, `Store`, `LoadOrStore`, `LoadAndDelete`,
//! `Delete` and `Range`, Go 1.20's `Swap`, `CompareAndSwap` and `CompareAndDelete`, and Go
//! 1.23's `Clear`, method for method.
//!
//! Each method takes one guard first and drops it last, after `mu` is unlocked; values are
//! cloned and compared only after unlocking, and unlinked values are retired only then.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};
use std::ops::DerefMut;

use smallvec::SmallVec;
use syncmap_core::{ConcurrentMap, LoadOrStore};

use super::entry::{Entry, EntryPtr, TryLoadOrStore, Unlinked};
use super::live_entries;
use super::offered::Offered;
use super::planted;
use super::read_only::{ReadOnly, Table};
use super::reclaim::Guard;
use super::slow_path::Deferred;
use super::{DirtyState, SyncMap};

/// What `lock_and_find_or_add` found under `mu`.
enum Found<K, V> {
    /// The key has an entry (in `read`, revived if it was expunged, or in `dirty` only); the
    /// offered value comes back.
    Existing {
        entry: EntryPtr<K, V>,
        in_dirty_only: bool,
        value: V,
    },
    /// The key was new: its entry, holding the offered value, is in `dirty` now.
    Added(EntryPtr<K, V>),
}

/// What the locked half of `load_or_store` found or did. The references stay valid until the
/// guard ends, even if the entry leaves the map once `mu` is released.
enum LockedLoadOrStore<'g, V> {
    /// Present already: the value found, and the offered value to drop after unlocking.
    Loaded(&'g V, V),
    /// Stored into the entry.
    Stored(&'g V),
}

impl<K, V, S> SyncMap<K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher,
{
    /// Looks `key` up in `read` and, when `read` is amended, under the lock. Always inlined:
    /// left to LLVM, the stored-hash table's lookup made it a call on every read (perf: a
    /// registry field read went from 5 to 10 ns).
    #[inline(always)]
    fn find<'g, Q>(&'g self, key: &Q, remove: bool, guard: &'g Guard<'_>) -> Option<&'g Entry<K, V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let read = self.load_read(guard);
        let hash = self.hasher.hash_one(key);
        match read.find(hash, key, guard) {
            Some(entry) => Some(entry.get(guard)),
            // The new-key summary answers most misses of an amended `read` without `mu`.
            None if read.may_be_in_dirty(hash) => self.find_locked(hash, key, remove, read, guard),
            None => None,
        }
    }

    /// The second look at `read` under `mu`, skipped when `read` is still the map the lock-free
    /// look missed the key in: a published `read` never changes its keys, and the guard keeps it
    /// allocated, so its address cannot have been reused.
    /// `hash` is the key's hash, computed once per operation with the map's one hasher, which
    /// every table's stored hashes came from.
    fn look_again(
        read: &ReadOnly<K, V>,
        missed_in: Option<&ReadOnly<K, V>>,
        hash: u64,
        key: &K,
        guard: &Guard<'_>,
    ) -> Option<EntryPtr<K, V>> {
        match missed_in {
            Some(missed_in) if std::ptr::eq(read, missed_in) => None,
            _ => read.find(hash, key, guard),
        }
    }

    /// Runs `f` under a guard that ends with this call. The guard ends with its block, and the
    /// result is a local by then, which matters twice over (see `load_with`): moving a guard
    /// into `drop(guard)` made the compiler copy it through the stack with a wider load than
    /// the stores that wrote it, a failed store-to-load forward (perf put most samples of a
    /// `store` in RapidGrow on it; the whole-workload figure moved within noise once it was
    /// gone); and a result returned past a guard whose end panics would leak (every method's
    /// early return did).
    #[inline(always)]
    fn with_guard<R>(&self, f: impl FnOnce(&Guard<'_>) -> R) -> R {
        let result;
        {
            let guard = self.reclaimer.enter();
            result = f(&guard);
        }
        result
    }

    /// The locked lookup that `store`, `swap` and `load_or_store` share: takes `mu`, looks for
    /// the offered key in `read` again (unexpunging an entry found there) and then in `dirty`,
    /// and adds it as a new entry if neither has it. When the entry exists, the offered key
    /// waits in `deferred` to be dropped after unlocking, and the value comes back to be stored
    /// or loaded against. Returns the held lock and the `read` published when it is done (adding
    /// a key may have replaced the one it looked in), for the caller to finish its locked section
    /// with.
    #[allow(
        clippy::type_complexity,
        reason = "the lock, the `read` and the finding: three things the caller uses apart"
    )]
    fn lock_and_find_or_add<'g>(
        &'g self,
        missed_in: Option<&ReadOnly<K, V>>,
        hash: u64,
        offered: Offered<K, V>,
        deferred: &mut Deferred<K, V>,
        guard: &'g Guard<'_>,
    ) -> (
        impl DerefMut<Target = DirtyState<K, V>> + 'g,
        &'g ReadOnly<K, V>,
        Found<K, V>,
    ) {
        let mut state = self.mu.lock();
        let found = self.find_or_add_in(
            &mut state,
            self.load_read(guard),
            missed_in,
            hash,
            offered,
            deferred,
            guard,
        );
        // Adding a key may have rebuilt `dirty` and published a compacted `read`.
        (state, self.load_read(guard), found)
    }

    /// `lock_and_find_or_add` once `mu` is held.
    #[allow(
        clippy::too_many_arguments,
        reason = "one locked section's state, passed through"
    )]
    fn find_or_add_in(
        &self,
        state: &mut DirtyState<K, V>,
        read: &ReadOnly<K, V>,
        missed_in: Option<&ReadOnly<K, V>>,
        hash: u64,
        offered: Offered<K, V>,
        deferred: &mut Deferred<K, V>,
        guard: &Guard<'_>,
    ) -> Found<K, V> {
        let key = offered.key(guard);
        if let Some(entry) = Self::look_again(read, missed_in, hash, key, guard) {
            let (key, value) = offered.into_parts();
            self.unexpunge_locked(state, key, entry, deferred, guard);
            Found::Existing {
                entry,
                in_dirty_only: false,
                value,
            }
        } else if let Some(entry) = state
            .dirty
            .as_ref()
            .and_then(|dirty| dirty.find(hash, key, guard))
        {
            let (key, value) = offered.into_parts();
            deferred.spare_key = Some(key);
            Found::Existing {
                entry,
                in_dirty_only: true,
                value,
            }
        } else {
            Found::Added(self.add_new_key_locked(state, read, hash, offered, deferred, guard))
        }
    }

    /// Clones an unlinked value out (when asked) and retires it (also if the clone panics).
    fn take_unlinked(unlinked: Unlinked<'_, '_, V>, clone: bool) -> Option<V>
    where
        V: Clone,
    {
        let value = clone.then(|| unlinked.value().clone());
        drop(unlinked);
        value
    }

    /// `store` and `swap`: Go 1.20's `Swap`. Returns the previous value, unlinked.
    fn swap_entry<'g, 'r>(
        &self,
        key: K,
        value: V,
        guard: &'g Guard<'r>,
    ) -> Option<Unlinked<'g, 'r, V>> {
        let read = self.load_read(guard);
        // The key's one `Hash` call: the locked section below reuses it, so it runs no `Hash`.
        let hash = self.hasher.hash_one(&key);
        let offered = match read.find(hash, &key, guard) {
            Some(entry) => match entry.get(guard).try_swap(value, guard) {
                Ok(previous) => {
                    // Dropped before returning: a panicking key `Drop` then unwinds through
                    // `previous`, which retires it, instead of leaking it.
                    drop(key);
                    return previous;
                }
                Err(value) => Offered::parts(key, value),
            },
            None => Offered::for_key_missing_from_read(hash, key, value),
        };
        let missed_in = offered.is_new_entry().then_some(read);
        let mut deferred = Deferred::nothing();
        let previous = {
            let (state, read, found) =
                self.lock_and_find_or_add(missed_in, hash, offered, &mut deferred, guard);
            match found {
                Found::Existing { entry, value, .. } => entry.get(guard).swap_locked(value, guard),
                Found::Added(_) => {
                    drop(state);
                    read.new_keys.note_late(hash);
                    None
                }
            }
        };
        self.release(deferred, guard);
        previous
    }

    /// The locked half of Go's `LoadOrStore`.
    fn load_or_store_locked<'g>(
        &'g self,
        hash: u64,
        offered: Offered<K, V>,
        missed_in: Option<&ReadOnly<K, V>>,
        guard: &'g Guard<'_>,
    ) -> LockedLoadOrStore<'g, V> {
        let mut deferred = Deferred::nothing();
        let outcome = {
            let (mut state, read, found) =
                self.lock_and_find_or_add(missed_in, hash, offered, &mut deferred, guard);
            let (entry, in_dirty_only, value) = match found {
                Found::Existing {
                    entry,
                    in_dirty_only,
                    value,
                } => (entry, in_dirty_only, value),
                Found::Added(entry) => {
                    // Read the value while `mu` still hides the entry from every other writer: once
                    // it is released a delete may empty the entry (the value itself stays readable
                    // under the guard, which is why the reference is good after unlocking).
                    let stored = entry
                        .get(guard)
                        .load(guard)
                        .expect("a new entry holds its value");
                    drop(state);
                    read.new_keys.note_late(hash);
                    self.release(deferred, guard);
                    return LockedLoadOrStore::Stored(stored);
                }
            };
            let outcome = match entry.get(guard).try_load_or_store(value, guard) {
                TryLoadOrStore::Loaded(found, offered) => LockedLoadOrStore::Loaded(found, offered),
                TryLoadOrStore::Stored(stored) => LockedLoadOrStore::Stored(stored),
                TryLoadOrStore::Expunged(_) => {
                    unreachable!("only mu expunges, and the entry is in dirty")
                }
            };
            if in_dirty_only {
                self.miss_locked(&mut state, &mut deferred, guard);
            }
            outcome
        };
        self.release(deferred, guard);
        outcome
    }

    /// Go's `LoadOrStore`, taking the offered value as a closure for `load_or_store_with`:
    /// `make` runs only once the key has been found absent (in `read`, or under the lock in
    /// `dirty`), and never under `mu`.
    ///
    /// `lazy` says that `make` is worth avoiding (`load_or_store_with`): a key missing from `read`
    /// is then looked up in `dirty` under the lock before `make` runs. For `load_or_store`,
    /// whose value is already built, the locked section alone decides, as in Go.
    fn load_or_store_impl(&self, key: K, lazy: bool, make: impl FnOnce() -> V) -> LoadOrStore<V>
    where
        V: Clone,
    {
        self.with_guard(|guard| self.load_or_store_guarded(key, lazy, make, guard))
    }

    /// `load_or_store_impl` under `guard`.
    fn load_or_store_guarded(
        &self,
        key: K,
        lazy: bool,
        make: impl FnOnce() -> V,
        guard: &Guard<'_>,
    ) -> LoadOrStore<V>
    where
        V: Clone,
    {
        // Every return below drops the unused key and offer before building its result, so a
        // panicking `Drop` of theirs unwinds through a local instead of leaking the returned
        // clone (rust-lang/rust#47949).
        let read = self.load_read(guard);
        // The key's one `Hash` call on this path: the locked section reuses it.
        let hash = self.hasher.hash_one(&key);
        let offered = match read.find(hash, &key, guard) {
            Some(entry) => {
                let entry = entry.get(guard);
                if let Some(found) = entry.load(guard) {
                    let found = found.clone();
                    drop(make);
                    drop(key);
                    return LoadOrStore::Loaded(found);
                }
                let value = make();
                match entry.try_load_or_store(value, guard) {
                    TryLoadOrStore::Loaded(found, offered) => {
                        let found = found.clone();
                        drop(offered);
                        drop(key);
                        return LoadOrStore::Loaded(found);
                    }
                    TryLoadOrStore::Stored(stored) => {
                        let stored = stored.clone();
                        drop(key);
                        return LoadOrStore::Stored(stored);
                    }
                    TryLoadOrStore::Expunged(value) => Offered::parts(key, value),
                }
            }
            None => {
                // The key may be in `dirty`: look under the lock before building, so that `make`
                // runs only for a key found absent.
                if lazy
                    && read.may_be_in_dirty(hash)
                    && let Some(entry) = self.find_locked(hash, &key, false, read, guard)
                    && let Some(found) = entry.load(guard)
                {
                    let found = found.clone();
                    drop(make);
                    drop(key);
                    return LoadOrStore::Loaded(found);
                }
                Offered::for_key_missing_from_read(hash, key, make())
            }
        };
        // The key was missed in this `read` unless the lock-free look found it expunged.
        let missed_in = offered.is_new_entry().then_some(read);
        match self.load_or_store_locked(hash, offered, missed_in, guard) {
            LockedLoadOrStore::Loaded(found, offered) => {
                let found = found.clone();
                drop(offered);
                LoadOrStore::Loaded(found)
            }
            LockedLoadOrStore::Stored(stored) => LoadOrStore::Stored(stored.clone()),
        }
    }

    /// Go's `LoadAndDelete`; clones the deleted value only when asked.
    fn load_and_delete_impl<Q>(&self, key: &Q, clone: bool) -> Option<Option<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        self.with_guard(|guard| {
            let entry = self.find(key, true, guard)?;
            let unlinked = entry.delete(guard)?;
            Some(Self::take_unlinked(unlinked, clone))
        })
    }
}

impl<K, V, S> ConcurrentMap<K, V> for SyncMap<K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher,
{
    #[inline]
    fn load_with<Q, R, F>(&self, key: &Q, f: F) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        F: FnOnce(&V) -> R,
    {
        // The guard ends with its block, before the function returns, and `result` is a local
        // of the function by then. Both matter:
        // - moving the guard into `drop(guard)` made the compiler copy it through the stack
        //   (wider loads over narrower stores, a failed store-to-load forward that doubled the
        //   cost of a registry field read);
        // - returning the value as the tail expression with the guard still alive leaked it
        //   when the guard's end ran a collection whose `Drop` panicked (rustc drops no
        //   computed return value when a later local's destructor unwinds, rust-lang/rust#47949;
        //   `sync_map_survives_panicking_drops` found it).
        let result;
        {
            let guard = self.reclaimer.enter();
            result = match self.find(key, false, &guard) {
                Some(entry) => entry.load(&guard).map(f),
                None => None,
            };
        }
        result
    }

    fn store(&self, key: K, value: V) {
        self.with_guard(|guard| {
            if let Some(previous) = self.swap_entry(key, value, guard) {
                drop(previous);
            }
        })
    }

    fn load_or_store(&self, key: K, value: V) -> LoadOrStore<V>
    where
        V: Clone,
    {
        self.load_or_store_impl(key, false, || value)
    }

    fn load_or_store_with<F>(&self, key: K, make: F) -> LoadOrStore<V>
    where
        F: FnOnce() -> V,
        V: Clone,
    {
        self.load_or_store_impl(key, true, make)
    }

    fn load_and_delete<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        self.load_and_delete_impl(key, true).flatten()
    }

    fn delete<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.with_guard(|guard| {
            let Some(entry) = self.find(key, true, guard) else {
                return false;
            };
            // The unlinked value, if any, is reclaimed as the temporary drops.
            entry.delete(guard).is_some()
        })
    }

    fn swap(&self, key: K, value: V) -> Option<V>
    where
        V: Clone,
    {
        self.with_guard(|guard| {
            let previous = self.swap_entry(key, value, guard);
            previous.and_then(|unlinked| Self::take_unlinked(unlinked, true))
        })
    }

    fn compare_and_swap<Q>(&self, key: &Q, old: &V, new: V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        self.with_guard(|guard| {
            let Some(entry) = self.find(key, false, guard) else {
                return planted::cas_on_absent_key();
            };
            // Outside `mu`, unlike Go: the compare runs user code, and a compare-and-swap never
            // revives a deleted entry, so one that left `dirty` meanwhile simply fails.
            match entry.try_compare_and_swap(old, new, guard) {
                Ok(unlinked) => {
                    drop(unlinked);
                    true
                }
                Err(new) => {
                    drop(new);
                    false
                }
            }
        })
    }

    fn compare_and_delete<Q>(&self, key: &Q, old: &V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        self.with_guard(|guard| {
            // The compare runs the value's `PartialEq`, user code that must not run under `mu`, so
            // the key is looked up first and compared outside the lock.
            let Some(entry) = self.find(key, false, guard) else {
                return false;
            };
            // The unlinked value, if any, is reclaimed as the temporary drops.
            let deleted = entry.try_compare_and_delete(old, guard).is_some();
            // Go 1.20 to 1.23 leave a key found only in `dirty` there after a successful
            // compare-and-delete, so `dirty` grows without bound under store + compare-and-delete
            // churn (their issue 40999, fixed for `LoadAndDelete` only). Take it out, as
            // `load_and_delete` does; a key in `read` is expunged at the next rebuild instead.
            if deleted
                && !planted::compare_and_delete_keeps_dirty_key()
                && self
                    .load_read(guard)
                    .find::<K>(entry.hash(), entry.key(), guard)
                    .is_none()
            {
                self.forget_deleted_dirty_entry(entry, guard);
            }
            deleted
        })
    }

    fn range<F>(&self, mut f: F)
    where
        F: FnMut(&K, &V) -> bool,
        K: Clone,
        V: Clone,
    {
        self.with_guard(|guard| {
            let mut read = self.load_read(guard);
            if read.amended() {
                // Go: promote first, so that the walk below sees every key and later loads are
                // served from `read` (a range is O(n) anyway, which amortises the copy to come).
                let mut deferred = Deferred::nothing();
                {
                    let mut state = self.mu.lock();
                    read = self.load_read(guard);
                    if read.amended() {
                        self.promote_locked(&mut state, &mut deferred, guard);
                        read = self.load_read(guard);
                    }
                }
                self.release(deferred, guard);
            }
            for entry in read.m.entries() {
                let entry = entry.get(guard);
                if let Some(value) = entry.load(guard)
                    && !f(entry.key(), value)
                {
                    break;
                }
            }
        })
    }

    fn clear(&self) {
        self.with_guard(|guard| {
            let read = self.load_read(guard);
            if read.m.is_empty() && !read.amended() {
                return;
            }
            let mut deferred = Deferred::nothing();
            {
                let mut state = self.mu.lock();
                let read = self.load_read(guard);
                if !read.m.is_empty() || read.amended() {
                    // Every entry leaves the map; lock-free stores that still reach one through the
                    // old `read` land in a retired entry, which linearizes them before the clear.
                    deferred.dead_entries = SmallVec::from_vec(live_entries(read, &state, guard));
                    let empty = ReadOnly::new(Table::new());
                    self.replace_read_locked(empty, &mut deferred);
                    // A table of pointers: the entries, with their keys, are retired above.
                    drop(state.dirty.take());
                    state.expunged.clear();
                    state.misses = 0;
                }
            }
            self.release(deferred, guard);
        })
    }

    fn len(&self) -> usize {
        self.with_guard(|guard| {
            let state = self.mu.lock();
            // When `dirty` exists it holds every present key; otherwise `read` does.
            let present = |table: &Table<K, V>| {
                table
                    .entries()
                    .filter(|entry| entry.get(guard).load(guard).is_some())
                    .count()
            };
            match &state.dirty {
                Some(dirty) => present(dirty),
                None => present(&self.load_read(guard).m),
            }
        })
    }
}

impl<K, V, S> FromIterator<(K, V)> for SyncMap<K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher + Default,
{
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let map = Self::default();
        for (key, value) in iter {
            map.store(key, value);
        }
        map
    }
}
