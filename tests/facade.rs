//! Integration tests of the `syncmap` facade: code written once against the re-exported
//! `ConcurrentMap` trait, run on every re-exported map.
//!
//! The full contract is checked per implementation by the conformance kit; these tests check what
//! a user of the facade relies on first: the vocabulary, `Borrow` lookups, `load_or_store`'s
//! outcome, and sharing one map between threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use syncmap::{ConcurrentMap, LoadOrStore};

/// Threads in the concurrent tests.
const THREADS: usize = 4;
/// Operations per thread in the concurrent tests; Miri runs far fewer.
const PER_THREAD: usize = if cfg!(miri) { 20 } else { 2_000 };

/// One module of tests per map, so a failure names the map. Adding a map is one line.
macro_rules! facade_tests {
    ($($module:ident => $map:ident),* $(,)?) => {$(
        mod $module {
            use syncmap::$map;

            #[test]
            fn vocabulary() {
                super::vocabulary::<$map<String, u64>>();
            }

            #[test]
            fn borrow_lookups() {
                super::borrow_lookups::<$map<String, u64>>();
            }

            #[test]
            fn load_or_store_semantics() {
                super::load_or_store_semantics::<$map<&'static str, std::sync::Arc<String>>>();
            }

            #[test]
            fn range_stops_and_allows_writes() {
                super::range_stops_and_allows_writes::<$map<u64, u64>>();
            }

            #[test]
            fn load_or_store_race_stores_once() {
                super::load_or_store_race_stores_once::<$map<u64, usize>>();
            }

            #[test]
            fn threads_share_one_map() {
                super::threads_share_one_map::<$map<String, u64>>();
            }
        }
    )*};
}

facade_tests! {
    mutex_map => MutexMap,
    rwlock_map => RwLockMap,
    sync_map => SyncMap,
}

/// Every method of the trait, in Go's order, with the result Go's `sync.Map` would give.
fn vocabulary<M: ConcurrentMap<String, u64> + Default>() {
    let map = M::default();
    assert!(map.is_empty());

    map.store("a".to_owned(), 1);
    assert_eq!(map.load("a"), Some(1));
    assert_eq!(map.load("b"), None);
    assert_eq!(map.load_with("a", |v| v + 10), Some(11));

    assert_eq!(map.load_or_store("a".to_owned(), 2), LoadOrStore::Loaded(1));
    assert_eq!(map.load_or_store("b".to_owned(), 2), LoadOrStore::Stored(2));

    assert_eq!(map.swap("a".to_owned(), 3), Some(1));
    assert_eq!(map.swap("c".to_owned(), 4), None);

    assert!(!map.compare_and_swap("a", &1, 5), "stale old value");
    assert!(map.compare_and_swap("a", &3, 5));
    assert!(!map.compare_and_swap("zz", &0, 5), "absent key never swaps");
    assert!(!map.contains_key("zz"), "a failed swap stores nothing");

    assert!(!map.compare_and_delete("b", &0));
    assert!(map.compare_and_delete("b", &2));
    assert!(!map.contains_key("b"));

    assert_eq!(map.load_and_delete("c"), Some(4));
    assert_eq!(map.load_and_delete("c"), None);
    assert!(!map.delete("c"));

    assert_eq!(map.update("a", |n| n * 2), Some(10));
    assert_eq!(map.update("absent", |n| n * 2), None);
    assert!(!map.contains_key("absent"), "update never inserts");

    let add_one = |n: Option<&u64>| Some(n.copied().unwrap_or(0) + 1);
    assert_eq!(map.compute("n".to_owned(), add_one), Some(1));
    assert_eq!(map.compute("n".to_owned(), add_one), Some(2));
    assert_eq!(map.compute("n".to_owned(), |_| None), None);
    assert!(!map.contains_key("n"), "compute returning None deletes");

    map.store("d".to_owned(), 7);
    assert_eq!(map.len(), 2);
    let mut seen = Vec::new();
    map.range(|k, v| {
        seen.push((k.clone(), *v));
        true
    });
    seen.sort();
    assert_eq!(seen, [("a".to_owned(), 10), ("d".to_owned(), 7)]);

    map.clear();
    assert!(map.is_empty());
    assert_eq!(map.load("a"), None);
}

/// `String` keys looked up, compared and deleted by `&str`, without building a `String`.
fn borrow_lookups<M: ConcurrentMap<String, u64> + Default>() {
    let map = M::default();
    map.store(String::from("key"), 1);
    let key: &str = "key";

    assert_eq!(map.load(key), Some(1));
    assert!(map.contains_key(key));
    assert_eq!(map.load_with(key, |v| *v), Some(1));
    assert!(map.compare_and_swap(key, &1, 2));
    assert_eq!(map.update(key, |v| v + 1), Some(3));
    assert!(map.compare_and_delete(key, &3));
    map.store(String::from("key"), 4);
    assert_eq!(map.load_and_delete(key), Some(4));
    map.store(String::from("key"), 5);
    assert!(map.delete(key));
    assert!(map.is_empty());
}

/// `load_or_store` keeps the first value, hands it back as `Loaded`, and drops the offered one;
/// `load_or_store_with` builds its value only when the key is absent.
fn load_or_store_semantics<M: ConcurrentMap<&'static str, Arc<String>> + Default>() {
    let map = M::default();
    let first = Arc::new("first".to_owned());
    let second = Arc::new("second".to_owned());

    let stored = map.load_or_store("k", Arc::clone(&first));
    assert!(stored.is_stored());
    assert!(Arc::ptr_eq(stored.value(), &first));

    let loaded = map.load_or_store("k", Arc::clone(&second));
    assert!(loaded.is_loaded());
    assert!(
        Arc::ptr_eq(&loaded.into_value(), &first),
        "Loaded carries the value already in the map"
    );
    assert_eq!(
        Arc::strong_count(&second),
        1,
        "the offered value was dropped, not kept"
    );
    assert!(Arc::ptr_eq(&map.load("k").expect("present"), &first));

    let builds = AtomicUsize::new(0);
    let build = || {
        builds.fetch_add(1, Ordering::Relaxed);
        Arc::new("built".to_owned())
    };
    assert!(map.load_or_store_with("k", build).is_loaded());
    assert_eq!(builds.load(Ordering::Relaxed), 0, "present: nothing built");
    let made = map.load_or_store_with("new", build);
    assert_eq!(made, LoadOrStore::Stored(Arc::new("built".to_owned())));
    assert_eq!(builds.load(Ordering::Relaxed), 1);
}

/// `range` stops when the callback returns `false`, and the callback may write to the map it
/// walks without deadlock (the contract forbids running user code under a lock).
fn range_stops_and_allows_writes<M: ConcurrentMap<u64, u64> + Default>() {
    let map = M::default();
    for i in 0..10 {
        map.store(i, i);
    }

    let mut visits = 0;
    map.range(|_, _| {
        visits += 1;
        visits < 3
    });
    assert_eq!(visits, 3);

    map.range(|k, v| {
        if *k < 10 {
            map.store(*k, v + 100);
            assert_eq!(map.load(k), Some(v + 100));
            // A new key: the walk may or may not visit it, and it stays bounded either way.
            map.store(k + 1_000, 0);
        }
        true
    });
    for i in 0..10 {
        assert_eq!(map.load(&i), Some(i + 100));
        assert_eq!(map.load(&(i + 1_000)), Some(0));
    }
    assert_eq!(map.len(), 20);
}

/// Threads racing `load_or_store` on one absent key: exactly one stores, every other loads the
/// winner's value.
fn load_or_store_race_stores_once<M: ConcurrentMap<u64, usize> + Default + Sync>() {
    let rounds = if cfg!(miri) { 2 } else { 200 };
    for round in 0..rounds {
        let map = M::default();
        let start = Barrier::new(THREADS);
        let outcomes: Vec<LoadOrStore<usize>> = thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|t| {
                    let (map, start) = (&map, &start);
                    s.spawn(move || {
                        start.wait();
                        map.load_or_store(round, t)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread panicked"))
                .collect()
        });
        let winners: Vec<usize> = outcomes
            .iter()
            .filter(|o| o.is_stored())
            .map(|o| *o.value())
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {outcomes:?}");
        let winner = winners[0];
        assert!(
            outcomes.iter().all(|o| *o.value() == winner),
            "{outcomes:?}"
        );
        assert_eq!(map.load(&round), Some(winner));
    }
}

/// Scoped threads share one map by reference: disjoint stores all land, and `compute` on shared
/// counters never loses an increment.
fn threads_share_one_map<M: ConcurrentMap<String, u64> + Default + Sync>() {
    let map = M::default();
    thread::scope(|s| {
        for t in 0..THREADS {
            let map = &map;
            s.spawn(move || {
                for i in 0..PER_THREAD {
                    map.store(format!("t{t}-{i}"), i as u64);
                    map.compute(format!("counter-{}", i % 4), |n| {
                        Some(n.copied().unwrap_or(0) + 1)
                    });
                }
            });
        }
    });

    assert_eq!(map.len(), THREADS * PER_THREAD + 4);
    let mut counted = 0;
    let mut disjoint = 0;
    map.range(|k, v| {
        if k.starts_with("counter-") {
            counted += v;
        } else {
            disjoint += 1;
        }
        true
    });
    assert_eq!(counted, (THREADS * PER_THREAD) as u64);
    assert_eq!(disjoint, THREADS * PER_THREAD);
    for t in 0..THREADS {
        assert_eq!(map.load(format!("t{t}-7").as_str()), Some(7));
    }
}
