//! The conformance kit checks itself: a correct reference map passes every check, and the same
//! map with one planted flaw fails the check meant to catch that flaw, with a message naming it.

mod support;

use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use support::reference_map::{
    CAS_ON_ABSENT, CORRECT, FORGETS_DELETE, Family, LEAKS_ON_DELETE, LOSES_RACING_STORES,
    NON_ATOMIC_CAS, RANGE_UNDER_LOCK,
};
use syncmap_core::conformance::{self, Config, KitKey, KitValue, MapFamily};
use syncmap_impls::MutexMap;

/// Runs `check`, which must panic; returns its message.
fn failure_of(check: impl FnOnce()) -> String {
    let payload = panic::catch_unwind(AssertUnwindSafe(check))
        .expect_err("the kit passed a map with a planted flaw");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map_or_else(String::new, |s| (*s).to_owned()),
    }
}

/// Enough cases to find each flaw, few enough to keep this file quick.
fn quick() -> Config {
    Config {
        cases: 500,
        ..Config::default()
    }
}

#[test]
fn the_correct_reference_map_passes_every_check() {
    conformance::run_all::<Family<CORRECT>>(&Config::default());
}

/// `syncmap_impls::MutexMap`, an independent implementation to compare the reference with.
struct MutexMapFamily;

impl MapFamily for MutexMapFamily {
    type Map<K: KitKey, V: KitValue> = MutexMap<K, V>;

    fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> {
        MutexMap::new()
    }
}

#[test]
fn the_correct_reference_map_agrees_with_mutex_map() {
    conformance::check_against::<Family<CORRECT>, MutexMapFamily>(&quick());
}

#[test]
fn a_forgotten_delete_is_caught_by_the_sequential_check() {
    let message = failure_of(|| conformance::check_sequential::<Family<FORGETS_DELETE>>(&quick()));
    eprintln!("{message}");
    assert!(message.contains("check_sequential"), "{message}");
    assert!(message.contains("minimal failing sequence"), "{message}");
    assert!(
        message.contains("Delete"),
        "the minimal sequence must show a delete: {message}"
    );
}

#[test]
fn a_forgotten_delete_is_caught_by_run_all() {
    let message = failure_of(|| conformance::run_all::<Family<FORGETS_DELETE>>(&quick()));
    assert!(
        message.contains("check_"),
        "run_all must name the failing check: {message}"
    );
}

#[test]
fn compare_and_swap_succeeding_on_an_absent_key_is_caught() {
    let message = failure_of(|| conformance::check_sequential::<Family<CAS_ON_ABSENT>>(&quick()));
    assert!(message.contains("CompareAndSwap"), "{message}");
}

#[test]
fn a_flawed_map_disagrees_with_a_correct_one() {
    let message = failure_of(|| {
        conformance::check_against::<Family<CAS_ON_ABSENT>, Family<CORRECT>>(&quick());
    });
    assert!(
        message.contains("check_against") && message.contains("CompareAndSwap"),
        "{message}"
    );
}

#[test]
fn a_leak_is_caught_by_the_drop_check() {
    let message =
        failure_of(|| conformance::check_drop_counts::<Family<LEAKS_ON_DELETE>>(&quick()));
    assert!(
        message.contains("check_drop_counts") && message.contains("never dropped"),
        "{message}"
    );
}

#[test]
fn a_leak_is_caught_by_the_panic_check_too() {
    // Its sequences delete as well; the audit after the panics must notice the leak.
    let message =
        failure_of(|| conformance::check_panicking_closures::<Family<LEAKS_ON_DELETE>>(&quick()));
    assert!(message.contains("never dropped"), "{message}");
}

#[test]
fn a_callback_run_under_the_lock_is_caught_as_a_deadlock() {
    // The nested range blocks forever on the lock its caller holds; the watchdog turns that into
    // a failure. Three seconds is ample for a check that takes well under a millisecond, and
    // this test waits that long only because the map deadlocks.
    let config = Config {
        deadlock_timeout: Duration::from_secs(3),
        ..quick()
    };
    let message =
        failure_of(|| conformance::check_range_nested_calls::<Family<RANGE_UNDER_LOCK>>(&config));
    assert!(
        message.contains("check_range_nested_calls") && message.contains("deadlock"),
        "{message}"
    );
}

#[test]
fn a_non_atomic_compare_and_swap_loses_increments() {
    let config = Config {
        threads: 4,
        ops_per_thread: 2_000,
        ..quick()
    };
    let message = failure_of(|| conformance::check_cas_counter::<Family<NON_ATOMIC_CAS>>(&config));
    assert!(message.contains("check_cas_counter"), "{message}");
}

#[test]
fn stores_lost_to_racing_writers_are_caught_by_the_disjoint_writers_check() {
    // Sequentially the flawed map is correct; only concurrent stores expose it.
    conformance::check_sequential::<Family<LOSES_RACING_STORES>>(&quick());
    let message = failure_of(|| {
        conformance::check_disjoint_writers::<Family<LOSES_RACING_STORES>>(&quick());
    });
    assert!(message.contains("check_disjoint_writers"), "{message}");
}
