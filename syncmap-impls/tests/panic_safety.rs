//! Panics at every place user code runs (key `Hash`, `Eq`, `Clone` and `Drop`; value `Clone`,
//! `PartialEq` and `Drop`; the closures of `load_or_store_with`, `update`, `compute` and `range`),
//! on every map: after each caught panic the map holds either the contents before the call or
//! the contents after it (the call took effect completely or not at all), keeps working, and once
//! dropped has dropped every key and value instance exactly once.
//!
//! The panicking implementations are switched on by a thread-local countdown: "panic at the n-th
//! call of site S", armed only during the call under test. Everything runs on one thread, so the
//! deferred drops of `SyncMap` run on it too.

mod support;

use std::borrow::Borrow;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};
use std::panic::{self, AssertUnwindSafe};

use support::rng::{Rng, seed};
use support::scaled;
use syncmap_core::ConcurrentMap;
use syncmap_impls::{MutexMap, RwLockMap, SyncMap};

/// A place where user code runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Site {
    KeyHash,
    KeyEq,
    KeyClone,
    KeyDrop,
    ValueClone,
    ValueEq,
    ValueDrop,
    Closure,
}

const SITES: [Site; 8] = [
    Site::KeyHash,
    Site::KeyEq,
    Site::KeyClone,
    Site::KeyDrop,
    Site::ValueClone,
    Site::ValueEq,
    Site::ValueDrop,
    Site::Closure,
];

const DELIBERATE: &str = "panic_safety: deliberate panic";

thread_local! {
    /// The armed site and how many of its calls still pass before one panics.
    static ARMED: Cell<Option<(Site, u32)>> = const { Cell::new(None) };
    /// Live instances (keys and values share the id space), for leak and double-drop checks.
    static LIVE: RefCell<HashSet<u64>> = RefCell::new(HashSet::new());
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
    static DOUBLE_DROPS: Cell<u64> = const { Cell::new(0) };
}

/// Counts a call of `site`, panicking if it is the armed one and its countdown ran out.
fn tick(site: Site) {
    if let Some((armed, left)) = ARMED.get()
        && armed == site
    {
        if left == 0 {
            ARMED.set(None);
            // Never while unwinding: a second panic would abort the whole test binary.
            if !std::thread::panicking() {
                panic!("{DELIBERATE}");
            }
        } else {
            ARMED.set(Some((armed, left - 1)));
        }
    }
}

fn register() -> u64 {
    let id = NEXT_ID.get();
    NEXT_ID.set(id + 1);
    LIVE.with_borrow_mut(|live| live.insert(id));
    id
}

fn unregister(id: u64) {
    if !LIVE.with_borrow_mut(|live| live.remove(&id)) {
        DOUBLE_DROPS.set(DOUBLE_DROPS.get() + 1);
    }
}

#[derive(Debug)]
struct Key {
    id: u64,
    k: u32,
}

impl Key {
    fn new(k: u32) -> Self {
        Self { id: register(), k }
    }
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        tick(Site::KeyHash);
        self.k.hash(state);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        tick(Site::KeyEq);
        self.k == other.k
    }
}

impl Eq for Key {}

impl Clone for Key {
    fn clone(&self) -> Self {
        tick(Site::KeyClone);
        Self::new(self.k)
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        unregister(self.id);
        tick(Site::KeyDrop);
    }
}

/// Lookups go through `&Key` itself (`Borrow<Key>`), so every lookup hashes and compares keys.
#[derive(Debug)]
struct Value {
    id: u64,
    v: u32,
}

impl Value {
    fn new(v: u32) -> Self {
        Self { id: register(), v }
    }
}

impl Clone for Value {
    fn clone(&self) -> Self {
        tick(Site::ValueClone);
        Self::new(self.v)
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        tick(Site::ValueEq);
        self.v == other.v
    }
}

impl Drop for Value {
    fn drop(&mut self) {
        unregister(self.id);
        tick(Site::ValueDrop);
    }
}

/// A call, on keys `0..KEYS` and values `0..4`.
#[derive(Clone, Copy, Debug)]
enum Call {
    Load(u32),
    ContainsKey(u32),
    Store(u32, u32),
    LoadOrStore(u32, u32),
    LoadOrStoreWith(u32, u32),
    LoadAndDelete(u32),
    Delete(u32),
    Swap(u32, u32),
    CompareAndSwap(u32, u32, u32),
    CompareAndDelete(u32, u32),
    Update(u32),
    Compute(u32, Option<u32>),
    Range,
    Clear,
    Len,
}

const KEYS: u32 = 6;

fn draw(rng: &mut Rng) -> Call {
    let (k, v, w) = (rng.below(KEYS), rng.below(4), rng.below(4));
    match rng.below(16) {
        0 => Call::Load(k),
        1 => Call::ContainsKey(k),
        2 | 3 => Call::Store(k, v),
        4 => Call::LoadOrStore(k, v),
        5 => Call::LoadOrStoreWith(k, v),
        6 => Call::LoadAndDelete(k),
        7 => Call::Delete(k),
        8 => Call::Swap(k, v),
        9 => Call::CompareAndSwap(k, v, w),
        10 => Call::CompareAndDelete(k, v),
        11 => Call::Update(k),
        12 => Call::Compute(k, (w > 0).then_some(v)),
        13 => Call::Range,
        14 => Call::Clear,
        _ => Call::Len,
    }
}

type Model = BTreeMap<u32, u32>;

/// What `call` does to the model when it completes.
fn apply_model(model: &mut Model, call: Call) {
    match call {
        Call::Store(k, v) | Call::Swap(k, v) => drop(model.insert(k, v)),
        Call::LoadOrStore(k, v) | Call::LoadOrStoreWith(k, v) => drop(model.entry(k).or_insert(v)),
        Call::LoadAndDelete(k) | Call::Delete(k) => drop(model.remove(&k)),
        Call::CompareAndSwap(k, old, new) if model.get(&k) == Some(&old) => {
            model.insert(k, new);
        }
        Call::CompareAndDelete(k, old) if model.get(&k) == Some(&old) => drop(model.remove(&k)),
        Call::Update(k) => {
            if let Some(v) = model.get_mut(&k) {
                *v += 1;
            }
        }
        Call::Compute(k, Some(v)) => drop(model.insert(k, v)),
        Call::Compute(k, None) => drop(model.remove(&k)),
        Call::Clear => model.clear(),
        _ => {}
    }
}

/// Makes `call` on `map`, ticking [`Site::Closure`] in every closure it passes.
fn make_call<M: ConcurrentMap<Key, Value>>(map: &M, call: Call) {
    let closure = || tick(Site::Closure);
    match call {
        Call::Load(k) => drop(map.load(&Key::new(k))),
        Call::ContainsKey(k) => drop(map.contains_key(&Key::new(k))),
        Call::Store(k, v) => map.store(Key::new(k), Value::new(v)),
        Call::LoadOrStore(k, v) => drop(map.load_or_store(Key::new(k), Value::new(v))),
        Call::LoadOrStoreWith(k, v) => drop(map.load_or_store_with(Key::new(k), || {
            closure();
            Value::new(v)
        })),
        Call::LoadAndDelete(k) => drop(map.load_and_delete(&Key::new(k))),
        Call::Delete(k) => drop(map.delete(&Key::new(k))),
        Call::Swap(k, v) => drop(map.swap(Key::new(k), Value::new(v))),
        Call::CompareAndSwap(k, old, new) => {
            let _ = map.compare_and_swap(&Key::new(k), &Value::new(old), Value::new(new));
        }
        Call::CompareAndDelete(k, old) => {
            let _ = map.compare_and_delete(&Key::new(k), &Value::new(old));
        }
        Call::Update(k) => drop(map.update(&Key::new(k), |v| {
            closure();
            Value::new(v.v + 1)
        })),
        Call::Compute(k, to) => drop(map.compute(Key::new(k), |_| {
            closure();
            to.map(Value::new)
        })),
        Call::Range => map.range(|_, _| {
            closure();
            true
        }),
        Call::Clear => map.clear(),
        Call::Len => drop(map.len()),
    }
}

/// The map's contents, read with nothing armed.
fn contents<M: ConcurrentMap<Key, Value>>(map: &M) -> Model {
    let mut seen = Model::new();
    map.range(|key, value| {
        assert!(
            seen.insert(key.k, value.v).is_none(),
            "range visited {} twice",
            key.k
        );
        true
    });
    for k in 0..KEYS {
        assert_eq!(
            map.load(&Key::new(k)).map(|v| v.v),
            seen.get(&k).copied(),
            "load and range disagree on key {k}"
        );
    }
    assert_eq!(map.len(), seen.len(), "len disagrees with range");
    seen
}

/// Random calls with a random site armed for each; see the module docs.
/// `immediate_drops`: the map drops what it removes before returning (the lock-based maps), so
/// the live instances are exactly its keys and values after every call.
fn panics_leave_the_map_consistent<M, F>(
    name: &str,
    new_map: F,
    immediate_drops: bool,
    sites: &[Site],
) where
    M: ConcurrentMap<Key, Value>,
    F: Fn() -> M,
{
    let seed = seed();
    let mut rng = Rng::new(seed, 0);
    let (mut caught, mut calls) = (0, 0);
    let previous_hook = panic::take_hook();
    // Deliberate panics are expected by the thousand; keep the output readable.
    panic::set_hook(Box::new(|info| {
        let deliberate = info.payload().downcast_ref::<&str>() == Some(&DELIBERATE)
            || info.payload().downcast_ref::<String>().map(String::as_str) == Some(DELIBERATE);
        if !deliberate {
            eprintln!("{info}");
        }
    }));
    for case in 0..scaled(200, 2) {
        let map = new_map();
        let mut model = Model::new();
        for _ in 0..scaled(40, 12) {
            let call = draw(&mut rng);
            let site = sites[rng.below(sites.len() as u32) as usize];
            let before = model.clone();
            apply_model(&mut model, call);
            ARMED.set(Some((site, rng.below(3))));
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| make_call(&map, call)));
            ARMED.set(None);
            calls += 1;
            match outcome {
                Ok(()) => {
                    let actual = contents(&map);
                    assert_eq!(
                        actual, model,
                        "{name}: case {case}, {call:?} with {site:?} armed did not panic but \
                         left the wrong contents (SYNCMAP_TEST_SEED={seed})"
                    );
                }
                Err(payload) => {
                    let message = payload
                        .downcast_ref::<&str>()
                        .copied()
                        .or(payload.downcast_ref::<String>().map(String::as_str));
                    assert_eq!(
                        message,
                        Some(DELIBERATE),
                        "{name}: case {case}, {call:?} with {site:?} armed: the map panicked on \
                         its own (SYNCMAP_TEST_SEED={seed})"
                    );
                    caught += 1;
                    let actual = contents(&map);
                    assert!(
                        actual == before || actual == model,
                        "{name}: case {case}, {call:?} panicked at {site:?} and left {actual:?}, \
                         neither {before:?} (before) nor {model:?} (after) \
                         (SYNCMAP_TEST_SEED={seed})"
                    );
                    model = actual;
                }
            }
            if immediate_drops {
                let live = LIVE.with_borrow(HashSet::len);
                assert_eq!(
                    live,
                    2 * model.len(),
                    "{name}: case {case}, after {call:?} with {site:?} armed: {live} keys and \
                     values alive for {} entries (SYNCMAP_TEST_SEED={seed})",
                    model.len()
                );
            }
        }
        drop(map);
        let leaked = LIVE.with_borrow(HashSet::len);
        assert_eq!(
            (leaked, DOUBLE_DROPS.get()),
            (0, 0),
            "{name}: case {case}: instances leaked, double drops (SYNCMAP_TEST_SEED={seed})"
        );
    }
    panic::set_hook(previous_hook);
    // Under Miri the run is a few dozen calls, where a tenth is within chance of missing.
    let enough = if cfg!(miri) { 0 } else { calls / 10 };
    assert!(
        caught > enough,
        "{name}: only {caught} of {calls} calls panicked"
    );
}

/// Every site but the destructors.
const NOT_DROP: [Site; 6] = [
    Site::KeyHash,
    Site::KeyEq,
    Site::KeyClone,
    Site::ValueClone,
    Site::ValueEq,
    Site::Closure,
];

#[test]
fn mutex_map_survives_panics() {
    panics_leave_the_map_consistent("MutexMap", MutexMap::new, true, &NOT_DROP);
}

#[test]
fn rwlock_map_survives_panics() {
    panics_leave_the_map_consistent("RwLockMap", RwLockMap::new, true, &NOT_DROP);
}

#[test]

fn sync_map_survives_panics() {
    panics_leave_the_map_consistent("SyncMap", SyncMap::new, false, &NOT_DROP);
}

#[test]

fn mutex_map_survives_panicking_drops() {
    panics_leave_the_map_consistent("MutexMap", MutexMap::new, true, &SITES);
}

#[test]

fn rwlock_map_survives_panicking_drops() {
    panics_leave_the_map_consistent("RwLockMap", RwLockMap::new, true, &SITES);
}

#[test]

fn sync_map_survives_panicking_drops() {
    panics_leave_the_map_consistent("SyncMap", SyncMap::new, false, &SITES);
}

/// `Key` is its own borrowed form; this keeps the lookups above honest about it.
#[test]
fn keys_are_looked_up_by_reference() {
    fn lookup<Q: ?Sized, K: Borrow<Q>>(_: &K) {}
    lookup::<Key, Key>(&Key::new(0));
    LIVE.with_borrow_mut(HashSet::clear);
}

/// Every call of a fixed list, against a map with keys in `read`, in `dirty` only, deleted and
/// expunged, with each site armed to panic at each of its first four calls: whatever happens,
/// once the map is dropped nothing may be left alive. Lists every leaking combination at once.
fn single_panics_leak_nothing<M, F>(name: &str, new_map: F, sites: &[Site])
where
    M: ConcurrentMap<Key, Value>,
    F: Fn() -> M,
{
    let calls = [
        Call::Load(1),
        Call::Load(5),
        Call::ContainsKey(1),
        Call::Store(1, 2),
        Call::Store(0, 2),
        Call::Store(5, 2),
        Call::LoadOrStore(1, 3),
        Call::LoadOrStore(5, 3),
        Call::LoadOrStoreWith(5, 3),
        Call::LoadAndDelete(1),
        Call::LoadAndDelete(4),
        Call::Delete(1),
        Call::Delete(4),
        Call::Swap(1, 2),
        Call::Swap(5, 2),
        Call::CompareAndSwap(1, 1, 2),
        Call::CompareAndSwap(4, 4, 2),
        Call::CompareAndDelete(1, 1),
        Call::Update(1),
        Call::Update(4),
        Call::Compute(1, Some(3)),
        Call::Compute(5, Some(3)),
        Call::Compute(1, None),
        Call::Range,
        Call::Clear,
        Call::Len,
    ];
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let mut leaks = Vec::new();
    for call in calls {
        for &site in sites {
            for left in 0..4 {
                {
                    let map = new_map();
                    // Keys 1..4 promoted into `read` (for SyncMap), 0 deleted then expunged by
                    // the rebuild that adding 4 (in `dirty` only) causes.
                    for k in 0..4 {
                        map.store(Key::new(k), Value::new(k));
                    }
                    map.range(|_, _| true);
                    map.delete(&Key::new(0));
                    map.store(Key::new(4), Value::new(4));
                    ARMED.set(Some((site, left)));
                    let _ = panic::catch_unwind(AssertUnwindSafe(|| make_call(&map, call)));
                    ARMED.set(None);
                }
                let leaked = LIVE.with_borrow(HashSet::len);
                if leaked > 0 {
                    leaks.push(format!(
                        "{call:?} panicking at call #{left} of {site:?}: {leaked}"
                    ));
                    LIVE.with_borrow_mut(HashSet::clear);
                }
            }
        }
    }
    panic::set_hook(previous_hook);
    assert!(
        leaks.is_empty() && DOUBLE_DROPS.get() == 0,
        "{name}: instances left alive after the map was dropped, {} double drops:\n{}",
        DOUBLE_DROPS.get(),
        leaks.join("\n")
    );
}

#[test]
fn mutex_map_single_panics_leak_nothing() {
    single_panics_leak_nothing("MutexMap", MutexMap::new, &NOT_DROP);
}

#[test]
fn rwlock_map_single_panics_leak_nothing() {
    single_panics_leak_nothing("RwLockMap", RwLockMap::new, &NOT_DROP);
}

#[test]

fn sync_map_single_panics_leak_nothing() {
    single_panics_leak_nothing("SyncMap", SyncMap::new, &NOT_DROP);
}

#[test]

fn mutex_map_single_panicking_drops_leak_nothing() {
    single_panics_leak_nothing("MutexMap", MutexMap::new, &SITES);
}

#[test]

fn rwlock_map_single_panicking_drops_leak_nothing() {
    single_panics_leak_nothing("RwLockMap", RwLockMap::new, &SITES);
}

#[test]

fn sync_map_single_panicking_drops_leak_nothing() {
    single_panics_leak_nothing("SyncMap", SyncMap::new, &SITES);
}
