//! The twelve workloads of Go 1.19's `sync/map_bench_test.go`, line for line.
//!
//! Each workload keeps Go's constants, its setup (including the "prime the map" loads), its
//! per-goroutine loop with the start index `id * b.N`, and its `b.Fatalf` checks, which become
//! errors that fail the run. Keys and values are Go's `int`s, here `u64`.
//!
//! Go checks only `LoadOrStoreBalanced` inside the loop. This port also counts what the loops
//! see and checks it after the clock stops, where it costs no time: hits of the two `LoadMostly`
//! workloads, one successful delete in the two collision workloads, every key in each `Range`,
//! and the final length where Go's loop fixes it. Those checks turn a benchmark that measures
//! a broken map into a failure.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use syncmap::{ConcurrentMap, LoadOrStore};

use crate::harness::{Pb, Sample, grain_after, run_parallel};

/// A map the benchmark can drive: `u64` keys and values, shared by threads.
pub trait BenchMap: ConcurrentMap<u64, u64> + Send + Sync {}

impl<M: ConcurrentMap<u64, u64> + Send + Sync> BenchMap for M {}

/// One of Go's `sync.Map` benchmarks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GoWorkload {
    /// 1023 keys, loads of 1024: almost every load hits.
    LoadMostlyHits,
    /// 1 key, loads of 1024: almost every load misses.
    LoadMostlyMisses,
    /// 128 keys present; half the calls load one of them, half store a fresh key.
    LoadOrStoreBalanced,
    /// Every call stores a fresh key.
    LoadOrStoreUnique,
    /// Every call loads the one key.
    LoadOrStoreCollision,
    /// Half the calls delete one of 128 keys (present the first time), half miss.
    LoadAndDeleteBalanced,
    /// Every call deletes a key never stored.
    LoadAndDeleteUnique,
    /// Every call deletes the one key; only the first finds it.
    LoadAndDeleteCollision,
    /// Every call ranges over 1024 keys.
    Range,
    /// Loads of missing keys, with a store each time the loads since the last store outnumber
    /// the stores: forces the read/dirty design onto its locked path.
    AdversarialAlloc,
    /// Loads in a 1024-key map that every 1024th call shrinks by one key and grows by another.
    AdversarialDelete,
    /// Every call deletes the one key; only the first finds it.
    DeleteCollision,
}

/// Go's constants: keys present (`hits`) and absent (`misses`) in the load workloads.
const MOSTLY_HITS: (u64, u64) = (1023, 1);
const MOSTLY_MISSES: (u64, u64) = (1, 1023);
const BALANCED: (u64, u64) = (128, 128);
/// Go's `mapSize` for `Range` and `AdversarialDelete`.
const MAP_SIZE: u64 = 1 << 10;

impl GoWorkload {
    /// All twelve, in the order of Go's file.
    pub const ALL: [GoWorkload; 12] = [
        GoWorkload::LoadMostlyHits,
        GoWorkload::LoadMostlyMisses,
        GoWorkload::LoadOrStoreBalanced,
        GoWorkload::LoadOrStoreUnique,
        GoWorkload::LoadOrStoreCollision,
        GoWorkload::LoadAndDeleteBalanced,
        GoWorkload::LoadAndDeleteUnique,
        GoWorkload::LoadAndDeleteCollision,
        GoWorkload::Range,
        GoWorkload::AdversarialAlloc,
        GoWorkload::AdversarialDelete,
        GoWorkload::DeleteCollision,
    ];

    /// Go's name, without the `Benchmark` prefix.
    ///
    /// ```
    /// use syncmap_bench::go_suite::GoWorkload;
    /// assert_eq!(GoWorkload::LoadMostlyHits.name(), "LoadMostlyHits");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            GoWorkload::LoadMostlyHits => "LoadMostlyHits",
            GoWorkload::LoadMostlyMisses => "LoadMostlyMisses",
            GoWorkload::LoadOrStoreBalanced => "LoadOrStoreBalanced",
            GoWorkload::LoadOrStoreUnique => "LoadOrStoreUnique",
            GoWorkload::LoadOrStoreCollision => "LoadOrStoreCollision",
            GoWorkload::LoadAndDeleteBalanced => "LoadAndDeleteBalanced",
            GoWorkload::LoadAndDeleteUnique => "LoadAndDeleteUnique",
            GoWorkload::LoadAndDeleteCollision => "LoadAndDeleteCollision",
            GoWorkload::Range => "Range",
            GoWorkload::AdversarialAlloc => "AdversarialAlloc",
            GoWorkload::AdversarialDelete => "AdversarialDelete",
            GoWorkload::DeleteCollision => "DeleteCollision",
        }
    }

    /// The workload named `name` (case-insensitive).
    ///
    /// ```
    /// use syncmap_bench::go_suite::GoWorkload;
    /// assert_eq!(GoWorkload::from_name("range"), Some(GoWorkload::Range));
    /// assert_eq!(GoWorkload::from_name("ReadHeavy"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|w| w.name().eq_ignore_ascii_case(name))
    }

    /// `true` where the key set barely changes after setup, so a read-optimised map is the
    /// natural pick (scc's `HashIndex` rather than its `HashMap`).
    pub fn read_mostly(self) -> bool {
        matches!(
            self,
            GoWorkload::LoadMostlyHits
                | GoWorkload::LoadMostlyMisses
                | GoWorkload::LoadOrStoreCollision
                | GoWorkload::LoadAndDeleteCollision
                | GoWorkload::DeleteCollision
                | GoWorkload::Range
        )
    }

    /// Builds a map with `make`, sets it up, runs Go's loop for `n` operations of all `threads`,
    /// and checks the outcome. `previous` is the last run of this measurement, for Go's batch size.
    ///
    /// ```
    /// use syncmap::MutexMap;
    /// use syncmap_bench::go_suite::GoWorkload;
    ///
    /// for workload in GoWorkload::ALL {
    ///     let sample = workload.run(&MutexMap::<u64, u64>::new, 2, 300, None).unwrap();
    ///     assert_eq!(sample.ops, 300);
    /// }
    /// ```
    pub fn run<M: BenchMap>(
        self,
        make: &dyn Fn() -> M,
        threads: usize,
        n: u64,
        previous: Option<(u64, std::time::Duration)>,
    ) -> Result<Sample, String> {
        let map = make();
        self.setup(&map);
        let tally = AtomicU64::new(0);
        let elapsed = run_parallel(threads, n, grain_after(previous), |pb, i| {
            let counted = self.per_thread(&map, pb, i)?;
            tally.fetch_add(counted, Ordering::Relaxed);
            Ok(())
        })?;
        self.verify(&map, n, tally.into_inner())?;
        Ok(Sample { ops: n, elapsed })
    }

    /// Go's `setup`.
    fn setup<M: BenchMap>(self, map: &M) {
        let prefill_and_prime = |(hits, _misses): (u64, u64)| {
            for i in 0..hits {
                let _ = black_box(map.load_or_store(i, i));
            }
            // Prime the map to get it into a steady state (Go's comment).
            for i in 0..hits * 2 {
                black_box(map.load(&(i % hits)));
            }
        };
        match self {
            GoWorkload::LoadMostlyHits => prefill_and_prime(MOSTLY_HITS),
            GoWorkload::LoadMostlyMisses => prefill_and_prime(MOSTLY_MISSES),
            GoWorkload::LoadOrStoreBalanced | GoWorkload::LoadAndDeleteBalanced => {
                prefill_and_prime(BALANCED)
            }
            GoWorkload::LoadOrStoreCollision
            | GoWorkload::LoadAndDeleteCollision
            | GoWorkload::DeleteCollision => {
                let _ = black_box(map.load_or_store(0, 0));
            }
            GoWorkload::Range | GoWorkload::AdversarialDelete => {
                for i in 0..MAP_SIZE {
                    map.store(i, i);
                }
            }
            GoWorkload::LoadOrStoreUnique
            | GoWorkload::LoadAndDeleteUnique
            | GoWorkload::AdversarialAlloc => {}
        }
    }

    /// Go's `perG`: one thread's loop, starting at index `i`. Returns a count that [`verify`]
    /// checks once all threads are done.
    ///
    /// [`verify`]: Self::verify
    fn per_thread<M: BenchMap>(self, map: &M, pb: &mut Pb<'_>, mut i: u64) -> Result<u64, String> {
        let first = i;
        let mut counted = 0_u64;
        match self {
            GoWorkload::LoadMostlyHits | GoWorkload::LoadMostlyMisses => {
                let (hits, misses) = if self == GoWorkload::LoadMostlyHits {
                    MOSTLY_HITS
                } else {
                    MOSTLY_MISSES
                };
                while pb.next() {
                    counted += u64::from(map.load(&(i % (hits + misses))).is_some());
                    i += 1;
                }
                let expected = hits_below(i, hits, misses) - hits_below(first, hits, misses);
                if counted != expected {
                    return Err(format!(
                        "{}: {counted} loads hit, expected {expected}",
                        self.name()
                    ));
                }
                counted = 0;
            }
            GoWorkload::LoadOrStoreBalanced => {
                let (hits, misses) = BALANCED;
                while pb.next() {
                    let j = i % (hits + misses);
                    if j < hits {
                        if let LoadOrStore::Stored(_) = map.load_or_store(j, i) {
                            return Err(format!("unexpected miss for {j}"));
                        }
                    } else if let LoadOrStore::Loaded(v) = map.load_or_store(i, i) {
                        return Err(format!("failed to store {i}: existing value {v}"));
                    }
                    i += 1;
                }
            }
            GoWorkload::LoadOrStoreUnique => {
                while pb.next() {
                    let _ = black_box(map.load_or_store(i, i));
                    i += 1;
                }
            }
            GoWorkload::LoadOrStoreCollision => {
                // Go's loop also counts `i`, which nothing reads here.
                while pb.next() {
                    let _ = black_box(map.load_or_store(0, 0));
                }
            }
            GoWorkload::LoadAndDeleteBalanced => {
                let (hits, misses) = BALANCED;
                while pb.next() {
                    let j = i % (hits + misses);
                    if j < hits {
                        black_box(map.load_and_delete(&j));
                    } else {
                        black_box(map.load_and_delete(&i));
                    }
                    i += 1;
                }
            }
            GoWorkload::LoadAndDeleteUnique => {
                while pb.next() {
                    black_box(map.load_and_delete(&i));
                    i += 1;
                }
            }
            GoWorkload::LoadAndDeleteCollision => {
                while pb.next() {
                    counted += u64::from(map.load_and_delete(&0).is_some());
                }
            }
            GoWorkload::Range => {
                while pb.next() {
                    let mut visited = 0_u64;
                    map.range(|_, _| {
                        visited += 1;
                        true
                    });
                    if visited != MAP_SIZE {
                        return Err(format!("Range visited {visited} keys of {MAP_SIZE}"));
                    }
                }
            }
            GoWorkload::AdversarialAlloc => {
                let (mut stores, mut loads_since_store) = (0_u64, 0_u64);
                while pb.next() {
                    black_box(map.load(&i));
                    loads_since_store += 1;
                    if loads_since_store > stores {
                        let _ = black_box(map.load_or_store(i, stores));
                        loads_since_store = 0;
                        stores += 1;
                    }
                    i += 1;
                }
            }
            GoWorkload::AdversarialDelete => {
                while pb.next() {
                    black_box(map.load(&i));
                    if i.is_multiple_of(MAP_SIZE) {
                        map.range(|k, _| {
                            map.delete(k);
                            false
                        });
                        map.store(i, i);
                    }
                    i += 1;
                }
            }
            GoWorkload::DeleteCollision => {
                while pb.next() {
                    counted += u64::from(map.delete(&0));
                }
            }
        }
        Ok(counted)
    }

    /// Checks, after the clock stopped, what the loops of all threads imply together.
    fn verify<M: BenchMap>(self, map: &M, n: u64, tally: u64) -> Result<(), String> {
        let expect_len = |expected: usize| {
            let len = map.len();
            if len == expected {
                Ok(())
            } else {
                Err(format!(
                    "{}: len {len} after the run, expected {expected}",
                    self.name()
                ))
            }
        };
        match self {
            GoWorkload::LoadAndDeleteCollision | GoWorkload::DeleteCollision => {
                // Only one of all the racing deletes of key 0 may find it.
                if tally != 1 {
                    return Err(format!(
                        "{}: {tally} deletes of the one key succeeded, expected exactly 1",
                        self.name()
                    ));
                }
                expect_len(0)
            }
            GoWorkload::LoadOrStoreUnique => expect_len(n as usize),
            GoWorkload::LoadOrStoreCollision => expect_len(1),
            GoWorkload::LoadAndDeleteUnique => expect_len(0),
            GoWorkload::LoadMostlyHits => expect_len(MOSTLY_HITS.0 as usize),
            GoWorkload::LoadMostlyMisses => expect_len(MOSTLY_MISSES.0 as usize),
            GoWorkload::Range => expect_len(MAP_SIZE as usize),
            _ => Ok(()),
        }
    }
}

/// How many of the indices `0..end` land on a present key when keys are `i % (hits + misses)`
/// and keys `0..hits` are present.
fn hits_below(end: u64, hits: u64, misses: u64) -> u64 {
    let period = hits + misses;
    end / period * hits + (end % period).min(hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_below_counts_present_keys() {
        let brute = |end: u64| (0..end).filter(|i| i % 1024 < 1023).count() as u64;
        for end in [0, 1, 1022, 1023, 1024, 1025, 5000] {
            assert_eq!(hits_below(end, 1023, 1), brute(end), "end {end}");
        }
    }

    #[test]
    fn names_round_trip() {
        for w in GoWorkload::ALL {
            assert_eq!(GoWorkload::from_name(w.name()), Some(w));
        }
    }
}
