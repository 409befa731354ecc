//! The conformance kit checks itself: a correct reference map passes every check, and the same
//! map with one planted flaw fails the check meant to catch that flaw, with a message naming it.

mod support;

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use support::reference_map::{
    BUILDS_EAGERLY, BUILDS_UNDER_LOCK, CAS_ON_ABSENT, CLEAR_SKIPPED_DURING_RANGE,
    COMPUTE_WITHOUT_RECHECK, COMPUTES_UNDER_LOCK, CORRECT, DEFERS_DROPS_TO_SAME_THREAD,
    DROPS_UNDER_LOCK, FORGETS_DELETE, Family, LEAKS_ON_DELETE, LEAKS_UNDER_CONTENTION,
    LOADS_UNDER_LOCK, LOSES_RACING_STORES, NON_ATOMIC_CAS, RANGE_BY_POSITION, RANGE_IGNORES_STOP,
    RANGE_RESTARTS_ON_CHANGE, RANGE_UNDER_LOCK, REHASHES_STORED_KEYS, REPLACES_CLOSURE_PANICS,
    UPDATE_WITHOUT_RECHECK, UPDATES_UNDER_LOCK,
};
use syncmap_core::conformance::{self, Config, KitKey, KitValue, MapFamily, Op};
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
fn a_write_no_operation_reads_back_is_caught_by_the_final_contents_check() {
    // The second delete is forgotten, and nothing reads the key afterwards: only the comparison
    // of the whole contents after the last operation can see it.
    let map = <Family<FORGETS_DELETE> as MapFamily>::new_map::<String, u32>();
    let ops = [
        Op::Store {
            key: "k0",
            value: 1,
        },
        Op::Delete { key: "k0" },
        Op::Store {
            key: "k0",
            value: 2,
        },
        Op::Delete { key: "k0" },
    ];
    let mismatch = conformance::diff_against_model(&map, &ops)
        .expect_err("the forgotten delete left k0 in the map");
    assert_eq!((mismatch.step, mismatch.op), (ops.len(), None));
}

/// A config whose deadlock watchdog fires after three seconds: ample for checks that take well
/// under a millisecond; the tests using it wait that long only because the map deadlocks.
fn quick_deadlock() -> Config {
    Config {
        deadlock_timeout: Duration::from_secs(3),
        ..quick()
    }
}

/// `check_reentrant_closures` on a map whose closures of one method run under its lock: the
/// scenario for that method must deadlock, and the watchdog must report it.
fn closure_under_the_lock_is_caught<F: MapFamily>() {
    let message = failure_of(|| conformance::check_reentrant_closures::<F>(&quick_deadlock()));
    assert!(
        message.contains("check_reentrant_closures") && message.contains("deadlock"),
        "{message}"
    );
}

// Each flawed map is correct in every other method, so only its own scenario can fail.

#[test]
fn a_load_with_closure_run_under_the_lock_is_caught_as_a_deadlock() {
    closure_under_the_lock_is_caught::<Family<LOADS_UNDER_LOCK>>();
}

#[test]
fn a_builder_run_under_the_lock_is_caught_as_a_deadlock() {
    closure_under_the_lock_is_caught::<Family<BUILDS_UNDER_LOCK>>();
}

#[test]
fn an_update_closure_run_under_the_lock_is_caught_as_a_deadlock() {
    closure_under_the_lock_is_caught::<Family<UPDATES_UNDER_LOCK>>();
}

#[test]
fn a_compute_closure_run_under_the_lock_is_caught_as_a_deadlock() {
    closure_under_the_lock_is_caught::<Family<COMPUTES_UNDER_LOCK>>();
}

#[test]
fn a_drop_run_under_the_lock_is_caught_as_a_deadlock() {
    // Only the hooked values of the last scenario have a `Drop` that calls back into the map.
    closure_under_the_lock_is_caught::<Family<DROPS_UNDER_LOCK>>();
}

#[test]
fn a_closure_panic_replaced_by_the_map_s_own_is_caught() {
    // The differential check never makes a closure panic, so only the panic check sees it.
    conformance::check_sequential::<Family<REPLACES_CLOSURE_PANICS>>(&quick());
    let message = failure_of(|| {
        conformance::check_panicking_closures::<Family<REPLACES_CLOSURE_PANICS>>(&quick());
    });
    assert!(
        message.contains("the map itself panicked") && message.contains("compute:"),
        "{message}"
    );
}

#[test]
fn a_range_that_ignores_stop_is_caught_in_either_place_of_check_against() {
    // A full range is right, so only a range stopped early shows it: the final contents agree.
    let message =
        failure_of(|| conformance::check_sequential::<Family<RANGE_IGNORES_STOP>>(&quick()));
    assert!(message.contains("stop_after: Some"), "{message}");
    for message in [
        failure_of(|| {
            conformance::check_against::<Family<RANGE_IGNORES_STOP>, Family<CORRECT>>(&quick());
        }),
        failure_of(|| {
            conformance::check_against::<Family<CORRECT>, Family<RANGE_IGNORES_STOP>>(&quick());
        }),
    ] {
        assert!(
            message.contains("check_against") && message.contains("Range"),
            "{message}"
        );
    }
}

#[test]
fn a_clear_skipped_during_a_range_is_caught() {
    // The nested calls and the storing callback never clear, so only the clearing one sees it.
    let message = failure_of(|| {
        conformance::check_range_nested_calls::<Family<CLEAR_SKIPPED_DURING_RANGE>>(&quick());
    });
    assert!(
        message.contains("check_range_nested_calls")
            && message.contains("cleared from a range callback"),
        "{message}"
    );
}

#[test]
fn a_range_that_starts_over_on_every_change_is_caught() {
    // The nested calls and the clearing callback leave it correct; a callback that keeps adding
    // keys makes it visit the first keys again.
    let message = failure_of(|| {
        conformance::check_range_nested_calls::<Family<RANGE_RESTARTS_ON_CHANGE>>(&quick());
    });
    assert!(
        message.contains("check_range_nested_calls") && message.contains("keeps visiting"),
        "{message}"
    );
}

#[test]
fn a_builder_run_for_a_present_key_is_caught() {
    // The differential check records whether the builder ran. The panic check replays the same
    // kind of sequences, so it fails too: by that record, or, when a panicking builder on a
    // present key comes first, by the panic it did not expect.
    let message = failure_of(|| conformance::check_sequential::<Family<BUILDS_EAGERLY>>(&quick()));
    assert!(message.contains("built: true"), "{message}");
    let message =
        failure_of(|| conformance::check_panicking_closures::<Family<BUILDS_EAGERLY>>(&quick()));
    assert!(
        message.contains("built: true")
            || message.contains("the closure ran, but the contract says it must not"),
        "{message}"
    );
}

#[test]
fn a_leak_under_contention_is_caught_by_the_drop_check_s_threads() {
    // Sequentially the flawed map never waits for its lock, so only the threads that end the
    // drop check can make it leak.
    conformance::check_sequential::<Family<LEAKS_UNDER_CONTENTION>>(&quick());
    let message =
        failure_of(|| conformance::check_drop_counts::<Family<LEAKS_UNDER_CONTENTION>>(&quick()));
    assert!(
        message.contains("threads") && message.contains("never dropped"),
        "{message}"
    );
}

#[test]
fn drops_left_to_the_thread_that_removed_the_values_are_caught() {
    // Every value is dropped exactly once by the time the map is, and results are right: only a
    // thread that never calls the map again shows a value stranded (the last one it removed).
    conformance::check_sequential::<Family<DEFERS_DROPS_TO_SAME_THREAD>>(&quick());
    conformance::check_drop_counts::<Family<DEFERS_DROPS_TO_SAME_THREAD>>(&quick());
    let message = failure_of(|| {
        conformance::check_bounded_memory_with_idle_threads::<Family<DEFERS_DROPS_TO_SAME_THREAD>>(
            &quick(),
        );
    });
    assert!(
        message.contains("check_bounded_memory_with_idle_threads")
            && message.contains("values removed by a thread that then went idle were still not"),
        "{message}"
    );
}

#[test]
fn a_range_that_loses_its_place_under_writers_is_caught() {
    // Alone it is correct; only writers deleting entries before its position make it skip keys
    // (it never repeats one), which only the check that untouched keys are all visited sees.
    conformance::check_sequential::<Family<RANGE_BY_POSITION>>(&quick());
    let message =
        failure_of(|| conformance::check_concurrent_range::<Family<RANGE_BY_POSITION>>(&quick()));
    assert!(
        message.contains("check_concurrent_range") && message.contains("skipped keys"),
        "{message}"
    );
}

#[test]
fn a_callback_run_under_the_lock_is_caught_as_a_deadlock() {
    // The nested range blocks forever on the lock its caller holds; the watchdog turns that into
    // a failure.
    let message = failure_of(|| {
        conformance::check_range_nested_calls::<Family<RANGE_UNDER_LOCK>>(&quick_deadlock());
    });
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

/// `check_cas_counter` on a map whose `update` or `compute` overwrites racing writes: only one
/// thread in four raises the counter through that method, and its stale writes must still show
/// as a wrong sum. More increments than for the compare-and-swap flaw, which races in two threads
/// of four.
fn lost_increments_are_caught<F: MapFamily>() {
    let config = Config {
        threads: 4,
        ops_per_thread: 20_000,
        ..quick()
    };
    let message = failure_of(|| conformance::check_cas_counter::<F>(&config));
    assert!(message.contains("check_cas_counter"), "{message}");
}

#[test]
fn a_non_atomic_update_loses_increments() {
    lost_increments_are_caught::<Family<UPDATE_WITHOUT_RECHECK>>();
}

#[test]
fn a_non_atomic_compute_loses_increments() {
    lost_increments_are_caught::<Family<COMPUTE_WITHOUT_RECHECK>>();
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

/// Maps made by [`Counting`]; only `the_number_of_cases_is_the_configured_one` uses it.
static MAPS_MADE: AtomicUsize = AtomicUsize::new(0);

/// The correct reference map, counting how many maps the kit makes.
struct Counting;

impl MapFamily for Counting {
    type Map<K: KitKey, V: KitValue> = <Family<CORRECT> as MapFamily>::Map<K, V>;

    fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> {
        MAPS_MADE.fetch_add(1, Ordering::SeqCst);
        Family::<CORRECT>::new_map()
    }
}

#[test]
fn the_number_of_cases_is_the_configured_one() {
    // The differential check makes one map per random sequence.
    conformance::check_sequential::<Counting>(&Config {
        cases: 7,
        ..Config::default()
    });
    assert_eq!(MAPS_MADE.load(Ordering::SeqCst), 7);
}

#[test]
fn a_table_that_hashes_its_keys_while_growing_is_caught() {
    // Alone, every operation is correct: only a panicking Hash during growth shows the flaw.
    conformance::check_sequential::<Family<REHASHES_STORED_KEYS>>(&quick());
    let message = failure_of(|| {
        conformance::check_hash_panics_while_growing::<Family<REHASHES_STORED_KEYS>>(&quick())
    });
    assert!(
        message.contains("check_hash_panics_while_growing")
            && message.contains("lost another key's entry"),
        "{message}"
    );
}
