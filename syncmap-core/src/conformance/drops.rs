//! Every key and value a map receives, clones or builds must be dropped exactly once.

use std::sync::{Arc, Barrier};
use std::thread;

use super::counted::{Counted, CountedEncoding, Ledger};
use super::differential::{apply_encoded, diff_encoded};
use super::harness::{draw, fail_on_err, family_name, op_source, run_check, run_sequences};
use super::op::{op_strategy, ops_strategy};
use super::{Config, MapFamily};

/// Keys and values that count their instances (each construction and clone registers one, each
/// drop retires one): after a random mix of operations, replaces, deletes and clears included,
/// and the drop of the map, every instance must have been dropped exactly once. Catches leaks,
/// double drops and uses after drop.
///
/// Runs a tenth of [`Config::cases`] sequential sequences (each also held to the model), then
/// [`Config::threads`] threads mixing operations on shared keys.
///
/// A map that defers reclamation (epoch-based, hazard pointers) must have finished it by the time
/// the map itself is dropped.
///
/// # Panics
///
/// If an instance leaks, is dropped twice, or is used after its drop.
///
/// ```
/// # use syncmap_core::conformance::{KitKey, KitValue, MapFamily};
/// # use syncmap_impls::MutexMap;
/// # struct Family;
/// # impl MapFamily for Family {
/// #     type Map<K: KitKey, V: KitValue> = MutexMap<K, V>;
/// #     fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> { MutexMap::new() }
/// # }
/// use syncmap_core::conformance::{check_drop_counts, Config};
/// check_drop_counts::<Family>(&Config { cases: 100, ops_per_thread: 200, ..Config::default() });
/// ```
pub fn check_drop_counts<F: MapFamily>(config: &Config) {
    run_check("check_drop_counts", family_name::<F>(), config, |config| {
        fail_on_err(run_sequences(
            &config,
            config.tenth_cases(),
            ops_strategy(),
            |ops| {
                let encoding = CountedEncoding::default();
                let map = F::new_map::<Counted<String>, Counted<u32>>();
                diff_encoded(&encoding, &map, ops).map_err(|m| m.to_string())?;
                drop(map);
                encoding.ledger.audit().map(drop).map_err(|problem| {
                    format!("with counted keys and values, after the map was dropped: {problem}")
                })
            },
        ));
        concurrent_mix::<F>(&config);
    });
}

/// Threads run random operations on shared keys of a counted map; then the map is dropped and the
/// ledger audited.
fn concurrent_mix<F: MapFamily>(config: &Config) {
    let seed = config.seed_or_random();
    let encoding = CountedEncoding {
        ledger: Arc::new(Ledger::default()),
    };
    let map = F::new_map::<Counted<String>, Counted<u32>>();
    // The threads start together, so that their operations overlap even when spawning a thread
    // takes longer than running one.
    let start = Barrier::new(config.threads);
    thread::scope(|scope| {
        for thread in 0..config.threads {
            let (map, encoding, start) = (&map, &encoding, &start);
            scope.spawn(move || {
                start.wait();
                let mut source = op_source(seed, thread as u64);
                let strategy = op_strategy();
                for _ in 0..config.ops_per_thread {
                    // Results race with other threads; only the drops are checked here.
                    drop(apply_encoded(encoding, map, &draw(&strategy, &mut source)));
                }
            });
        }
    });
    drop(map);
    if let Err(problem) = encoding.ledger.audit() {
        panic!(
            "{} threads × {} operations on shared counted keys and values, then the map was \
             dropped: {problem} (seed {seed})",
            config.threads, config.ops_per_thread
        );
    }
}
