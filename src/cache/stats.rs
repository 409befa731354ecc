//! A cache field's counters. Each is striped over cache lines and a thread adds to the stripe
//! of its own, so that counting a hit is not a write every reading thread shares; a read sums
//! the stripes, without a lock.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Stripes per counter: enough that a few dozen threads rarely share one.
const STRIPES: usize = 16;

/// What is counted.
#[derive(Clone, Copy)]
pub(crate) enum Event {
    Hit = 0,
    Miss,
    Load,
    LoadFailure,
    Eviction,
    Expiration,
}

const EVENTS: usize = 6;

/// One stripe: a cache line of counters.
#[repr(align(128))]
#[derive(Default)]
struct Stripe([AtomicU64; EVENTS]);

/// The counters of one cache field.
#[derive(Default)]
pub(crate) struct Counters {
    stripes: [Stripe; STRIPES],
}

impl Counters {
    #[inline]
    pub(crate) fn add(&self, event: Event) {
        self.stripes[stripe()].0[event as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a load failure if the loader panics before [`Loading::finished`] is called.
    pub(crate) fn count_failure_on_unwind(&self) -> Loading<'_> {
        Loading {
            counters: self,
            done: false,
        }
    }

    fn sum(&self, event: Event) -> u64 {
        self.stripes
            .iter()
            .map(|stripe| stripe.0[event as usize].load(Ordering::Relaxed))
            .sum()
    }

    /// The counts so far; each is exact, but they are read one after another, not at once.
    pub(crate) fn read(&self) -> CacheStats {
        CacheStats {
            hits: self.sum(Event::Hit),
            misses: self.sum(Event::Miss),
            loads: self.sum(Event::Load),
            load_failures: self.sum(Event::LoadFailure),
            evictions: self.sum(Event::Eviction),
            expirations: self.sum(Event::Expiration),
        }
    }
}

/// A loader running: counted as a load or a failure however it ends.
pub(crate) struct Loading<'a> {
    counters: &'a Counters,
    done: bool,
}

impl Loading<'_> {
    /// The loader returned: a value (`ok`) or an error.
    pub(crate) fn finished(mut self, ok: bool) {
        self.done = true;
        self.counters
            .add(if ok { Event::Load } else { Event::LoadFailure });
    }
}

impl Drop for Loading<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.counters.add(Event::LoadFailure);
        }
    }
}

/// This thread's stripe, given out round-robin on a thread's first count.
#[inline]
fn stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    STRIPE.with(|stripe| {
        let mut index = stripe.get();
        if index == usize::MAX {
            index = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
            stripe.set(index);
        }
        index
    })
}

/// The statistics of one cache field, as read by
/// [`CacheField::stats`](super::CacheField::stats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Reads that found a live entry (getters, `contains_*`, `get_or_load_*`).
    pub hits: u64,
    /// Reads that found no entry, or an expired one.
    pub misses: u64,
    /// Loaders of `get_or_load_*` that returned a value.
    pub loads: u64,
    /// Loaders that returned an error or panicked.
    pub load_failures: u64,
    /// Entries removed to make room (capacity).
    pub evictions: u64,
    /// Entries removed because they expired.
    pub expirations: u64,
}

impl CacheStats {
    /// `hits / (hits + misses)`, or 0 before any read.
    pub fn hit_ratio(&self) -> f64 {
        let reads = self.hits + self.misses;
        if reads == 0 {
            0.0
        } else {
            // Counts below 2^53 convert exactly.
            #[allow(clippy::cast_precision_loss)]
            let ratio = self.hits as f64 / reads as f64;
            ratio
        }
    }
}
