//! Tests of the linearizability checker itself: it must accept what is linearizable and reject
//! what is not, or the histories it passes prove nothing.

mod support;

use support::lincheck::{Event, KeyOp, Ret, check_key, step};
use support::rng::{Rng, seed};
use syncmap_core::LoadOrStore;

fn call(thread: usize, invoke: u64, response: u64, op: KeyOp, ret: Ret) -> Event {
    Event {
        thread,
        op,
        ret,
        invoke,
        response,
    }
}

#[test]
fn a_sequential_history_is_accepted_in_its_order() {
    let history = [
        call(0, 0, 1, KeyOp::Store(1), Ret::Unit),
        call(1, 2, 3, KeyOp::Load, Ret::Value(Some(1))),
        call(0, 4, 5, KeyOp::Swap(2), Ret::Value(Some(1))),
        call(
            1,
            6,
            7,
            KeyOp::CompareAndSwap { old: 2, new: 3 },
            Ret::Flag(true),
        ),
        call(0, 8, 9, KeyOp::LoadAndDelete, Ret::Value(Some(3))),
        call(1, 10, 11, KeyOp::Delete, Ret::Flag(false)),
    ];
    assert_eq!(check_key(None, &history).unwrap(), [0, 1, 2, 3, 4, 5]);
}

#[test]
fn overlapping_calls_may_take_effect_in_either_order() {
    // The load begins after the store began and returns before the store returns: it may see it.
    let history = [
        call(0, 0, 10, KeyOp::Store(1), Ret::Unit),
        call(1, 1, 2, KeyOp::Load, Ret::Value(Some(1))),
        call(1, 3, 4, KeyOp::Load, Ret::Value(Some(1))),
    ];
    assert_eq!(check_key(None, &history).unwrap(), [0, 1, 2]);
    // ...or not see it.
    let history = [
        call(0, 0, 10, KeyOp::Store(1), Ret::Unit),
        call(1, 1, 2, KeyOp::Load, Ret::Value(None)),
    ];
    assert!(check_key(None, &history).is_ok());
}

#[test]
fn a_read_that_misses_a_completed_store_is_rejected() {
    // The load that skipped the second look at `read`: None after the store returned.
    let history = [
        call(0, 0, 1, KeyOp::Store(1), Ret::Unit),
        call(1, 2, 3, KeyOp::Load, Ret::Value(None)),
    ];
    let error = check_key(None, &history).unwrap_err();
    assert_eq!(error.longest_prefix.len(), 1);
    assert_eq!(error.stuck_on, [history[1]]);
    assert!(error.to_string().contains("not linearizable"));
}

#[test]
fn a_stale_read_is_rejected() {
    let history = [
        call(0, 0, 1, KeyOp::Store(1), Ret::Unit),
        call(0, 2, 3, KeyOp::Store(2), Ret::Unit),
        call(1, 4, 5, KeyOp::Load, Ret::Value(Some(1))),
    ];
    assert!(check_key(None, &history).is_err());
}

#[test]
fn two_racing_load_or_stores_cannot_both_store() {
    let both_stored = [
        call(
            0,
            0,
            3,
            KeyOp::LoadOrStore(1),
            Ret::LoadOrStore(LoadOrStore::Stored(1)),
        ),
        call(
            1,
            1,
            2,
            KeyOp::LoadOrStore(2),
            Ret::LoadOrStore(LoadOrStore::Stored(2)),
        ),
    ];
    assert!(check_key(None, &both_stored).is_err());
    let one_stored = [
        call(
            0,
            0,
            3,
            KeyOp::LoadOrStore(1),
            Ret::LoadOrStore(LoadOrStore::Loaded(2)),
        ),
        call(
            1,
            1,
            2,
            KeyOp::LoadOrStore(2),
            Ret::LoadOrStore(LoadOrStore::Stored(2)),
        ),
    ];
    assert_eq!(check_key(None, &one_stored).unwrap(), [1, 0]);
}

#[test]
fn compare_and_swap_on_an_absent_key_is_rejected() {
    let history = [call(
        0,
        0,
        1,
        KeyOp::CompareAndSwap { old: 0, new: 1 },
        Ret::Flag(true),
    )];
    assert!(check_key(None, &history).is_err());
    assert!(check_key(Some(0), &history).is_ok());
}

#[test]
fn two_racing_swaps_must_chain() {
    let chained = [
        call(0, 0, 5, KeyOp::Swap(1), Ret::Value(Some(2))),
        call(1, 1, 6, KeyOp::Swap(2), Ret::Value(None)),
    ];
    assert!(check_key(None, &chained).is_ok());
    let both_saw_nothing = [
        call(0, 0, 5, KeyOp::Swap(1), Ret::Value(None)),
        call(1, 1, 6, KeyOp::Swap(2), Ret::Value(None)),
    ];
    assert!(check_key(None, &both_saw_nothing).is_err());
}

#[test]
fn a_value_deleted_twice_is_rejected() {
    let history = [
        call(0, 0, 1, KeyOp::Store(4), Ret::Unit),
        call(0, 2, 6, KeyOp::LoadAndDelete, Ret::Value(Some(4))),
        call(1, 3, 7, KeyOp::CompareAndDelete { old: 4 }, Ret::Flag(true)),
    ];
    assert!(check_key(None, &history).is_err());
}

#[test]
fn the_model_steps_every_method() {
    use LoadOrStore::{Loaded, Stored};
    let cases = [
        (None, KeyOp::ContainsKey, Ret::Flag(false), Some(None)),
        (Some(1), KeyOp::ContainsKey, Ret::Flag(true), Some(Some(1))),
        (
            Some(1),
            KeyOp::LoadOrStoreWith(2),
            Ret::LoadOrStore(Loaded(1)),
            Some(Some(1)),
        ),
        (
            None,
            KeyOp::LoadOrStoreWith(2),
            Ret::LoadOrStore(Stored(2)),
            Some(Some(2)),
        ),
        (
            None,
            KeyOp::LoadOrStoreWith(2),
            Ret::LoadOrStore(Loaded(2)),
            None,
        ),
        (Some(1), KeyOp::Delete, Ret::Flag(true), Some(None)),
        (
            Some(1),
            KeyOp::CompareAndDelete { old: 2 },
            Ret::Flag(false),
            Some(Some(1)),
        ),
        (
            Some(1),
            KeyOp::CompareAndDelete { old: 1 },
            Ret::Flag(true),
            Some(None),
        ),
        (
            Some(1),
            KeyOp::CompareAndSwap { old: 2, new: 3 },
            Ret::Flag(true),
            None,
        ),
        (
            Some(1),
            KeyOp::Update { add: 2 },
            Ret::Value(Some(3)),
            Some(Some(3)),
        ),
        (None, KeyOp::Update { add: 2 }, Ret::Value(None), Some(None)),
        (None, KeyOp::Load, Ret::Value(Some(0)), None),
    ];
    for (state, op, ret, expected) in cases {
        assert_eq!(
            step(state, op, ret),
            expected,
            "{state:?} {op:?} -> {ret:?}"
        );
    }
}

/// Whether some order of `history` that respects real time is legal, by trying them all.
fn brute_force(state: Option<u32>, remaining: &[Event]) -> bool {
    if remaining.is_empty() {
        return true;
    }
    let earliest_response = remaining.iter().map(|e| e.response).min().unwrap();
    (0..remaining.len()).any(|i| {
        let event = remaining[i];
        if event.invoke > earliest_response {
            return false;
        }
        let Some(next) = step(state, event.op, event.ret) else {
            return false;
        };
        let mut rest = remaining.to_vec();
        rest.remove(i);
        brute_force(next, &rest)
    })
}

/// A random small history: random calls with random results on random overlapping intervals.
fn random_history(rng: &mut Rng) -> Vec<Event> {
    let len = 1 + rng.below(6) as usize;
    let mut ticks: Vec<u64> = (0..2 * len as u64).collect();
    // Shuffle the ticks, then pair them up as (invoke, response).
    for i in (1..ticks.len()).rev() {
        ticks.swap(i, rng.below(i as u32 + 1) as usize);
    }
    (0..len)
        .map(|i| {
            let (a, b) = (ticks[2 * i], ticks[2 * i + 1]);
            let v = |rng: &mut Rng| rng.below(3);
            let maybe = |rng: &mut Rng| (rng.below(3) > 0).then(|| rng.below(3));
            let (op, ret) = match rng.below(6) {
                0 => (KeyOp::Load, Ret::Value(maybe(rng))),
                1 => (KeyOp::Store(v(rng)), Ret::Unit),
                2 => {
                    let offered = v(rng);
                    let ret = match rng.below(2) {
                        0 => LoadOrStore::Stored(offered),
                        _ => LoadOrStore::Loaded(v(rng)),
                    };
                    (KeyOp::LoadOrStore(offered), Ret::LoadOrStore(ret))
                }
                3 => (KeyOp::Swap(v(rng)), Ret::Value(maybe(rng))),
                4 => (
                    KeyOp::CompareAndSwap {
                        old: v(rng),
                        new: v(rng),
                    },
                    Ret::Flag(rng.below(2) == 0),
                ),
                _ => (KeyOp::Delete, Ret::Flag(rng.below(2) == 0)),
            };
            call(i, a.min(b), a.max(b), op, ret)
        })
        .collect()
}

#[test]
fn the_checker_agrees_with_brute_force_on_random_small_histories() {
    let seed = seed();
    let mut rng = Rng::new(seed, 0);
    let (mut accepted, mut rejected) = (0, 0);
    for case in 0..if cfg!(miri) { 50 } else { 20_000 } {
        let history = random_history(&mut rng);
        let initial = (rng.below(2) == 0).then(|| rng.below(3));
        let expected = brute_force(initial, &history);
        let verdict = check_key(initial, &history);
        assert_eq!(
            verdict.is_ok(),
            expected,
            "case {case} (SYNCMAP_TEST_SEED={seed}): checker says {verdict:?} from {initial:?} on \
             {history:#?}"
        );
        if let Ok(order) = verdict {
            // The order returned must itself be legal and respect real time.
            let mut state = initial;
            for (position, &i) in order.iter().enumerate() {
                state = step(state, history[i].op, history[i].ret).expect("a legal order");
                for &later in &order[position + 1..] {
                    assert!(history[later].response > history[i].invoke);
                }
            }
            accepted += 1;
        } else {
            rejected += 1;
        }
    }
    // Both verdicts must be common, or the comparison proves little.
    if !cfg!(miri) {
        assert!(
            accepted > 1000 && rejected > 1000,
            "{accepted} / {rejected}"
        );
    }
}
