//! Calls back into the same map from every place user code runs (key `Hash`, `Eq`, `Clone` and
//! `Drop`; value `Clone`, `PartialEq` and `Drop`; the closures of `load_or_store_with`, `update`,
//! `compute` and `range`), during every call of the trait, on every map, with keys in every state
//! (`read`, `dirty` only, deleted, expunged). Nothing may deadlock: natively each map's run has a
//! deadline, and under Miri a deadlock is reported by Miri itself.
//!
//! The contract lets maps run key `Hash`, `Eq` and `Clone` under their lock; a call back from
//! there must then panic with the maps' re-entrance message instead of hanging, and the map must
//! be left as it was before the call or after it. From everywhere else the call back must simply
//! work. Either way the map then keeps working, its invariants hold, and once dropped it has
//! dropped every key and value exactly once.

mod support;

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use support::instrumented::{
    Action, KEYS, Key, Model, SITES, Site, Value, apply_model, arm, contents, disarm, double_drops,
    every_pair, fill_every_state, live, make_call, set_call_back,
};
use support::{scaled, with_deadline};
use syncmap_core::ConcurrentMap;
use syncmap_impls::{MutexMap, RwLockMap, SyncMap};

/// How the maps' re-entrance panic begins (the message is `syncmap_impls`' own).
const REENTRANT_CALL: &str = "syncmap: a key's Hash, Eq or Clone called back into the map";

/// The sites the contract lets a map run under its lock.
const MAY_RUN_LOCKED: [Site; 3] = [Site::KeyHash, Site::KeyEq, Site::KeyClone];

/// What the call back does: a read, and a write that it undoes, so that the map's contents are
/// those of the model whether or not the call back ran. `KEYS` is outside the calls' keys.
fn call_back_into<M: ConcurrentMap<Key, Value>>(map: &M) {
    let _ = map.load_with(&Key::new(1), |value| value.v);
    map.store(Key::new(KEYS), Value::new(0));
    assert!(
        map.delete(&Key::new(KEYS)),
        "the call back's own store was lost"
    );
}

/// Per site: call backs that ran, and those that met the re-entrance panic.
#[derive(Default)]
struct Tally {
    ran: [usize; SITES.len()],
    refused: [usize; SITES.len()],
}

fn site_index(site: Site) -> usize {
    SITES
        .iter()
        .position(|&s| s == site)
        .expect("a listed site")
}

fn call_backs_never_deadlock<M>(name: &str, new_map: fn() -> M, invariants: fn(&M))
where
    M: ConcurrentMap<Key, Value> + Send + Sync + 'static,
{
    let name = name.to_owned();
    with_deadline(&format!("{name}: call backs"), 120, move || {
        let previous_hook = panic::take_hook();
        panic::set_hook(Box::new(|_| {}));
        let mut tally = Tally::default();
        // Under Miri, every fifth pair of call and site (5 is coprime with the 8 sites).
        for (call, site) in every_pair(&SITES, scaled(1, 5)) {
            for after in 0..scaled(3, 1) as u32 {
                let map = Arc::new(new_map());
                fill_every_state(&*map);
                let before = contents(&*map);
                let mut model = before.clone();
                apply_model(&mut model, call);
                let target = Arc::clone(&map);
                set_call_back(Some(Box::new(move || call_back_into(&*target))));
                arm(site, after, Action::CallBack);
                let outcome = panic::catch_unwind(AssertUnwindSafe(|| make_call(&*map, call)));
                let ran = !disarm();
                set_call_back(None);
                let what = format!("{name}: {call:?} calling back at #{after} of {site:?}");
                let refused =
                    check_outcome(&what, site, outcome, &contents(&*map), &before, &model);
                invariants(&map);
                tally.ran[site_index(site)] += usize::from(ran);
                tally.refused[site_index(site)] += usize::from(refused);
                // Still usable.
                map.store(Key::new(5), Value::new(9));
                assert_eq!(map.load(&Key::new(5)).map(|v| v.v), Some(9), "{what}");
                drop(map);
                assert_eq!(
                    (live(), double_drops()),
                    (0, 0),
                    "{what}: leaked, double drops"
                );
            }
        }
        panic::set_hook(previous_hook);
        for site in SITES {
            let (ran, refused) = (tally.ran[site_index(site)], tally.refused[site_index(site)]);
            println!("{name}: {site:?}: {ran} call backs, {refused} refused under the lock");
            assert!(
                ran > 0,
                "{name}: no call ever reached {site:?}, so its call back went untested"
            );
        }
    });
}

/// The call either completed, or (only from a site that may run locked) panicked with the
/// re-entrance message and left the contents from before or after it; returns whether it did.
fn check_outcome(
    what: &str,
    site: Site,
    outcome: std::thread::Result<()>,
    actual: &Model,
    before: &Model,
    after: &Model,
) -> bool {
    match outcome {
        Ok(()) => {
            assert_eq!(actual, after, "{what}: wrong contents");
            false
        }
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or(payload.downcast_ref::<&str>().copied())
                .unwrap_or("(not a string)");
            assert!(
                MAY_RUN_LOCKED.contains(&site) && message.starts_with(REENTRANT_CALL),
                "{what}: panicked with {message:?}; a call back from {site:?} must work"
            );
            assert!(
                actual == before || actual == after,
                "{what}: refused, and left {actual:?}, neither {before:?} nor {after:?}"
            );
            true
        }
    }
}

#[test]
fn mutex_map_call_backs_never_deadlock() {
    call_backs_never_deadlock("MutexMap", MutexMap::new, |_| {});
}

#[test]
#[cfg_attr(
    miri,
    ignore = "RwLockMap shares MutexMap's code, which has no unsafe; Miri runs MutexMap's test"
)]
fn rwlock_map_call_backs_never_deadlock() {
    call_backs_never_deadlock("RwLockMap", RwLockMap::new, |_| {});
}

#[test]
fn sync_map_call_backs_never_deadlock() {
    call_backs_never_deadlock("SyncMap", SyncMap::new, |map| {
        if let Err(broken) = map.check_invariants() {
            panic!("SyncMap invariants: {broken}");
        }
    });
}

/// A store made while `compare_and_swap` or `compare_and_delete` compares values (from the
/// value's `PartialEq`, which runs outside every lock) comes between the comparison and the
/// swap. Whichever order the two are linearized in, the store's value must be the one left: a
/// map that swaps without checking that the value it compared is still current overwrites it.
fn writes_during_a_comparison_survive<M>(name: &str, map: &Arc<M>)
where
    M: ConcurrentMap<Key, Value> + 'static,
{
    for compare_and_delete in [false, true] {
        map.store(Key::new(1), Value::new(1));
        let target = Arc::clone(map);
        set_call_back(Some(Box::new(move || {
            target.store(Key::new(1), Value::new(7));
        })));
        arm(Site::ValueEq, 0, Action::CallBack);
        if compare_and_delete {
            let _ = map.compare_and_delete(&Key::new(1), &Value::new(1));
        } else {
            let _ = map.compare_and_swap(&Key::new(1), &Value::new(1), Value::new(2));
        }
        assert!(!disarm(), "{name}: the comparison never ran");
        set_call_back(None);
        assert_eq!(
            map.load(&Key::new(1)).map(|value| value.v),
            Some(7),
            "{name}: the store made during the comparison of {} was lost",
            if compare_and_delete {
                "compare_and_delete"
            } else {
                "compare_and_swap"
            }
        );
    }
}

#[test]
fn writes_during_a_comparison_survive_on_every_map() {
    writes_during_a_comparison_survive("MutexMap", &Arc::new(MutexMap::new()));
    writes_during_a_comparison_survive("RwLockMap", &Arc::new(RwLockMap::new()));
    writes_during_a_comparison_survive("SyncMap", &Arc::new(SyncMap::new()));
    let promoted = Arc::new(SyncMap::new());
    promoted.store(Key::new(1), Value::new(1));
    promoted.range(|_, _| true); // key 1 in `read`, compared on the lock-free path
    writes_during_a_comparison_survive("SyncMap (read)", &promoted);
}
