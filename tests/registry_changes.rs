//! Consistent snapshots, batches, versions, waits, subscriptions, validation and secrets of
//! `#[derive(SyncRegistry)]`, each test run on the default backend (`SyncMap`) and on `MutexMap`.
//!
//! The torn-snapshot tests take `SYNCMAP_SNAPSHOTS` snapshots per backend (all reader threads
//! together): 1,000,000 by default in release builds and 500,000 in debug builds (a debug
//! snapshot costs a few microseconds), so at least a million per test over its two backends; far
//! fewer under Miri.

use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use syncmap::{ConcurrentMap, MutexMap, RegistryChange, SyncMap, SyncRegistry};

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
    let reg = CountersRegistry::<M>::from(counters(0));
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
                        let (value, version) = reg.snapshot().expect("every field is set");
                        assert_untorn(&value);
                        assert!(version >= last_version, "version went back");
                        assert!(value.a >= last_value, "a snapshot went back in time");
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
    assert_untorn(&reg.load_struct().unwrap());
    assert_eq!(reg.load_struct().unwrap().a, published);
}

fn publish_struct<M: CountersBackend>(reg: &CountersRegistry<M>, n: u64) {
    reg.store_struct(counters(n));
}

fn publish_batch<M: CountersBackend>(reg: &CountersRegistry<M>, n: u64) {
    reg.update(|batch| {
        batch
            .store_a(n)
            .store_b(n)
            .store_c(n)
            .store_m(0, n)
            .store_m(1, n);
    });
}

#[test]
fn snapshots_of_whole_structs_are_never_torn() {
    no_torn_snapshots::<SyncMap<_, _>>(publish_struct);
    no_torn_snapshots::<MutexMap<_, _>>(publish_struct);
}

#[test]
fn snapshots_of_batches_are_never_torn() {
    no_torn_snapshots::<SyncMap<_, _>>(publish_batch);
    no_torn_snapshots::<MutexMap<_, _>>(publish_batch);
}

fn versions_count_changes<M: CountersBackend>() {
    let reg = CountersRegistry::<M>::default();
    assert_eq!(reg.version(), 0);
    reg.store_a(1);
    assert_eq!(reg.version(), 1);
    assert!(
        !reg.compare_and_swap_a(7, 8),
        "a failed swap changes nothing"
    );
    assert!(!reg.delete_b(), "deleting an unset field changes nothing");
    assert!(reg.load_or_store_a(5).is_loaded());
    reg.update(|_| {});
    reg.update(|batch| {
        batch.delete_b();
    });
    assert_eq!(reg.version(), 1, "nothing above changed anything");
    reg.update(|batch| {
        batch.store_b(2).store_c(3).delete_a();
    });
    assert_eq!(reg.version(), 2, "a batch is one change");
    reg.store_struct(counters(4));
    assert_eq!(reg.version(), 3, "a whole struct is one change");
    assert_eq!(reg.update_c(|c| c + 1), 5);
    assert_eq!(reg.version(), 4);
    let (value, version) = reg.snapshot().unwrap();
    assert_eq!((value.c, version), (5, 4));
    reg.map().store(CountersKey::A, CountersValue::A(9));
    assert_eq!(reg.version(), 4, "writes through map() bypass the registry");
}

#[test]
fn versions_count_changes_on_each_backend() {
    versions_count_changes::<SyncMap<_, _>>();
    versions_count_changes::<MutexMap<_, _>>();
}

fn waits<M: CountersBackend>() {
    let reg = CountersRegistry::<M>::default();
    // Nothing changes: the wait times out.
    assert_eq!(reg.wait_for_change(0, Duration::from_millis(20)), None);
    // A change already published is seen at once, whatever the timeout.
    reg.store_a(1);
    assert_eq!(reg.wait_for_change(0, Duration::ZERO), Some(1));
    // A change made while waiting wakes the waiter well before its (generous) timeout.
    let woke = thread::scope(|s| {
        let waiter = s.spawn(|| reg.wait_for_change(1, Duration::from_secs(600)));
        // Let the waiter block (if it has not, it sees the change at once, which is also right).
        thread::sleep(Duration::from_millis(10));
        reg.update(|batch| {
            batch.store_b(2);
        });
        waiter.join().unwrap()
    });
    assert_eq!(woke, Some(2));
    // A timeout too large for `Instant` is no timeout.
    reg.store_a(3);
    assert_eq!(reg.wait_for_change(2, Duration::MAX), Some(3));
}

#[test]
fn waiters_wake_on_change_and_time_out_without() {
    waits::<SyncMap<_, _>>();
    waits::<MutexMap<_, _>>();
}

type Log = Arc<Mutex<Vec<(u64, Vec<CountersKey>)>>>;

fn subscribe_log<M: CountersBackend>(
    reg: &CountersRegistry<M>,
) -> (Log, syncmap::RegistrySubscription) {
    let log: Log = Arc::default();
    let sink = Arc::clone(&log);
    let subscription = reg.subscribe(move |change: &RegistryChange<CountersKey>| {
        sink.lock()
            .unwrap()
            .push((change.version(), change.keys().to_vec()));
    });
    (log, subscription)
}

fn subscriptions<M: CountersBackend>() {
    use CountersKey::{A, B, C, M as Entry};
    let reg = CountersRegistry::<M>::default();
    reg.store_a(0); // before subscribing: not seen
    let (log, subscription) = subscribe_log(&reg);
    reg.store_a(1);
    reg.swap_b(2);
    assert!(!reg.compare_and_swap_a(9, 9)); // no change, no call
    reg.update(|batch| {
        batch.store_c(3).store_m(7, 1).delete_a();
    });
    reg.store_m(8, 2);
    assert!(reg.compare_and_swap_m(&8, 2, 3)); // by a borrowed key: the stored key is named
    assert!(reg.delete_m(&7));
    reg.store_struct(Counters {
        a: 1,
        b: 1,
        c: 1,
        m: HashMap::from([(9, 1)]),
    });
    let expected = vec![
        (2, vec![A]),
        (3, vec![B]),
        (4, vec![C, Entry(7), A]),
        (5, vec![Entry(8)]),
        (6, vec![Entry(8)]),
        (7, vec![Entry(7)]),
        // Every plain field, the entry stored, then the entry removed (key 8).
        (8, vec![A, B, C, Entry(9), Entry(8)]),
    ];
    assert_eq!(*log.lock().unwrap(), expected);
    drop(subscription);
    reg.store_a(2);
    assert_eq!(log.lock().unwrap().len(), expected.len(), "unsubscribed");
}

#[test]
fn subscribers_see_each_change_once_in_order() {
    subscriptions::<SyncMap<_, _>>();
    subscriptions::<MutexMap<_, _>>();
}

/// Many writes from one thread while another subscribes and unsubscribes: a subscriber sees the
/// versions after it subscribed, each once, in order, with no gap.
fn subscriptions_under_load<M: CountersBackend>() {
    let reg = CountersRegistry::<M>::default();
    let writes = if cfg!(miri) { 50 } else { 5_000 };
    let (log, subscription) = subscribe_log(&reg);
    thread::scope(|s| {
        s.spawn(|| {
            for n in 0..writes {
                if n % 3 == 0 {
                    reg.store_a(n);
                } else {
                    reg.update(|batch| {
                        batch.store_b(n).store_m(0, n);
                    });
                }
            }
        });
        s.spawn(|| {
            for _ in 0..20 {
                let (late_log, late) = subscribe_log(&reg);
                thread::yield_now();
                drop(late);
                let late_log = late_log.lock().unwrap();
                let versions: Vec<u64> = late_log.iter().map(|(v, _)| *v).collect();
                assert!(
                    versions.windows(2).all(|w| w[1] == w[0] + 1),
                    "gap or repeat: {versions:?}"
                );
            }
        });
    });
    drop(subscription);
    let log = log.lock().unwrap();
    let versions: Vec<u64> = log.iter().map(|(v, _)| *v).collect();
    assert_eq!(versions, (1..=writes).collect::<Vec<_>>());
    for (version, keys) in log.iter() {
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
    let reg = Arc::new(CountersRegistry::<M>::default());
    let weak = Arc::downgrade(&reg);
    let (log, _subscription) = subscribe_log(&reg);
    let _echo = reg.subscribe(move |change: &RegistryChange<CountersKey>| {
        if change.keys() == [CountersKey::A]
            && let Some(reg) = weak.upgrade()
        {
            reg.store_b(change.version());
        }
    });
    reg.store_a(1);
    assert_eq!(reg.b(), Some(1));
    assert_eq!(
        *log.lock().unwrap(),
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

#[derive(SyncRegistry, Debug, Clone, PartialEq)]
#[registry(validate = check_limits)]
struct Limits {
    min: u32,
    #[registry(default = 100)]
    max: u32,
    #[registry(validate = check_name)]
    name: String,
    /// Never printed.
    #[registry(secret)]
    token: String,
    #[registry(map, secret)]
    keys: HashMap<String, String>,
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
        token: "hunter2".to_owned(),
        keys: HashMap::from([("api".to_owned(), "s3cr3t-key".to_owned())]),
        tags: HashMap::from([("a".to_owned(), 1)]),
    }
}

fn error_text(error: &(dyn Error + Send + Sync)) -> String {
    error.to_string()
}

fn validation<M: LimitsBackend>() {
    let reg = LimitsRegistry::<M>::try_from(good_limits()).expect("valid");
    let before = reg.load_struct().unwrap();
    let version = reg.version();
    let (log, _subscription) = {
        let log: Arc<Mutex<Vec<u64>>> = Arc::default();
        let sink = Arc::clone(&log);
        let subscription = reg.subscribe(move |change: &RegistryChange<LimitsKey>| {
            sink.lock().unwrap().push(change.version());
        });
        (log, subscription)
    };

    // A rejected struct: nothing changes, the error is the validator's.
    let mut bad = good_limits();
    bad.min = 50;
    bad.tags.clear();
    let err = reg.store_struct(bad).unwrap_err();
    assert_eq!(err.downcast_ref::<Invalid>(), Some(&Invalid("min > max")));
    let mut bad = good_limits();
    bad.name.clear();
    let err = reg.store_struct(bad).unwrap_err();
    assert_eq!(error_text(&*err), "empty name", "field validators run too");

    // A rejected batch: checked against the current state with the batch applied.
    let err = reg
        .update(|batch| {
            batch.store_min(20); // max is 10
            batch.store_tags("b".to_owned(), 2);
        })
        .unwrap_err();
    assert_eq!(err.downcast_ref::<Invalid>(), Some(&Invalid("min > max")));
    let err = reg
        .update(|batch| {
            batch.store_tags("forbidden".to_owned(), 1);
        })
        .unwrap_err();
    assert_eq!(err.to_string(), "forbidden tag");
    let err = reg
        .update(|batch| {
            batch.store_name(String::new());
        })
        .unwrap_err();
    assert_eq!(err.to_string(), "empty name");
    let err = reg
        .update(|batch| {
            batch.delete_min(); // min has no default: the struct could not be rebuilt
        })
        .unwrap_err();
    assert!(err.to_string().contains("`min`"), "{err}");

    assert_eq!(reg.load_struct().unwrap(), before, "every field as it was");
    assert_eq!(reg.version(), version);
    assert!(log.lock().unwrap().is_empty(), "nothing was published");

    // Accepted: the batch is judged as a whole (raising max first would not matter).
    reg.update(|batch| {
        batch
            .store_min(20)
            .store_max(30)
            .delete_tags("a".to_owned());
    })
    .expect("valid as a whole");
    assert_eq!((reg.min(), reg.max()), (Some(20), 30));
    assert_eq!(reg.tags("a"), None);
    assert_eq!(*log.lock().unwrap(), [version + 1]);

    // The field validator's `try_` setter.
    assert_eq!(
        reg.try_store_name(String::new()).unwrap_err().to_string(),
        "empty name"
    );
    assert_eq!(reg.name().as_deref(), Some("edge"));
    reg.try_store_name("core".to_owned()).unwrap();
    assert_eq!(reg.name().as_deref(), Some("core"));

    // The conversion from the struct validates too.
    let mut bad = good_limits();
    bad.min = 11;
    assert!(LimitsRegistry::<M>::try_from(bad).is_err());
}

#[test]
fn rejected_writes_leave_every_field_as_it_was() {
    validation::<SyncMap<_, _>>();
    validation::<MutexMap<_, _>>();
}

fn secrets<M: LimitsBackend + fmt::Debug>() {
    let reg = LimitsRegistry::<M>::try_from(good_limits()).unwrap();
    let mut printed = vec![format!("{reg:?}"), format!("{reg:#?}")];
    printed.push(format!("{:?}", LimitsValue::Token("hunter2".to_owned())));
    printed.push(format!("{:?}", LimitsKey::Keys("api".to_owned())));
    printed.push(format!("{:?}", LimitsValue::Keys("s3cr3t-key".to_owned())));
    let changes: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = Arc::clone(&changes);
    let _subscription = reg.subscribe(move |change: &RegistryChange<LimitsKey>| {
        sink.lock().unwrap().push(format!("{change:?}"));
    });
    reg.update(|batch| {
        batch
            .store_token("hunter3".to_owned())
            .store_keys("api".to_owned(), "s3cr3t-key2".to_owned());
        printed.push(format!("{batch:?}"));
    })
    .unwrap();
    printed.extend(changes.lock().unwrap().iter().cloned());
    for text in &printed {
        for secret in ["hunter", "s3cr3t", "\"api\""] {
            assert!(!text.contains(secret), "{secret} printed in {text}");
        }
        assert!(text.contains("<redacted>"), "{text}");
    }
    // What is not secret still prints.
    assert!(
        printed[0].contains("edge") && printed[0].contains("Min(1)"),
        "{}",
        printed[0]
    );
}

#[test]
fn debug_output_holds_no_secret() {
    secrets::<SyncMap<_, _>>();
    secrets::<MutexMap<_, _>>();
}
