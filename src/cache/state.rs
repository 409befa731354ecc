//! The runtime of a root registry's cache fields: for each, its settings, eviction policy,
//! clock, counters, listener and loads in flight; and the hooks the registry calls on reads and
//! on writes of a cache field's keys.
//!
//! Writes run under the registry's writer lock (every write of a registry does), which also
//! orders the policy's updates. Entries that leave (evicted, expired, replaced, removed) are
//! queued there and handed to the listener, and dropped, by [`Caches::drain`] once the writer
//! lock is free: neither the listener nor a value's `Drop` ever runs under a lock.

use std::marker::PhantomData;
use std::mem;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::{Mutex, RwLock};
use syncmap_core::ConcurrentMap;

use super::clock::{ClockSource, ManualClock, nanos};
use super::config::CacheConfig;
use super::entry::{EntryMeta, NEVER};
use super::error::EvictionCause;
use super::flight::Flights;
use super::policy::{Lookup, Policy};
use super::stats::{CacheStats, Counters, Event};
use crate::registry::RegistryStruct;

/// How many due deadlines one write reclaims at most: more than one, so that reclaiming keeps
/// up with expiry when each write stores one entry.
const EXPIRY_BUDGET: usize = 8;

/// A time-to-idle read refreshes the entry's last-read time when it is this share of the time to
/// idle behind (1%): an entry can expire that much early, and hot entries write rarely.
const TOUCH_SHARE: u64 = 100;

type Listener<S> =
    dyn Fn(&<S as RegistryStruct>::Key, &<S as RegistryStruct>::Value, EvictionCause) + Send + Sync;

/// One cache field of a root registry.
pub(crate) struct CacheState<S: RegistryStruct> {
    config: CacheConfig<S>,
    /// Time to idle in nanoseconds, and the staleness at which a read refreshes it.
    tti: Option<u64>,
    touch_granularity: u64,
    policy: Mutex<Policy<S::Key>>,
    pub(crate) counters: Counters,
    clock: ClockSource,
    listener: RwLock<Option<Arc<Listener<S>>>>,
    pub(crate) flights: Flights<S::Key, S::Value>,
}

/// An entry that left a cache, waiting for the writer lock to be free.
struct Departure<S: RegistryStruct> {
    slot: usize,
    key: S::Key,
    value: S::Value,
    cause: EvictionCause,
}

/// The cache fields of a root registry, by slot (see `RegistryStruct::cache_slot`).
pub(crate) struct Caches<S: RegistryStruct> {
    slots: Box<[CacheState<S>]>,
    departures: Mutex<Vec<Departure<S>>>,
    departed: AtomicBool,
    /// Writes to cache fields so far. They publish no version, so the retry loops of `update`
    /// (which must not lose a write that came between their read and their commit) watch this
    /// count beside the version.
    writes: AtomicU64,
}

/// The metadata of the entries of a backend map, for the policy.
struct MapLookup<'m, S, M>(&'m M, PhantomData<fn() -> S>);

impl<S: RegistryStruct, M: ConcurrentMap<S::Key, S::Value>> Lookup<S::Key> for MapLookup<'_, S, M> {
    fn with_meta<R>(&self, key: &S::Key, f: impl FnOnce(&EntryMeta) -> R) -> Option<R> {
        self.0
            .load_with::<S::Key, _, _>(key, |value| S::cache_meta(value).map(|(_, meta)| f(meta)))
            .flatten()
    }
}

fn lookup<S: RegistryStruct, M>(map: &M) -> MapLookup<'_, S, M> {
    MapLookup(map, PhantomData)
}

impl<S: RegistryStruct> CacheState<S> {
    fn new(config: CacheConfig<S>) -> Self {
        let tti = config.tti.map(nanos);
        Self {
            tti,
            touch_granularity: tti.map_or(u64::MAX, |tti| tti / TOUCH_SHARE),
            policy: Mutex::new(Policy::new(config.capacity)),
            counters: Counters::default(),
            clock: ClockSource::default(),
            listener: RwLock::new(None),
            flights: Flights::default(),
            config,
        }
    }

    /// Whether the entry is live at this moment; counts the read as a hit or a miss and, on a
    /// hit, records it for eviction and idle time. The lock-free read path of a cache field.
    #[inline]
    pub(crate) fn read(&self, meta: &EntryMeta) -> bool {
        if self.config.expires() {
            let now = self.clock.now();
            if meta.deadline(self.tti) <= now {
                self.counters.add(Event::Miss);
                return false;
            }
            if self.tti.is_some() {
                meta.touch(now, self.touch_granularity);
            }
        }
        meta.record_hit();
        self.counters.add(Event::Hit);
        true
    }

    /// Whether the entry is live, without counting or recording anything.
    pub(crate) fn is_live(&self, meta: &EntryMeta) -> bool {
        !self.config.expires() || meta.deadline(self.tti) > self.clock.now()
    }

    /// When an entry stored now expires.
    fn expires_at(&self, key: &S::Key, value: &S::Value, now: u64) -> u64 {
        let ttl = self
            .config
            .ttl
            .map_or(NEVER, |ttl| now.saturating_add(nanos(ttl)));
        let own = self
            .config
            .expire_after
            .as_ref()
            .and_then(|expire| expire(key, value))
            .map_or(NEVER, |after| now.saturating_add(nanos(after)));
        ttl.min(own)
    }

    fn weigh(&self, key: &S::Key, value: &S::Value) -> u64 {
        self.config
            .weigher
            .as_ref()
            .map_or(1, |weigh| weigh(key, value))
    }

    pub(crate) fn stats(&self) -> CacheStats {
        self.counters.read()
    }

    pub(crate) fn entry_count(&self) -> u64 {
        self.policy.lock().entry_count()
    }

    pub(crate) fn weight(&self) -> u64 {
        self.policy.lock().weight()
    }

    pub(crate) fn capacity(&self) -> u64 {
        self.policy.lock().capacity()
    }

    pub(crate) fn use_clock(&self, clock: Arc<ManualClock>) -> bool {
        self.clock.set(clock)
    }

    pub(crate) fn set_listener(&self, listener: Box<Listener<S>>) {
        *self.listener.write() = Some(Arc::from(listener));
    }
}

impl<S: RegistryStruct> Caches<S> {
    /// The caches of `S`, empty if it has no cache field.
    pub(crate) fn new() -> Self {
        let slots = (0..S::CACHES)
            .map(|slot| {
                let config = S::cache_config(slot)
                    .unwrap_or_else(|| unreachable!("`S::CACHES` counts the slots that have one"));
                CacheState::new(config)
            })
            .collect();
        Self {
            slots,
            departures: Mutex::new(Vec::new()),
            departed: AtomicBool::new(false),
            writes: AtomicU64::new(0),
        }
    }

    /// How many writes cache fields have had (each store, delete or reclaim counts).
    #[inline]
    pub(crate) fn writes(&self) -> u64 {
        self.writes.load(Ordering::Acquire)
    }

    fn count_write(&self) {
        self.writes.fetch_add(1, Ordering::Release);
    }

    /// The cache field at `slot`.
    #[inline]
    pub(crate) fn slot(&self, slot: usize) -> &CacheState<S> {
        &self.slots[slot]
    }

    /// Whether the value is live: a value of a non-cache field always is; a cache entry's read is
    /// counted (see [`CacheState::read`]).
    #[inline]
    pub(crate) fn read(&self, value: &S::Value) -> bool {
        match S::cache_meta(value) {
            Some((slot, meta)) => self.slots[slot].read(meta),
            None => true,
        }
    }

    /// Whether the value is live, without counting the read.
    pub(crate) fn is_live(&self, value: &S::Value) -> bool {
        match S::cache_meta(value) {
            Some((slot, meta)) => self.slots[slot].is_live(meta),
            None => true,
        }
    }

    /// Stores `value` under the cache key `key` (of cache `slot`), evicting to capacity and
    /// reclaiming some expired entries; returns the live value it replaced. Under the writer
    /// lock.
    pub(crate) fn store<M: ConcurrentMap<S::Key, S::Value>>(
        &self,
        slot: usize,
        map: &M,
        key: S::Key,
        value: S::Value,
    ) -> Option<S::Value> {
        let cache = &self.slots[slot];
        self.count_write();
        let now = cache.clock.now();
        let mut policy = cache.policy.lock();
        let old = self.take_accounted(
            slot,
            &mut policy,
            map,
            &key,
            now,
            EvictionCause::Replaced,
            false,
        );
        let weight = cache.weigh(&key, &value);
        if weight > policy.capacity() {
            // It could never fit: turned away, as if evicted at once.
            if old.is_some() {
                map.load_and_delete::<S::Key>(&key);
            }
            cache.counters.add(Event::Eviction);
            self.depart(slot, key, value, EvictionCause::Capacity);
            return old;
        }
        let Some((_, meta)) = S::cache_meta(&value) else {
            unreachable!("a cache field's key holds a cache field's value")
        };
        let expires_at = cache.expires_at(&key, &value, now);
        meta.stamp(policy.next_id(), weight, expires_at, now);
        let to_main = policy.take_ghost(&key);
        if to_main {
            meta.set_in_main();
        }
        map.store(key.clone(), value);
        policy.admit(key, cache.tti, &lookup::<S, M>(map));
        self.evict_to_capacity(slot, &mut policy, map);
        if cache.config.expires() {
            let mut budget = EXPIRY_BUDGET;
            self.expire(slot, &mut policy, map, now, &mut budget);
        }
        old
    }

    /// Sets the capacity of cache `slot` and evicts down to it. Under the writer lock.
    pub(crate) fn resize<M: ConcurrentMap<S::Key, S::Value>>(
        &self,
        slot: usize,
        map: &M,
        capacity: u64,
    ) {
        let mut policy = self.slots[slot].policy.lock();
        policy.set_capacity(capacity);
        self.evict_to_capacity(slot, &mut policy, map);
    }

    fn evict_to_capacity<M: ConcurrentMap<S::Key, S::Value>>(
        &self,
        slot: usize,
        policy: &mut Policy<S::Key>,
        map: &M,
    ) {
        let entries = lookup::<S, M>(map);
        while let Some(victim) = policy.victim(&entries) {
            self.count_write();
            if let Some(gone) = self.remove(policy, map, &victim) {
                self.slots[slot].counters.add(Event::Eviction);
                self.depart(slot, victim, gone, EvictionCause::Capacity);
            }
        }
    }

    /// Removes the cache key `key`; returns its value if it was live. Under the writer lock.
    pub(crate) fn delete<M: ConcurrentMap<S::Key, S::Value>>(
        &self,
        slot: usize,
        map: &M,
        key: &S::Key,
    ) -> Option<S::Value> {
        let cache = &self.slots[slot];
        let now = cache.clock.now();
        let mut policy = cache.policy.lock();
        self.take_accounted(
            slot,
            &mut policy,
            map,
            key,
            now,
            EvictionCause::Removed,
            true,
        )
    }

    /// Reclaims every entry of cache `slot` that is due; how many. Under the writer lock.
    pub(crate) fn purge<M: ConcurrentMap<S::Key, S::Value>>(&self, slot: usize, map: &M) -> usize {
        let cache = &self.slots[slot];
        let now = cache.clock.now();
        let mut policy = cache.policy.lock();
        let mut budget = usize::MAX;
        self.expire(slot, &mut policy, map, now, &mut budget);
        usize::MAX - budget
    }

    /// The stored value under `key` if it is live, for a write that reads first.
    pub(crate) fn load_live<M: ConcurrentMap<S::Key, S::Value>>(
        &self,
        map: &M,
        key: &S::Key,
    ) -> Option<S::Value> {
        map.load_with::<S::Key, _, _>(key, |value| self.is_live(value).then(|| value.clone()))
            .flatten()
    }

    /// Takes the entry under `key` out of the policy's accounting (and, with `delete`, out of
    /// the map); returns its value if it was live. An expired one departs as expired.
    #[allow(clippy::too_many_arguments)] // the pieces of one write, all borrowed
    fn take_accounted<M: ConcurrentMap<S::Key, S::Value>>(
        &self,
        slot: usize,
        policy: &mut Policy<S::Key>,
        map: &M,
        key: &S::Key,
        now: u64,
        cause: EvictionCause,
        delete: bool,
    ) -> Option<S::Value> {
        let cache = &self.slots[slot];
        self.count_write();
        let (value, live) = map.load_with::<S::Key, _, _>(key, |value| {
            let live = S::cache_meta(value).is_none_or(|(_, meta)| {
                policy.forget(meta);
                meta.deadline(cache.tti) > now
            });
            (value.clone(), live)
        })?;
        if delete {
            map.load_and_delete::<S::Key>(key);
        }
        if live {
            self.depart(slot, key.clone(), value.clone(), cause);
            Some(value)
        } else {
            cache.counters.add(Event::Expiration);
            self.depart(slot, key.clone(), value, EvictionCause::Expired);
            None
        }
    }

    /// Removes `key` from the map and the policy's accounting.
    fn remove<M: ConcurrentMap<S::Key, S::Value>>(
        &self,
        policy: &mut Policy<S::Key>,
        map: &M,
        key: &S::Key,
    ) -> Option<S::Value> {
        map.load_with::<S::Key, _, _>(key, |value| {
            if let Some((_, meta)) = S::cache_meta(value) {
                policy.forget(meta);
            }
        })?;
        map.load_and_delete::<S::Key>(key)
    }

    fn expire<M: ConcurrentMap<S::Key, S::Value>>(
        &self,
        slot: usize,
        policy: &mut Policy<S::Key>,
        map: &M,
        now: u64,
        budget: &mut usize,
    ) {
        let cache = &self.slots[slot];
        let entries = lookup::<S, M>(map);
        while let Some(due) = policy.expired(now, cache.tti, budget, &entries) {
            self.count_write();
            if let Some(gone) = self.remove(policy, map, &due) {
                cache.counters.add(Event::Expiration);
                self.depart(slot, due, gone, EvictionCause::Expired);
            }
        }
    }

    fn depart(&self, slot: usize, key: S::Key, value: S::Value, cause: EvictionCause) {
        self.departures.lock().push(Departure {
            slot,
            key,
            value,
            cause,
        });
        self.departed.store(true, Ordering::Release);
    }

    /// Tells the listeners of the entries that left, and drops them. Called once the writer
    /// lock is free; a listener that panics loses the rest of this batch's notifications.
    pub(crate) fn drain(&self) {
        while self.departed.swap(false, Ordering::Acquire) {
            let departures = mem::take(&mut *self.departures.lock());
            for departure in departures {
                let listener = self.slots[departure.slot].listener.read().clone();
                if let Some(listener) = listener {
                    listener(&departure.key, &departure.value, departure.cause);
                }
            }
        }
    }
}
