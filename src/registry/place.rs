//! Where a registry's fields are kept: a root registry owns its backend map and its writer
//! lock ([`RegistryCore`]); a nested registry ([`Nested`]) borrows its outer registry's and
//! wraps its keys and values into the outer enums.
//!
//! The generated registry type is generic over the place `P: Holds<S>`, so one set of accessors
//! serves the root registry and every nested view of it, at any depth.

use std::fmt;
use std::marker::PhantomData;

use std::sync::Arc;

use syncmap_core::ConcurrentMap;

use super::change::FieldChange;
use super::error::BoxError;
use super::query::{KeyQuery, NestedQuery};
use super::schema::{NestAt, RegistryStruct};
use super::sync::RegistrySync;
use crate::cache::{
    CacheOps, CacheStats, Caches, EvictionCause, LoadError, LoadErrorKind, ManualClock,
};

/// The writes of one change, applied under the writer lock. Each write compares the new value
/// with the old one and records the field only if it changed.
#[doc(hidden)]
pub trait Tx<S: RegistryStruct> {
    /// The value stored under `key`.
    fn load(&self, key: &S::Key) -> Option<S::Value>;
    /// Stores `value` under `key` and returns the value it replaced.
    fn store(&mut self, key: S::Key, value: S::Value) -> Option<S::Value>;
    /// Removes `key` and returns its value.
    fn delete(&mut self, key: &S::Key) -> Option<S::Value>;
}

/// Read and write access to the fields of `S`, wherever they are kept.
#[doc(hidden)]
pub trait Holds<S: RegistryStruct> {
    /// Calls `f` with the value stored under `key`, in place.
    fn load_with<R>(&self, key: &S::Key, f: impl FnOnce(&S::Value) -> R) -> Option<R>;
    /// Calls `f` with the value of the key `query` names, in place.
    fn query_with<R>(
        &self,
        query: &dyn KeyQuery<S::Key>,
        f: impl FnOnce(&S::Value) -> R,
    ) -> Option<R>;
    /// Applies `write` as one change.
    fn write<R>(&self, write: impl FnOnce(&mut dyn Tx<S>) -> R) -> R;
    /// Calls `f` on every entry until it returns `false`.
    fn range(&self, f: impl FnMut(&S::Key, &S::Value) -> bool);
    /// The root registry's version; inside [`write`](Self::write), the version before the write.
    fn version(&self) -> u64;
    /// A count that moves with every write, a cache field's included (which publishes no
    /// version): what `update` loops compare to know that nothing was written meanwhile.
    fn generation(&self) -> u64;
    /// The root registry's cache operations, and the slot of this struct's first cache field
    /// among the root's.
    fn caches(&self) -> (&dyn CacheOps, usize);
    /// The live value of the cache key `key`, else the value `load` returns, stored; one load
    /// per key at a time however many threads ask (see [`crate::cache`]).
    ///
    /// # Errors
    ///
    /// The loader's error, its panic, or its asking for `key` itself.
    fn load_once(
        &self,
        key: S::Key,
        load: &mut dyn FnMut() -> Result<S::Value, BoxError>,
    ) -> Result<S::Value, LoadError>;
    /// Sets the eviction listener of this struct's cache field `slot`.
    fn set_eviction_listener(&self, slot: usize, listener: Box<EvictionListener<S>>);
}

/// An eviction listener over a struct's key and value enums.
#[doc(hidden)]
pub type EvictionListener<S> =
    dyn Fn(&<S as RegistryStruct>::Key, &<S as RegistryStruct>::Value, EvictionCause) + Send + Sync;

/// A root registry's state: the backend map and its writer lock, version and subscribers.
pub struct RegistryCore<S: RegistryStruct, M> {
    pub(crate) map: M,
    pub(crate) sync: RegistrySync<S>,
    pub(crate) caches: Caches<S>,
}

impl<S: RegistryStruct, M> RegistryCore<S, M> {
    /// An empty core over `map`; the registry stores its struct into it next.
    pub(crate) fn new(map: M) -> Self {
        Self {
            map,
            sync: RegistrySync::default(),
            caches: Caches::new(),
        }
    }

    /// Hands the entries that left a cache field to their listeners, unless this thread still
    /// holds the writer lock further out (the outermost write does it then). Called after
    /// every write.
    pub(crate) fn after_write(&self) {
        if S::CACHES > 0 && !self.sync.held_by_this_thread() {
            self.caches.drain();
        }
    }
}

impl<S: RegistryStruct, M> fmt::Debug for RegistryCore<S, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryCore")
            .field("sync", &self.sync)
            .finish_non_exhaustive()
    }
}

/// The writes of one change to `core`'s map, recorded in `changes`.
pub(crate) fn root_tx<'a, S: RegistryStruct, M: ConcurrentMap<S::Key, S::Value>>(
    core: &'a RegistryCore<S, M>,
    changes: &'a mut super::sync::Changes<S>,
) -> impl Tx<S> + 'a {
    RootTx {
        map: &core.map,
        caches: &core.caches,
        changes,
    }
}

/// The writes of one change to a backend map. A cache field's writes go through its cache
/// (eviction, expiry) and are not recorded as changes (see [`crate::cache`]).
struct RootTx<'a, S: RegistryStruct, M> {
    map: &'a M,
    caches: &'a Caches<S>,
    changes: &'a mut super::sync::Changes<S>,
}

impl<S: RegistryStruct, M: ConcurrentMap<S::Key, S::Value>> Tx<S> for RootTx<'_, S, M> {
    fn load(&self, key: &S::Key) -> Option<S::Value> {
        if S::CACHES > 0 && S::cache_slot(key).is_some() {
            return self.caches.load_live(self.map, key);
        }
        self.map.load::<S::Key>(key)
    }

    fn store(&mut self, key: S::Key, value: S::Value) -> Option<S::Value> {
        if S::CACHES > 0
            && let Some(slot) = S::cache_slot(&key)
        {
            return self.caches.store(slot, self.map, key, value);
        }
        let old = self.map.load::<S::Key>(&key);
        if let Some(old) = &old
            && S::value_eq(old, &value) == Some(true)
        {
            return Some(value);
        }
        self.map.store(key.clone(), value.clone());
        self.changes
            .record(FieldChange::new(key, old.clone(), Some(value)));
        old
    }

    fn delete(&mut self, key: &S::Key) -> Option<S::Value> {
        if S::CACHES > 0
            && let Some(slot) = S::cache_slot(key)
        {
            return self.caches.delete(slot, self.map, key);
        }
        let old = self.map.load_and_delete::<S::Key>(key)?;
        self.changes
            .record(FieldChange::new(key.clone(), Some(old.clone()), None));
        Some(old)
    }
}

impl<S: RegistryStruct, M: ConcurrentMap<S::Key, S::Value>> Holds<S> for RegistryCore<S, M> {
    #[inline]
    fn load_with<R>(&self, key: &S::Key, f: impl FnOnce(&S::Value) -> R) -> Option<R> {
        // `Q` named: inferred, it would be the key's `Borrow<dyn KeyQuery>` (a bound in scope wins
        // over the blanket `Borrow<Self>`), hashing every stored-key lookup through `dyn Hasher`.
        if S::CACHES == 0 {
            return self.map.load_with::<S::Key, R, _>(key, f);
        }
        let read = self
            .map
            .load_with::<S::Key, _, _>(key, |value| self.caches.read(value).then(|| f(value)));
        self.count_absent(read.is_none(), || S::cache_slot(key));
        read.flatten()
    }

    #[inline]
    fn query_with<R>(
        &self,
        query: &dyn KeyQuery<S::Key>,
        f: impl FnOnce(&S::Value) -> R,
    ) -> Option<R> {
        if let Some(key) = query.stored_key() {
            return self.load_with(key, f);
        }
        if S::CACHES == 0 {
            return self.map.load_with(query, f);
        }
        let read = self
            .map
            .load_with(query, |value| self.caches.read(value).then(|| f(value)));
        self.count_absent(read.is_none(), || query.cache_slot());
        read.flatten()
    }

    fn write<R>(&self, write: impl FnOnce(&mut dyn Tx<S>) -> R) -> R {
        let result = self.sync.write(|changes| {
            let mut tx = root_tx(self, changes);
            write(&mut tx)
        });
        self.after_write();
        result
    }

    fn range(&self, mut f: impl FnMut(&S::Key, &S::Value) -> bool) {
        if S::CACHES == 0 {
            return self.map.range(f);
        }
        self.map
            .range(|key, value| !self.caches.is_live(value) || f(key, value));
    }

    #[inline]
    fn version(&self) -> u64 {
        self.sync.version()
    }

    #[inline]
    fn generation(&self) -> u64 {
        // Both only grow, so their sum moves whenever either does.
        self.sync.version() + self.caches.writes()
    }

    fn caches(&self) -> (&dyn CacheOps, usize) {
        (self, 0)
    }

    fn load_once(
        &self,
        key: S::Key,
        load: &mut dyn FnMut() -> Result<S::Value, BoxError>,
    ) -> Result<S::Value, LoadError> {
        let slot = S::cache_slot(&key)
            .unwrap_or_else(|| unreachable!("`get_or_load_*` is generated for cache fields only"));
        let cache = self.caches.slot(slot);
        let path = || {
            let mut path = String::new();
            S::write_key_path(&key, &mut path);
            path
        };
        let stored = || self.caches.load_live(&self.map, &key);
        cache.flights.run(&key, path, stored, || {
            let loading = cache.counters.count_failure_on_unwind();
            let loaded = load();
            loading.finished(loaded.is_ok());
            match loaded {
                Ok(value) => {
                    let replaced = self.write(|tx| tx.store(key.clone(), value.clone()));
                    drop(replaced);
                    Ok(value)
                }
                Err(error) => Err(LoadError::new(
                    path(),
                    LoadErrorKind::Failed(Arc::from(error)),
                )),
            }
        })
    }

    fn set_eviction_listener(&self, slot: usize, listener: Box<EvictionListener<S>>) {
        self.caches.slot(slot).set_listener(listener);
    }
}

impl<S: RegistryStruct, M: ConcurrentMap<S::Key, S::Value>> RegistryCore<S, M> {
    /// Counts a miss of a cache field when a read found no entry (an expired one was counted
    /// when it was read).
    #[inline]
    fn count_absent(&self, absent: bool, slot: impl FnOnce() -> Option<usize>) {
        if absent && let Some(slot) = slot() {
            self.caches
                .slot(slot)
                .counters
                .add(crate::cache::Event::Miss);
        }
    }
}

impl<S: RegistryStruct, M: ConcurrentMap<S::Key, S::Value>> CacheOps for RegistryCore<S, M> {
    fn cache_stats(&self, slot: usize) -> CacheStats {
        self.caches.slot(slot).stats()
    }

    fn cache_entry_count(&self, slot: usize) -> u64 {
        self.caches.slot(slot).entry_count()
    }

    fn cache_weight(&self, slot: usize) -> u64 {
        self.caches.slot(slot).weight()
    }

    fn cache_capacity(&self, slot: usize) -> u64 {
        self.caches.slot(slot).capacity()
    }

    fn cache_use_clock(&self, slot: usize, clock: Arc<ManualClock>) -> bool {
        self.caches.slot(slot).use_clock(clock)
    }

    fn cache_set_capacity(&self, slot: usize, capacity: u64) {
        self.sync
            .write(|_| self.caches.resize(slot, &self.map, capacity));
        self.after_write();
    }

    fn cache_purge_expired(&self, slot: usize) -> usize {
        let purged = self.sync.write(|_| self.caches.purge(slot, &self.map));
        self.after_write();
        purged
    }
}

impl<S: RegistryStruct, H: Holds<S>> Holds<S> for &H {
    #[inline]
    fn load_with<R>(&self, key: &S::Key, f: impl FnOnce(&S::Value) -> R) -> Option<R> {
        (**self).load_with(key, f)
    }

    #[inline]
    fn query_with<R>(
        &self,
        query: &dyn KeyQuery<S::Key>,
        f: impl FnOnce(&S::Value) -> R,
    ) -> Option<R> {
        (**self).query_with(query, f)
    }

    fn write<R>(&self, write: impl FnOnce(&mut dyn Tx<S>) -> R) -> R {
        (**self).write(write)
    }

    fn range(&self, f: impl FnMut(&S::Key, &S::Value) -> bool) {
        (**self).range(f);
    }

    #[inline]
    fn version(&self) -> u64 {
        (**self).version()
    }

    #[inline]
    fn generation(&self) -> u64 {
        (**self).generation()
    }

    fn caches(&self) -> (&dyn CacheOps, usize) {
        (**self).caches()
    }

    fn load_once(
        &self,
        key: S::Key,
        load: &mut dyn FnMut() -> Result<S::Value, BoxError>,
    ) -> Result<S::Value, LoadError> {
        (**self).load_once(key, load)
    }

    fn set_eviction_listener(&self, slot: usize, listener: Box<EvictionListener<S>>) {
        (**self).set_eviction_listener(slot, listener);
    }
}

/// The place of the struct nested at field `I` of `O`: the outer registry's place `P`, seen
/// through the field's key and value variants. `config.database()` returns the nested struct's
/// registry type over this place.
pub struct Nested<O, P, const I: usize> {
    outer: P,
    _outer: PhantomData<fn() -> O>,
}

impl<O, P, const I: usize> Nested<O, P, I> {
    /// The view of field `I` of the registry kept by `outer`.
    #[doc(hidden)]
    pub fn new(outer: P) -> Self {
        Self {
            outer,
            _outer: PhantomData,
        }
    }
}

impl<O, P, const I: usize> fmt::Debug for Nested<O, P, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Nested")
            .field("field", &I)
            .finish_non_exhaustive()
    }
}

/// The writes of one change to a nested struct, as writes of the outer one.
struct NestedTx<'t, O: NestAt<I>, const I: usize> {
    outer: &'t mut dyn Tx<O>,
}

impl<O: NestAt<I>, const I: usize> Tx<O::Inner> for NestedTx<'_, O, I> {
    fn load(
        &self,
        key: &<O::Inner as RegistryStruct>::Key,
    ) -> Option<<O::Inner as RegistryStruct>::Value> {
        self.outer
            .load(&O::wrap_key(key.clone()))
            .and_then(O::unwrap)
    }

    fn store(
        &mut self,
        key: <O::Inner as RegistryStruct>::Key,
        value: <O::Inner as RegistryStruct>::Value,
    ) -> Option<<O::Inner as RegistryStruct>::Value> {
        self.outer
            .store(O::wrap_key(key), O::wrap(value))
            .and_then(O::unwrap)
    }

    fn delete(
        &mut self,
        key: &<O::Inner as RegistryStruct>::Key,
    ) -> Option<<O::Inner as RegistryStruct>::Value> {
        self.outer
            .delete(&O::wrap_key(key.clone()))
            .and_then(O::unwrap)
    }
}

impl<O, P, const I: usize> Holds<O::Inner> for Nested<O, P, I>
where
    O: NestAt<I>,
    P: Holds<O>,
{
    #[inline]
    fn load_with<R>(
        &self,
        key: &<O::Inner as RegistryStruct>::Key,
        f: impl FnOnce(&<O::Inner as RegistryStruct>::Value) -> R,
    ) -> Option<R> {
        self.outer
            .load_with(&O::wrap_key(key.clone()), |value| {
                O::unwrap_ref(value).map(f)
            })
            .flatten()
    }

    fn query_with<R>(
        &self,
        query: &dyn KeyQuery<<O::Inner as RegistryStruct>::Key>,
        f: impl FnOnce(&<O::Inner as RegistryStruct>::Value) -> R,
    ) -> Option<R> {
        let query = NestedQuery::<O, I>::new(query);
        self.outer
            .query_with(&query, |value| O::unwrap_ref(value).map(f))
            .flatten()
    }

    fn write<R>(&self, write: impl FnOnce(&mut dyn Tx<O::Inner>) -> R) -> R {
        self.outer.write(|outer| {
            let mut tx = NestedTx::<O, I> { outer };
            write(&mut tx)
        })
    }

    fn range(
        &self,
        mut f: impl FnMut(
            &<O::Inner as RegistryStruct>::Key,
            &<O::Inner as RegistryStruct>::Value,
        ) -> bool,
    ) {
        self.outer.range(
            |key, value| match (O::unwrap_key_ref(key), O::unwrap_ref(value)) {
                (Some(key), Some(value)) => f(key, value),
                _ => true,
            },
        );
    }

    #[inline]
    fn version(&self) -> u64 {
        self.outer.version()
    }

    #[inline]
    fn generation(&self) -> u64 {
        self.outer.generation()
    }

    fn caches(&self) -> (&dyn CacheOps, usize) {
        let (ops, offset) = self.outer.caches();
        (ops, offset + O::CACHE_OFFSET)
    }

    fn load_once(
        &self,
        key: <O::Inner as RegistryStruct>::Key,
        load: &mut dyn FnMut() -> Result<<O::Inner as RegistryStruct>::Value, BoxError>,
    ) -> Result<<O::Inner as RegistryStruct>::Value, LoadError> {
        let loaded = self
            .outer
            .load_once(O::wrap_key(key), &mut || load().map(O::wrap))?;
        Ok(O::unwrap(loaded)
            .unwrap_or_else(|| unreachable!("a key's load yields a value of its own field")))
    }

    fn set_eviction_listener(&self, slot: usize, listener: Box<EvictionListener<O::Inner>>) {
        self.outer.set_eviction_listener(
            slot + O::CACHE_OFFSET,
            Box::new(move |key, value, cause| {
                if let (Some(key), Some(value)) = (O::unwrap_key_ref(key), O::unwrap_ref(value)) {
                    listener(key, value, cause);
                }
            }),
        );
    }
}
