//! The single-threaded differential checks: one map against the model, and two maps against each
//! other, on the same random sequences.

use super::differential::{Model, agrees, apply_to_model, check_contents, diff_against_model};
use super::encoding::Plain;
use super::harness::{fail_on_err, family_name, run_check, run_sequences};
use super::op::{Op, ops_strategy};
use super::{Config, MapFamily, apply_op};

/// Random sequences of every method over a few keys, each on a fresh map, compared result by
/// result and then by final contents with a `HashMap` model.
///
/// Runs [`Config::cases`] sequences of up to [`MAX_OPS`](super::MAX_OPS) operations; a failure is
/// shrunk to a minimal failing sequence, which the panic message prints.
///
/// # Panics
///
/// If the map disagrees with the model.
///
/// ```
/// use syncmap_core::conformance::{check_sequential, Config, KitKey, KitValue, MapFamily};
/// use syncmap_impls::MutexMap;
///
/// struct Family;
/// impl MapFamily for Family {
///     type Map<K: KitKey, V: KitValue> = MutexMap<K, V>;
///     fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> {
///         MutexMap::new()
///     }
/// }
///
/// check_sequential::<Family>(&Config { cases: 100, ..Config::default() });
/// ```
pub fn check_sequential<F: MapFamily>(config: &Config) {
    run_check("check_sequential", family_name::<F>(), config, |config| {
        fail_on_err(run_sequences(
            &config,
            config.cases,
            ops_strategy(),
            |ops| diff_against_model(&F::new_map::<String, u32>(), ops).map_err(|m| m.to_string()),
        ));
    });
}

/// Runs identical random sequences on a map of family `F` and one of family `G` (and the model),
/// and fails at the first operation where they disagree: use it to hold a new map to an
/// established one, e.g. `SyncMap` against `MutexMap`.
///
/// Results are compared exactly, except for `range`, whose order (and, when stopped early, choice
/// of entries) is up to each map; both are then held to the model.
///
/// # Panics
///
/// At the first disagreement, printing a minimal sequence and both maps' results.
///
/// ```
/// use syncmap_core::conformance::{check_against, Config, KitKey, KitValue, MapFamily};
/// use syncmap_impls::{MutexMap, RwLockMap};
///
/// struct Mutexes;
/// impl MapFamily for Mutexes {
///     type Map<K: KitKey, V: KitValue> = MutexMap<K, V>;
///     fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> {
///         MutexMap::new()
///     }
/// }
/// struct RwLocks;
/// impl MapFamily for RwLocks {
///     type Map<K: KitKey, V: KitValue> = RwLockMap<K, V>;
///     fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> {
///         RwLockMap::new()
///     }
/// }
///
/// check_against::<RwLocks, Mutexes>(&Config { cases: 100, ..Config::default() });
/// ```
pub fn check_against<F: MapFamily, G: MapFamily>(config: &Config) {
    let (name_f, name_g) = (family_name::<F>(), family_name::<G>());
    let family = format!("{name_f}` against `{name_g}");
    run_check("check_against", &family, config, move |config| {
        fail_on_err(run_sequences(
            &config,
            config.cases,
            ops_strategy(),
            |ops| {
                diff_pair(
                    (&F::new_map::<String, u32>(), name_f),
                    (&G::new_map::<String, u32>(), name_g),
                    ops,
                )
            },
        ));
    });
}

/// Replays `ops` on both maps and the model; the first disagreement, described.
fn diff_pair<A, B>(a: (&A, &str), b: (&B, &str), ops: &[Op]) -> Result<(), String>
where
    A: crate::ConcurrentMap<String, u32>,
    B: crate::ConcurrentMap<String, u32>,
{
    let ((map_a, name_a), (map_b, name_b)) = (a, b);
    let mut model = Model::new();
    for (step, op) in ops.iter().enumerate() {
        let got_a = apply_op(map_a, op);
        let got_b = apply_op(map_b, op);
        let expected = apply_to_model(&mut model, op);
        // Range order is unspecified; both ranges are held to the model instead.
        let same = matches!(op, Op::Range { .. }) || got_a == got_b;
        if !same || !agrees(op, &expected, &got_a) || !agrees(op, &expected, &got_b) {
            return Err(format!(
                "operation #{step} {op:?}: `{name_a}` gave {got_a:?}, `{name_b}` gave {got_b:?}, \
                 the model gave {expected:?}"
            ));
        }
    }
    for (name, contents) in [
        (name_a, check_contents(&Plain, map_a, &model)),
        (name_b, check_contents(&Plain, map_b, &model)),
    ] {
        if let Err((expected, actual)) = contents {
            return Err(format!(
                "after all {} operations, `{name}` holds {actual:?}, the model {expected:?}",
                ops.len()
            ));
        }
    }
    Ok(())
}
