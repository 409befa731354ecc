//! The conc-map-bench mixes (from libcuckoo's universal benchmark, run by bustle), which
//! dashmap, papaya and scc publish: ReadHeavy, Exchange and RapidGrow.
//!
//! As in bustle, every thread owns a disjoint slice of random keys and runs a fixed share of the
//! operations (`ops / threads`), cycling through a shuffled list of 100 operations in the mix's
//! proportions. Inserts take the next key of the slice that was never stored, removes take the
//! oldest stored one, reads and updates pick a random key of the slice. Because only its owner
//! touches a slice, every thread knows whether each key must be present, and checks every
//! result: a map that loses or invents a key fails the run.
//!
//! The table holds up to `2^16` keys before the run ([`CAPACITY_LOG2`]); conc-map-bench uses
//! `2^25`, which would not fit a two-minute run. ReadHeavy and Exchange start 75% full, RapidGrow
//! starts empty. An update is the trait's `update` (a read-modify-write), an insert is `store`.

use crate::go_suite::BenchMap;
use crate::harness::{Sample, run_threads};

/// log2 of the number of keys the mixes are sized for (conc-map-bench: 25).
pub const CAPACITY_LOG2: u32 = 16;

/// One of the conc-map-bench mixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mix {
    /// 98% reads, 1% inserts, 1% removes; 75% full.
    ReadHeavy,
    /// 10% reads, 40% inserts, 40% removes, 10% updates; 75% full.
    Exchange,
    /// 5% reads, 80% inserts, 5% removes, 10% updates; from empty.
    RapidGrow,
}

/// The operations of a mix, in percent.
#[derive(Clone, Copy, Debug)]
struct Proportions {
    read: u8,
    insert: u8,
    remove: u8,
    update: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Read,
    Insert,
    Remove,
    Update,
}

impl Mix {
    /// The three mixes.
    pub const ALL: [Mix; 3] = [Mix::ReadHeavy, Mix::Exchange, Mix::RapidGrow];

    /// conc-map-bench's name.
    ///
    /// ```
    /// use syncmap_bench::mixes::Mix;
    /// assert_eq!(Mix::ReadHeavy.name(), "ReadHeavy");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Mix::ReadHeavy => "ReadHeavy",
            Mix::Exchange => "Exchange",
            Mix::RapidGrow => "RapidGrow",
        }
    }

    /// The mix named `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// `true` for the mix that is almost all reads.
    pub fn read_mostly(self) -> bool {
        self == Mix::ReadHeavy
    }

    fn proportions(self) -> Proportions {
        match self {
            Mix::ReadHeavy => Proportions {
                read: 98,
                insert: 1,
                remove: 1,
                update: 0,
            },
            Mix::Exchange => Proportions {
                read: 10,
                insert: 40,
                remove: 40,
                update: 10,
            },
            Mix::RapidGrow => Proportions {
                read: 5,
                insert: 80,
                remove: 5,
                update: 10,
            },
        }
    }

    /// The fraction of the capacity stored before the clock starts.
    fn prefill_percent(self) -> u64 {
        match self {
            Mix::ReadHeavy | Mix::Exchange => 75,
            Mix::RapidGrow => 0,
        }
    }

    /// Builds a map with `make`, prefills it, and runs about `n` operations split evenly over
    /// `threads` threads, checking every result.
    ///
    /// ```
    /// use syncmap::RwLockMap;
    /// use syncmap_bench::mixes::Mix;
    ///
    /// for mix in Mix::ALL {
    ///     let sample = mix.run(&RwLockMap::<u64, u64>::new, 2, 1_000).unwrap();
    ///     assert_eq!(sample.ops, 1_000);
    /// }
    /// ```
    pub fn run<M: BenchMap>(
        self,
        make: &dyn Fn() -> M,
        threads: usize,
        n: u64,
    ) -> Result<Sample, String> {
        let threads = threads.max(1);
        let per_thread = n.div_ceil(threads as u64).max(1);
        // Smoke runs with few operations get a smaller table so that setup stays cheap.
        let capacity = (1_u64 << CAPACITY_LOG2).min(n.next_power_of_two().max(64));
        let prefill = capacity * self.prefill_percent() / 100 / threads as u64;
        let p = self.proportions();
        // Every cycle of 100 operations holds `p.insert` inserts; a partial cycle at most as many.
        let inserts = per_thread.div_ceil(100) * u64::from(p.insert);
        let slices: Vec<Vec<u64>> = (0..threads)
            .map(|t| {
                (0..prefill + inserts)
                    .map(|j| key_for(t as u64, j))
                    .collect()
            })
            .collect();
        let map = make();
        for slice in &slices {
            for &key in &slice[..prefill as usize] {
                map.store(key, key);
            }
        }
        let plans: Vec<Vec<Op>> = (0..threads).map(|t| plan(p, t as u64)).collect();
        let elapsed = run_threads(threads, |t| {
            run_slice(&map, &slices[t], prefill, &plans[t], per_thread, t as u64)
        })
        .map_err(|e| format!("{}: {e}", self.name()))?;
        Ok(Sample {
            ops: per_thread * threads as u64,
            elapsed,
        })
    }
}

/// One thread's run over its own key slice: `keys[erased..inserted]` are present.
fn run_slice<M: BenchMap>(
    map: &M,
    keys: &[u64],
    prefilled: u64,
    plan: &[Op],
    ops: u64,
    seed: u64,
) -> Result<(), String> {
    let (mut erased, mut inserted) = (0_usize, prefilled as usize);
    let mut rng = XorShift(splitmix64(seed ^ 0x5eed) | 1);
    let mut pick = || rng.below(keys.len() as u64) as usize;
    for (done, &op) in plan.iter().cycle().take(ops as usize).enumerate() {
        match op {
            Op::Read | Op::Update => {
                let at = pick();
                let key = keys[at];
                let expected = (erased..inserted).contains(&at);
                let found = if op == Op::Read {
                    map.load(&key).is_some()
                } else {
                    map.update(&key, |v| v.wrapping_add(1)).is_some()
                };
                if found != expected {
                    return Err(format!(
                        "op {done}: {op:?} of key {key} found={found}, expected {expected}"
                    ));
                }
            }
            Op::Insert => {
                // The slice was sized for every insert of the run.
                map.store(keys[inserted], keys[inserted]);
                inserted += 1;
            }
            Op::Remove => {
                if erased < inserted {
                    if !map.delete(&keys[erased]) {
                        return Err(format!(
                            "op {done}: remove of present key {} missed",
                            keys[erased]
                        ));
                    }
                    erased += 1;
                } else {
                    let key = keys[pick()];
                    if map.delete(&key) {
                        return Err(format!("op {done}: remove of absent key {key} succeeded"));
                    }
                }
            }
        }
    }
    Ok(())
}

/// 100 operations in the mix's proportions, shuffled per thread.
fn plan(p: Proportions, seed: u64) -> Vec<Op> {
    let mut ops = Vec::with_capacity(100);
    for (op, count) in [
        (Op::Read, p.read),
        (Op::Insert, p.insert),
        (Op::Remove, p.remove),
        (Op::Update, p.update),
    ] {
        ops.extend(std::iter::repeat_n(op, usize::from(count)));
    }
    let mut rng = XorShift(splitmix64(seed) | 1);
    for i in (1..ops.len()).rev() {
        ops.swap(i, rng.below(i as u64 + 1) as usize);
    }
    ops
}

/// Key `index` of thread `thread`'s slice: distinct for distinct inputs, since splitmix64 is a
/// bijection and `thread << 40 | index` is distinct for indices below 2^40.
fn key_for(thread: u64, index: u64) -> u64 {
    splitmix64(thread << 40 | index)
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A small, fast generator for picking keys; quality is not the point, speed is.
struct XorShift(u64);

impl XorShift {
    /// A value in `0..bound` (Lemire's multiply-shift reduction).
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((u128::from(self.0) * u128::from(bound)) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_follow_the_proportions() {
        for mix in Mix::ALL {
            let p = mix.proportions();
            let ops = plan(p, 7);
            assert_eq!(ops.len(), 100);
            let count = |op| ops.iter().filter(|&&o| o == op).count();
            assert_eq!(count(Op::Read), usize::from(p.read));
            assert_eq!(count(Op::Insert), usize::from(p.insert));
            assert_eq!(count(Op::Remove), usize::from(p.remove));
            assert_eq!(count(Op::Update), usize::from(p.update));
        }
    }

    #[test]
    fn keys_are_distinct_across_threads() {
        let mut keys: Vec<u64> = (0..4)
            .flat_map(|t| (0..1000).map(move |j| key_for(t, j)))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), 4000);
    }
}
