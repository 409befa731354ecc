//! Closures that panic: the panic must reach the caller, and the map must stay consistent, leak
//! nothing and keep working.

use std::panic::{self, AssertUnwindSafe};

use proptest::collection::vec;
use proptest::prelude::*;

use super::counted::{Counted, CountedEncoding};
use super::differential::Replay;
use super::encoding::Encoding;
use super::harness::{fail_on_err, family_name, panic_message, run_check, run_sequences};
use super::op::{KEYS, Op, op_strategy};
use super::{Config, MapFamily};
use crate::ConcurrentMap;

/// The payload of every deliberate panic, to tell it from a panic of the map itself.
const DELIBERATE: &str = "syncmap conformance: a deliberate panic from a user closure";

/// A method whose closure the kit makes panic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PanickingMethod {
    LoadWith,
    LoadOrStoreWith,
    Range,
    Update,
    Compute,
}

/// One step of a sequence: an ordinary operation, or a call whose closure panics.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Op(Op),
    Panic {
        method: PanickingMethod,
        key: &'static str,
    },
}

fn steps_strategy() -> impl Strategy<Value = Vec<Step>> {
    const METHODS: [PanickingMethod; 5] = [
        PanickingMethod::LoadWith,
        PanickingMethod::LoadOrStoreWith,
        PanickingMethod::Range,
        PanickingMethod::Update,
        PanickingMethod::Compute,
    ];
    // One step in five panics. Plain numbers mapped to a step keep generation cheap; shrinking
    // turns panicking steps into ordinary ones (toward `choice` = 0) and removes steps.
    let step = (0..5u32, op_strategy(), 0..METHODS.len(), 0..KEYS.len()).prop_map(
        |(choice, op, method, key)| match choice {
            4 => Step::Panic {
                method: METHODS[method],
                key: KEYS[key],
            },
            _ => Step::Op(op),
        },
    );
    vec(step, 0..=32)
}

/// Random sequences in which some calls of `load_with`, `load_or_store_with`, `range`, `update`
/// and `compute` get a closure that panics. Each panic must reach the caller (caught with
/// `catch_unwind`) exactly when the contract says the closure runs; afterwards the map must still
/// match the model (a panicking builder stores nothing, a panicking update changes nothing), keep
/// working, and leak no key or value once dropped.
///
/// Runs a tenth of [`Config::cases`] sequences. The panics are printed by the panic hook (captured
/// by the test harness).
///
/// # Panics
///
/// If a deliberate panic is swallowed or appears where the closure should not run, or the map is
/// inconsistent or leaks afterwards.
///
/// ```
/// # use syncmap_core::conformance::{KitKey, KitValue, MapFamily};
/// # use syncmap_impls::MutexMap;
/// # struct Family;
/// # impl MapFamily for Family {
/// #     type Map<K: KitKey, V: KitValue> = MutexMap<K, V>;
/// #     fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> { MutexMap::new() }
/// # }
/// use syncmap_core::conformance::{check_panicking_closures, Config};
/// check_panicking_closures::<Family>(&Config { cases: 100, ..Config::default() });
/// ```
pub fn check_panicking_closures<F: MapFamily>(config: &Config) {
    run_check(
        "check_panicking_closures",
        family_name::<F>(),
        config,
        |config| {
            fail_on_err(run_sequences(
                &config,
                config.tenth_cases(),
                steps_strategy(),
                |steps| {
                    let encoding = CountedEncoding::default();
                    let map = F::new_map::<Counted<String>, Counted<u32>>();
                    let mut replay = Replay::default();
                    for (index, step) in steps.iter().enumerate() {
                        match *step {
                            Step::Op(ref op) => replay
                                .step(&encoding, &map, op)
                                .map_err(|m| m.to_string())?,
                            Step::Panic { method, key } => {
                                let closure_runs = match method {
                                    PanickingMethod::LoadWith | PanickingMethod::Update => {
                                        replay.model.contains_key(key)
                                    }
                                    PanickingMethod::LoadOrStoreWith => {
                                        !replay.model.contains_key(key)
                                    }
                                    PanickingMethod::Range => !replay.model.is_empty(),
                                    PanickingMethod::Compute => true,
                                };
                                let result = panic::catch_unwind(AssertUnwindSafe(|| {
                                    call_panicking(&encoding, &map, method, key)
                                }));
                                match (result, closure_runs) {
                                    (Err(payload), true)
                                        if panic_message(&*payload) == DELIBERATE => {}
                                    (Ok(()), false) => {}
                                    (Err(payload), false)
                                        if panic_message(&*payload) == DELIBERATE =>
                                    {
                                        return Err(format!(
                                            "step #{index} {step:?}: the closure ran, but the \
                                             contract says it must not here (the key is {})",
                                            if replay.model.contains_key(key) {
                                                "present"
                                            } else {
                                                "absent"
                                            }
                                        ));
                                    }
                                    (Err(payload), _) => {
                                        return Err(format!(
                                            "step #{index} {step:?}: the map itself panicked: `{}`",
                                            panic_message(&*payload)
                                        ));
                                    }
                                    (Ok(()), true) => {
                                        return Err(format!(
                                            "step #{index} {step:?}: the closure's panic did not reach the caller"
                                        ));
                                    }
                                }
                            }
                        }
                    }
                    replay
                        .finish(&encoding, &map)
                        .map_err(|m| format!("after the sequence, {m}"))?;
                    // Still usable: write and read every key.
                    for key in KEYS {
                        for op in [
                            Op::Store { key, value: 1 },
                            Op::Update { key, add: 1 },
                            Op::Load { key },
                        ] {
                            replay
                                .step(&encoding, &map, &op)
                                .map_err(|m| format!("afterwards, {m}"))?;
                        }
                    }
                    drop(map);
                    encoding.ledger.audit().map(drop).map_err(|problem| {
                        format!("after the panics and the drop of the map: {problem}")
                    })
                },
            ));
        },
    );
}

/// Calls `method` on `key` with a closure that panics with [`DELIBERATE`] if it runs.
fn call_panicking<E, M>(encoding: &E, map: &M, method: PanickingMethod, key: &'static str)
where
    E: Encoding,
    M: ConcurrentMap<E::K, E::V> + ?Sized,
{
    let lookup = encoding.lookup(key);
    match method {
        PanickingMethod::LoadWith => {
            map.load_with(&*lookup, |_| -> () { panic!("{DELIBERATE}") });
        }
        PanickingMethod::LoadOrStoreWith => {
            let _ = map.load_or_store_with(encoding.key(key), || panic!("{DELIBERATE}"));
        }
        PanickingMethod::Range => map.range(|_, _| panic!("{DELIBERATE}")),
        PanickingMethod::Update => {
            map.update(&*lookup, |_| panic!("{DELIBERATE}"));
        }
        PanickingMethod::Compute => {
            map.compute(encoding.key(key), |_| panic!("{DELIBERATE}"));
        }
    }
}
