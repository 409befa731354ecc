//! moka's `sync::Cache`: TinyLFU admission (a count-min sketch of key frequencies) in front of
//! an LRU, modelled on Caffeine.
//!
//! moka applies its policy lazily: a `get` or `insert` touches the concurrent hash table at
//! once but only *records* the access in a bounded log; admission, eviction and the frequency
//! sketch are updated when that log is drained. The draining happens inline in some later
//! operation, once 64 reads or 64 writes are pending or 300 ms have passed, or when
//! `run_pending_tasks` is called. Until then the table can hold up to that many entries more
//! than the capacity, and a candidate the policy will reject still answers `get`s.
//! [`Contender::settle`] calls `run_pending_tasks` so the hit-ratio replay can measure the
//! policy rather than that slack; the report also shows moka without it.

use super::contender::Contender;

/// `moka::sync::Cache<u64, u64>` bounded by entry count, with foldhash.
///
/// foldhash rather than moka's default SipHash (`std`'s `RandomState`): quick_cache hashes with
/// foldhash by default, and the rest of syncmap-bench gives every map foldhash, so the
/// comparison is of cache designs, not of hash functions.
#[derive(Debug)]
pub struct Moka(moka::sync::Cache<u64, u64, foldhash::fast::RandomState>);

impl Contender for Moka {
    const NAME: &'static str = "moka";

    fn with_capacity(capacity: usize) -> Self {
        Self(
            moka::sync::Cache::builder()
                .max_capacity(capacity as u64)
                .build_with_hasher(foldhash::fast::RandomState::default()),
        )
    }

    fn get(&self, key: u64) -> Option<u64> {
        self.0.get(&key)
    }

    fn insert(&self, key: u64, value: u64) {
        self.0.insert(key, value);
    }

    fn settle(&self) {
        self.0.run_pending_tasks();
    }
}
