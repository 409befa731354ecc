//! Panics at every place user code runs (key `Hash`, `Eq`, `Clone` and `Drop`; value `Clone`,
//! `PartialEq` and `Drop`; the closures of `load_or_store_with`, `update`, `compute` and `range`),
//! on every map: after each caught panic the map holds either the contents before the call or
//! the contents after it (the call took effect completely or not at all), keeps working, and once
//! dropped has dropped every key and value instance exactly once.
//!
//! The panicking implementations (`support/instrumented.rs`) are switched on by a thread-local
//! countdown: "panic at the n-th call of site S", armed only during the call under test. Everything runs on one thread, so the
//! deferred drops of `SyncMap` run on it too.

mod support;

use std::borrow::Borrow;
use std::panic::{self, AssertUnwindSafe};

use support::instrumented::{
    Action, DELIBERATE, Key, Model, SITES, Site, Value, apply_model, arm, contents, disarm,
    double_drops, draw, every_pair, fill_every_state, forget_live, live, make_call,
};
use support::rng::{Rng, seed};
use support::scaled;
use syncmap_core::ConcurrentMap;
use syncmap_impls::{MutexMap, RwLockMap, SyncMap};

/// Random calls with a random site armed for each; see the module docs.
/// `immediate_drops`: the map drops what it removes before returning (the lock-based maps), so
/// the live instances are exactly its keys and values after every call.
fn panics_leave_the_map_consistent<M, F>(
    name: &str,
    new_map: F,
    immediate_drops: bool,
    sites: &[Site],
) where
    M: ConcurrentMap<Key, Value>,
    F: Fn() -> M,
{
    let seed = seed();
    let mut rng = Rng::new(seed, 0);
    let (mut caught, mut calls) = (0, 0);
    let previous_hook = panic::take_hook();
    // Deliberate panics are expected by the thousand; keep the output readable.
    panic::set_hook(Box::new(|info| {
        let deliberate = info.payload().downcast_ref::<&str>() == Some(&DELIBERATE)
            || info.payload().downcast_ref::<String>().map(String::as_str) == Some(DELIBERATE);
        if !deliberate {
            eprintln!("{info}");
        }
    }));
    for case in 0..scaled(200, 2) {
        let map = new_map();
        let mut model = Model::new();
        for _ in 0..scaled(40, 12) {
            let call = draw(&mut rng);
            let site = sites[rng.below(sites.len() as u32) as usize];
            let before = model.clone();
            apply_model(&mut model, call);
            arm(site, rng.below(3), Action::Panic);
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| make_call(&map, call)));
            disarm();
            calls += 1;
            match outcome {
                Ok(()) => {
                    let actual = contents(&map);
                    assert_eq!(
                        actual, model,
                        "{name}: case {case}, {call:?} with {site:?} armed did not panic but \
                         left the wrong contents (SYNCMAP_TEST_SEED={seed})"
                    );
                }
                Err(payload) => {
                    let message = payload
                        .downcast_ref::<&str>()
                        .copied()
                        .or(payload.downcast_ref::<String>().map(String::as_str));
                    assert_eq!(
                        message,
                        Some(DELIBERATE),
                        "{name}: case {case}, {call:?} with {site:?} armed: the map panicked on \
                         its own (SYNCMAP_TEST_SEED={seed})"
                    );
                    caught += 1;
                    let actual = contents(&map);
                    assert!(
                        actual == before || actual == model,
                        "{name}: case {case}, {call:?} panicked at {site:?} and left {actual:?}, \
                         neither {before:?} (before) nor {model:?} (after) \
                         (SYNCMAP_TEST_SEED={seed})"
                    );
                    model = actual;
                }
            }
            if immediate_drops {
                let live = live();
                assert_eq!(
                    live,
                    2 * model.len(),
                    "{name}: case {case}, after {call:?} with {site:?} armed: {live} keys and \
                     values alive for {} entries (SYNCMAP_TEST_SEED={seed})",
                    model.len()
                );
            }
        }
        drop(map);
        let leaked = live();
        assert_eq!(
            (leaked, double_drops()),
            (0, 0),
            "{name}: case {case}: instances leaked, double drops (SYNCMAP_TEST_SEED={seed})"
        );
    }
    panic::set_hook(previous_hook);
    // Under Miri the run is a few dozen calls, where a tenth is within chance of missing.
    let enough = if cfg!(miri) { 0 } else { calls / 10 };
    assert!(
        caught > enough,
        "{name}: only {caught} of {calls} calls panicked"
    );
}

/// Every site but the destructors.
const NOT_DROP: [Site; 6] = [
    Site::KeyHash,
    Site::KeyEq,
    Site::KeyClone,
    Site::ValueClone,
    Site::ValueEq,
    Site::Closure,
];

#[test]
#[cfg_attr(
    miri,
    ignore = "the `panicking_drops` twin arms a superset of these sites"
)]
fn mutex_map_survives_panics() {
    panics_leave_the_map_consistent("MutexMap", MutexMap::new, true, &NOT_DROP);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "RwLockMap shares MutexMap's code, which has no unsafe; Miri runs MutexMap's test"
)]
fn rwlock_map_survives_panics() {
    panics_leave_the_map_consistent("RwLockMap", RwLockMap::new, true, &NOT_DROP);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "the `panicking_drops` twin arms a superset of these sites"
)]
fn sync_map_survives_panics() {
    panics_leave_the_map_consistent("SyncMap", SyncMap::new, false, &NOT_DROP);
}

#[test]

fn mutex_map_survives_panicking_drops() {
    panics_leave_the_map_consistent("MutexMap", MutexMap::new, true, &SITES);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "RwLockMap shares MutexMap's code, which has no unsafe; Miri runs MutexMap's test"
)]
fn rwlock_map_survives_panicking_drops() {
    panics_leave_the_map_consistent("RwLockMap", RwLockMap::new, true, &SITES);
}

#[test]

fn sync_map_survives_panicking_drops() {
    panics_leave_the_map_consistent("SyncMap", SyncMap::new, false, &SITES);
}

/// `Key` is its own borrowed form; this keeps the lookups above honest about it.
#[test]
fn keys_are_looked_up_by_reference() {
    fn lookup<Q: ?Sized, K: Borrow<Q>>(_: &K) {}
    lookup::<Key, Key>(&Key::new(0));
    forget_live();
}

/// Every call of a fixed list, against a map with keys in `read`, in `dirty` only, deleted and
/// expunged, with each site armed to panic at each of its first four calls (under Miri, a third of
/// the pairs of call and site, at the first call only): whatever happens,
/// once the map is dropped nothing may be left alive. Lists every leaking combination at once.
fn single_panics_leak_nothing<M, F>(name: &str, new_map: F, sites: &[Site])
where
    M: ConcurrentMap<Key, Value>,
    F: Fn() -> M,
{
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let mut leaks = Vec::new();
    for (call, site) in every_pair(sites, scaled(1, 3)) {
        for left in 0..scaled(4, 1) as u32 {
            {
                let map = new_map();
                fill_every_state(&map);
                arm(site, left, Action::Panic);
                let _ = panic::catch_unwind(AssertUnwindSafe(|| make_call(&map, call)));
                disarm();
            }
            let leaked = live();
            if leaked > 0 {
                leaks.push(format!(
                    "{call:?} panicking at call #{left} of {site:?}: {leaked}"
                ));
                forget_live();
            }
        }
    }
    panic::set_hook(previous_hook);
    assert!(
        leaks.is_empty() && double_drops() == 0,
        "{name}: instances left alive after the map was dropped, {} double drops:\n{}",
        double_drops(),
        leaks.join("\n")
    );
}

#[test]
#[cfg_attr(
    miri,
    ignore = "the `panicking_drops` twin arms a superset of these sites"
)]
fn mutex_map_single_panics_leak_nothing() {
    single_panics_leak_nothing("MutexMap", MutexMap::new, &NOT_DROP);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "RwLockMap shares MutexMap's code, which has no unsafe; Miri runs MutexMap's test"
)]
fn rwlock_map_single_panics_leak_nothing() {
    single_panics_leak_nothing("RwLockMap", RwLockMap::new, &NOT_DROP);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "the `panicking_drops` twin arms a superset of these sites"
)]
fn sync_map_single_panics_leak_nothing() {
    single_panics_leak_nothing("SyncMap", SyncMap::new, &NOT_DROP);
}

#[test]

fn mutex_map_single_panicking_drops_leak_nothing() {
    single_panics_leak_nothing("MutexMap", MutexMap::new, &SITES);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "RwLockMap shares MutexMap's code, which has no unsafe; Miri runs MutexMap's test"
)]
fn rwlock_map_single_panicking_drops_leak_nothing() {
    single_panics_leak_nothing("RwLockMap", RwLockMap::new, &SITES);
}

#[test]

fn sync_map_single_panicking_drops_leak_nothing() {
    single_panics_leak_nothing("SyncMap", SyncMap::new, &SITES);
}
