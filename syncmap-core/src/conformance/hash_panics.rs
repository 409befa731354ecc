//! A key whose `Hash` panics while the map grows or rehashes: the panic reaches the caller, and
//! every other entry survives.
//!
//! A table that calls `Hash` again on the keys it holds when it grows or rehashes in place (std's
//! `HashMap` does) runs user code in the middle of moving entries, and a panic there drops the
//! entries not yet moved: a store of one key loses others. A map that keeps each entry's hash
//! never calls `Hash` on stored keys, so a panic can come only from the key of the call itself,
//! before the table is touched.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::panic::{self, AssertUnwindSafe};

use super::harness::{family_name, panic_message, run_check};
use super::{Config, MapFamily};
use crate::ConcurrentMap;

/// The payload of the deliberate panic, to tell it from a panic of the map itself.
const DELIBERATE: &str = "syncmap conformance: a deliberate panic from a key's Hash";

/// Distinct keys of the workload: enough for several growths and, with the deletes, for
/// tombstones that make a table rehash in place.
const KEYS: u32 = 300;

thread_local! {
    /// How many more `Hash` calls of a [`Fused`] key on this thread succeed; `None`: all do.
    static FUSE: Cell<Option<u32>> = const { Cell::new(None) };
}

/// A key whose `Hash` panics once this thread's fuse burns down.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Fused(u32);

impl Hash for Fused {
    fn hash<H: Hasher>(&self, state: &mut H) {
        FUSE.with(|fuse| match fuse.get() {
            Some(0) => {
                fuse.set(None);
                panic!("{DELIBERATE}");
            }
            Some(left) => fuse.set(Some(left - 1)),
            None => {}
        });
        self.0.hash(state);
    }
}

/// One write of the workload.
#[derive(Clone, Copy, Debug)]
enum Write {
    Store(u32),
    Delete(u32),
}

/// Stores every key, deletes two in three, stores them again: growth, then tombstones.
fn workload() -> Vec<Write> {
    let mut writes: Vec<Write> = (0..KEYS).map(Write::Store).collect();
    writes.extend((0..KEYS).filter(|k| k % 3 != 0).map(Write::Delete));
    writes.extend((0..KEYS).filter(|k| k % 3 != 0).map(Write::Store));
    writes
}

/// Runs the workload with the fuse lit to burn out after `fuse` hashes; returns an error naming
/// what went wrong.
fn run_case<M: ConcurrentMap<Fused, u32>>(map: &M, fuse: u32) -> Result<(), String> {
    let mut model: HashMap<u32, u32> = HashMap::new();
    let mut tripped = None;
    FUSE.with(|f| f.set(Some(fuse)));
    for (index, write) in workload().into_iter().enumerate() {
        let result = panic::catch_unwind(AssertUnwindSafe(|| match write {
            Write::Store(key) => map.store(Fused(key), key),
            Write::Delete(key) => {
                map.delete(&Fused(key));
            }
        }));
        match result {
            Ok(()) => match write {
                Write::Store(key) => {
                    model.insert(key, key);
                }
                Write::Delete(key) => {
                    model.remove(&key);
                }
            },
            Err(payload) if panic_message(&*payload) == DELIBERATE => {
                // The call's own key may or may not have been written; every other must be.
                let key = match write {
                    Write::Store(key) | Write::Delete(key) => key,
                };
                FUSE.with(|f| f.set(None));
                match map.load(&Fused(key)) {
                    Some(value) => model.insert(key, value),
                    None => model.remove(&key),
                };
                tripped = Some(index);
            }
            Err(payload) => {
                return Err(format!(
                    "write #{index} {write:?}: the map itself panicked: `{}`",
                    panic_message(&*payload)
                ));
            }
        }
    }
    FUSE.with(|f| f.set(None));
    let tripped = tripped.map_or("no hash panicked".to_owned(), |index| {
        format!("a key's Hash panicked in write #{index}")
    });
    for key in 0..KEYS {
        let found = map.load(&Fused(key));
        let expected = model.get(&key).copied();
        if found != expected {
            return Err(format!(
                "{tripped} (fuse {fuse}); afterwards key {key} holds {found:?}, expected \
                 {expected:?}: a write lost another key's entry (does the table call Hash on \
                 the keys it holds while it grows or rehashes?)"
            ));
        }
    }
    if map.len() != model.len() {
        return Err(format!(
            "{tripped} (fuse {fuse}); afterwards len() is {}, expected {}",
            map.len(),
            model.len()
        ));
    }
    Ok(())
}

/// A key's `Hash` panics at many points of a workload that grows the map and leaves tombstones
/// (stores, deletes, stores again): each panic must reach the caller, the call's own key may or
/// may not be written, and every other key must be exactly as the completed calls left it.
///
/// Runs [`Config::tenth_cases`] workloads, each with the fuse at another point.
///
/// # Panics
///
/// If a panic loses or resurrects another key, or the map itself panics.
///
/// ```
/// # use syncmap_core::conformance::{KitKey, KitValue, MapFamily};
/// # use syncmap_impls::MutexMap;
/// # struct Family;
/// # impl MapFamily for Family {
/// #     type Map<K: KitKey, V: KitValue> = MutexMap<K, V>;
/// #     fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> { MutexMap::new() }
/// # }
/// use syncmap_core::conformance::{check_hash_panics_while_growing, Config};
/// check_hash_panics_while_growing::<Family>(&Config { cases: 100, ..Config::default() });
/// ```
pub fn check_hash_panics_while_growing<F: MapFamily>(config: &Config) {
    run_check(
        "check_hash_panics_while_growing",
        family_name::<F>(),
        config,
        |config| {
            let cases = config.tenth_cases();
            // The workload makes about 3 * KEYS calls, each hashing its key once or more (and a
            // table that rehashes stored keys many more): spread the fuses over them.
            let span = 4 * KEYS;
            for case in 0..cases {
                let fuse = (case.wrapping_mul(7919)
                    + u32::try_from(config.seed_or_random() % 97).unwrap_or(0))
                    % span;
                let map = F::new_map::<Fused, u32>();
                if let Err(problem) = run_case(&map, fuse) {
                    panic!("{problem}");
                }
            }
        },
    );
}
