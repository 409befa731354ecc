//! The hit-ratio measurement: replay a trace single-threaded (get; on a miss, insert) and count
//! the hits.

use std::num::NonZeroUsize;
use std::sync::Arc;

use super::contender::Contender;
use super::traces::{scan_mix_keys, zipf_keys};

/// One row of the hit-ratio table: a trace and the capacity it is replayed at.
#[derive(Clone, Debug)]
pub struct TraceRow {
    /// The row's label, e.g. `zipf s=0.99`.
    pub trace: String,
    /// Entries the cache may hold.
    pub capacity: usize,
    /// The requests, in order; shared by the rows that replay one trace at several capacities.
    pub keys: Arc<[u64]>,
}

/// The sizes of the hit-ratio traces.
#[derive(Clone, Debug)]
pub struct TraceSpec {
    /// Distinct keys the Zipf ranks map to.
    pub universe: u64,
    /// Requests per trace.
    pub requests: usize,
    /// Zipf exponents of the pure Zipf traces.
    pub exponents: Vec<f64>,
    /// The Zipf exponent of the scan trace's hot set.
    pub scan_exponent: f64,
    /// Cache capacities, in entries.
    pub capacities: Vec<usize>,
    /// The seed every trace derives its stream from.
    pub seed: u64,
}

impl TraceSpec {
    /// Every row: each Zipf trace at each capacity, then the scan trace at each capacity.
    ///
    /// A Zipf trace does not depend on the capacity and is generated once. The scan trace does:
    /// its scans are twice the capacity long, long enough to flush an LRU completely, which is
    /// exactly what a scan-resistant policy must survive.
    pub fn rows(&self) -> Vec<TraceRow> {
        let mut rows = Vec::new();
        for (i, &s) in self.exponents.iter().enumerate() {
            let keys: Arc<[u64]> =
                zipf_keys(self.universe, s, self.requests, self.seed ^ i as u64).into();
            for &capacity in &self.capacities {
                rows.push(TraceRow {
                    trace: format!("zipf s={s:.2}"),
                    capacity,
                    keys: Arc::clone(&keys),
                });
            }
        }
        for &capacity in &self.capacities {
            let keys = scan_mix_keys(
                self.universe,
                self.scan_exponent,
                2 * capacity,
                self.requests,
                self.seed ^ 0x5CA7,
            );
            rows.push(TraceRow {
                trace: format!("zipf s={:.2} + scans of 2x capacity", self.scan_exponent),
                capacity,
                keys: keys.into(),
            });
        }
        rows
    }
}

/// The value a replay stores for `key`: not the key itself, so that a cache handing back the
/// key instead of the value is caught.
pub fn value_of(key: u64) -> u64 {
    !key
}

/// Hits over requests of one replay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HitRatio {
    /// Requests answered from the cache.
    pub hits: u64,
    /// All requests.
    pub requests: u64,
}

impl HitRatio {
    /// `hits / requests`, 0 for an empty trace.
    pub fn ratio(&self) -> f64 {
        self.hits as f64 / self.requests.max(1) as f64
    }
}

/// Replays `keys` on a fresh `C` of `capacity` entries: `get`; on a miss, `insert`. With
/// `settle_every`, calls [`Contender::settle`] after every that many requests.
///
/// Every request counts, the cold start included: at the sizes used the cold start is a small
/// part of the trace, and a warm-up cut would hide how quickly a policy fills.
///
/// # Errors
///
/// If a hit returns a value other than the one inserted for that key.
pub fn replay<C: Contender>(
    keys: &[u64],
    capacity: usize,
    settle_every: Option<NonZeroUsize>,
) -> Result<HitRatio, String> {
    let cache = C::with_capacity(capacity);
    let mut hits = 0u64;
    for (i, &key) in keys.iter().enumerate() {
        match cache.get(key) {
            Some(value) if value == value_of(key) => hits += 1,
            Some(value) => {
                return Err(format!(
                    "{}: get({key:#x}) returned {value:#x}, but {:#x} was inserted",
                    C::NAME,
                    value_of(key)
                ));
            }
            None => cache.insert(key, value_of(key)),
        }
        if settle_every.is_some_and(|every| (i + 1) % every.get() == 0) {
            cache.settle();
        }
    }
    Ok(HitRatio {
        hits,
        requests: keys.len() as u64,
    })
}
