//! Memory stays bounded whatever the threads do: what a thread removes is dropped after a bounded
//! number of other threads' operations, even if that thread never touches the map again.

use std::panic;
use std::sync::{Arc, Barrier, mpsc};
use std::thread;

use super::counted::{Counted, Ledger};
use super::harness::{family_name, run_check};
use super::{Config, MapFamily};
use crate::ConcurrentMap;

/// How many operations another thread may make before the values an idle thread removed must
/// have been dropped, in [`check_bounded_memory_with_idle_threads`].
///
/// Generous: a map that frees in per-thread batches collected by any thread needs a batch or two
/// (`SyncMap`, 32 retirements per batch, needs about 32); only one that leaves a thread's garbage
/// to that thread never gets there.
pub const IDLE_DROP_BOUND: usize = 1_000;

/// Keys the idle thread removes; the working thread writes [`WORKER_KEY`].
const REMOVED_KEYS: u32 = 8;
const WORKER_KEY: u32 = u32::MAX;

/// A thread replaces and deletes the values of a few keys, then goes idle (and, in a second
/// round, exits); another thread, which used the map before, then writes one key of its own:
/// within [`IDLE_DROP_BOUND`] of its operations (stores that replace a value, deletes) every
/// value the first thread removed must have been dropped. Afterwards the map is dropped and every
/// instance must have been dropped exactly once.
///
/// Catches maps that defer freeing (epochs, hazard pointers, per-thread batches) and leave what a
/// thread retired to that thread alone: when the thread goes idle or exits, its garbage is never
/// freed while the map lives, and memory grows with every thread that comes and goes.
///
/// # Panics
///
/// If a removed value is still alive after [`IDLE_DROP_BOUND`] operations of the other thread,
/// or an instance leaks or is dropped twice.
///
/// ```
/// # use syncmap_core::conformance::{KitKey, KitValue, MapFamily};
/// # use syncmap_impls::MutexMap;
/// # struct Family;
/// # impl MapFamily for Family {
/// #     type Map<K: KitKey, V: KitValue> = MutexMap<K, V>;
/// #     fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> { MutexMap::new() }
/// # }
/// use syncmap_core::conformance::{check_bounded_memory_with_idle_threads, Config};
/// check_bounded_memory_with_idle_threads::<Family>(&Config::default());
/// ```
pub fn check_bounded_memory_with_idle_threads<F: MapFamily>(config: &Config) {
    run_check(
        "check_bounded_memory_with_idle_threads",
        family_name::<F>(),
        config,
        |_| {
            for remover_exits in [false, true] {
                if let Err(problem) = removed_values_are_dropped::<F>(remover_exits) {
                    panic!("{problem}");
                }
            }
        },
    );
}

/// One round: the remover idles, or exits, once it has removed its values; the worker then
/// writes until they are dropped.
fn removed_values_are_dropped<F: MapFamily>(remover_exits: bool) -> Result<(), String> {
    let ledger = Arc::new(Ledger::default());
    let map = F::new_map::<u32, Counted<u32>>();
    // Both threads use the map before the remover removes anything, and both live until then: a
    // map with per-thread state gives each its own, and the worker cannot take over the
    // remover's (as a thread reusing an exited thread's number might).
    let both_started = Barrier::new(2);
    let worked = thread::scope(|scope| {
        let (map, ledger, both_started) = (&map, &ledger, &both_started);
        let (removed_sender, removed) = mpsc::channel::<Vec<u64>>();
        let (go, go_received) = mpsc::channel::<Vec<u64>>();
        // An idle remover waits until this sender is dropped (here, or by a panic unwinding).
        let (release, released) = mpsc::channel::<()>();
        let remover = scope.spawn(move || {
            map.store(REMOVED_KEYS, Counted::new(0, ledger));
            both_started.wait();
            let _ = removed_sender.send(remove_values(map, ledger));
            if !remover_exits {
                let _ = released.recv(); // idle, its thread alive
            }
        });
        let worker = scope.spawn(move || {
            map.store(WORKER_KEY, Counted::new(0, ledger));
            both_started.wait();
            // No ids: the remover failed, and the check fails on its panic instead.
            go_received.recv().map_or(Ok(0), |ids| {
                work_until_dropped(map, ledger, &ids, remover_exits)
            })
        });
        let ids = removed.recv();
        let idle_remover = if remover_exits {
            // Gone for good, thread-local destructors included, before the worker starts.
            if let Err(payload) = remover.join() {
                panic::resume_unwind(payload);
            }
            None
        } else {
            Some(remover)
        };
        if let Ok(ids) = ids {
            let _ = go.send(ids);
        }
        drop(go);
        let worked = worker.join();
        drop(release);
        if let Some(Err(payload)) = idle_remover.map(thread::ScopedJoinHandle::join) {
            panic::resume_unwind(payload);
        }
        worked.unwrap_or_else(|payload| panic::resume_unwind(payload))
    });
    let operations = worked?;
    drop(map);
    ledger.audit().map(drop).map_err(|problem| {
        format!(
            "after a thread removed values and {}, another made {operations} operations, and \
             the map was dropped: {problem}",
            if remover_exits { "exited" } else { "went idle" }
        )
    })
}

/// For each of a few keys, stores a value, replaces it and deletes the replacement; returns the
/// ids of the two values removed per key.
fn remove_values<M: ConcurrentMap<u32, Counted<u32>>>(map: &M, ledger: &Arc<Ledger>) -> Vec<u64> {
    let mut removed = Vec::new();
    for key in 0..REMOVED_KEYS {
        let (first, second) = (Counted::new(key, ledger), Counted::new(key + 1, ledger));
        removed.extend([first.id(), second.id()]);
        map.store(key, first);
        map.store(key, second);
        map.delete(&key);
    }
    removed
}

/// Replaces and deletes the value of [`WORKER_KEY`] until every instance in `removed` has been
/// dropped; returns how many operations that took.
fn work_until_dropped<M: ConcurrentMap<u32, Counted<u32>>>(
    map: &M,
    ledger: &Arc<Ledger>,
    removed: &[u64],
    remover_exited: bool,
) -> Result<usize, String> {
    for operation in 0..IDLE_DROP_BOUND {
        if ledger.live_among(removed) == 0 {
            return Ok(operation);
        }
        if operation % 4 == 3 {
            map.delete(&WORKER_KEY);
        } else {
            map.store(WORKER_KEY, Counted::new(operation as u32, ledger));
        }
    }
    match ledger.live_among(removed) {
        0 => Ok(IDLE_DROP_BOUND),
        alive => Err(format!(
            "{alive} of {} values removed by a thread that then {} were still not dropped \
             after {IDLE_DROP_BOUND} operations of another thread (stores that replace a value, \
             deletes): the map leaves what a thread removed to that thread",
            removed.len(),
            if remover_exited {
                "exited"
            } else {
                "went idle"
            }
        )),
    }
}
