//! The one trait every cache under test implements.

/// A bounded cache of `u64` keys and `u64` values, each entry of weight 1, shared by threads.
///
/// Kept to what the benchmark does (get; on a miss, insert) so an adapter is a few lines: a new
/// contender is one file implementing this trait and one line in the runner
/// (`src/bin/cache-bench.rs`).
pub trait Contender: Send + Sync + 'static {
    /// The column's name in the reports.
    const NAME: &'static str;

    /// A cache of `capacity` entries.
    fn with_capacity(capacity: usize) -> Self;

    /// The value of `key` on a hit, `None` on a miss.
    fn get(&self, key: u64) -> Option<u64>;

    /// Inserts `key` after a miss. The cache may decline it (admission) or evict another entry.
    fn insert(&self, key: u64, value: u64);

    /// Finishes any work the cache has deferred, so that what it holds is what its policy
    /// decided. Caches that decide inline (the default) have nothing to do.
    ///
    /// Called only outside timed loops: by the hit-ratio replay every `--settle-every` requests
    /// and after a throughput run's prefill. moka implements it with `run_pending_tasks`.
    fn settle(&self) {}
}
