//! quick_cache's concurrent `sync::Cache`: sharded S3-FIFO (small and main queues plus a ghost
//! queue of recently evicted keys), all decisions taken inline under the shard's lock.

use super::contender::Contender;

/// `quick_cache::sync::Cache<u64, u64>` with its default options (foldhash, unit weights).
#[derive(Debug)]
pub struct QuickCache(quick_cache::sync::Cache<u64, u64>);

impl Contender for QuickCache {
    const NAME: &'static str = "quick_cache";

    fn with_capacity(capacity: usize) -> Self {
        Self(quick_cache::sync::Cache::new(capacity))
    }

    fn get(&self, key: u64) -> Option<u64> {
        self.0.get(&key)
    }

    fn insert(&self, key: u64, value: u64) {
        self.0.insert(key, value);
    }
}
