//! Closures (and `Drop`s) that call back into the map they were handed by: none may deadlock, and
//! every nested call must see what the contract promises.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use super::harness::{family_name, run_check};
use super::{Config, MapFamily};
use crate::{ConcurrentMap, LoadOrStore};

/// A `range` whose callback runs a second `range`, whose callback in turn calls every other
/// method of the map, writes included (Go's `TestMapRangeNestedCall`, issue 46399, extended to
/// the whole trait); then ranges whose callback stores new keys and clears the map.
///
/// The map starts with keys `0, 1, 2`. The inner callback must load each visited key with the
/// value visited, see key `42` absent, then store, swap, compare-and-swap, update, compute,
/// compare-and-delete and load-and-delete it with the expected results. The outer callback deletes
/// the key it visits, so the map must end empty.
///
/// # Panics
///
/// On a wrong nested result, or (after [`Config::deadlock_timeout`]) a deadlock.
///
/// ```
/// # use syncmap_core::conformance::{KitKey, KitValue, MapFamily};
/// # use syncmap_impls::MutexMap;
/// # struct Family;
/// # impl MapFamily for Family {
/// #     type Map<K: KitKey, V: KitValue> = MutexMap<K, V>;
/// #     fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> { MutexMap::new() }
/// # }
/// use syncmap_core::conformance::{check_range_nested_calls, Config};
/// check_range_nested_calls::<Family>(&Config::default());
/// ```
pub fn check_range_nested_calls<F: MapFamily>(config: &Config) {
    run_check(
        "check_range_nested_calls",
        family_name::<F>(),
        config,
        |_| {
            nested_range_calls_every_method(&F::new_map::<u32, String>());
            range_that_stores(&F::new_map::<u32, String>());
            range_that_clears(&F::new_map::<u32, String>());
        },
    );
}

const GREETING: [&str; 3] = ["hello", "world", "Go"];
/// A key never stored outside the inner callback.
const FRESH: u32 = 42;

fn nested_range_calls_every_method<M: ConcurrentMap<u32, String>>(map: &M) {
    for (key, value) in (0..).zip(GREETING) {
        map.store(key, value.to_owned());
    }
    let mut deleted = 0;
    let mut outer_visits = Vec::new();
    map.range(|&outer_key, _| {
        outer_visits.push(outer_key);
        map.range(|&key, value| {
            if key == FRESH {
                // Stored and deleted by an earlier inner callback: the contract lets range see
                // such a key or not.
                return true;
            }
            assert_eq!(
                map.load(&key).as_ref(),
                Some(value),
                "nested load of visited key {key}"
            );
            assert_eq!(
                map.load_with(&key, |v| v.len()),
                Some(value.len()),
                "nested load_with"
            );
            assert!(
                map.contains_key(&key),
                "nested contains_key of visited key {key}"
            );
            assert_eq!(map.len(), GREETING.len() - deleted, "nested len");
            assert!(!map.is_empty(), "nested is_empty");
            assert_eq!(
                map.load(&FRESH),
                None,
                "key {FRESH} was deleted by the last callback"
            );
            assert_eq!(
                map.load_or_store(FRESH, "dummy".to_owned()),
                LoadOrStore::Stored("dummy".to_owned()),
                "nested load_or_store of an absent key"
            );
            map.store(FRESH, "sync.Map".to_owned());
            assert_eq!(
                map.swap(FRESH, "swapped".to_owned()).as_deref(),
                Some("sync.Map"),
                "nested swap"
            );
            assert!(
                map.compare_and_swap(&FRESH, &"swapped".to_owned(), "cas".to_owned()),
                "nested compare_and_swap of the current value"
            );
            assert!(
                !map.compare_and_swap(&FRESH, &"swapped".to_owned(), "no".to_owned()),
                "stale CAS"
            );
            assert_eq!(
                map.update(&FRESH, |v| format!("{v}+u")).as_deref(),
                Some("cas+u"),
                "nested update"
            );
            assert_eq!(
                map.compute(FRESH, |v| v.map(|v| format!("{v}+c")))
                    .as_deref(),
                Some("cas+u+c"),
                "nested compute"
            );
            assert!(
                !map.compare_and_delete(&FRESH, &"cas".to_owned()),
                "stale compare_and_delete"
            );
            assert!(
                map.compare_and_delete(&FRESH, &"cas+u+c".to_owned()),
                "nested compare_and_delete"
            );
            assert_eq!(
                map.load_or_store_with(FRESH, || "built".to_owned()),
                LoadOrStore::Stored("built".to_owned()),
                "nested load_or_store_with"
            );
            assert_eq!(
                map.load_and_delete(&FRESH).as_deref(),
                Some("built"),
                "nested load_and_delete"
            );
            assert!(!map.delete(&FRESH), "nested delete of a deleted key");
            true
        });
        if outer_key != FRESH {
            assert!(
                map.delete(&outer_key),
                "deleting the visited key {outer_key}"
            );
            deleted += 1;
        }
        true
    });
    outer_visits.sort_unstable();
    outer_visits.retain(|&k| k != FRESH);
    assert_eq!(
        outer_visits,
        [0, 1, 2],
        "the outer range must visit each key once"
    );
    let mut left = 0;
    map.range(|_, _| {
        left += 1;
        true
    });
    assert_eq!(
        left, 0,
        "every key was deleted by the outer callback, yet range still visits some"
    );
    assert!(
        map.is_empty(),
        "every key was deleted by the outer callback, yet the map is not empty"
    );
}

/// A callback that stores a new key per visit must terminate, and every key must be there after.
fn range_that_stores<M: ConcurrentMap<u32, String>>(map: &M) {
    for key in 0..8 {
        map.store(key, key.to_string());
    }
    let mut visits = 0;
    map.range(|&key, _| {
        visits += 1;
        assert!(
            visits <= 16,
            "range keeps visiting keys it stored itself: {visits} visits"
        );
        if key < 100 {
            map.store(key + 100, "added".to_owned());
        }
        true
    });
    for key in 0..8 {
        assert_eq!(
            map.load(&(key + 100)).as_deref(),
            Some("added"),
            "key stored from range"
        );
    }
    assert_eq!(map.len(), 16);
}

/// A callback that clears the map: the range ends, the map is empty, and still usable.
fn range_that_clears<M: ConcurrentMap<u32, String>>(map: &M) {
    for key in 0..8 {
        map.store(key, key.to_string());
    }
    map.range(|_, _| {
        map.clear();
        true
    });
    assert!(
        map.is_empty(),
        "cleared from a range callback, yet not empty"
    );
    map.store(1, "again".to_owned());
    assert_eq!(map.load(&1).as_deref(), Some("again"));
}

/// Each closure-taking method (`load_with`, `load_or_store_with`, `update`, `compute`) whose
/// closure calls back into the map, reading and writing the same key and others; and the `Drop`
/// of a value the map replaces or removes calling back into the map. None may deadlock, and the
/// results must be what the contract gives: a write to the same key inside `update` or `compute`
/// is another writer, so the closure runs again on the new value; a store of the same key inside
/// `load_or_store_with`'s builder wins, and the call returns it as `Loaded`.
///
/// # Panics
///
/// On a wrong result, or (after [`Config::deadlock_timeout`]) a deadlock.
///
/// ```
/// # use syncmap_core::conformance::{KitKey, KitValue, MapFamily};
/// # use syncmap_impls::MutexMap;
/// # struct Family;
/// # impl MapFamily for Family {
/// #     type Map<K: KitKey, V: KitValue> = MutexMap<K, V>;
/// #     fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> { MutexMap::new() }
/// # }
/// use syncmap_core::conformance::{check_reentrant_closures, Config};
/// check_reentrant_closures::<Family>(&Config::default());
/// ```
pub fn check_reentrant_closures<F: MapFamily>(config: &Config) {
    run_check(
        "check_reentrant_closures",
        family_name::<F>(),
        config,
        |_| {
            reentrant_load_with(&F::new_map::<u32, u32>());
            reentrant_load_or_store_with(&F::new_map::<u32, u32>());
            reentrant_update(&F::new_map::<u32, u32>());
            reentrant_compute(&F::new_map::<u32, u32>());
            reentrant_drops(Arc::new(F::new_map::<u32, Hooked>()));
        },
    );
}

fn reentrant_load_with<M: ConcurrentMap<u32, u32>>(map: &M) {
    map.store(1, 10);
    map.store(3, 30);
    let seen = map.load_with(&1, |&v| {
        assert_eq!(map.load(&1), Some(v), "load inside load_with");
        map.store(2, v + 1);
        assert_eq!(
            map.update(&2, |n| n * 2),
            Some(22),
            "update inside load_with"
        );
        assert!(map.delete(&3), "delete inside load_with");
        map.store(1, 100); // the key being read
        assert_eq!(map.len(), 2, "len inside load_with");
        v
    });
    assert_eq!(seen, Some(10), "load_with returns its closure's result");
    assert_eq!(
        (map.load(&1), map.load(&2), map.load(&3)),
        (Some(100), Some(22), None)
    );
}

fn reentrant_load_or_store_with<M: ConcurrentMap<u32, u32>>(map: &M) {
    let stored = map.load_or_store_with(10, || {
        assert_eq!(
            map.load(&10),
            None,
            "the key is absent while its value is built"
        );
        map.store(11, 1);
        assert!(
            map.compare_and_swap(&11, &1, 2),
            "compare_and_swap inside the builder"
        );
        7
    });
    assert_eq!(stored, LoadOrStore::Stored(7), "builder writing other keys");
    assert_eq!((map.load(&10), map.load(&11)), (Some(7), Some(2)));

    let raced = map.load_or_store_with(20, || {
        map.store(20, 5); // the same key: this store comes first, so it wins
        6
    });
    assert_eq!(
        raced,
        LoadOrStore::Loaded(5),
        "a store of the key from inside its builder wins"
    );
    assert_eq!(map.load(&20), Some(5));

    let present =
        map.load_or_store_with(10, || panic!("the builder must not run for a present key"));
    assert_eq!(present, LoadOrStore::Loaded(7));
}

fn reentrant_update<M: ConcurrentMap<u32, u32>>(map: &M) {
    map.store(1, 1);
    let mut calls = 0;
    let result = map.update(&1, |&v| {
        calls += 1;
        assert_eq!(map.load(&1), Some(v), "load inside update");
        map.store(2, v);
        assert_eq!(map.swap(3, v), None, "swap inside update");
        v + 1
    });
    assert_eq!(
        (result, calls),
        (Some(2), 1),
        "update whose closure writes other keys"
    );
    assert_eq!(
        (map.load(&1), map.load(&2), map.load(&3)),
        (Some(2), Some(1), Some(1))
    );

    map.store(40, 1);
    let mut calls = 0;
    let result = map.update(&40, |&v| {
        calls += 1;
        if calls == 1 {
            map.store(40, 10); // another writer, from inside: the first attempt must not apply
        }
        v + 1
    });
    assert_eq!(
        (result, calls),
        (Some(11), 2),
        "update whose closure overwrote its own key must retry on the new value"
    );
    assert_eq!(map.load(&40), Some(11));
}

fn reentrant_compute<M: ConcurrentMap<u32, u32>>(map: &M) {
    let result = map.compute(50, |current| {
        assert_eq!(current, None);
        assert!(!map.contains_key(&50), "contains_key inside compute");
        map.store(51, 0);
        Some(1)
    });
    assert_eq!(result, Some(1), "compute whose closure writes another key");
    assert_eq!((map.load(&50), map.load(&51)), (Some(1), Some(0)));

    map.store(60, 5);
    let mut calls = 0;
    let result = map.compute(60, |current| {
        calls += 1;
        if calls == 1 {
            assert!(map.delete(&60), "delete inside compute");
        }
        Some(current.map_or(100, |v| v + 1))
    });
    assert_eq!(
        result,
        Some(100),
        "compute whose closure deleted its own key must retry on absence"
    );
    assert_eq!(map.load(&60), Some(100));

    let result = map.compute(60, |current| {
        assert_eq!(current, Some(&100));
        assert_eq!(
            map.load_and_delete(&51),
            Some(0),
            "load_and_delete inside compute"
        );
        None
    });
    assert_eq!(result, None, "compute returning None deletes");
    assert!(!map.contains_key(&60) && !map.contains_key(&51));
}

/// A value whose `Drop` calls back into the map holding it (through a `Weak`, so dropping the map
/// itself ends the game). Equality is by `id`.
struct Hooked {
    id: u32,
    hook: Option<Arc<DropHook>>,
}

/// What a hooked value's `Drop` runs, and the instance counts that tell a leak.
struct DropHook {
    call_back: Box<dyn Fn() + Send + Sync>,
    created: AtomicUsize,
    dropped: AtomicUsize,
}

impl Hooked {
    fn plain(id: u32) -> Self {
        Self { id, hook: None }
    }

    fn with_hook(id: u32, hook: &Arc<DropHook>) -> Self {
        hook.created.fetch_add(1, Ordering::SeqCst);
        Self {
            id,
            hook: Some(Arc::clone(hook)),
        }
    }
}

impl Clone for Hooked {
    fn clone(&self) -> Self {
        match &self.hook {
            Some(hook) => Self::with_hook(self.id, hook),
            None => Self::plain(self.id),
        }
    }
}

impl PartialEq for Hooked {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl fmt::Debug for Hooked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Hooked({}{})",
            self.id,
            if self.hook.is_some() { ", hook" } else { "" }
        )
    }
}

impl Drop for Hooked {
    fn drop(&mut self) {
        if let Some(hook) = &self.hook {
            hook.dropped.fetch_add(1, Ordering::SeqCst);
            (hook.call_back)();
        }
    }
}

/// The key the drop hook writes; it only ever holds plain values, so its writes drop no hook.
const HOOK_KEY: u32 = 99;

/// Replaces and removes hooked values in every way the trait allows, many times over, so that a
/// map that defers its drops (epoch-based reclamation) also runs them during later operations.
/// A map that runs such a drop under its lock deadlocks here.
fn reentrant_drops<M: ConcurrentMap<u32, Hooked> + Send + Sync + 'static>(map: Arc<M>) {
    let weak: Weak<M> = Arc::downgrade(&map);
    let hook = Arc::new(DropHook {
        call_back: Box::new(move || {
            if let Some(map) = weak.upgrade() {
                // Reads and a write of the map, from a Drop the map caused. The read must not clone
                // a hooked value: dropping the clone would run this hook again, without end,
                // whenever key 1 holds a hooked value at the time of a deferred drop.
                let _ = map.load_with(&1, |value| value.id);
                let _ = map.len();
                map.store(HOOK_KEY, Hooked::plain(0));
            }
        }),
        created: AtomicUsize::new(0),
        dropped: AtomicUsize::new(0),
    });
    type Scenario<M> = fn(&M, &dyn Fn(u32) -> Hooked);
    let scenarios: [Scenario<M>; 9] = [
        |m, h| {
            m.store(1, h(1));
            m.store(1, Hooked::plain(2)); // store over a hooked value
        },
        |m, h| {
            m.store(1, h(1));
            drop(m.swap(1, Hooked::plain(2)));
        },
        |m, h| {
            m.store(1, h(1));
            m.delete(&1);
        },
        |m, h| {
            m.store(1, h(1));
            drop(m.load_and_delete(&1));
        },
        |m, h| {
            m.store(1, h(1));
            m.compare_and_swap(&1, &Hooked::plain(1), Hooked::plain(2));
        },
        |m, h| {
            m.store(1, Hooked::plain(1));
            m.compare_and_swap(&1, &Hooked::plain(7), h(2)); // fails: the hooked `new` is dropped
        },
        |m, h| {
            m.store(1, Hooked::plain(1));
            let _ = m.load_or_store(1, h(2)); // present: the offered value is dropped
        },
        |m, h| {
            m.store(1, h(1));
            m.compute(1, |_| Some(Hooked::plain(2)));
        },
        |m, h| {
            m.store(1, h(1));
            m.store(2, h(2));
            m.clear();
        },
    ];
    let rounds = if cfg!(miri) { 4 } else { 256 };
    let make = |id| Hooked::with_hook(id, &hook);
    for _ in 0..rounds {
        for scenario in scenarios {
            scenario(&map, &make);
        }
    }
    drop(map);
    let (created, dropped) = (
        hook.created.load(Ordering::SeqCst),
        hook.dropped.load(Ordering::SeqCst),
    );
    assert_eq!(
        dropped, created,
        "of {created} hooked values replaced or removed, only {dropped} were dropped by the time \
         the map was dropped"
    );
}
