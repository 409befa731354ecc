//! Cache fields: capacity, expiry with an injected clock, statistics, listeners, and how cache
//! writes relate to versions, snapshots and subscribers. Single-flight loading is in
//! `cache_loading.rs`; drops and concurrency in `cache_stress.rs`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use syncmap::cache::{EvictionCause, ManualClock};
use syncmap::{MutexMap, Registry, SyncRegistry};

#[derive(SyncRegistry, Debug, Clone, PartialEq)]
struct Lookups {
    #[registry(cache(capacity = 3))]
    names: HashMap<u64, String>,
    #[registry(default = 1)]
    retries: u32,
}

#[test]
fn a_cache_holds_at_most_its_capacity_and_counts_evictions() {
    let lookups: LookupsRegistry = Registry::from_defaults().unwrap();
    for id in 0..10 {
        lookups.store_names(id, format!("n{id}"));
        assert!(lookups.names_cache().entry_count() <= 3);
    }
    assert_eq!(lookups.names_cache().entry_count(), 3);
    assert_eq!(lookups.names_len(), 3);
    assert_eq!(lookups.names_cache().stats().evictions, 7);
    assert_eq!(lookups.names_cache().capacity(), 3);
}

#[test]
fn reads_count_hits_and_misses() {
    let lookups: LookupsRegistry = Registry::from_defaults().unwrap();
    lookups.store_names(1, "one".into());
    assert_eq!(lookups.names(&1).as_deref(), Some("one"));
    assert_eq!(lookups.names(&2), None);
    assert!(lookups.contains_names(&1));
    let stats = lookups.names_cache().stats();
    assert_eq!((stats.hits, stats.misses), (2, 1));
    assert!((stats.hit_ratio() - 2.0 / 3.0).abs() < 1e-9);
}

#[test]
fn an_entry_read_since_it_came_in_survives_the_next_eviction() {
    let lookups: LookupsRegistry = Registry::from_defaults().unwrap();
    for id in 0..3 {
        lookups.store_names(id, format!("n{id}"));
    }
    // Key 0 is read: S3-FIFO moves it to the main queue rather than evicting it.
    assert!(lookups.names(&0).is_some());
    lookups.store_names(3, "n3".into());
    assert!(lookups.contains_names(&0), "the read entry was evicted");
    assert!(
        !lookups.contains_names(&1),
        "the oldest unread entry stayed"
    );
}

#[test]
fn cache_writes_publish_no_version_and_wake_no_subscriber() {
    let lookups: LookupsRegistry = Registry::from_defaults().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&seen);
    let _subscription = lookups.subscribe(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let version = Registry::version(&lookups);
    for id in 0..10 {
        lookups.store_names(id, "x".into());
    }
    lookups.delete_names(&9);
    lookups.get_or_load_names(20, |_| "loaded".into()).unwrap();
    assert_eq!(Registry::version(&lookups), version);
    assert_eq!(seen.load(Ordering::SeqCst), 0);
    // A change of an ordinary field still publishes.
    lookups.store_retries(5);
    assert_eq!(Registry::version(&lookups), version + 1);
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}

#[test]
fn a_snapshot_holds_the_live_entries_with_the_other_fields() {
    let lookups: LookupsRegistry = Registry::from_defaults().unwrap();
    lookups.store_names(1, "one".into());
    lookups.store_retries(4);
    let snapshot = lookups.snapshot();
    assert_eq!(snapshot.names, HashMap::from([(1, "one".to_owned())]));
    assert_eq!(snapshot.retries, 4);
    // A whole-struct store replaces the cache's entries too, within capacity.
    let stored = Lookups {
        names: (0..5).map(|id| (id, format!("s{id}"))).collect(),
        retries: 2,
    };
    lookups.store_struct(stored).unwrap();
    assert_eq!(lookups.names_cache().entry_count(), 3);
    assert_eq!(lookups.snapshot().names.len(), 3);
    assert_eq!(lookups.retries(), 2);
}

#[test]
fn the_listener_is_told_each_cause_after_the_write() {
    let lookups: LookupsRegistry = Registry::from_defaults().unwrap();
    let heard = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&heard);
    lookups
        .names_cache()
        .set_eviction_listener(move |key, value: &String, cause| {
            log.lock().unwrap().push((*key, value.clone(), cause));
        });
    lookups.store_names(1, "a".into());
    lookups.store_names(1, "b".into());
    lookups.delete_names(&1);
    for id in 10..14 {
        lookups.store_names(id, "x".into());
    }
    let heard = heard.lock().unwrap().clone();
    assert_eq!(
        heard,
        vec![
            (1, "a".to_owned(), EvictionCause::Replaced),
            (1, "b".to_owned(), EvictionCause::Removed),
            (10, "x".to_owned(), EvictionCause::Capacity),
        ]
    );
}

#[test]
fn a_listener_may_use_the_registry() {
    let lookups: Arc<LookupsRegistry> = Arc::new(Registry::from_defaults().unwrap());
    let inner = Arc::clone(&lookups);
    lookups.names_cache().set_eviction_listener(move |_, _, _| {
        // Runs outside every lock: a write from here does not deadlock.
        inner.store_retries(inner.retries() + 1);
    });
    for id in 0..5 {
        lookups.store_names(id, "x".into());
    }
    assert_eq!(lookups.retries(), 3);
}

#[derive(SyncRegistry)]
struct Timed {
    #[registry(cache(capacity = 100, ttl = Duration::from_secs(10)))]
    lived: HashMap<u32, u32>,
    #[registry(cache(capacity = 100, tti = Duration::from_secs(10)))]
    idle: HashMap<u32, u32>,
    #[registry(cache(capacity = 100, expire_after = own_expiry))]
    own: HashMap<u32, u32>,
}

/// An entry lives as many seconds as its value; 0 lives for ever.
fn own_expiry(_: &u32, seconds: &u32) -> Option<Duration> {
    (*seconds > 0).then(|| Duration::from_secs(u64::from(*seconds)))
}

fn timed() -> (TimedRegistry, Arc<ManualClock>) {
    let timed: TimedRegistry = Registry::from_defaults().unwrap();
    let clock = ManualClock::new();
    assert!(timed.lived_cache().use_clock(Arc::clone(&clock)));
    assert!(timed.idle_cache().use_clock(Arc::clone(&clock)));
    assert!(timed.own_cache().use_clock(Arc::clone(&clock)));
    assert!(
        !timed.own_cache().use_clock(ManualClock::new()),
        "a second clock was taken"
    );
    (timed, clock)
}

#[test]
fn time_to_live_counts_from_the_store() {
    let (timed, clock) = timed();
    timed.store_lived(1, 1);
    clock.advance(Duration::from_secs(9));
    assert_eq!(timed.lived(&1), Some(1));
    clock.advance(Duration::from_secs(1));
    assert_eq!(timed.lived(&1), None, "an expired entry was returned");
    assert!(!timed.contains_lived(&1));
    assert_eq!(timed.lived_len(), 0);
    assert!(timed.snapshot().lived.is_empty());
    assert_eq!(timed.load_and_delete_lived(&1), None);
    // Held, unreachable, until a write or a purge reclaims it.
    assert_eq!(timed.lived_cache().entry_count(), 1);
    assert_eq!(timed.lived_cache().purge_expired(), 1);
    assert_eq!(timed.lived_cache().entry_count(), 0);
    assert_eq!(timed.lived_cache().stats().expirations, 1);
}

#[test]
fn time_to_idle_counts_from_the_last_read() {
    let (timed, clock) = timed();
    timed.store_idle(1, 1);
    for _ in 0..5 {
        clock.advance(Duration::from_secs(8));
        assert_eq!(timed.idle(&1), Some(1), "a read entry expired");
    }
    clock.advance(Duration::from_secs(10));
    assert_eq!(timed.idle(&1), None);
}

#[test]
fn an_entry_can_have_its_own_expiry() {
    let (timed, clock) = timed();
    timed.store_own(1, 5);
    timed.store_own(2, 0);
    clock.advance(Duration::from_secs(5));
    assert_eq!(timed.own(&1), None);
    assert_eq!(timed.own(&2), Some(0));
}

#[test]
fn writes_reclaim_expired_entries_without_a_background_thread() {
    let (timed, clock) = timed();
    for id in 0..50 {
        timed.store_lived(id, id);
    }
    clock.advance(Duration::from_secs(11));
    // Each write reclaims a few due entries.
    for id in 100..110 {
        timed.store_lived(id, id);
    }
    let held = timed.lived_cache().entry_count();
    assert!(held < 60, "writes reclaimed nothing: {held} held");
    assert_eq!(timed.lived_cache().purge_expired() as u64, held - 10);
    assert_eq!(timed.lived_cache().entry_count(), 10);
    assert_eq!(timed.lived_cache().stats().expirations, 50);
}

#[test]
fn a_swap_never_returns_an_expired_value() {
    let (timed, clock) = timed();
    timed.store_lived(1, 1);
    clock.advance(Duration::from_secs(10));
    assert_eq!(timed.swap_lived(1, 2), None);
    assert_eq!(timed.lived(&1), Some(2));
    assert_eq!(
        timed.load_or_store_lived(1, 3),
        syncmap::LoadOrStore::Loaded(2)
    );
}

#[derive(SyncRegistry)]
struct Weighed {
    #[registry(cache(capacity = 100, weigher = |_key: &u32, value: &String| value.len() as u64))]
    blobs: HashMap<u32, String>,
}

#[test]
fn a_weigher_bounds_the_total_weight() {
    let weighed: WeighedRegistry = Registry::from_defaults().unwrap();
    for id in 0..20 {
        weighed.store_blobs(id, "x".repeat(30));
        assert!(weighed.blobs_cache().weight() <= 100);
    }
    assert_eq!(weighed.blobs_cache().weight(), 90);
    // Heavier than the whole capacity: turned away.
    weighed.store_blobs(99, "y".repeat(101));
    assert!(!weighed.contains_blobs(&99));
    assert!(weighed.blobs_cache().weight() <= 100);
}

#[derive(SyncRegistry, Debug, Clone, PartialEq)]
struct Service {
    #[registry(nested)]
    lookups: Lookups,
    #[registry(cache(capacity = 2))]
    tokens: HashMap<String, u64>,
    #[registry(nested)]
    backup: Lookups,
}

#[test]
fn nested_cache_fields_each_have_their_own_slot() {
    let service: ServiceRegistry = Registry::from_defaults().unwrap();
    for id in 0..5 {
        service.lookups().store_names(id, "a".into());
        service.backup().store_names(id + 100, "b".into());
    }
    service.store_tokens("t".into(), 1);
    assert_eq!(service.lookups().names_cache().entry_count(), 3);
    assert_eq!(service.backup().names_cache().entry_count(), 3);
    assert_eq!(service.tokens_cache().entry_count(), 1);
    assert_eq!(service.lookups().names_cache().stats().evictions, 2);
    assert!(service.backup().contains_names(&104));
    let loaded = service
        .backup()
        .get_or_load_names(7, |id| format!("loaded {id}"))
        .unwrap();
    assert_eq!(loaded, "loaded 7");
    assert_eq!(service.backup().names_cache().stats().loads, 1);
    assert_eq!(service.lookups().names_cache().stats().loads, 0);
}

#[test]
fn a_cache_field_works_over_a_mutex_map() {
    let lookups: LookupsRegistry<MutexMap<LookupsKey, LookupsValue>> = Registry::from_struct_in(
        Lookups {
            names: HashMap::new(),
            retries: 1,
        },
        MutexMap::new(),
    )
    .unwrap();
    for id in 0..10 {
        lookups.store_names(id, "x".into());
    }
    assert_eq!(lookups.names_len(), 3);
    assert_eq!(lookups.get_or_load_names(50, |_| "y".into()).unwrap(), "y");
}

#[derive(SyncRegistry)]
struct Hot {
    #[registry(cache(capacity = 100))]
    entries: HashMap<u32, u32>,
}

#[test]
fn a_scan_of_one_off_keys_does_not_flush_the_hot_set() {
    let hot: HotRegistry = Registry::from_defaults().unwrap();
    for key in 0..50 {
        hot.store_entries(key, key);
    }
    for _ in 0..2 {
        for key in 0..50 {
            assert!(hot.entries(&key).is_some());
        }
    }
    // Ten times the capacity of keys seen once: they pass through the small queue.
    for key in 1_000..2_000 {
        hot.store_entries(key, key);
    }
    let kept = (0..50).filter(|key| hot.contains_entries(key)).count();
    assert_eq!(kept, 50, "the scan evicted {} hot keys", 50 - kept);
    assert_eq!(hot.entries_cache().entry_count(), 100);
}

#[test]
fn an_update_of_a_cache_entry_does_not_lose_a_store_that_came_between() {
    let lookups: LookupsRegistry = Registry::from_defaults().unwrap();
    lookups.store_names(1, "first".into());
    let mut intruded = false;
    let updated = lookups.update_names(1, |current| {
        if !intruded {
            intruded = true;
            // Another write of the entry between this read and the commit: cache writes
            // publish no version, and the update must still see it and run again.
            lookups.store_names(1, "intruder".into());
        }
        current.map(|name| format!("{name}+"))
    });
    assert_eq!(updated.as_deref(), Some("intruder+"));
    assert_eq!(lookups.names(&1).as_deref(), Some("intruder+"));
}

#[test]
fn a_whole_struct_update_does_not_lose_a_cache_store_that_came_between() {
    let lookups: LookupsRegistry = Registry::from_defaults().unwrap();
    let mut intruded = false;
    lookups
        .update(|struct_| {
            if !intruded {
                intruded = true;
                lookups.store_names(2, "intruder".into());
            }
            struct_.retries += 1;
        })
        .unwrap();
    assert_eq!(lookups.names(&2).as_deref(), Some("intruder"));
    assert_eq!(lookups.retries(), 2);
}

#[derive(SyncRegistry)]
struct Tokens {
    #[registry(secret, cache(capacity = 10))]
    by_user: HashMap<String, syncmap::SecretString>,
}

#[test]
fn a_secret_cache_field_never_prints_its_keys_or_values() {
    let tokens: TokensRegistry = Registry::from_defaults().unwrap();
    tokens.store_by_user("alice".into(), "hunter2-token".into());
    let error = tokens
        .try_get_or_load_by_user("bob".into(), |_| Err("vault sealed"))
        .unwrap_err();
    let printed = format!(
        "{tokens:?} {error} {error:?} {:?} {:?}",
        tokens.by_user_cache(),
        tokens.by_user_cache().stats()
    );
    for secret in ["hunter2-token", "alice", "bob"] {
        assert!(!printed.contains(secret), "{secret} printed: {printed}");
    }
    assert!(printed.contains("vault sealed"), "{printed}");
}

#[test]
fn the_capacity_can_change_at_run_time() {
    let hot: HotRegistry = Registry::from_defaults().unwrap();
    for key in 0..100 {
        hot.store_entries(key, key);
    }
    hot.entries_cache().set_capacity(10);
    assert_eq!(hot.entries_cache().capacity(), 10);
    assert_eq!(hot.entries_cache().entry_count(), 10);
    assert_eq!(hot.entries_len(), 10);
    assert_eq!(hot.entries_cache().stats().evictions, 90);
    hot.entries_cache().set_capacity(1_000);
    for key in 100..300 {
        hot.store_entries(key, key);
    }
    assert_eq!(hot.entries_cache().entry_count(), 210);
}
