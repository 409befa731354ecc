//! Checks on real threads: disjoint writers, a compare-and-swap counter, and `range` racing
//! writers (after Go's `TestConcurrentRange`).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use proptest::prelude::Rng;

use super::differential::Replay;
use super::encoding::Encoding;
use super::harness::{draw, family_name, op_source, run_check};
use super::op::{Op, op_strategy};
use super::{Config, MapFamily};
use crate::ConcurrentMap;

/// Names one thread's keys: `t{thread}/{name}`, so threads never share a key.
#[derive(Debug)]
struct Prefixed {
    thread: usize,
}

impl Encoding for Prefixed {
    type K = String;
    type V = u32;

    fn key(&self, name: &'static str) -> String {
        format!("t{}/{name}", self.thread)
    }

    fn lookup(&self, name: &'static str) -> Cow<'static, str> {
        Cow::Owned(self.key(name))
    }

    fn value(&self, number: u32) -> u32 {
        number
    }

    fn number(value: &u32) -> u32 {
        *value
    }
}

/// Whether `op` reads or writes the whole map, so its result depends on other threads' keys.
fn is_whole_map(op: &Op) -> bool {
    matches!(op, Op::Len | Op::IsEmpty | Op::Range { .. } | Op::Clear)
}

/// [`Config::threads`] threads each run [`Config::ops_per_thread`] random operations (every
/// per-key method) on keys no other thread touches, checking every result against their own
/// model as they go; afterwards the map must hold exactly the union of the models: nothing lost,
/// nothing resurrected, `len` exact.
///
/// # Panics
///
/// On the first result that differs from the thread's model, or if the final contents differ.
///
/// ```
/// # use syncmap_core::conformance::{KitKey, KitValue, MapFamily};
/// # use syncmap_impls::MutexMap;
/// # struct Family;
/// # impl MapFamily for Family {
/// #     type Map<K: KitKey, V: KitValue> = MutexMap<K, V>;
/// #     fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> { MutexMap::new() }
/// # }
/// use syncmap_core::conformance::{check_disjoint_writers, Config};
/// check_disjoint_writers::<Family>(&Config { ops_per_thread: 200, ..Config::default() });
/// ```
pub fn check_disjoint_writers<F: MapFamily>(config: &Config) {
    run_check(
        "check_disjoint_writers",
        family_name::<F>(),
        config,
        |config| {
            let seed = config.seed_or_random();
            let map = F::new_map::<String, u32>();
            // The workers start together, so that their operations overlap even when spawning a
            // thread takes longer than running one.
            let start = Barrier::new(config.threads);
            let models: Vec<Replay> = thread::scope(|scope| {
                let workers: Vec<_> = (0..config.threads)
                    .map(|thread| {
                        let (map, start) = (&map, &start);
                        scope.spawn(move || {
                            start.wait();
                            let encoding = Prefixed { thread };
                            let mut source = op_source(seed, thread as u64);
                            let strategy = op_strategy();
                            let mut replay = Replay::default();
                            let mut done = 0;
                            while done < config.ops_per_thread {
                                let op = draw(&strategy, &mut source);
                                if is_whole_map(&op) {
                                    continue;
                                }
                                if let Err(mismatch) = replay.step(&encoding, map, &op) {
                                    panic!(
                                        "thread {thread}, on its own keys (prefix `t{thread}/`): \
                                     {mismatch} (seed {seed})"
                                    );
                                }
                                done += 1;
                            }
                            replay
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                    .collect()
            });

            let mut expected = BTreeMap::new();
            for (thread, replay) in models.iter().enumerate() {
                for (name, value) in &replay.model {
                    expected.insert(Prefixed { thread }.key(name), *value);
                }
            }
            let mut actual = BTreeMap::new();
            map.range(|key, value| {
                if actual.insert(key.clone(), *value).is_some() {
                    panic!("range visited key {key:?} twice (seed {seed})");
                }
                true
            });
            assert_eq!(
                actual, expected,
                "after all threads finished, the map (left) differs from the union of their models \
             (right) (seed {seed})"
            );
            assert_eq!(
                map.len(),
                expected.len(),
                "len is not exact once writers are done (seed {seed})"
            );
        },
    );
}

/// How a thread of [`check_cas_counter`] raises the counter.
#[derive(Clone, Copy, Debug)]
enum Raise {
    CompareAndSwapLoop,
    Update,
    Compute,
}

/// [`Config::threads`] threads each raise one counter [`Config::ops_per_thread`] times, by a
/// `load` + `compare_and_swap` retry loop (and, on some threads, by `update` and `compute`). The
/// final count must be exact, each value from 1 to the total must have been installed by exactly
/// one successful raise, and each thread must see the counter only grow.
///
/// # Panics
///
/// If an increment is lost or duplicated.
///
/// ```
/// # use syncmap_core::conformance::{KitKey, KitValue, MapFamily};
/// # use syncmap_impls::MutexMap;
/// # struct Family;
/// # impl MapFamily for Family {
/// #     type Map<K: KitKey, V: KitValue> = MutexMap<K, V>;
/// #     fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> { MutexMap::new() }
/// # }
/// use syncmap_core::conformance::{check_cas_counter, Config};
/// check_cas_counter::<Family>(&Config { ops_per_thread: 200, ..Config::default() });
/// ```
pub fn check_cas_counter<F: MapFamily>(config: &Config) {
    run_check("check_cas_counter", family_name::<F>(), config, |config| {
        const KEY: &str = "counter";
        let map = F::new_map::<String, u64>();
        map.store(KEY.to_owned(), 0);
        let threads = config.threads.max(2);
        let per_thread = config.ops_per_thread;
        // The workers start together, so that their increments overlap even when spawning a
        // thread takes longer than running one.
        let start = Barrier::new(threads);
        let installed: Vec<Vec<u64>> = thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|thread| {
                    let (map, start) = (&map, &start);
                    // Half the threads use the raw loop, the others the read-modify-write helpers.
                    let raise = match thread % 4 {
                        1 => Raise::Update,
                        3 => Raise::Compute,
                        _ => Raise::CompareAndSwapLoop,
                    };
                    scope.spawn(move || {
                        start.wait();
                        raise_counter(map, KEY, raise, per_thread)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        let total = (threads * per_thread) as u64;
        assert_eq!(
            map.load(KEY),
            Some(total),
            "{threads} threads × {per_thread} increments: the counter does not sum exactly"
        );
        let mut all: Vec<u64> = installed.into_iter().flatten().collect();
        all.sort_unstable();
        let duplicate = all.windows(2).find(|pair| pair[0] == pair[1]);
        assert!(
            duplicate.is_none(),
            "two raises both claimed to install {:?}: one of them was not atomic",
            duplicate.map(|pair| pair[0])
        );
        assert_eq!(
            all.len() as u64,
            total,
            "not every raise reported the value it installed"
        );
    });
}

/// Raises `key` `times` times; returns the values this thread installed.
fn raise_counter<M>(map: &M, key: &str, raise: Raise, times: usize) -> Vec<u64>
where
    M: ConcurrentMap<String, u64> + ?Sized,
{
    let mut installed = Vec::with_capacity(times);
    let mut last_seen = 0;
    let mut observe = |seen: u64| {
        assert!(
            seen >= last_seen,
            "the counter went back from {last_seen} to {seen} ({raise:?})"
        );
        last_seen = seen;
    };
    for _ in 0..times {
        let new = match raise {
            Raise::CompareAndSwapLoop => loop {
                let current = map.load(key).expect("the counter is never deleted");
                observe(current);
                if map.compare_and_swap(key, &current, current + 1) {
                    break current + 1;
                }
            },
            Raise::Update => map
                .update(key, |n| n + 1)
                .expect("the counter is never deleted"),
            Raise::Compute => map
                .compute(key.to_owned(), |n| {
                    Some(n.expect("the counter is never deleted") + 1)
                })
                .expect("compute returned None for a Some"),
        };
        observe(new);
        installed.push(new);
    }
    installed
}

/// `range` while writers race (Go's `TestConcurrentRange`, tightened).
///
/// The map holds keys `1..=n`; the lower half is never written again, the upper half is
/// overwritten with multiples of the key, deleted and restored, and keys `n+1..=2n` are stored for
/// the first time, by [`Config::threads`]` - 1` writers. Each `range` must visit each key at most
/// once, never a key that was never stored, only values that key held (non-zero multiples of it),
/// and every key of the untouched half with its value.
///
/// # Panics
///
/// On the first `range` that breaks one of these rules.
///
/// ```
/// # use syncmap_core::conformance::{KitKey, KitValue, MapFamily};
/// # use syncmap_impls::MutexMap;
/// # struct Family;
/// # impl MapFamily for Family {
/// #     type Map<K: KitKey, V: KitValue> = MutexMap<K, V>;
/// #     fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> { MutexMap::new() }
/// # }
/// use syncmap_core::conformance::{check_concurrent_range, Config};
/// check_concurrent_range::<Family>(&Config { ops_per_thread: 200, ..Config::default() });
/// ```
pub fn check_concurrent_range<F: MapFamily>(config: &Config) {
    run_check(
        "check_concurrent_range",
        family_name::<F>(),
        config,
        |config| {
            let n: u64 = if cfg!(miri) { 16 } else { 256 };
            let stable = 1..=n / 2;
            let ranges = (config.ops_per_thread / 50).max(4);
            let seed = config.seed_or_random();

            let map = F::new_map::<u64, u64>();
            for key in 1..=n {
                map.store(key, key);
            }
            // `announced[k]` is set before key `k` is first stored, so a range that sees `k` must
            // find it set: the store happened before the visit, and the flag before the store.
            let announced: Vec<AtomicBool> =
                (0..=2 * n).map(|key| AtomicBool::new(key <= n)).collect();
            let stop = AtomicBool::new(false);
            let writers = config.threads.saturating_sub(1).max(1);
            // The ranges start once every writer is running: without it, on a loaded machine the
            // ranges could all finish before the first writer was spawned.
            let start = Barrier::new(writers + 1);

            thread::scope(|scope| {
                for writer in 0..writers {
                    let (map, announced, stop, start) = (&map, &announced, &stop, &start);
                    scope.spawn(move || {
                        let mut source = op_source(seed, writer as u64);
                        let rng = source.rng();
                        start.wait();
                        while !stop.load(Ordering::Relaxed) {
                            let key = rng.random_range(n / 2 + 1..=2 * n);
                            let multiple = key * rng.random_range(1..=8u64);
                            announced[key as usize].store(true, Ordering::SeqCst);
                            match rng.random_range(0..6) {
                                0 => {
                                    map.delete(&key);
                                }
                                1 => {
                                    map.swap(key, multiple);
                                }
                                2 => {
                                    let _ = map.load_or_store(key, multiple);
                                }
                                3 => {
                                    map.compare_and_swap(&key, &key, multiple);
                                }
                                _ => map.store(key, multiple),
                            }
                        }
                    });
                }

                start.wait();
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    for round in 0..ranges {
                        let mut seen = HashSet::new();
                        map.range(|&key, &value| {
                        assert!(
                            (1..=2 * n).contains(&key) && announced[key as usize].load(Ordering::SeqCst),
                            "range #{round} visited key {key}, which was never stored"
                        );
                        assert!(seen.insert(key), "range #{round} visited key {key} twice");
                        assert!(
                            value != 0 && value % key == 0,
                            "range #{round} saw key {key} with value {value}, which it never held"
                        );
                        if stable.contains(&key) {
                            assert_eq!(value, key, "range #{round}: untouched key {key} changed");
                        }
                        true
                    });
                        let missing: Vec<u64> =
                            stable.clone().filter(|k| !seen.contains(k)).collect();
                        assert!(
                            missing.is_empty(),
                            "range #{round} skipped keys {missing:?}, present and untouched during the call"
                        );
                    }
                }));
                stop.store(true, Ordering::Relaxed);
                if let Err(payload) = outcome {
                    std::panic::resume_unwind(payload);
                }
            });

            let mut count = 0;
            map.range(|_, _| {
                count += 1;
                true
            });
            assert_eq!(
                map.len(),
                count,
                "once writers stopped, len differs from what range visits"
            );
        },
    );
}
