//! The typed handle of one cache field, `registry.<field>_cache()`: its statistics, size,
//! clock, listener and a sweep of expired entries.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use super::clock::ManualClock;
use super::error::EvictionCause;
use super::stats::CacheStats;
use crate::registry::{Holds, MapFieldAt};

/// What a root registry does for its cache fields, by slot; the type-erased face generic code
/// reaches through [`Holds::caches`].
#[doc(hidden)]
pub trait CacheOps {
    /// The counters of cache `slot`.
    fn cache_stats(&self, slot: usize) -> CacheStats;
    /// The number of entries held, expired ones not yet reclaimed included.
    fn cache_entry_count(&self, slot: usize) -> u64;
    /// The total weight held.
    fn cache_weight(&self, slot: usize) -> u64;
    /// The capacity.
    fn cache_capacity(&self, slot: usize) -> u64;
    /// Reads time from `clock` from now on; `false` if a clock was set already.
    fn cache_use_clock(&self, slot: usize, clock: Arc<ManualClock>) -> bool;
    /// Reclaims every expired entry now; how many.
    fn cache_purge_expired(&self, slot: usize) -> usize;
    /// Sets the capacity and evicts down to it.
    fn cache_set_capacity(&self, slot: usize, capacity: u64);
}

/// The cache field `I` of a registry: `registry.users_cache()` for a field `users`.
///
/// ```
/// use std::collections::HashMap;
/// use syncmap::{Registry, SyncRegistry};
///
/// #[derive(SyncRegistry)]
/// struct Caches {
///     #[registry(cache(capacity = 2))]
///     users: HashMap<u64, String>,
/// }
///
/// let caches: CachesRegistry = Registry::from_defaults().unwrap();
/// for id in 0..3 {
///     caches.store_users(id, format!("user {id}"));
/// }
/// let cache = caches.users_cache();
/// assert_eq!(cache.entry_count(), 2);
/// assert_eq!(cache.stats().evictions, 1);
/// ```
pub struct CacheField<'a, S, H, const I: usize> {
    held: &'a H,
    _struct: PhantomData<fn() -> S>,
}

impl<'a, S: MapFieldAt<I>, H: Holds<S>, const I: usize> CacheField<'a, S, H, I> {
    /// The handle of field `I` of the registry kept by `held`.
    #[doc(hidden)]
    pub fn new(held: &'a H) -> Self {
        Self {
            held,
            _struct: PhantomData,
        }
    }

    /// The field's slot among the root registry's caches, and the operations on them.
    fn ops(&self) -> (&'a dyn CacheOps, usize) {
        let (ops, offset) = self.held.caches();
        let slot = S::CACHE_SLOT
            .unwrap_or_else(|| unreachable!("a cache handle is generated for cache fields only"));
        (ops, offset + slot)
    }

    /// The field's counters: hits, misses, loads, load failures, evictions, expirations.
    /// Lock-free; each count is exact, read one after another.
    pub fn stats(&self) -> CacheStats {
        let (ops, slot) = self.ops();
        ops.cache_stats(slot)
    }

    /// The number of entries held, counting expired entries not yet reclaimed (which no read
    /// returns). Constant time, unlike `<field>_len`, which walks the live entries.
    pub fn entry_count(&self) -> u64 {
        let (ops, slot) = self.ops();
        ops.cache_entry_count(slot)
    }

    /// The total weight held (the entry count, without a weigher). Never above
    /// [`capacity`](Self::capacity) once a write returns.
    pub fn weight(&self) -> u64 {
        let (ops, slot) = self.ops();
        ops.cache_weight(slot)
    }

    /// The capacity, in entries or in the weigher's units.
    pub fn capacity(&self) -> u64 {
        let (ops, slot) = self.ops();
        ops.cache_capacity(slot)
    }

    /// Sets the capacity (entries, or the weigher's units) from now on, evicting down to it
    /// before it returns: the attribute's capacity is the starting one, and a service can size
    /// its caches from configuration.
    pub fn set_capacity(&self, capacity: u64) {
        let (ops, slot) = self.ops();
        ops.cache_set_capacity(slot, capacity);
    }

    /// Makes the field read time from `clock` (for tests of expiry); returns `false`, changing
    /// nothing, if a clock was set before. Set it before storing entries: deadlines already
    /// stamped are on the clock that stamped them.
    pub fn use_clock(&self, clock: Arc<ManualClock>) -> bool {
        let (ops, slot) = self.ops();
        ops.cache_use_clock(slot, clock)
    }

    /// Reclaims every expired entry now (writes do it a few at a time); returns how many.
    pub fn purge_expired(&self) -> usize {
        let (ops, slot) = self.ops();
        ops.cache_purge_expired(slot)
    }

    /// Calls `listener` with each entry that leaves the field and why, after the write that
    /// removed it, outside every lock (it may use the registry). Replaces an earlier listener.
    pub fn set_eviction_listener(
        &self,
        listener: impl Fn(&S::MapKey, &S::MapValue, EvictionCause) + Send + Sync + 'static,
    ) {
        let slot = S::CACHE_SLOT
            .unwrap_or_else(|| unreachable!("a cache handle is generated for cache fields only"));
        self.held.set_eviction_listener(
            slot,
            Box::new(move |key, value, cause| {
                if let (Some(key), Some(value)) = (S::unwrap_key_ref(key), S::unwrap_ref(value)) {
                    listener(key, value, cause);
                }
            }),
        );
    }
}

impl<S, H, const I: usize> fmt::Debug for CacheField<'_, S, H, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheField")
            .field("field", &I)
            .finish_non_exhaustive()
    }
}
