//! What the contract promises for the whole-map methods under concurrent writes, on every map:
//! `range` visits each key at most once, never a key never stored, and every key present and
//! untouched throughout; `clear` removes every key present when it starts and not stored
//! concurrently; `len` is exact when quiescent and, while one writer only adds (or only removes)
//! keys, lies between the counts before and after the call.

mod support;

use std::collections::HashSet;
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread;

use support::rng::{Rng, seed};
use support::scaled;
use syncmap_core::ConcurrentMap;
use syncmap_impls::SyncMap;

/// Keys `0..STABLE` are stored first and never written again (fewer under Miri, whose every
/// step is thousands of times slower).
const STABLE: u32 = scaled(32, 8) as u32;
/// Writers use keys `STABLE..STABLE + CHURN` (values are multiples of the key plus one).
const CHURN: u32 = scaled(64, 16) as u32;

/// Ranges while two writers store, delete and overwrite the churn keys (so `SyncMap` keeps
/// rebuilding `dirty` and its ranges promote it).
fn range_under_churn<M: ConcurrentMap<u32, u64> + Sync>(map: &M) {
    for key in 0..STABLE {
        map.store(key, u64::from(key));
    }
    let stop = AtomicBool::new(false);
    let seed = seed();
    let start = Barrier::new(3);
    thread::scope(|s| {
        for writer in 0..2 {
            let (stop, start) = (&stop, &start);
            s.spawn(move || {
                let mut rng = Rng::new(seed, writer);
                start.wait();
                while !stop.load(Ordering::Relaxed) {
                    let key = STABLE + rng.below(CHURN);
                    let value = u64::from(key) * u64::from(1 + rng.below(4)) + 1;
                    match rng.below(4) {
                        0 => drop(map.delete(&key)),
                        1 => drop(map.swap(key, value)),
                        _ => map.store(key, value),
                    }
                }
            });
        }
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            start.wait();
            for round in 0..scaled(200, 3) {
                let mut seen = HashSet::new();
                map.range(|&key, &value| {
                    assert!(seen.insert(key), "range #{round} visited {key} twice");
                    assert!(
                        key < STABLE + CHURN,
                        "range #{round} visited {key}, never stored"
                    );
                    if key < STABLE {
                        assert_eq!(value, u64::from(key), "stable key {key} changed");
                    } else {
                        let k = u64::from(key);
                        assert!(
                            value > k && (value - 1) % k == 0,
                            "{key} never held {value}"
                        );
                    }
                    true
                });
                let missing: Vec<u32> = (0..STABLE).filter(|k| !seen.contains(k)).collect();
                assert!(
                    missing.is_empty(),
                    "range #{round} skipped stable keys {missing:?}"
                );
            }
        }));
        stop.store(true, Ordering::Relaxed);
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    });
    let mut visited = 0;
    map.range(|_, _| {
        visited += 1;
        true
    });
    assert_eq!(map.len(), visited, "quiescent len differs from range");
}

/// `clear` racing a writer of other keys: every key stored before `clear` began and not written
/// during it is gone afterwards; the racing writer's keys may survive or not, but `len` is exact
/// once both are done.
fn clear_under_churn<M: ConcurrentMap<u32, u64> + Sync>(map: &M) {
    for round in 0..scaled(300, 3) as u64 {
        for key in 0..STABLE {
            map.store(key, round);
        }
        let start = Barrier::new(2);
        thread::scope(|s| {
            s.spawn(|| {
                start.wait();
                for key in STABLE..STABLE + 8 {
                    map.store(key, round);
                    map.delete(&(key - 4));
                }
            });
            start.wait();
            map.clear();
            for key in 0..STABLE {
                // The writer only deletes some of these during the clear, which cannot revive them.
                assert!(
                    !map.contains_key(&key),
                    "round {round}: key {key} survived clear"
                );
            }
        });
        let mut visited = 0;
        map.range(|_, _| {
            visited += 1;
            true
        });
        assert_eq!(map.len(), visited, "round {round}: len differs from range");
        map.clear();
        assert!(map.is_empty() && map.len() == 0, "round {round}: not empty");
    }
}

/// One writer stores keys `0..n` in order and then deletes them in order, publishing how many it
/// has done; `len` called meanwhile must lie between the counts published before and after it
/// (one write may be in flight).
fn len_tracks_a_monotonic_writer<M: ConcurrentMap<u32, u64> + Sync>(map: &M) {
    let n = scaled(4_000, 30) as u32;
    let stored = AtomicU32::new(0);
    let deleted = AtomicU32::new(0);
    let done = AtomicBool::new(false);
    let start = Barrier::new(2);
    thread::scope(|s| {
        s.spawn(|| {
            start.wait();
            for key in 0..n {
                map.store(key, 0);
                stored.store(key + 1, Ordering::SeqCst);
            }
            for key in 0..n {
                map.delete(&key);
                deleted.store(key + 1, Ordering::SeqCst);
            }
            done.store(true, Ordering::SeqCst);
        });
        start.wait();
        let mut calls = 0;
        while !done.load(Ordering::SeqCst) || calls == 0 {
            let (s0, d0) = (
                stored.load(Ordering::SeqCst),
                deleted.load(Ordering::SeqCst),
            );
            let len = map.len() as u32;
            let (s1, d1) = (
                stored.load(Ordering::SeqCst),
                deleted.load(Ordering::SeqCst),
            );
            // Present: stored minus deleted; at most one more store or delete is in flight.
            let low = s0.saturating_sub(d1 + 1);
            let high = (s1 + 1).min(n) - d0;
            assert!(
                (low..=high).contains(&len),
                "len {len} outside {low}..={high} (stored {s0}..{s1}, deleted {d0}..{d1})"
            );
            calls += 1;
        }
    });
    assert_eq!(map.len(), 0);
}

macro_rules! on_every_map {
    ($($check:ident),* $(,)?) => {
        mod mutex_map {
            $(#[test] fn $check() { super::$check(&syncmap_impls::MutexMap::new()); })*
        }
        mod rwlock_map {
            $(#[test] #[cfg_attr(miri, ignore = "RwLockMap shares MutexMap's code, which has no unsafe; Miri runs MutexMap's test")] fn $check() { super::$check(&syncmap_impls::RwLockMap::new()); })*
        }
        mod sync_map {
            $(#[test] fn $check() { super::$check(&syncmap_impls::SyncMap::new()); })*
        }
    };
}

on_every_map!(
    range_under_churn,
    clear_under_churn,
    len_tracks_a_monotonic_writer
);

#[test]
fn sync_map_ranges_promote_under_churn() {
    let map = SyncMap::new();
    range_under_churn(&map);
    assert!(map.stats().promotions > 0, "{:?}", map.stats());
}
