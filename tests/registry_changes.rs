//! Consistent snapshots, batches, versions, waits, subscriptions, validation and secrets of
//! `#[derive(SyncRegistry)]`, each test run on the default backend (`SyncMap`) and on `MutexMap`.
//!
//! The torn-snapshot tests take `SYNCMAP_SNAPSHOTS` snapshots per backend and writer (all reader
//! threads together): 1,000,000 by default in release builds and 500,000 in debug builds (a debug
//! snapshot costs a few microseconds), so at least a million per test over its two backends; far
//! fewer under Miri.

use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use syncmap::{
    Batch, Change, ConcurrentMap, ExposeSecret, MutexMap, Registry, RegistrySubscription,
    SecretString, SyncMap, SyncRegistry,
};

/// Every field holds the same number after every whole-struct store and batch of the writer.
#[derive(SyncRegistry, Debug, Clone, PartialEq)]
struct Counters {
    a: u64,
    b: u64,
    #[registry(default)]
    c: u64,
    /// Entries `0` and `1`, both equal to the others.
    #[registry(map)]
    m: HashMap<u8, u64>,
}

trait CountersBackend: ConcurrentMap<CountersKey, CountersValue> + Default + Send + Sync {}
impl<M: ConcurrentMap<CountersKey, CountersValue> + Default + Send + Sync> CountersBackend for M {}

fn counters(n: u64) -> Counters {
    Counters {
        a: n,
        b: n,
        c: n,
        m: HashMap::from([(0, n), (1, n)]),
    }
}

fn registry<M: CountersBackend>(value: Counters) -> CountersRegistry<M> {
    <CountersRegistry<M> as Registry>::from_struct(value).expect("no validator")
}

fn assert_untorn(value: &Counters) {
    let n = value.a;
    assert!(
        value.b == n && value.c == n && value.m.len() == 2 && value.m.values().all(|&v| v == n),
        "torn snapshot: {value:?}"
    );
}

/// Snapshots to take in total, across the reader threads.
fn snapshot_budget() -> u64 {
    if cfg!(miri) {
        return 200;
    }
    let default = if cfg!(debug_assertions) {
        500_000
    } else {
        1_000_000
    };
    std::env::var("SYNCMAP_SNAPSHOTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// `publish(n)` writes every field as `n`, until readers have taken their snapshots; each
/// snapshot must have all fields equal, and versions must never go back.
fn no_torn_snapshots<M: CountersBackend>(publish: fn(&CountersRegistry<M>, u64)) {
    const READERS: u64 = 2;
    let reg = registry::<M>(counters(0));
    let per_reader = snapshot_budget() / READERS;
    let done = AtomicBool::new(false);
    let published = AtomicU64::new(0);
    thread::scope(|s| {
        s.spawn(|| {
            let mut n = 1;
            while !done.load(Ordering::Relaxed) {
                publish(&reg, n);
                n += 1;
                // Now and then let readers through without a write in flight, so that both the
                // optimistic path and the fallback under the lock run.
                if n % 64 == 0 {
                    thread::yield_now();
                }
            }
            published.store(n - 1, Ordering::Relaxed);
        });
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                s.spawn(|| {
                    let mut last_version = 0;
                    let mut last_value = 0;
                    for _ in 0..per_reader {
                        let (value, version) = reg.snapshot_with_version();
                        assert_untorn(&value);
                        assert!(version >= last_version, "version went back");
                        assert!(value.a >= last_value, "a snapshot went back in time");
                        // Every publish is one change: the version is the value written.
                        assert_eq!(version, value.a, "version and state disagree");
                        (last_version, last_value) = (version, value.a);
                    }
                })
            })
            .collect();
        // Stop the writer even if a reader failed, so that the failure is reported.
        let results: Vec<_> = readers.into_iter().map(|reader| reader.join()).collect();
        done.store(true, Ordering::Relaxed);
        for result in results {
            if let Err(panic) = result {
                std::panic::resume_unwind(panic);
            }
        }
    });
    let published = published.load(Ordering::Relaxed);
    assert!(published > 0, "the writer published nothing");
    assert_untorn(&reg.snapshot());
    assert_eq!(reg.snapshot().a, published);
    assert_eq!(reg.version(), published);
}

fn publish_struct<M: CountersBackend>(reg: &CountersRegistry<M>, n: u64) {
    assert_eq!(reg.store_struct(counters(n)).unwrap(), n);
}

fn publish_update<M: CountersBackend>(reg: &CountersRegistry<M>, n: u64) {
    let version = reg
        .update(|value| {
            value.a = n;
            value.b = n;
            value.c = n;
            value.m.insert(0, n);
            value.m.insert(1, n);
        })
        .unwrap();
    assert_eq!(version, n);
}

fn publish_batch<M: CountersBackend>(reg: &CountersRegistry<M>, n: u64) {
    use CountersKey as K;
    use CountersValue as V;
    let batch = Batch::new()
        .store(K::A, V::A(n))
        .store(K::B, V::B(n))
        .store(K::C, V::C(n))
        .store(K::M(0), V::M(n))
        .store(K::M(1), V::M(n));
    assert_eq!(reg.apply(batch).unwrap(), n);
}

#[test]
fn snapshots_of_whole_structs_are_never_torn() {
    no_torn_snapshots::<SyncMap<_, _>>(publish_struct);
    no_torn_snapshots::<MutexMap<_, _>>(publish_struct);
}

#[test]
fn snapshots_of_updates_are_never_torn() {
    no_torn_snapshots::<SyncMap<_, _>>(publish_update);
    no_torn_snapshots::<MutexMap<_, _>>(publish_update);
}

#[test]
fn snapshots_of_batches_are_never_torn() {
    no_torn_snapshots::<SyncMap<_, _>>(publish_batch);
    no_torn_snapshots::<MutexMap<_, _>>(publish_batch);
}

fn versions_count_changes<M: CountersBackend>() {
    use CountersKey as K;
    use CountersValue as V;
    let reg = registry::<M>(Counters {
        a: 0,
        b: 0,
        c: 0,
        m: HashMap::new(),
    });
    assert_eq!(reg.version(), 0);
    reg.store_a(1);
    assert_eq!(reg.version(), 1);
    reg.store_a(1);
    assert_eq!(reg.swap_a(1), 1);
    assert_eq!(reg.update_a(|a| *a), 1);
    assert!(
        !reg.compare_and_swap_a(&7, 8),
        "a failed swap changes nothing"
    );
    assert!(
        !reg.delete_m(&9),
        "deleting an absent entry changes nothing"
    );
    reg.store_m(3, 1);
    assert_eq!(reg.version(), 2);
    assert!(reg.load_or_store_m(3, 5).is_loaded());
    assert_eq!(reg.update_m(4, |_| None), None);
    assert_eq!(reg.update(|_| {}).unwrap(), 2);
    assert_eq!(reg.update(|value| value.a = 1).unwrap(), 2);
    assert_eq!(reg.store_struct(reg.snapshot()).unwrap(), 2);
    assert_eq!(reg.apply(Batch::new()).unwrap(), 2);
    assert_eq!(
        reg.apply(Batch::new().delete(K::M(9)).store(K::B, V::B(0)))
            .unwrap(),
        2
    );
    assert_eq!(reg.version(), 2, "nothing above changed anything");
    assert!(reg.changes_since(2).changes().is_empty());
    assert_eq!(
        reg.apply(
            Batch::new()
                .store(K::B, V::B(2))
                .store(K::C, V::C(3))
                .delete(K::M(3))
        )
        .unwrap(),
        3,
        "a batch is one change"
    );
    assert_eq!(
        reg.update(|value| {
            value.a = 5;
            value.m.insert(6, 6);
        })
        .unwrap(),
        4,
        "an update is one change"
    );
    assert_eq!(
        reg.store_struct(counters(4)).unwrap(),
        5,
        "a whole struct is one change"
    );
    assert_eq!(reg.update_c(|c| c + 1), 5);
    assert_eq!(reg.version(), 6);
    let (value, version) = reg.snapshot_with_version();
    assert_eq!((value.c, version), (5, 6));
    let since = reg.changes_since(2);
    assert!(since.complete());
    assert_eq!(since.version(), 6);
    let versions: Vec<u64> = since.changes().iter().map(|c| c.version()).collect();
    assert_eq!(versions, [3, 4, 5, 6]);
    assert!(since.changed("m[3]") && since.changed("m[6]") && since.changed("c"));
    assert!(!reg.changes_since(5).changed("a"));
    reg.backend().store(K::A, V::A(9));
    assert_eq!(
        reg.version(),
        6,
        "writes through the backend bypass the registry"
    );
    assert_eq!(reg.a(), 9);
}

#[test]
fn versions_count_changes_on_each_backend() {
    versions_count_changes::<SyncMap<_, _>>();
    versions_count_changes::<MutexMap<_, _>>();
}

fn waits<M: CountersBackend>() {
    let reg = registry::<M>(counters(0));
    // Nothing changes: the wait times out.
    assert!(reg.wait_for_change(0, Duration::from_millis(20)).is_none());
    // A write that changes nothing wakes nobody.
    reg.store_a(0);
    assert!(reg.wait_for_change(0, Duration::from_millis(20)).is_none());
    // A change already published is seen at once, whatever the timeout.
    reg.store_a(1);
    let seen = reg.wait_for_change(0, Duration::ZERO).unwrap();
    assert_eq!(seen.version(), 1);
    assert!(seen.changed("a"));
    // A change made while waiting wakes the waiter well before its (generous) timeout.
    let woke = thread::scope(|s| {
        let waiter = s.spawn(|| reg.wait_for_change(1, Duration::from_secs(600)));
        // Let the waiter block (if it has not, it sees the change at once, which is also right).
        thread::sleep(Duration::from_millis(10));
        reg.update(|value| value.b = 2).unwrap();
        waiter.join().unwrap()
    })
    .expect("woken by the change");
    assert_eq!(woke.version(), 2);
    assert!(woke.changed("b") && !woke.changed("a"), "{woke:?}");
    assert_eq!(woke.changes().len(), 1);
    // A timeout too large for `Instant` is no timeout.
    reg.store_a(3);
    let seen = reg.wait_for_change(2, Duration::MAX).unwrap();
    assert_eq!(seen.version(), 3);
    assert!(seen.changed("a"));
}

#[test]
fn waiters_wake_on_change_and_time_out_without() {
    waits::<SyncMap<_, _>>();
    waits::<MutexMap<_, _>>();
}

type Log = Arc<Mutex<Vec<Change<Counters>>>>;

fn subscribe_log<M: CountersBackend>(reg: &CountersRegistry<M>) -> (Log, RegistrySubscription) {
    let log: Log = Arc::default();
    let sink = Arc::clone(&log);
    let subscription = reg.subscribe(move |change: &Change<Counters>| {
        sink.lock().unwrap().push(change.clone());
    });
    (log, subscription)
}

/// The version and the keys of each change logged.
fn keys_of(log: &Log) -> Vec<(u64, Vec<CountersKey>)> {
    log.lock()
        .unwrap()
        .iter()
        .map(|change| {
            let keys = change.fields().iter().map(|f| f.key().clone()).collect();
            (change.version(), keys)
        })
        .collect()
}

fn subscriptions<M: CountersBackend>() {
    use CountersKey::{A, B, C, M as Entry};
    use CountersValue as V;
    let reg = registry::<M>(Counters {
        a: 10,
        b: 10,
        c: 10,
        m: HashMap::new(),
    });
    reg.store_a(0); // before subscribing: not seen
    let (log, subscription) = subscribe_log(&reg);
    reg.store_a(1);
    reg.swap_b(2);
    assert!(!reg.compare_and_swap_a(&9, 9)); // no change, no call
    reg.store_b(2); // no change, no call
    reg.apply(
        Batch::new()
            .store(C, V::C(3))
            .store(Entry(7), V::M(1))
            .store(A, V::A(0)),
    )
    .unwrap();
    reg.store_m(8, 2);
    assert!(reg.compare_and_swap_m(&8, &2, 3)); // by a borrowed key: the stored key is named
    assert!(reg.delete_m(&7));
    reg.store_struct(Counters {
        a: 1,
        b: 1,
        c: 1,
        m: HashMap::from([(9, 1)]),
    })
    .unwrap();
    let mut logged = keys_of(&log);
    assert_eq!(logged.len(), 7, "{logged:?}");
    // A whole struct names each field it changed once, in an order of its own.
    let (version, mut last) = logged.pop().unwrap();
    assert_eq!(version, 8);
    let expected_last = [A, B, C, Entry(9), Entry(8)];
    assert_eq!(last.len(), expected_last.len(), "{last:?}");
    last.retain(|key| !expected_last.contains(key));
    assert!(last.is_empty(), "{last:?}");
    assert_eq!(
        logged,
        [
            (2, vec![A]),
            (3, vec![B]),
            // A batch names its fields in the order written.
            (4, vec![C, Entry(7), A]),
            (5, vec![Entry(8)]),
            (6, vec![Entry(8)]),
            (7, vec![Entry(7)]),
        ]
    );
    // Each field change carries the value before and after it (`None`: absent).
    let values: Vec<String> = log.lock().unwrap()[1..6]
        .iter()
        .flat_map(|change| change.fields().to_vec())
        .map(|f| format!("{}: {:?} -> {:?}", f.path(), f.old(), f.new_value()))
        .collect();
    assert_eq!(
        values,
        [
            "b: Some(10) -> Some(2)",
            "c: Some(10) -> Some(3)",
            "m[7]: None -> Some(1)",
            "a: Some(1) -> Some(0)",
            "m[8]: None -> Some(2)",
            "m[8]: Some(2) -> Some(3)",
            "m[7]: Some(1) -> None",
        ]
    );
    drop(subscription);
    reg.store_a(2);
    assert_eq!(log.lock().unwrap().len(), 7, "unsubscribed");
}

#[test]
fn subscribers_see_each_change_once_in_order() {
    subscriptions::<SyncMap<_, _>>();
    subscriptions::<MutexMap<_, _>>();
}

/// `subscribe_from_current` starts exactly where its snapshot ends: no gap, no overlap.
fn subscribe_from_current<M: CountersBackend>() {
    let reg = registry::<M>(counters(0));
    let writes = if cfg!(miri) { 20 } else { 2_000 };
    thread::scope(|s| {
        s.spawn(|| {
            for n in 1..=writes {
                reg.store_struct(counters(n)).unwrap();
            }
        });
        for _ in 0..20 {
            let seen: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
            let sink = Arc::clone(&seen);
            let (start, version, subscription) =
                reg.subscribe_from_current(move |change: &Change<Counters>| {
                    let a = change
                        .field("a")
                        .and_then(|f| f.new_value())
                        .map(|v| format!("{v:?}").parse::<u64>().unwrap())
                        .unwrap();
                    sink.lock().unwrap().push((change.version(), a));
                });
            assert_untorn(&start);
            assert_eq!(start.a, version, "the snapshot is the state at its version");
            thread::yield_now();
            drop(subscription);
            let seen = seen.lock().unwrap();
            let mut expected = version;
            for &(v, a) in seen.iter() {
                expected += 1;
                assert_eq!((v, a), (expected, expected), "gap or overlap: {seen:?}");
            }
        }
    });
}

#[test]
fn subscribe_from_current_has_no_gap_and_no_overlap() {
    subscribe_from_current::<SyncMap<_, _>>();
    subscribe_from_current::<MutexMap<_, _>>();
}

/// Many writes from one thread while another subscribes and unsubscribes: a subscriber sees the
/// versions after it subscribed, each once, in order, with no gap.
fn subscriptions_under_load<M: CountersBackend>() {
    use CountersKey as K;
    use CountersValue as V;
    // No write below stores a value a field holds already, so each is a change.
    let reg = registry::<M>(Counters {
        a: u64::MAX,
        b: u64::MAX,
        c: 0,
        m: HashMap::new(),
    });
    let writes = if cfg!(miri) { 50 } else { 5_000 };
    let (log, subscription) = subscribe_log(&reg);
    thread::scope(|s| {
        s.spawn(|| {
            for n in 0..writes {
                if n % 3 == 0 {
                    reg.store_a(n);
                } else {
                    reg.apply(Batch::new().store(K::B, V::B(n)).store(K::M(0), V::M(n)))
                        .unwrap();
                }
            }
        });
        s.spawn(|| {
            for _ in 0..20 {
                let (late_log, late) = subscribe_log(&reg);
                thread::yield_now();
                drop(late);
                let versions: Vec<u64> = keys_of(&late_log).iter().map(|(v, _)| *v).collect();
                assert!(
                    versions.windows(2).all(|w| w[1] == w[0] + 1),
                    "gap or repeat: {versions:?}"
                );
            }
        });
    });
    drop(subscription);
    let log = keys_of(&log);
    let versions: Vec<u64> = log.iter().map(|(v, _)| *v).collect();
    assert_eq!(versions, (1..=writes).collect::<Vec<_>>());
    for (version, keys) in &log {
        let n = version - 1;
        let expected = if n % 3 == 0 {
            vec![CountersKey::A]
        } else {
            vec![CountersKey::B, CountersKey::M(0)]
        };
        assert_eq!(*keys, expected, "keys of version {version}");
    }
}

#[test]
fn subscribers_under_concurrent_subscription_churn() {
    subscriptions_under_load::<SyncMap<_, _>>();
    subscriptions_under_load::<MutexMap<_, _>>();
}

/// A callback may write to the registry: its change is delivered next, not nested.
fn reentrant_subscriber<M: CountersBackend + 'static>() {
    let reg = Arc::new(registry::<M>(counters(0)));
    let weak = Arc::downgrade(&reg);
    let (log, _subscription) = subscribe_log(&reg);
    let _echo = reg.subscribe(move |change: &Change<Counters>| {
        if change.fields().len() == 1
            && change.changed("a")
            && let Some(reg) = weak.upgrade()
        {
            reg.store_b(change.version());
        }
    });
    reg.store_a(1);
    assert_eq!(reg.b(), 1);
    assert_eq!(
        keys_of(&log),
        [(1, vec![CountersKey::A]), (2, vec![CountersKey::B])]
    );
}

#[test]
fn subscribers_may_write_back() {
    reentrant_subscriber::<SyncMap<_, _>>();
    reentrant_subscriber::<MutexMap<_, _>>();
}

// ---------------------------------------------------------------------------------------------
// Validation and secrets.

/// An error of the validators below.
#[derive(Debug, PartialEq)]
struct Invalid(&'static str);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Error for Invalid {}

fn check_limits(limits: &Limits) -> Result<(), Invalid> {
    if limits.min > limits.max {
        return Err(Invalid("min > max"));
    }
    if limits.tags.contains_key("forbidden") {
        return Err(Invalid("forbidden tag"));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        Err("empty name".to_owned())
    } else {
        Ok(())
    }
}

#[derive(SyncRegistry, Debug, Clone)]
#[registry(validate = check_limits)]
struct Limits {
    min: u32,
    #[registry(default = 100)]
    max: u32,
    #[registry(validate = check_name)]
    name: String,
    /// Never printed.
    #[registry(secret)]
    token: SecretString,
    #[registry(map, secret)]
    keys: HashMap<String, SecretString>,
    #[registry(map)]
    tags: HashMap<String, u8>,
}

trait LimitsBackend: ConcurrentMap<LimitsKey, LimitsValue> + Default + Send + Sync {}
impl<M: ConcurrentMap<LimitsKey, LimitsValue> + Default + Send + Sync> LimitsBackend for M {}

fn good_limits() -> Limits {
    Limits {
        min: 1,
        max: 10,
        name: "edge".to_owned(),
        token: SecretString::from("hunter2"),
        keys: HashMap::from([("api".to_owned(), SecretString::from("s3cr3t-key"))]),
        tags: HashMap::from([("a".to_owned(), 1)]),
    }
}

/// Every field of `limits`, secrets exposed, to compare (secrets are not `PartialEq`).
#[allow(clippy::type_complexity)]
fn exposed(
    limits: &Limits,
) -> (
    u32,
    u32,
    String,
    String,
    Vec<(String, String)>,
    Vec<(String, u8)>,
) {
    let mut keys: Vec<_> = limits
        .keys
        .iter()
        .map(|(k, v)| (k.clone(), v.expose_secret().to_owned()))
        .collect();
    keys.sort();
    let mut tags: Vec<_> = limits.tags.iter().map(|(k, v)| (k.clone(), *v)).collect();
    tags.sort();
    (
        limits.min,
        limits.max,
        limits.name.clone(),
        limits.token.expose_secret().to_owned(),
        keys,
        tags,
    )
}

fn limits_registry<M: LimitsBackend>(
    value: Limits,
) -> Result<LimitsRegistry<M>, syncmap::ValidationError> {
    <LimitsRegistry<M> as Registry>::from_struct(value)
}

fn validation<M: LimitsBackend>() {
    use LimitsKey as K;
    use LimitsValue as V;
    let reg = limits_registry::<M>(good_limits()).expect("valid");
    let before = exposed(&reg.snapshot());
    let version = reg.version();
    let (log, _subscription) = {
        let log: Arc<Mutex<Vec<u64>>> = Arc::default();
        let sink = Arc::clone(&log);
        let subscription = reg.subscribe(move |change: &Change<Limits>| {
            sink.lock().unwrap().push(change.version());
        });
        (log, subscription)
    };

    // A rejected struct: nothing changes, the error is the validator's.
    let mut bad = good_limits();
    bad.min = 50;
    bad.tags.clear();
    let err = reg.store_struct(bad).unwrap_err();
    assert_eq!(err.failures().len(), 1);
    assert_eq!(err.failures()[0].path(), "", "the struct's own validator");
    assert_eq!(
        err.failures()[0].error().downcast_ref::<Invalid>(),
        Some(&Invalid("min > max"))
    );
    assert_eq!(err.to_string(), "invalid value: min > max");
    let mut bad = good_limits();
    bad.name.clear();
    let err = reg.store_struct(bad).unwrap_err();
    assert_eq!(err.failures()[0].path(), "name", "field validators run too");
    assert_eq!(err.failures()[0].error().to_string(), "empty name");
    assert_eq!(err.to_string(), "invalid value: name: empty name");
    // Every failure is reported: the field's first, then the struct's.
    let mut bad = good_limits();
    bad.name.clear();
    bad.min = 11;
    let err = reg.store_struct(bad).unwrap_err();
    let paths: Vec<&str> = err.failures().iter().map(|f| f.path()).collect();
    assert_eq!(paths, ["name", ""]);
    assert_eq!(
        err.to_string(),
        "invalid value: name: empty name; min > max"
    );

    // A rejected update or batch: checked against the current state with it applied.
    let err = reg
        .update(|limits| {
            limits.min = 20; // max is 10
            limits.tags.insert("b".to_owned(), 2);
        })
        .unwrap_err();
    assert_eq!(
        err.failures()[0].error().downcast_ref::<Invalid>(),
        Some(&Invalid("min > max"))
    );
    let err = reg
        .apply(Batch::new().store(K::Min, V::Min(20)))
        .unwrap_err();
    assert_eq!(err.to_string(), "invalid value: min > max");
    let err = reg
        .apply(Batch::new().store(K::Tags("forbidden".to_owned()), V::Tags(1)))
        .unwrap_err();
    assert_eq!(err.to_string(), "invalid value: forbidden tag");
    let err = reg
        .update(|limits| limits.name = String::new())
        .unwrap_err();
    assert_eq!(err.to_string(), "invalid value: name: empty name");
    let err = reg
        .apply(Batch::new().store(K::Name, V::Name(String::new())))
        .unwrap_err();
    assert_eq!(err.to_string(), "invalid value: name: empty name");
    let err = reg
        // min has no default: the struct could not be rebuilt
        .apply(Batch::new().delete(K::Min))
        .unwrap_err();
    assert!(err.to_string().contains("min"), "{err}");

    assert_eq!(exposed(&reg.snapshot()), before, "every field as it was");
    assert_eq!(reg.version(), version);
    assert!(log.lock().unwrap().is_empty(), "nothing was published");

    // Accepted: the batch is judged as a whole (raising max first would not matter).
    let accepted = reg
        .apply(
            Batch::new()
                .store(K::Min, V::Min(20))
                .store(K::Max, V::Max(30))
                .delete(K::Tags("a".to_owned())),
        )
        .expect("valid as a whole");
    assert_eq!(accepted, version + 1);
    assert_eq!((reg.min(), reg.max()), (20, 30));
    assert_eq!(reg.tags("a"), None);
    // And so is an update.
    reg.update(|limits| {
        limits.min = 40;
        limits.max = 50;
    })
    .expect("valid as a whole");
    assert_eq!((reg.min(), reg.max()), (40, 50));
    assert_eq!(*log.lock().unwrap(), [version + 1, version + 2]);

    // The field validator's `try_` setter.
    let err = reg.try_store_name(String::new()).unwrap_err();
    assert_eq!(err.failures()[0].path(), "name");
    assert_eq!(err.to_string(), "invalid value: name: empty name");
    assert_eq!(reg.name(), "edge");
    reg.try_store_name("core".to_owned()).unwrap();
    assert_eq!(reg.name(), "core");
    assert_eq!(
        *log.lock().unwrap(),
        [version + 1, version + 2, version + 3]
    );

    // Construction validates too.
    let mut bad = good_limits();
    bad.min = 11;
    assert!(limits_registry::<M>(bad).is_err());
}

#[test]
fn rejected_writes_leave_every_field_as_it_was() {
    validation::<SyncMap<_, _>>();
    validation::<MutexMap<_, _>>();
}

fn secrets<M: LimitsBackend + fmt::Debug>() {
    use LimitsKey as K;
    use LimitsValue as V;
    let reg = limits_registry::<M>(good_limits()).unwrap();
    let mut printed = vec![format!("{reg:?}"), format!("{reg:#?}")];
    printed.push(format!("{:?}", V::Token(SecretString::from("hunter2"))));
    printed.push(format!("{:?}", K::Keys("api".to_owned())));
    printed.push(format!("{:?}", V::Keys(SecretString::from("s3cr3t-key"))));
    let changes: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = Arc::clone(&changes);
    let _subscription = reg.subscribe(move |change: &Change<Limits>| {
        sink.lock().unwrap().push(format!("{change:?}"));
    });
    let batch = Batch::new()
        .store(K::Token, V::Token(SecretString::from("hunter3")))
        .store(
            K::Keys("api".to_owned()),
            V::Keys(SecretString::from("s3cr3t-key2")),
        );
    printed.push(format!("{batch:?}"));
    reg.apply(batch).unwrap();
    reg.store_token(SecretString::from("hunter4"));
    reg.store_keys("api".to_owned(), SecretString::from("s3cr3t-key3"));
    printed.push(format!("{:?}", reg.changes_since(0)));
    printed.extend(changes.lock().unwrap().iter().cloned());
    assert_eq!(printed.len(), 10, "{printed:?}");
    for text in &printed {
        for secret in ["hunter", "s3cr3t", "\"api\""] {
            assert!(!text.contains(secret), "{secret} printed in {text}");
        }
        assert!(text.contains("<redacted>"), "{text}");
    }
    // The struct's own `Debug` shows no secret value either.
    let snapshot = format!("{:?}", reg.snapshot());
    for secret in ["hunter", "s3cr3t"] {
        assert!(!snapshot.contains(secret), "{secret} printed in {snapshot}");
    }
    // What is not secret still prints.
    assert!(
        printed[0].contains("\"edge\"") && printed[0].contains("min: 1"),
        "{}",
        printed[0]
    );
    // The secrets themselves are kept.
    assert_eq!(reg.token().expose_secret(), "hunter4");
    assert_eq!(
        reg.keys_with("api", |k| k.expose_secret().to_owned()),
        Some("s3cr3t-key3".to_owned())
    );
    // A secret stored again unchanged is no change.
    let version = reg.version();
    reg.store_token(SecretString::from("hunter4"));
    assert_eq!(reg.version(), version);
}

#[test]
fn debug_output_holds_no_secret() {
    secrets::<SyncMap<_, _>>();
    secrets::<MutexMap<_, _>>();
}
