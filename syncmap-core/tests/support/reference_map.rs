//! `RefMap`: a table behind a mutex that keeps the whole contract (closures and drops outside the
//! lock, no `Hash` of stored keys), with an optional planted flaw chosen by a const parameter.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, ThreadId};

use syncmap_core::conformance::{KitKey, KitValue, MapFamily};
use syncmap_core::{ConcurrentMap, LoadOrStore};

use super::table::Table;

/// No flaw: the reference must pass every check.
pub(crate) const CORRECT: u8 = 0;
/// `delete` and `load_and_delete` report a deletion but keep the key, every other call.
pub(crate) const FORGETS_DELETE: u8 = 1;
/// `compare_and_swap` on an absent key stores the new value and reports success.
pub(crate) const CAS_ON_ABSENT: u8 = 2;
/// `delete` leaks the removed key and value (`mem::forget`).
pub(crate) const LEAKS_ON_DELETE: u8 = 3;
/// `range` runs its callback while holding the lock, so a nested call deadlocks.
pub(crate) const RANGE_UNDER_LOCK: u8 = 4;
/// `compare_and_swap` compares and swaps under two separate lock acquisitions.
pub(crate) const NON_ATOMIC_CAS: u8 = 5;
/// `store` takes the whole table out, inserts without the lock and puts the table back, so the
/// stores of other threads made meanwhile are lost (one thread alone never notices).
pub(crate) const LOSES_RACING_STORES: u8 = 6;
/// `load_or_store_with` builds the value while holding the lock, so a builder that calls back
/// into the map deadlocks.
pub(crate) const BUILDS_UNDER_LOCK: u8 = 7;
/// `compute` runs its closure while holding the lock, so a closure that calls back into the map
/// deadlocks.
pub(crate) const COMPUTES_UNDER_LOCK: u8 = 8;
/// `range` starts over whenever a callback changed the map's length, so a callback that keeps
/// adding keys makes it visit the same keys again and again.
pub(crate) const RANGE_RESTARTS_ON_CHANGE: u8 = 9;
/// `load_or_store_with` builds the value before looking the key up, so the builder also runs
/// when the key is present.
pub(crate) const BUILDS_EAGERLY: u8 = 10;
/// `compute` writes its closure's result without checking that the entry is still the one the
/// closure saw, so it overwrites what other threads wrote meanwhile.
pub(crate) const COMPUTE_WITHOUT_RECHECK: u8 = 11;
/// `store` leaks the value it replaces when it had to wait for the lock (a slow path that forgets
/// a drop), so only concurrent use leaks.
pub(crate) const LEAKS_UNDER_CONTENTION: u8 = 12;
/// `range` fetches the entry at each position of the table's order, under a fresh lock for each,
/// and passes over keys it has already visited; so a concurrent delete (which moves later entries
/// to earlier positions) makes it skip keys. Alone, it is correct.
pub(crate) const RANGE_BY_POSITION: u8 = 13;
/// `load_with` runs its closure while holding the lock, so a closure that calls back into the map
/// deadlocks.
pub(crate) const LOADS_UNDER_LOCK: u8 = 14;
/// `update` runs its closure while holding the lock, so a closure that calls back into the map
/// deadlocks.
pub(crate) const UPDATES_UNDER_LOCK: u8 = 15;
/// `update` writes its closure's result without checking that the entry is still the one the
/// closure saw, so it overwrites what other threads wrote meanwhile.
pub(crate) const UPDATE_WITHOUT_RECHECK: u8 = 16;
/// `store` drops the value it replaces while holding the lock, so a value whose `Drop` calls back
/// into the map deadlocks.
pub(crate) const DROPS_UNDER_LOCK: u8 = 17;
/// `compute` catches its closure's panic and raises one of its own, so the caller never sees the
/// panic its closure raised.
pub(crate) const REPLACES_CLOSURE_PANICS: u8 = 18;
/// `range` ignores its callback's `false` and visits every entry.
pub(crate) const RANGE_IGNORES_STOP: u8 = 19;
/// `clear` does nothing while a `range` runs (as if to spare the range's iteration), so a range
/// callback that clears the map leaves it full.
pub(crate) const CLEAR_SKIPPED_DURING_RANGE: u8 = 20;
/// `store` and `delete` keep the value they replace or remove in a list of the calling thread's,
/// dropped when that thread next calls `load_with`, `store` or `delete` (as a reclaimer whose
/// garbage only its own thread frees): a thread that goes idle or exits strands its values until
/// the map is dropped.
pub(crate) const DEFERS_DROPS_TO_SAME_THREAD: u8 = 21;

/// Growing calls `Hash` on every stored key, as std's `HashMap` does, and a panic there drops
/// the entries not yet moved (see `table.rs`).
pub(crate) const REHASHES_STORED_KEYS: u8 = 22;

/// A map of family [`Family<FLAW>`].
#[derive(Debug)]
pub(crate) struct RefMap<K, V, const FLAW: u8> {
    inner: Mutex<Table<K, Arc<V>>>,
    deletes: AtomicUsize,
    /// How many `range` calls are running (kept for CLEAR_SKIPPED_DURING_RANGE only).
    ranges_running: AtomicUsize,
    /// Values each thread removed and has not dropped yet (DEFERS_DROPS_TO_SAME_THREAD only).
    deferred: Mutex<HashMap<ThreadId, Vec<Arc<V>>>>,
}

impl<K, V, const FLAW: u8> RefMap<K, V, FLAW> {
    fn new() -> Self {
        Self {
            inner: Mutex::new(Table::new(FLAW == REHASHES_STORED_KEYS)),
            deletes: AtomicUsize::new(0),
            ranges_running: AtomicUsize::new(0),
            deferred: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Table<K, Arc<V>>> {
        // Only a panicking Hash or Eq could poison it; the table is still consistent then.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Drops `removed` now, or (DEFERS_DROPS_TO_SAME_THREAD) at this thread's next call.
    fn dispose(&self, removed: Option<Arc<V>>) {
        if FLAW != DEFERS_DROPS_TO_SAME_THREAD {
            drop(removed);
            return;
        }
        if let Some(removed) = removed {
            self.deferred
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(thread::current().id())
                .or_default()
                .push(removed);
        }
    }

    /// Drops what this thread deferred (DEFERS_DROPS_TO_SAME_THREAD), outside the lock.
    fn drop_deferred(&self) {
        if FLAW == DEFERS_DROPS_TO_SAME_THREAD {
            let mine = self
                .deferred
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&thread::current().id());
            drop(mine);
        }
    }

    /// Whether this delete should be "forgotten" (FORGETS_DELETE: every other one).
    fn forget_this_delete(&self) -> bool {
        FLAW == FORGETS_DELETE && self.deletes.fetch_add(1, Ordering::Relaxed) % 2 == 1
    }
}

/// A running `range`, counted in its map's `ranges_running` until dropped (even by a panic).
struct RangeRunning<'a>(&'a AtomicUsize);

impl<'a> RangeRunning<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count)
    }
}

impl Drop for RangeRunning<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The family of [`RefMap`]s with flaw `FLAW`.
#[derive(Debug)]
pub(crate) struct Family<const FLAW: u8>;

impl<const FLAW: u8> MapFamily for Family<FLAW> {
    type Map<K: KitKey, V: KitValue> = RefMap<K, V, FLAW>;

    fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> {
        RefMap::new()
    }
}

impl<K: Hash + Eq, V, const FLAW: u8> ConcurrentMap<K, V> for RefMap<K, V, FLAW> {
    fn load_with<Q, R, F>(&self, key: &Q, f: F) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        F: FnOnce(&V) -> R,
    {
        self.drop_deferred();
        if FLAW == LOADS_UNDER_LOCK {
            return self.lock().get(key).map(|value| f(value));
        }
        let value = self.lock().get(key).cloned()?;
        Some(f(&value))
    }

    fn store(&self, key: K, value: V) {
        if FLAW == LOSES_RACING_STORES {
            let mut table = std::mem::take(&mut *self.lock());
            let replaced = table.insert(key, Arc::new(value));
            std::thread::yield_now();
            // Whatever other threads stored into the empty table meanwhile is dropped here.
            let racing = std::mem::replace(&mut *self.lock(), table);
            drop((replaced, racing));
            return;
        }
        if FLAW == LEAKS_UNDER_CONTENTION {
            let (mut table, waited) = match self.inner.try_lock() {
                Ok(table) => (table, false),
                Err(_) => (self.lock(), true),
            };
            let replaced = table.insert(key, Arc::new(value));
            // Hold the lock a little longer, so that other threads come to wait for it.
            std::thread::yield_now();
            drop(table);
            if waited {
                std::mem::forget(replaced);
            }
            return;
        }
        if FLAW == DROPS_UNDER_LOCK {
            let mut table = self.lock();
            drop(table.insert(key, Arc::new(value)));
            drop(table);
            return;
        }
        self.drop_deferred();
        let replaced = self.lock().insert(key, Arc::new(value));
        self.dispose(replaced);
    }

    fn load_or_store(&self, key: K, value: V) -> LoadOrStore<V>
    where
        V: Clone,
    {
        let mut table = self.lock();
        match table.get(&key) {
            Some(current) => {
                let current = V::clone(current);
                drop(table);
                LoadOrStore::Loaded(current)
            }
            None => {
                table.insert(key, Arc::new(value.clone()));
                LoadOrStore::Stored(value)
            }
        }
    }

    fn load_or_store_with<F>(&self, key: K, make: F) -> LoadOrStore<V>
    where
        F: FnOnce() -> V,
        V: Clone,
    {
        if FLAW == BUILDS_EAGERLY {
            let built = make();
            return self.load_or_store(key, built);
        }
        if FLAW == BUILDS_UNDER_LOCK {
            let mut table = self.lock();
            if let Some(current) = table.get(&key) {
                let current = V::clone(current);
                drop(table);
                return LoadOrStore::Loaded(current);
            }
            let built = make();
            table.insert(key, Arc::new(built.clone()));
            return LoadOrStore::Stored(built);
        }
        if let Some(current) = self.lock().get(&key).cloned() {
            return LoadOrStore::Loaded(V::clone(&current));
        }
        let built = make();
        self.load_or_store(key, built)
    }

    fn load_and_delete<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        if self.forget_this_delete() {
            return self.load(key);
        }
        let removed = self.lock().remove(key)?;
        Some(Arc::unwrap_or_clone(removed))
    }

    fn delete<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.forget_this_delete() {
            return self.contains_key(key);
        }
        self.drop_deferred();
        let removed = self.lock().remove_entry(key);
        let present = removed.is_some();
        if FLAW == LEAKS_ON_DELETE {
            std::mem::forget(removed);
        } else if let Some((key, value)) = removed {
            drop(key);
            self.dispose(Some(value));
        }
        present
    }

    fn swap(&self, key: K, value: V) -> Option<V>
    where
        V: Clone,
    {
        let replaced = self.lock().insert(key, Arc::new(value))?;
        Some(Arc::unwrap_or_clone(replaced))
    }

    fn compare_and_swap<Q>(&self, key: &Q, old: &V, new: V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        if FLAW == NON_ATOMIC_CAS {
            if self
                .load_with(key, |current| current != old)
                .unwrap_or(true)
            {
                return false;
            }
            // Widen the window in which another thread's swap gets overwritten.
            std::thread::yield_now();
            if let Some(slot) = self.lock().get_mut(key) {
                *slot = Arc::new(new);
            }
            return true;
        }
        let mut table = self.lock();
        match table.get_mut(key) {
            Some(slot) if **slot == *old => {
                let replaced = std::mem::replace(slot, Arc::new(new));
                drop(table);
                drop(replaced);
                true
            }
            Some(_) => false,
            None if FLAW == CAS_ON_ABSENT => {
                drop(table);
                // Without the key in hand, the flawed map can only pretend: it reports success.
                true
            }
            None => false,
        }
    }

    fn compare_and_delete<Q>(&self, key: &Q, old: &V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        let mut table = self.lock();
        if table.get(key).is_some_and(|current| **current == *old) {
            let removed = table.remove(key);
            drop(table);
            drop(removed);
            true
        } else {
            false
        }
    }

    fn range<F>(&self, mut f: F)
    where
        F: FnMut(&K, &V) -> bool,
        K: Clone,
        V: Clone,
    {
        if FLAW == RANGE_RESTARTS_ON_CHANGE {
            'start_over: loop {
                for (key, value) in &self.snapshot() {
                    let len_before = self.len();
                    if !f(key, value) {
                        return;
                    }
                    if self.len() != len_before {
                        continue 'start_over;
                    }
                }
                return;
            }
        }
        if FLAW == RANGE_BY_POSITION {
            let mut visited = HashSet::new();
            for position in 0.. {
                let entry = self
                    .lock()
                    .iter()
                    .nth(position)
                    .map(|(k, v)| (k.clone(), Arc::clone(v)));
                let Some((key, value)) = entry else { return };
                if visited.contains(&key) {
                    // Moved here by an insert before it: passed over, so never repeated.
                    continue;
                }
                if !f(&key, &value) {
                    return;
                }
                visited.insert(key);
            }
        }
        if FLAW == RANGE_UNDER_LOCK {
            let table = self.lock();
            for (key, value) in table.iter() {
                if !f(key, value) {
                    break;
                }
            }
            return;
        }
        let _running =
            (FLAW == CLEAR_SKIPPED_DURING_RANGE).then(|| RangeRunning::enter(&self.ranges_running));
        for (key, value) in &self.snapshot() {
            if !f(key, value) && FLAW != RANGE_IGNORES_STOP {
                break;
            }
        }
    }

    fn clear(&self) {
        if FLAW == CLEAR_SKIPPED_DURING_RANGE && self.ranges_running.load(Ordering::SeqCst) > 0 {
            return;
        }
        let removed = std::mem::take(&mut *self.lock());
        drop(removed);
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    fn update<Q, F>(&self, key: &Q, mut f: F) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        F: FnMut(&V) -> V,
        V: Clone + PartialEq,
    {
        if FLAW == UPDATES_UNDER_LOCK {
            let mut table = self.lock();
            let slot = table.get_mut(key)?;
            let next = f(slot);
            let replaced = std::mem::replace(slot, Arc::new(next.clone()));
            drop(table);
            drop(replaced);
            return Some(next);
        }
        // As `compute` below: the closure runs without the lock, and its result is written only
        // if the key still holds the `Arc` it read.
        loop {
            let seen = self.lock().get(key).cloned()?;
            let next = f(&seen);
            if FLAW == UPDATE_WITHOUT_RECHECK {
                // Widen the window in which another thread's write gets overwritten.
                std::thread::yield_now();
            }
            let mut table = self.lock();
            match table.get_mut(key) {
                Some(slot) if FLAW == UPDATE_WITHOUT_RECHECK || Arc::ptr_eq(slot, &seen) => {
                    let replaced = std::mem::replace(slot, Arc::new(next.clone()));
                    drop(table);
                    drop((replaced, seen));
                    return Some(next);
                }
                Some(_) => {}
                None => return None,
            }
        }
    }

    fn compute<F>(&self, key: K, mut f: F) -> Option<V>
    where
        K: Hash + Eq + Clone,
        F: FnMut(Option<&V>) -> Option<V>,
        V: Clone + PartialEq,
    {
        if FLAW == COMPUTES_UNDER_LOCK {
            let mut table = self.lock();
            let next = f(table.get(&key).map(|current| &**current));
            let replaced = match &next {
                Some(value) => table.insert(key, Arc::new(value.clone())),
                None => table.remove(&key),
            };
            drop(table);
            drop(replaced);
            return next;
        }
        // The closure runs without the lock, on a value held by its `Arc`; the result is written
        // only if the key still holds that very `Arc` (or is still absent), else it runs again.
        // Holding `seen` keeps its allocation alive, so a pointer match cannot be a reused one.
        loop {
            let seen = self.lock().get(&key).cloned();
            let next = if FLAW == REPLACES_CLOSURE_PANICS {
                std::panic::catch_unwind(AssertUnwindSafe(|| f(seen.as_deref())))
                    .unwrap_or_else(|_| panic!("compute: the closure panicked"))
            } else {
                f(seen.as_deref())
            };
            if FLAW == COMPUTE_WITHOUT_RECHECK {
                // Widen the window in which another thread's write gets overwritten.
                std::thread::yield_now();
            }
            let mut table = self.lock();
            let unchanged = match (table.get(&key), &seen) {
                (Some(now), Some(seen)) => Arc::ptr_eq(now, seen),
                (None, None) => true,
                _ => false,
            };
            if !unchanged && FLAW != COMPUTE_WITHOUT_RECHECK {
                continue;
            }
            let replaced = match &next {
                Some(value) => table.insert(key, Arc::new(value.clone())),
                None => table.remove(&key),
            };
            drop(table);
            drop((replaced, seen));
            return next;
        }
    }
}

impl<K: Clone, V, const FLAW: u8> RefMap<K, V, FLAW> {
    /// Every entry, copied out so that callbacks run without the lock.
    fn snapshot(&self) -> Vec<(K, Arc<V>)> {
        self.lock()
            .iter()
            .map(|(k, v)| (k.clone(), Arc::clone(v)))
            .collect()
    }
}
