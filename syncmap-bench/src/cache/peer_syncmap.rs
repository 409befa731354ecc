//! syncmap's own cache field: a `#[registry(cache(...))]` `HashMap` of a derived registry on
//! its default `SyncMap` backend (foldhash), S3-FIFO decided inline under the registry's writer
//! lock, hits read without a lock.

use std::collections::HashMap;

use syncmap::{Registry, SyncRegistry};

use super::contender::Contender;

/// The struct whose one field is the cache under test.
#[derive(SyncRegistry)]
#[registry(name = BenchCache)]
struct BenchCacheFields {
    /// Sized at run time with `set_capacity`, as a service sizes a cache from its configuration.
    #[registry(cache(capacity = 0))]
    entries: HashMap<u64, u64>,
}

/// A registry with one cache field of `u64` keys and values.
#[derive(Debug)]
pub struct SyncMapCache(BenchCacheRegistry);

impl Contender for SyncMapCache {
    const NAME: &'static str = "syncmap";

    fn with_capacity(capacity: usize) -> Self {
        let registry: BenchCacheRegistry =
            Registry::from_defaults().expect("a cache field has no validator");
        registry.entries_cache().set_capacity(capacity as u64);
        Self(registry)
    }

    fn get(&self, key: u64) -> Option<u64> {
        self.0.entries(&key)
    }

    fn insert(&self, key: u64, value: u64) {
        self.0.store_entries(key, value);
    }
}
