//! Runs random per-key operations on real threads, records each call with invoke and response
//! ticks of one shared clock, and checks every key's history with [`lincheck`](super::lincheck).

use std::collections::BTreeMap;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use syncmap_core::ConcurrentMap;

use super::lincheck::{Event, KeyOp, Ret, check_key};
use super::rng::Rng;

/// How often each kind of call is drawn, as weights.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mix {
    pub(crate) load: u32,
    pub(crate) contains_key: u32,
    pub(crate) store: u32,
    pub(crate) load_or_store: u32,
    pub(crate) load_or_store_with: u32,
    pub(crate) load_and_delete: u32,
    pub(crate) delete: u32,
    pub(crate) swap: u32,
    pub(crate) compare_and_swap: u32,
    pub(crate) compare_and_delete: u32,
    pub(crate) update: u32,
}

impl Mix {
    /// Every method about equally often, writes a little ahead.
    pub(crate) const BALANCED: Mix = Mix {
        load: 4,
        contains_key: 1,
        store: 3,
        load_or_store: 2,
        load_or_store_with: 1,
        load_and_delete: 2,
        delete: 2,
        swap: 2,
        compare_and_swap: 3,
        compare_and_delete: 2,
        update: 1,
    };

    /// Mostly loads (which miss while keys come and go, so `SyncMap` counts misses and promotes)
    /// and deletes (which leave entries to expunge at the next rebuild of `dirty`).
    pub(crate) const PROMOTIONS: Mix = Mix {
        load: 10,
        contains_key: 2,
        store: 2,
        load_or_store: 2,
        load_or_store_with: 1,
        load_and_delete: 3,
        delete: 3,
        swap: 1,
        compare_and_swap: 2,
        compare_and_delete: 2,
        update: 1,
    };

    fn draw(&self, rng: &mut Rng, last_seen: Option<u32>) -> KeyOp {
        let weights = [
            self.load,
            self.contains_key,
            self.store,
            self.load_or_store,
            self.load_or_store_with,
            self.load_and_delete,
            self.delete,
            self.swap,
            self.compare_and_swap,
            self.compare_and_delete,
            self.update,
        ];
        let mut point = rng.below(weights.iter().sum());
        let mut kind = 0;
        while point >= weights[kind] {
            point -= weights[kind];
            kind += 1;
        }
        // Compare against the value this thread last saw half the time, so compares succeed
        // often; values are small so that they also repeat across threads.
        let value = rng.below(VALUES);
        let old = match last_seen {
            Some(seen) if rng.below(2) == 0 => seen,
            _ => rng.below(VALUES),
        };
        match kind {
            0 => KeyOp::Load,
            1 => KeyOp::ContainsKey,
            2 => KeyOp::Store(value),
            3 => KeyOp::LoadOrStore(value),
            4 => KeyOp::LoadOrStoreWith(value),
            5 => KeyOp::LoadAndDelete,
            6 => KeyOp::Delete,
            7 => KeyOp::Swap(value),
            8 => KeyOp::CompareAndSwap { old, new: value },
            9 => KeyOp::CompareAndDelete { old },
            _ => KeyOp::Update {
                add: 1 + rng.below(2),
            },
        }
    }
}

/// Values are drawn from `0..VALUES`.
const VALUES: u32 = 6;

/// What a recorded run does.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Workload {
    pub(crate) threads: usize,
    pub(crate) ops_per_thread: usize,
    /// Keys are `0..keys`.
    pub(crate) keys: u32,
    pub(crate) mix: Mix,
    pub(crate) seed: u64,
}

/// Calls `op` on `key` and says what it returned.
pub(crate) fn apply<M: ConcurrentMap<u32, u32>>(map: &M, key: u32, op: KeyOp) -> Ret {
    match op {
        KeyOp::Load => Ret::Value(map.load(&key)),
        KeyOp::ContainsKey => Ret::Flag(map.contains_key(&key)),
        KeyOp::Store(value) => {
            map.store(key, value);
            Ret::Unit
        }
        KeyOp::LoadOrStore(value) => Ret::LoadOrStore(map.load_or_store(key, value)),
        KeyOp::LoadOrStoreWith(value) => Ret::LoadOrStore(map.load_or_store_with(key, || value)),
        KeyOp::LoadAndDelete => Ret::Value(map.load_and_delete(&key)),
        KeyOp::Delete => Ret::Flag(map.delete(&key)),
        KeyOp::Swap(value) => Ret::Value(map.swap(key, value)),
        KeyOp::CompareAndSwap { old, new } => Ret::Flag(map.compare_and_swap(&key, &old, new)),
        KeyOp::CompareAndDelete { old } => Ret::Flag(map.compare_and_delete(&key, &old)),
        KeyOp::Update { add } => Ret::Value(map.update(&key, |v| v.wrapping_add(add))),
    }
}

/// The value a call reveals, if any, to aim later compares at.
fn revealed(op: KeyOp, ret: Ret) -> Option<u32> {
    match (op, ret) {
        (_, Ret::Value(Some(v))) => Some(v),
        (_, Ret::LoadOrStore(r)) => Some(r.into_value()),
        (KeyOp::Store(v) | KeyOp::CompareAndSwap { new: v, .. }, _) => Some(v),
        _ => None,
    }
}

/// Runs `workload` on `map` (which must be empty) and returns each key's history.
pub(crate) fn record<M>(map: &M, workload: &Workload) -> BTreeMap<u32, Vec<Event>>
where
    M: ConcurrentMap<u32, u32> + Sync,
{
    let clock = AtomicU64::new(0);
    // All threads start together, or the first may finish before the last is spawned.
    let start = Barrier::new(workload.threads);
    let per_thread: Vec<Vec<(u32, Event)>> = thread::scope(|scope| {
        let workers: Vec<_> = (0..workload.threads)
            .map(|thread| {
                let (clock, start) = (&clock, &start);
                scope.spawn(move || {
                    start.wait();
                    let mut rng = Rng::new(workload.seed, thread as u64);
                    let mut last_seen = vec![None; workload.keys as usize];
                    let mut events = Vec::with_capacity(workload.ops_per_thread);
                    for _ in 0..workload.ops_per_thread {
                        let key = rng.below(workload.keys);
                        let op = workload.mix.draw(&mut rng, last_seen[key as usize]);
                        // SeqCst ticks of one counter: a response tick below an invoke tick
                        // means the first call returned before the second began.
                        let invoke = clock.fetch_add(1, Ordering::SeqCst);
                        let ret = apply(map, key, op);
                        let response = clock.fetch_add(1, Ordering::SeqCst);
                        if let Some(v) = revealed(op, ret) {
                            last_seen[key as usize] = Some(v);
                        }
                        let event = Event {
                            thread,
                            op,
                            ret,
                            invoke,
                            response,
                        };
                        events.push((key, event));
                    }
                    events
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut histories: BTreeMap<u32, Vec<Event>> = BTreeMap::new();
    for (key, event) in per_thread.into_iter().flatten() {
        histories.entry(key).or_default().push(event);
    }
    histories
}

/// Records `workload` on `map` and panics, with the offending key's history, unless every key's
/// history is linearizable from an empty map; then checks that the map's final contents are what
/// some linearization leaves (each key's last value is one a linearization could end with).
/// Returns the number of calls checked and how many of them overlapped another call (another
/// thread took a tick between their invoke and their response).
pub(crate) fn assert_linearizable<M>(name: &str, map: &M, workload: &Workload) -> (usize, usize)
where
    M: ConcurrentMap<u32, u32> + Sync,
{
    let histories = record(map, workload);
    let mut checked = 0;
    let mut overlapping = 0;
    for (key, history) in &histories {
        overlapping += history.iter().filter(|e| e.response > e.invoke + 1).count();
        match check_key(None, history) {
            Ok(order) => {
                // The final value: the linearization found ends in some state; the map, now
                // quiescent, must hold a value that the history can end with. Checking with one
                // more `load` appended after everything keeps this a linearizability question.
                let final_load = Event {
                    thread: usize::MAX,
                    op: KeyOp::Load,
                    ret: Ret::Value(map.load(key)),
                    invoke: u64::MAX - 1,
                    response: u64::MAX,
                };
                let mut with_final = history.clone();
                with_final.push(final_load);
                if let Err(e) = check_key(None, &with_final) {
                    panic!(
                        "{name}: key {key}: the map's final value {:?} is not one its history can \
                         end with ({workload:?}): {e}",
                        final_load.ret
                    );
                }
                checked += order.len();
            }
            Err(e) => panic!("{name}: key {key} ({workload:?}): {e}"),
        }
    }
    (checked, overlapping)
}
