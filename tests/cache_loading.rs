//! Single-flight loading of cache fields on real threads: one load per key however many ask,
//! errors and panics shared and not cached, a loader asking for its own key, loaders of
//! different keys in parallel.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use syncmap::cache::LoadErrorKind;
use syncmap::{Registry, SyncRegistry};

#[derive(SyncRegistry)]
struct Lookups {
    #[registry(cache(capacity = 100))]
    names: HashMap<u64, String>,
}

fn lookups() -> Arc<LookupsRegistry> {
    Arc::new(Registry::from_defaults().unwrap())
}

#[derive(Debug)]
struct Unavailable(u64);

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "backend unavailable for {}", self.0)
    }
}

impl std::error::Error for Unavailable {}

/// Runs `threads` callers at once (a barrier), each calling `call`, and returns their results.
fn at_once<T: Send + 'static>(
    threads: usize,
    call: impl Fn() -> T + Send + Sync + 'static,
) -> Vec<thread::Result<T>> {
    let start = Arc::new(Barrier::new(threads));
    let call = Arc::new(call);
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (start, call) = (Arc::clone(&start), Arc::clone(&call));
            thread::spawn(move || {
                start.wait();
                call()
            })
        })
        .collect();
    handles.into_iter().map(thread::JoinHandle::join).collect()
}

#[test]
fn eight_threads_asking_for_one_key_get_one_load() {
    let lookups = lookups();
    let loads = Arc::new(AtomicUsize::new(0));
    let (cache, counter) = (Arc::clone(&lookups), Arc::clone(&loads));
    let results = at_once(8, move || {
        cache.get_or_load_names(7, |id| {
            counter.fetch_add(1, Ordering::SeqCst);
            // Long enough that the other callers arrive while it runs.
            thread::sleep(Duration::from_millis(100));
            format!("user {id}")
        })
    });
    for result in results {
        assert_eq!(result.unwrap().unwrap(), "user 7");
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    let stats = lookups.names_cache().stats();
    assert_eq!((stats.loads, stats.load_failures), (1, 0));
}

#[test]
fn a_loader_error_reaches_every_waiter_and_is_not_cached() {
    let lookups = lookups();
    let loads = Arc::new(AtomicUsize::new(0));
    let (cache, counter) = (Arc::clone(&lookups), Arc::clone(&loads));
    let results = at_once(4, move || {
        cache.try_get_or_load_names(3, |id| {
            counter.fetch_add(1, Ordering::SeqCst);
            thread::sleep(Duration::from_millis(100));
            Err::<String, _>(Unavailable(*id))
        })
    });
    for result in results {
        let error = result.unwrap().unwrap_err();
        assert!(matches!(error.kind(), LoadErrorKind::Failed(_)));
        assert_eq!(error.loader_error::<Unavailable>().unwrap().0, 3);
        assert_eq!(
            error.to_string(),
            "loading `names[3]` failed: backend unavailable for 3"
        );
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    // Not cached: the next call loads again.
    let value = lookups.try_get_or_load_names(3, |_| Ok::<_, Unavailable>("back".to_owned()));
    assert_eq!(value.unwrap(), "back");
    let stats = lookups.names_cache().stats();
    assert_eq!((stats.loads, stats.load_failures), (1, 1));
}

#[test]
fn a_panicking_loader_wakes_the_waiters_and_leaves_the_cache_usable() {
    let lookups = lookups();
    let started = Arc::new(Barrier::new(2));
    let (cache, barrier) = (Arc::clone(&lookups), Arc::clone(&started));
    let leader = thread::spawn(move || {
        cache.get_or_load_names(5, |_| {
            barrier.wait();
            // The waiter is in by now, or arrives while this sleeps.
            thread::sleep(Duration::from_millis(100));
            panic!("the backend exploded");
        })
    });
    started.wait();
    let waited = lookups.get_or_load_names(5, |_| unreachable!("the leader is loading"));
    assert!(leader.join().is_err(), "the leader's panic did not go on");
    let error = waited.unwrap_err();
    assert!(matches!(error.kind(), LoadErrorKind::Panicked));
    assert_eq!(error.to_string(), "the loader of `names[5]` panicked");
    // Usable: the next call loads.
    assert_eq!(lookups.get_or_load_names(5, |_| "ok".into()).unwrap(), "ok");
    assert_eq!(lookups.names_cache().stats().load_failures, 1);
}

#[test]
fn a_loader_asking_for_its_own_key_gets_an_error() {
    let lookups = lookups();
    let inner = Arc::clone(&lookups);
    let value = lookups
        .get_or_load_names(9, |id| {
            let again = inner.get_or_load_names(*id, |_| unreachable!("would wait for itself"));
            let error = again.unwrap_err();
            assert!(matches!(error.kind(), LoadErrorKind::Recursive));
            format!("{error}")
        })
        .unwrap();
    assert_eq!(
        value,
        "the loader of `names[9]` asked for `names[9]` itself, which it is still loading"
    );
    // A loader may read and load other keys.
    let other = lookups
        .get_or_load_names(10, |_| {
            inner.get_or_load_names(11, |_| "eleven".into()).unwrap()
        })
        .unwrap();
    assert_eq!(other, "eleven");
    assert_eq!(lookups.names(&11).as_deref(), Some("eleven"));
}

#[test]
fn loaders_of_different_keys_run_in_parallel() {
    let lookups = lookups();
    // Each loader waits for the other to have started: serialized loaders would time out.
    let (to_one, one_hears) = mpsc::channel::<()>();
    let (to_two, two_hears) = mpsc::channel::<()>();
    let cache = Arc::clone(&lookups);
    let first = thread::spawn(move || {
        cache.get_or_load_names(1, move |_| {
            to_two.send(()).unwrap();
            one_hears
                .recv_timeout(Duration::from_secs(10))
                .is_ok()
                .to_string()
        })
    });
    let second = lookups.get_or_load_names(2, move |_| {
        to_one.send(()).unwrap();
        two_hears
            .recv_timeout(Duration::from_secs(10))
            .is_ok()
            .to_string()
    });
    assert_eq!(second.unwrap(), "true");
    assert_eq!(first.join().unwrap().unwrap(), "true");
}

#[test]
fn a_hit_never_runs_the_loader() {
    let lookups = lookups();
    lookups.store_names(1, "stored".into());
    let value = lookups.get_or_load_names(1, |_| unreachable!("the entry is live"));
    assert_eq!(value.unwrap(), "stored");
    assert_eq!(lookups.names_cache().stats().hits, 1);
}
