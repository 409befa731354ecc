//! The throughput measurement: threads running get-or-insert over pre-generated keys on one
//! shared cache, in Mops/s.

use std::sync::atomic::{AtomicU64, Ordering};

use super::contender::Contender;
use super::hit_ratio::value_of;
use super::traces::{mix64, uniform_keys};
use crate::harness::run_threads;

/// A key distribution relative to the cache's capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mix {
    /// Keys uniform over a range 20/19 of the capacity: at best 95 % of gets hit, the rest
    /// insert and evict. The common case of a cache that is sized right.
    ReadHeavy,
    /// Keys uniform over a range 10 times the capacity: about 90 % of gets miss and insert.
    /// The cost of the policy's bookkeeping and of eviction under churn.
    MissHeavy,
}

impl Mix {
    /// Both mixes, in report order.
    pub const ALL: [Mix; 2] = [Mix::ReadHeavy, Mix::MissHeavy];

    /// The row label.
    pub fn name(self) -> &'static str {
        match self {
            Mix::ReadHeavy => "read-heavy",
            Mix::MissHeavy => "miss-heavy",
        }
    }

    /// Distinct keys the gets draw from, for a cache of `capacity` entries.
    pub fn key_range(self, capacity: usize) -> u64 {
        let capacity = capacity as u64;
        match self {
            Mix::ReadHeavy => capacity * 20 / 19,
            Mix::MissHeavy => capacity * 10,
        }
    }
}

/// One mix at one capacity with every thread's keys generated up front, so the timed loop
/// does nothing but cache operations.
#[derive(Clone, Debug)]
pub struct Workload {
    /// The key distribution.
    pub mix: Mix,
    /// The cache's capacity in entries.
    pub capacity: usize,
    /// `keys[t]`: thread `t`'s requests, in order.
    pub keys: Vec<Vec<u64>>,
}

impl Workload {
    /// Keys for up to `max_threads` threads, `ops_per_thread` each, every thread its own stream.
    pub fn new(
        mix: Mix,
        capacity: usize,
        ops_per_thread: usize,
        max_threads: usize,
        seed: u64,
    ) -> Self {
        let range = mix.key_range(capacity);
        let keys = (0..max_threads.max(1))
            .map(|t| uniform_keys(range, ops_per_thread, mix64(seed ^ (t as u64 + 1))))
            .collect();
        Self {
            mix,
            capacity,
            keys,
        }
    }
}

/// The figure of one (mix, threads, contender) cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Millions of operations (gets, with the inserts that follow misses not counted apart) per
    /// second, all threads together.
    pub mops: f64,
    /// The fraction of gets that hit during the timed run, to tell a fast cache from one that
    /// is fast because it misses differently.
    pub hit_ratio: f64,
    /// The fraction of the run the threads spent runnable but waiting for a CPU (Linux's
    /// schedstat): above a few percent, another process took the cores and the figure is low.
    /// `None` where the kernel does not tell.
    pub waited: Option<f64>,
}

/// This thread's time spent waiting on a run queue, in ns, from `/proc/thread-self/schedstat`
/// (its second field).
fn run_queue_wait_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `workload` on `threads` threads, `repeat` times after one uncounted warm-up run, each
/// on a fresh cache, and returns the run of median Mops/s.
///
/// Before each run, and untimed, the cache is filled by one get-or-insert pass over the first
/// keys of the range (all of it for the read-heavy mix, twice the capacity for the miss-heavy
/// one) and settled, so the timed run starts from a full cache.
///
/// # Errors
///
/// If `threads` exceeds the threads the workload has keys for.
pub fn measure<C: Contender>(
    workload: &Workload,
    threads: usize,
    repeat: usize,
) -> Result<Point, String> {
    if threads == 0 || threads > workload.keys.len() {
        return Err(format!(
            "{threads} threads, but keys were generated for {}",
            workload.keys.len()
        ));
    }
    let mut points = Vec::with_capacity(repeat.max(1));
    for run in 0..=repeat.max(1) {
        let point = run_once::<C>(workload, threads)?;
        if run > 0 {
            points.push(point);
        }
    }
    points.sort_by(|a, b| a.mops.total_cmp(&b.mops));
    Ok(points[points.len() / 2])
}

fn run_once<C: Contender>(workload: &Workload, threads: usize) -> Result<Point, String> {
    let cache = C::with_capacity(workload.capacity);
    let prefill = workload
        .mix
        .key_range(workload.capacity)
        .min(2 * workload.capacity as u64);
    for key in (0..prefill).map(mix64) {
        if cache.get(key).is_none() {
            cache.insert(key, value_of(key));
        }
    }
    cache.settle();

    let hits = AtomicU64::new(0);
    // Summed over threads; `known` counts the threads whose kernel reported it.
    let waited_ns = AtomicU64::new(0);
    let known = AtomicU64::new(0);
    let elapsed = run_threads(threads, |t| {
        let wait_before = run_queue_wait_ns();
        let mut local_hits = 0u64;
        for &key in &workload.keys[t] {
            // A hit's value is consumed (black_box) so the read cannot be optimised away, but
            // not compared: the hit-ratio replay checks values, this loop measures speed.
            match cache.get(key) {
                Some(value) => {
                    std::hint::black_box(value);
                    local_hits += 1;
                }
                None => cache.insert(key, value_of(key)),
            }
        }
        if let (Some(before), Some(after)) = (wait_before, run_queue_wait_ns()) {
            waited_ns.fetch_add(after.saturating_sub(before), Ordering::Relaxed);
            known.fetch_add(1, Ordering::Relaxed);
        }
        hits.fetch_add(local_hits, Ordering::Relaxed);
        Ok(())
    })?;
    let ops = (workload.keys[0].len() * threads) as f64;
    let thread_ns = elapsed.as_nanos() as f64 * threads as f64;
    Ok(Point {
        mops: ops / elapsed.as_secs_f64().max(1e-12) / 1e6,
        hit_ratio: hits.into_inner() as f64 / ops.max(1.0),
        waited: (known.into_inner() == threads as u64)
            .then(|| waited_ns.into_inner() as f64 / thread_ns.max(1.0)),
    })
}
