//! Keys and values whose user code (`Hash`, `Eq`, `Clone`, `Drop`, and the closures passed to the
//! map) can be armed, one site at a time, to panic or to call back into the map; the calls made on
//! them; and the model they are checked against. Used by `panic_safety.rs` and `reentrance.rs`.
//!
//! Arming is per thread (a thread-local countdown, "act at the n-th call of site S"), so a test
//! arms only the call under test. Every instance is registered, so leaks and double drops show.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};

use syncmap_core::ConcurrentMap;

use super::rng::Rng;

/// A place where user code runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Site {
    KeyHash,
    KeyEq,
    KeyClone,
    KeyDrop,
    ValueClone,
    ValueEq,
    ValueDrop,
    Closure,
}

pub(crate) const SITES: [Site; 8] = [
    Site::KeyHash,
    Site::KeyEq,
    Site::KeyClone,
    Site::KeyDrop,
    Site::ValueClone,
    Site::ValueEq,
    Site::ValueDrop,
    Site::Closure,
];

pub(crate) const DELIBERATE: &str = "panic_safety: deliberate panic";

/// The message of a panic's payload, if it is a string.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

/// Keeps the deliberate panics, expected by the thousand, out of the test output; any other
/// panic is still printed by the default hook. Installed once per test binary and never
/// removed: the hook is global, and tests running in parallel that each set it and restored
/// "their" previous one could restore each other's.
pub(crate) fn quiet_deliberate_panics() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if panic_message(info.payload()) != Some(DELIBERATE) {
                default(info);
            }
        }));
    });
}

/// What an armed site does when its countdown runs out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Panics with [`DELIBERATE`].
    Panic,
    /// Runs the call-back set by [`set_call_back`], once.
    CallBack,
}

thread_local! {
    /// The armed site, how many of its calls still pass before it acts, and what it does.
    static ARMED: Cell<Option<(Site, u32, Action)>> = const { Cell::new(None) };
    /// What [`Action::CallBack`] runs.
    static CALL_BACK: RefCell<Option<Box<dyn Fn()>>> = RefCell::new(None);
    /// Live instances (keys and values share the id space), for leak and double-drop checks.
    static LIVE: RefCell<HashSet<u64>> = RefCell::new(HashSet::new());
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
    static DOUBLE_DROPS: Cell<u64> = const { Cell::new(0) };
}

/// Arms `site` on this thread: its call number `after` (counting from 0) does `action`.
pub(crate) fn arm(site: Site, after: u32, action: Action) {
    ARMED.set(Some((site, after, action)));
}

/// Disarms this thread's site; returns whether it was still armed (so had not acted).
pub(crate) fn disarm() -> bool {
    ARMED.take().is_some()
}

/// Sets what [`Action::CallBack`] runs on this thread (`None` clears it).
pub(crate) fn set_call_back(call_back: Option<Box<dyn Fn()>>) {
    CALL_BACK.set(call_back);
}

/// Counts a call of `site`, acting if it is the armed one and its countdown ran out.
fn tick(site: Site) {
    if let Some((armed, left, action)) = ARMED.get()
        && armed == site
    {
        if left > 0 {
            ARMED.set(Some((armed, left - 1, action)));
            return;
        }
        // Disarmed first, so the call-back's own calls of user code do not act again.
        ARMED.set(None);
        match action {
            // Never while unwinding: a second panic would abort the whole test binary.
            Action::Panic if !std::thread::panicking() => panic!("{DELIBERATE}"),
            Action::Panic => {}
            Action::CallBack => {
                let call_back = CALL_BACK.take();
                if let Some(call_back) = &call_back {
                    call_back();
                }
                CALL_BACK.set(call_back);
            }
        }
    }
}

/// How many keys and values are alive on this thread's count.
pub(crate) fn live() -> usize {
    LIVE.with_borrow(HashSet::len)
}

/// Forgets the live instances (after a leak was reported), so the next check starts clean.
pub(crate) fn forget_live() {
    LIVE.with_borrow_mut(HashSet::clear);
}

/// How many drops found their instance already dropped.
pub(crate) fn double_drops() -> u64 {
    DOUBLE_DROPS.get()
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
pub(crate) struct Key {
    id: u64,
    pub(crate) k: u32,
}

impl Key {
    pub(crate) fn new(k: u32) -> Self {
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
pub(crate) struct Value {
    id: u64,
    pub(crate) v: u32,
}

impl Value {
    pub(crate) fn new(v: u32) -> Self {
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
pub(crate) enum Call {
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

pub(crate) const KEYS: u32 = 6;

pub(crate) fn draw(rng: &mut Rng) -> Call {
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

pub(crate) type Model = BTreeMap<u32, u32>;

/// What `call` does to the model when it completes.
pub(crate) fn apply_model(model: &mut Model, call: Call) {
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
pub(crate) fn make_call<M: ConcurrentMap<Key, Value>>(map: &M, call: Call) {
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

/// One of each call, on keys in each state [`fill_every_state`] leaves.
pub(crate) const EVERY_CALL: [Call; 26] = [
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

/// The pairs of a call of [`EVERY_CALL`] and a site of `sites`, every `stride`-th of them in
/// order (`stride` 1: all). A stride coprime with the number of sites pairs each call with
/// several sites and each site with several calls.
pub(crate) fn every_pair(sites: &[Site], stride: usize) -> impl Iterator<Item = (Call, Site)> + '_ {
    EVERY_CALL
        .into_iter()
        .flat_map(move |call| sites.iter().map(move |&site| (call, site)))
        .step_by(stride)
}

/// Keys 1..4 stored and promoted into `read` (for `SyncMap`), 0 deleted then expunged by the
/// rebuild that adding 4 (in `dirty` only) causes: a key in every state.
pub(crate) fn fill_every_state<M: ConcurrentMap<Key, Value>>(map: &M) {
    for k in 0..4 {
        map.store(Key::new(k), Value::new(k));
    }
    map.range(|_, _| true);
    map.delete(&Key::new(0));
    map.store(Key::new(4), Value::new(4));
}

/// The map's contents, read with nothing armed.
pub(crate) fn contents<M: ConcurrentMap<Key, Value>>(map: &M) -> Model {
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
