//! The [`ConcurrentMap`] trait and its contract.

use core::borrow::Borrow;
use core::hash::Hash;

use crate::LoadOrStore;

/// A map that many threads use at once through `&self`, in the vocabulary of Go's `sync.Map`.
///
/// Code written against this trait runs unchanged on every map of the workspace
/// (`MutexMap`, `RwLockMap`, `SyncMap`), on a `#[derive(SyncRegistry)]` registry's backend, and on
/// any map a user adapts (the benchmark program adapts dashmap, papaya and scc).
///
/// ```
/// use syncmap_core::{ConcurrentMap, LoadOrStore};
/// use syncmap_impls::MutexMap;
///
/// fn count_visit<M: ConcurrentMap<String, u64>>(map: &M, page: &str) -> u64 {
///     map.compute(page.to_owned(), |hits| Some(hits.copied().unwrap_or(0) + 1))
///         .expect("compute stores a value")
/// }
///
/// let map = MutexMap::new();
/// assert_eq!(count_visit(&map, "/"), 1);
/// assert_eq!(count_visit(&map, "/"), 2);
/// assert_eq!(map.load("/"), Some(2)); // look a String key up by &str
/// assert_eq!(map.load_or_store("/about".to_owned(), 0), LoadOrStore::Stored(0));
/// ```
///
/// # Go to Rust
///
/// | Go `sync.Map` | `ConcurrentMap` | difference |
/// | --- | --- | --- |
/// | `Load(key) (value any, ok bool)` | [`load`](Self::load) `-> Option<V>` | clones the value; [`load_with`](Self::load_with) reads it in place |
/// | — | [`load_with`](Self::load_with), [`contains_key`](Self::contains_key) | no clone |
/// | `Store(key, value)` | [`store`](Self::store) | |
/// | `LoadOrStore(key, value) (actual any, loaded bool)` | [`load_or_store`](Self::load_or_store) `-> LoadOrStore<V>` | `Loaded(actual)` / `Stored(value)` |
/// | — | [`load_or_store_with`](Self::load_or_store_with) | builds the value only when the key is absent |
/// | `LoadAndDelete(key) (value any, loaded bool)` | [`load_and_delete`](Self::load_and_delete) `-> Option<V>` | |
/// | `Delete(key)` | [`delete`](Self::delete) `-> bool` | also tells whether the key was present |
/// | `Swap(key, value) (previous any, loaded bool)` (Go 1.20) | [`swap`](Self::swap) `-> Option<V>` | |
/// | `CompareAndSwap(key, old, new) (swapped bool)` (Go 1.20) | [`compare_and_swap`](Self::compare_and_swap) | `V: PartialEq` instead of Go's comparable-at-run-time panic |
/// | `CompareAndDelete(key, old) (deleted bool)` (Go 1.20) | [`compare_and_delete`](Self::compare_and_delete) | |
/// | `Range(f func(key, value any) bool)` | [`range`](Self::range) | the callback returns `true` to go on, `false` to stop, as in Go |
/// | `Clear()` (Go 1.23) | [`clear`](Self::clear) | |
/// | — | [`len`](Self::len), [`is_empty`](Self::is_empty) | Go has no `Len` |
/// | — | [`update`](Self::update), [`compute`](Self::compute) | read-modify-write, built on the primitives |
///
/// # Contract
///
/// Every implementation guarantees what follows; the conformance kit
/// (`syncmap_core::conformance`, cargo feature `conformance`) checks it.
///
/// **Atomicity.** Each of `load`, `load_with`, `contains_key`, `store`, `load_or_store`,
/// `load_or_store_with`, `load_and_delete`, `delete`, `swap`, `compare_and_swap` and
/// `compare_and_delete` takes effect at a single instant between its call and its return
/// (it is linearizable) with respect to every other of these methods on the same key. In
/// particular `load_or_store` on an absent key stores exactly once however many threads race
/// (exactly one gets [`LoadOrStore::Stored`]); `compare_and_swap` succeeds only if the key is present
/// and its value equals `old` at that instant, and never on an absent or deleted key; two racing
/// `swap`s each return the value the other replaced or the one before both.
///
/// **`range`** visits each key at most once, never visits a key that was never stored, and
/// visits every key that is present for the whole call and not written during it, with its
/// value. It is **not** a consistent snapshot: a key stored or deleted during the call (also by the
/// callback itself) may or may not be visited, and the value seen for such a key is one it held
/// at some instant during the call. Each implementation states what more it guarantees.
///
/// **`clear`** removes every key that is present when it starts and not stored concurrently;
/// a store that races with `clear` may survive it or not. **`len`** is exact when no other thread
/// is writing; under concurrent writes it is a count that was true at some instant during the
/// call, or an estimate that each implementation documents.
///
/// **No user code under an internal lock.** No implementation runs a closure passed to it
/// (`load_with`, `load_or_store_with`, `range`, `update`, `compute`) or the `Drop` of a key or
/// value it removes or replaces while it holds an internal lock. Every closure may therefore call
/// any method of the same map, including writes, without deadlock, and a value's `Drop` may too.
/// The `Hash`, `Eq`, `PartialEq` and `Clone` implementations of keys and values are the exception:
/// lock-based maps run them while holding their lock, so those must not call back into the map.
/// The maps of `syncmap-impls` detect such a call and panic with a message that says so, rather
/// than deadlock; the panic unwinds through the caller's code like any other (see **Panics**).
///
/// **Panics.** If a closure or a key's or value's trait implementation panics, the panic
/// propagates to the caller and the map stays consistent and usable: the operation either took
/// effect completely or not at all, nothing is leaked, and no lock is left poisoned. `load_or_store_with`
/// whose builder panics stores nothing; `range` whose callback panics simply stops.
///
/// **Bounded memory.** A key or value the map removes or replaces is dropped by the time the map
/// is dropped, and while the map lives, after a bounded number of further operations on it by
/// any thread. A map that defers frees (epochs, hazard pointers) must not leave them to the
/// thread that removed the value, which may go idle or exit and never call the map again.
///
/// **Values out.** Methods that hand a value back clone it, hence their `V: Clone` bound; store
/// large values as `Arc<T>` so a clone is a reference-count increment.
///
/// # Implementing the trait
///
/// Implement the required methods; `load`, `contains_key`, `is_empty`, `update` and `compute`
/// have default bodies built on them. Then run the conformance kit against your map in a test.
pub trait ConcurrentMap<K, V> {
    /// Reads the value for `key` through `f`, without cloning it; `None` if `key` is absent.
    ///
    /// `f` runs outside every internal lock and may call back into the map.
    ///
    /// ```
    /// use syncmap_core::ConcurrentMap;
    /// use syncmap_impls::MutexMap;
    /// let map = MutexMap::new();
    /// map.store("greeting".to_owned(), "hello".to_owned());
    /// assert_eq!(map.load_with("greeting", |s| s.len()), Some(5));
    /// ```
    fn load_with<Q, R, F>(&self, key: &Q, f: F) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        F: FnOnce(&V) -> R;

    /// Returns a clone of the value for `key`, or `None` if `key` is absent (Go's `Load`).
    ///
    /// ```
    /// use syncmap_core::ConcurrentMap;
    /// use syncmap_impls::MutexMap;
    /// let map = MutexMap::new();
    /// map.store(1, "one");
    /// assert_eq!(map.load(&1), Some("one"));
    /// assert_eq!(map.load(&2), None);
    /// ```
    fn load<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        self.load_with(key, V::clone)
    }

    /// `true` if `key` is present.
    ///
    /// ```
    /// use syncmap_core::ConcurrentMap;
    /// use syncmap_impls::MutexMap;
    /// let map = MutexMap::new();
    /// map.store('a', 1);
    /// assert!(map.contains_key(&'a'));
    /// assert!(!map.contains_key(&'b'));
    /// ```
    fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.load_with(key, |_| ()).is_some()
    }

    /// Sets the value for `key` (Go's `Store`). A replaced value is dropped outside every lock.
    ///
    /// ```
    /// use syncmap_core::ConcurrentMap;
    /// use syncmap_impls::MutexMap;
    /// let map = MutexMap::new();
    /// map.store("k", 1);
    /// map.store("k", 2);
    /// assert_eq!(map.load("k"), Some(2));
    /// ```
    fn store(&self, key: K, value: V);

    /// Returns the existing value for `key` if present; otherwise stores `value` (Go's
    /// `LoadOrStore`).
    ///
    /// When the key is present the offered `key` and `value` are dropped, outside every lock.
    ///
    /// ```
    /// use syncmap_core::{ConcurrentMap, LoadOrStore};
    /// use syncmap_impls::MutexMap;
    /// let map = MutexMap::new();
    /// assert_eq!(map.load_or_store("k", 1), LoadOrStore::Stored(1));
    /// assert_eq!(map.load_or_store("k", 2), LoadOrStore::Loaded(1));
    /// ```
    fn load_or_store(&self, key: K, value: V) -> LoadOrStore<V>
    where
        V: Clone;

    /// Like [`load_or_store`](Self::load_or_store), but builds the value with `make` only when
    /// the key is found absent.
    ///
    /// `make` runs outside every internal lock, at most once. If another thread stores the key
    /// while `make` runs, that thread's value wins, is returned as `Loaded`, and the built value is
    /// dropped. If `make` panics, nothing is stored.
    ///
    /// ```
    /// use syncmap_core::{ConcurrentMap, LoadOrStore};
    /// use syncmap_impls::MutexMap;
    /// let map = MutexMap::new();
    /// let built = map.load_or_store_with("config", || "expensive".to_owned());
    /// assert_eq!(built, LoadOrStore::Stored("expensive".to_owned()));
    /// let reused = map.load_or_store_with("config", || unreachable!("present: not built"));
    /// assert!(reused.is_loaded());
    /// ```
    fn load_or_store_with<F>(&self, key: K, make: F) -> LoadOrStore<V>
    where
        F: FnOnce() -> V,
        V: Clone;

    /// Deletes `key` and returns its value, if it was present (Go's `LoadAndDelete`).
    ///
    /// ```
    /// use syncmap_core::ConcurrentMap;
    /// use syncmap_impls::MutexMap;
    /// let map = MutexMap::new();
    /// map.store(7, "seven");
    /// assert_eq!(map.load_and_delete(&7), Some("seven"));
    /// assert_eq!(map.load_and_delete(&7), None);
    /// ```
    fn load_and_delete<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone;

    /// Deletes `key` (Go's `Delete`); returns whether it was present.
    ///
    /// ```
    /// use syncmap_core::ConcurrentMap;
    /// use syncmap_impls::MutexMap;
    /// let map = MutexMap::new();
    /// map.store(7, ());
    /// assert!(map.delete(&7));
    /// assert!(!map.delete(&7));
    /// ```
    fn delete<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized;

    /// Stores `value` for `key` and returns the previous value, if any (Go's `Swap`).
    ///
    /// ```
    /// use syncmap_core::ConcurrentMap;
    /// use syncmap_impls::MutexMap;
    /// let map = MutexMap::new();
    /// assert_eq!(map.swap("k", 1), None);
    /// assert_eq!(map.swap("k", 2), Some(1));
    /// ```
    fn swap(&self, key: K, value: V) -> Option<V>
    where
        V: Clone;

    /// Replaces the value for `key` with `new` if the key is present and its value equals `old`
    /// (Go's `CompareAndSwap`); returns whether it did.
    ///
    /// An absent or deleted key never compares equal, whatever `old` is. When the swap fails,
    /// `new` is dropped outside every lock.
    ///
    /// ```
    /// use syncmap_core::ConcurrentMap;
    /// use syncmap_impls::MutexMap;
    /// let map = MutexMap::new();
    /// assert!(!map.compare_and_swap("k", &0, 1)); // absent: never swaps
    /// map.store("k", 1);
    /// assert!(!map.compare_and_swap("k", &0, 2));
    /// assert!(map.compare_and_swap("k", &1, 2));
    /// assert_eq!(map.load("k"), Some(2));
    /// ```
    fn compare_and_swap<Q>(&self, key: &Q, old: &V, new: V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq;

    /// Deletes `key` if it is present and its value equals `old` (Go's `CompareAndDelete`);
    /// returns whether it did.
    ///
    /// ```
    /// use syncmap_core::ConcurrentMap;
    /// use syncmap_impls::MutexMap;
    /// let map = MutexMap::new();
    /// map.store("k", 1);
    /// assert!(!map.compare_and_delete("k", &2));
    /// assert!(map.compare_and_delete("k", &1));
    /// assert!(!map.contains_key("k"));
    /// ```
    fn compare_and_delete<Q>(&self, key: &Q, old: &V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq;

    /// Calls `f` for each key and value; stops when `f` returns `false` (Go's `Range`).
    ///
    /// `f` runs outside every internal lock and may call any method of the map. See the
    /// contract above for what a concurrent or re-entrant write does to the walk. The `Clone`
    /// bounds let lock-based maps copy the entries out before calling `f`.
    ///
    /// ```
    /// use syncmap_core::ConcurrentMap;
    /// use syncmap_impls::MutexMap;
    /// let map = MutexMap::new();
    /// for i in 0..10 {
    ///     map.store(i, i * i);
    /// }
    /// let mut sum = 0;
    /// map.range(|_, v| {
    ///     sum += v;
    ///     true
    /// });
    /// assert_eq!(sum, 285);
    /// ```
    fn range<F>(&self, f: F)
    where
        F: FnMut(&K, &V) -> bool,
        K: Clone,
        V: Clone;

    /// Removes every entry (Go 1.23's `Clear`). Removed keys and values are dropped outside
    /// every lock.
    ///
    /// ```
    /// use syncmap_core::ConcurrentMap;
    /// use syncmap_impls::MutexMap;
    /// let map = MutexMap::new();
    /// map.store(1, 1);
    /// map.clear();
    /// assert!(map.is_empty());
    /// ```
    fn clear(&self);

    /// The number of keys present; exact when no thread is writing (see the contract).
    ///
    /// ```
    /// use syncmap_core::ConcurrentMap;
    /// use syncmap_impls::MutexMap;
    /// let map = MutexMap::new();
    /// map.store(1, ());
    /// map.store(2, ());
    /// assert_eq!(map.len(), 2);
    /// ```
    fn len(&self) -> usize;

    /// `true` if the map holds no key.
    ///
    /// ```
    /// use syncmap_core::ConcurrentMap;
    /// use syncmap_impls::MutexMap;
    /// let map = MutexMap::<u8, u8>::new();
    /// assert!(map.is_empty());
    /// ```
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces the value of a present `key` with `f(&current)`, retrying with
    /// [`compare_and_swap`](Self::compare_and_swap) until no other writer intervened; returns the
    /// new value, or `None` (without calling `f`) if the key is absent.
    ///
    /// `f` may run more than once under contention, outside every lock. Equality decides whether
    /// another writer intervened, so a concurrent store of an equal value is not noticed.
    ///
    /// ```
    /// use syncmap_core::ConcurrentMap;
    /// use syncmap_impls::MutexMap;
    /// let map = MutexMap::new();
    /// map.store("hits", 1);
    /// assert_eq!(map.update("hits", |n| n + 1), Some(2));
    /// assert_eq!(map.update("misses", |n| n + 1), None);
    /// ```
    fn update<Q, F>(&self, key: &Q, mut f: F) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        F: FnMut(&V) -> V,
        V: Clone + PartialEq,
    {
        loop {
            let current = self.load(key)?;
            let next = f(&current);
            if self.compare_and_swap(key, &current, next.clone()) {
                // Dropped before returning, so that a panicking `Drop` unwinds through `next`
                // rather than leaking it (rust-lang/rust#47949).
                drop(current);
                return Some(next);
            }
        }
    }

    /// Read-modify-write of any kind: `f` sees the current value (or `None`) and returns the new
    /// one (or `None` to delete); retried until it applies without interference. Returns what `f`
    /// returned the time it applied.
    ///
    /// Built on [`load`](Self::load), [`load_or_store`](Self::load_or_store),
    /// [`compare_and_swap`](Self::compare_and_swap) and
    /// [`compare_and_delete`](Self::compare_and_delete); `f` may run more than once, outside
    /// every lock.
    ///
    /// ```
    /// use syncmap_core::ConcurrentMap;
    /// use syncmap_impls::MutexMap;
    /// let map = MutexMap::new();
    /// let add_one = |n: Option<&u32>| Some(n.copied().unwrap_or(0) + 1);
    /// assert_eq!(map.compute("n", add_one), Some(1));
    /// assert_eq!(map.compute("n", add_one), Some(2));
    /// assert_eq!(map.compute("n", |_| None), None); // deletes
    /// assert!(!map.contains_key("n"));
    /// ```
    fn compute<F>(&self, key: K, mut f: F) -> Option<V>
    where
        K: Hash + Eq + Clone,
        F: FnMut(Option<&V>) -> Option<V>,
        V: Clone + PartialEq,
    {
        loop {
            match self.load(&key) {
                // Each return drops the key and the old value first, so that a panicking `Drop`
                // unwinds through the result rather than leaking it (rust-lang/rust#47949).
                None => match f(None) {
                    None => return None,
                    Some(new) => {
                        if let LoadOrStore::Stored(stored) = self.load_or_store(key.clone(), new) {
                            drop(key);
                            return Some(stored);
                        }
                    }
                },
                Some(current) => match f(Some(&current)) {
                    Some(new) => {
                        if self.compare_and_swap(&key, &current, new.clone()) {
                            drop(current);
                            drop(key);
                            return Some(new);
                        }
                    }
                    None => {
                        if self.compare_and_delete(&key, &current) {
                            return None;
                        }
                    }
                },
            }
        }
    }
}
