//! [`MutexMap`]: the seed's `mutexMap.go`, one `HashMap` behind one `parking_lot::Mutex`.

crate::locked::public_map::lock_map! {
    /// A `HashMap` behind a single [`parking_lot::Mutex`]: the seed's `mutexMap.go`, and the
    /// baseline every other map is measured against.
    ///
    /// Every operation takes the one lock, so it is simple, exact and fair to writers, and its
    /// reads do not scale across cores. Choose it when writes are frequent and spread over all
    /// keys, or as the reference when checking another map.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncmap_core::{ConcurrentMap, LoadOrStore};
    /// use syncmap_impls::MutexMap;
    ///
    /// let map = MutexMap::new();
    /// map.store("apples", 3);
    /// assert_eq!(map.load_or_store("apples", 5), LoadOrStore::Loaded(3));
    /// assert_eq!(map.swap("apples", 4), Some(3));
    /// assert!(map.compare_and_delete("apples", &4));
    /// assert!(map.is_empty());
    /// ```
    ///
    /// # Guarantees beyond the trait
    ///
    /// - Every method except `range` and the compare methods' comparison runs entirely under the
    ///   lock, so `len` is always exact and `clear` is atomic.
    /// - `range` copies the keys (cloned) and values (shared `Arc`s) out under the lock, then calls
    ///   the callback with no lock held: it sees a consistent snapshot of the moment it started.
    /// - Values are kept in `Arc`s, so `load_with`, value clones, comparisons in
    ///   `compare_and_swap`/`compare_and_delete` and the drops of replaced values all run outside
    ///   the lock. Key `Hash`, `Eq` and (in `range`) `Clone` run under it and must not call back
    ///   into the map: such a call panics instead of deadlocking.
    ///
    /// # Differences from Go's `mutexMap.go`
    ///
    /// Go's version locks around `Range`'s callback; this one never does, so the callback may write
    /// to the map.
    MutexMap, CheckedMutex
}
