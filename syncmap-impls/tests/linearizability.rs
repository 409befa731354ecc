//! Linearizability of every per-key method (load, contains_key, store, load_or_store,
//! load_or_store_with, load_and_delete, delete, swap, compare_and_swap, compare_and_delete,
//! update) on every map, from histories recorded on real threads and checked per key by a
//! Wing & Gong search (tests/support/lincheck.rs, itself tested in tests/lincheck_checker.rs).
//!
//! Set `SYNCMAP_TEST_SEED` to replay a run; a failure prints the seed in its workload.

mod support;

use support::record::{Mix, Workload, assert_linearizable};
use support::rng::seed;
use support::scaled;
use syncmap_core::ConcurrentMap;
use syncmap_impls::{MutexMap, RwLockMap, SyncMap};

/// Overlapping calls wanted per test before it stops adding rounds.
const WANTED_OVERLAPS: usize = 64;

/// Runs at least `rounds` recorded workloads, each on a fresh map from `new_map` and checked by
/// `after` too, and more (up to twenty times as many) until enough calls have overlapped: on a
/// loaded machine threads often run one after the other, which would test nothing concurrent.
fn run<M, F, A>(name: &str, new_map: F, keys: u32, mix: Mix, rounds: usize, mut after: A)
where
    M: ConcurrentMap<u32, u32> + Sync,
    F: Fn() -> M,
    A: FnMut(&M),
{
    let seed = seed();
    let (mut checked, mut overlapping) = (0, 0);
    let mut round = 0;
    while round < rounds || (overlapping < scaled(WANTED_OVERLAPS, 1) && round < 20 * rounds) {
        let workload = Workload {
            threads: scaled(4, 2),
            ops_per_thread: scaled(500, 12),
            keys,
            mix,
            seed: seed.wrapping_add(round as u64),
        };
        let map = new_map();
        let (c, o) = assert_linearizable(name, &map, &workload);
        after(&map);
        checked += c;
        overlapping += o;
        round += 1;
    }
    // Under Miri the scheduler interleaves threads at every step, so any overlap will do.
    assert!(
        overlapping > 0,
        "{name}: none of {checked} calls in {round} rounds overlapped another (seed {seed})"
    );
}

#[test]
fn mutex_map_is_linearizable() {
    run(
        "MutexMap",
        MutexMap::new,
        4,
        Mix::BALANCED,
        scaled(8, 1),
        |_| (),
    );
}

#[test]
#[cfg_attr(
    miri,
    ignore = "RwLockMap shares MutexMap's code, which has no unsafe; Miri runs MutexMap's test"
)]
fn rwlock_map_is_linearizable() {
    run(
        "RwLockMap",
        RwLockMap::new,
        4,
        Mix::BALANCED,
        scaled(8, 1),
        |_| (),
    );
}

#[test]
fn sync_map_is_linearizable() {
    run(
        "SyncMap",
        SyncMap::new,
        4,
        Mix::BALANCED,
        scaled(8, 1),
        |_| (),
    );
}

/// Few keys, many loads that miss and many deletes: `SyncMap` keeps promoting `dirty`,
/// rebuilding it, expunging and unexpunging entries while the calls race.
#[test]
fn sync_map_is_linearizable_through_promotions_and_rebuilds() {
    let (mut promotions, mut rebuilds) = (0, 0);
    let mut count = |map: &SyncMap<u32, u32>| {
        let stats = map.stats();
        promotions += stats.promotions;
        rebuilds += stats.dirty_rebuilds;
    };
    run(
        "SyncMap (promotions)",
        SyncMap::new,
        3,
        Mix::PROMOTIONS,
        scaled(16, 1),
        &mut count,
    );
    // The workload must drive the machinery it is meant to test.
    assert!(
        promotions > 0 && rebuilds > 0,
        "{promotions} promotions, {rebuilds} rebuilds"
    );
}

/// Many keys: lock-free paths on keys in `read` race with the slow paths of new keys.
#[test]
fn sync_map_is_linearizable_with_many_keys() {
    run(
        "SyncMap (many keys)",
        SyncMap::new,
        32,
        Mix::BALANCED,
        scaled(6, 1),
        |_| (),
    );
}
