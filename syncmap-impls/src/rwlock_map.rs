//! [`RwLockMap`]: Go's `RWMutexMap` reference map, one `HashMap` behind one `parking_lot::RwLock`.

crate::locked::public_map::lock_map! {
    /// A `HashMap` behind a single [`parking_lot::RwLock`]: Go's `RWMutexMap`, the reference map
    /// of its `sync.Map` test suite.
    ///
    /// Lookups (`load`, `load_with`, `contains_key`, `len`, `range`'s copy) share a read lock;
    /// writes take it exclusively. Reads run in parallel, but every read still writes the lock's
    /// shared counter, so on many cores they contend on one cache line; prefer `SyncMap` for
    /// read-mostly data.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncmap_core::ConcurrentMap;
    /// use syncmap_impls::RwLockMap;
    ///
    /// let map: RwLockMap<String, Vec<u8>> = RwLockMap::new();
    /// map.store("blob".to_owned(), vec![1, 2, 3]);
    /// assert_eq!(map.load_with("blob", Vec::len), Some(3));
    /// assert_eq!(map.update("blob", |v| [v.as_slice(), &[4]].concat()), Some(vec![1, 2, 3, 4]));
    /// ```
    ///
    /// # Guarantees beyond the trait
    ///
    /// The same as [`MutexMap`](crate::MutexMap): exact `len`, atomic `clear`, `range` over a
    /// snapshot taken at its start with the callback run outside the lock, values in `Arc`s so that
    /// value code runs unlocked. Key `Hash`, `Eq` and (in `range`) `Clone` run under the lock and
    /// must not call back into the map. If they do, a read is served (recursively, so it never
    /// waits behind a queued writer) and a write panics instead of deadlocking.
    RwLockMap, CheckedRwLock
}
