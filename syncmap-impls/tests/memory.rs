//! Memory: bounded internal size under store/delete churn beside one long-lived key (Go's issue
//! 40999), every key and value dropped exactly once under concurrent use, and a deleted value
//! dropped promptly, while the map lives and without waiting for a promotion, even when the
//! thread that deleted it goes idle or exits.

mod support;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::thread;

use support::rng::{Rng, seed};
use support::scaled;
use syncmap_core::ConcurrentMap;
use syncmap_impls::{MutexMap, RwLockMap, SyncMap};

/// `read` plus `dirty` entries.
fn internal_size<K, V>(map: &SyncMap<K, V>) -> usize {
    let stats = map.stats();
    stats.read_len + stats.dirty_len.unwrap_or(0)
}

/// Each new key is stored and deleted while only in `dirty` (Go's issue 40999: `LoadAndDelete`
/// left it there), or stored, promoted into `read`, and deleted there (the rebuild of `dirty`
/// must expunge it, so that it leaves `read` with the rebuild or the next promotion); one key
/// lives throughout.
#[test]
fn sync_map_stays_small_under_churn_beside_a_long_lived_key() {
    let map = SyncMap::new();
    map.store(u64::MAX, 0);
    for key in 0..scaled(20_000, 200) as u64 {
        map.store(key, key);
        if key.is_multiple_of(2) {
            assert_eq!(map.load_and_delete(&key), Some(key)); // while in `dirty` only
        } else {
            for _ in 0..4 {
                assert_eq!(map.load(&key), Some(key)); // misses promote it into `read`
            }
            assert!(map.delete(&key)); // deleted in `read`: nil, expunged at the next rebuild
        }
        // Checked at every step, so a leaking map fails fast instead of growing for long.
        let size = internal_size(&map);
        assert!(
            size <= 8,
            "read + dirty grew to {size} entries after key {key}"
        );
    }
    assert_eq!(map.len(), 1);
    assert_eq!(map.load(&u64::MAX), Some(0));
}

/// The same churn from two threads on disjoint keys.
#[test]
fn sync_map_stays_small_under_concurrent_churn() {
    let map = SyncMap::new();
    map.store(u64::MAX, 0);
    let largest = AtomicUsize::new(0);
    thread::scope(|s| {
        for thread in 0..2u64 {
            let (map, largest) = (&map, &largest);
            s.spawn(move || {
                for i in 0..scaled(10_000, 100) as u64 {
                    let key = 2 * i + thread;
                    map.store(key, key);
                    map.load(&key);
                    map.load(&key);
                    map.delete(&key);
                    if i.is_multiple_of(64) {
                        let size = internal_size(map);
                        largest.fetch_max(size, Ordering::Relaxed);
                        assert!(size <= 64, "read + dirty grew to {size} entries");
                    }
                }
            });
        }
    });
    let largest = largest.into_inner().max(internal_size(&map));
    assert!(largest <= 64, "read + dirty grew to {largest} entries");
    assert_eq!(map.len(), 1);
}

/// Live instances, by id, to tell leaks from double drops.
#[derive(Debug, Default)]
struct Ledger {
    live: Mutex<HashSet<u64>>,
    next: AtomicUsize,
    double_drops: AtomicUsize,
}

impl Ledger {
    fn register(&self) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed) as u64;
        self.live.lock().unwrap().insert(id);
        id
    }

    fn live(&self) -> usize {
        self.live.lock().unwrap().len()
    }

    fn is_live(&self, id: u64) -> bool {
        self.live.lock().unwrap().contains(&id)
    }
}

/// A key or value that registers each instance, clones included.
#[derive(Debug)]
struct Tracked {
    payload: u32,
    id: u64,
    ledger: Arc<Ledger>,
}

impl Tracked {
    fn new(payload: u32, ledger: &Arc<Ledger>) -> Self {
        Self {
            payload,
            id: ledger.register(),
            ledger: Arc::clone(ledger),
        }
    }
}

impl Clone for Tracked {
    fn clone(&self) -> Self {
        Self::new(self.payload, &self.ledger)
    }
}

impl PartialEq for Tracked {
    fn eq(&self, other: &Self) -> bool {
        self.payload == other.payload
    }
}

impl Eq for Tracked {}

impl std::hash::Hash for Tracked {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.payload.hash(state);
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if !self.ledger.live.lock().unwrap().remove(&self.id) {
            self.ledger.double_drops.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Four threads make random calls with tracked keys and values on eight shared keys; once the
/// map is dropped, every instance ever created has been dropped exactly once.
fn drops_exactly_once<M: ConcurrentMap<Tracked, Tracked> + Sync>(map: M) {
    let ledger = Arc::new(Ledger::default());
    let seed = seed();
    let start = Barrier::new(4);
    thread::scope(|s| {
        for thread in 0..4 {
            let (map, ledger, start) = (&map, &ledger, &start);
            s.spawn(move || {
                let mut rng = Rng::new(seed, thread);
                let t = |n: u32| Tracked::new(n, ledger);
                start.wait();
                for _ in 0..scaled(2_000, 20) {
                    let (k, v, w) = (rng.below(8), rng.below(3), rng.below(3));
                    match rng.below(11) {
                        0 => drop(map.load(&t(k))),
                        1 => map.store(t(k), t(v)),
                        2 => drop(map.load_or_store(t(k), t(v))),
                        3 => drop(map.load_or_store_with(t(k), || t(v))),
                        4 => drop(map.load_and_delete(&t(k))),
                        5 => drop(map.delete(&t(k))),
                        6 => drop(map.swap(t(k), t(v))),
                        7 => drop(map.compare_and_swap(&t(k), &t(v), t(w))),
                        8 => drop(map.compare_and_delete(&t(k), &t(v))),
                        9 => map.range(|_, _| rng.below(4) != 0),
                        _ if rng.below(8) == 0 => map.clear(),
                        _ => drop(map.compute(t(k), |old| old.cloned())),
                    }
                }
            });
        }
    });
    // The random calls may end with a clear or deletes; one more entry makes sure the map's own
    // drop has something to drop.
    map.store(Tracked::new(8, &ledger), Tracked::new(0, &ledger));
    assert!(
        ledger.live() > 0,
        "the map should hold something before it is dropped"
    );
    drop(map);
    assert_eq!(
        (ledger.live(), ledger.double_drops.load(Ordering::Relaxed)),
        (0, 0),
        "instances leaked, double drops (SYNCMAP_TEST_SEED={seed})"
    );
}

#[test]
fn mutex_map_drops_each_key_and_value_exactly_once() {
    drops_exactly_once(MutexMap::new());
}

#[test]
#[cfg_attr(
    miri,
    ignore = "RwLockMap shares MutexMap's code, which has no unsafe; Miri runs MutexMap's test"
)]
fn rwlock_map_drops_each_key_and_value_exactly_once() {
    drops_exactly_once(RwLockMap::new());
}

#[test]
fn sync_map_drops_each_key_and_value_exactly_once() {
    drops_exactly_once(SyncMap::new());
}

/// Deleted values are retired and freed in batches: after deleting many values in `read`
/// (lock-free, so no promotion happens) and a few more calls, all but the last batch must have
/// been dropped, long before the map is.
#[test]
fn sync_map_drops_deleted_values_promptly() {
    let ledger = Arc::new(Ledger::default());
    let map = SyncMap::new();
    let n = scaled(512, 64) as u32;
    for k in 0..n {
        map.store(k, Tracked::new(k, &ledger));
    }
    map.range(|_, _| true); // promote: every key is in `read`, deletes will not lock
    let promotions = map.stats().promotions;
    for k in 0..n {
        assert!(map.delete(&k));
    }
    // A few more calls that retire something (replaced values of one key).
    map.store(n, Tracked::new(0, &ledger));
    map.range(|_, _| true);
    for i in 0..64 {
        map.store(n, Tracked::new(i, &ledger));
    }
    assert_eq!(
        map.stats().promotions,
        promotions + 1,
        "only the range promoted"
    );
    let live = ledger.live();
    assert!(
        live <= 2 + 64,
        "{live} values still alive of {n} deleted and 65 replaced; one batch may wait, not all"
    );
    drop(map);
    assert_eq!(ledger.live(), 0);
}

/// The other side of prompt drops: a value read inside `load_with` is not dropped while the
/// closure runs, even when another thread deletes it meanwhile and then retires enough to
/// collect. (A guard that failed to announce itself would let that thread free the value under
/// the reader.)
#[test]
fn sync_map_keeps_a_value_alive_while_a_reader_uses_it() {
    let ledger = Arc::new(Ledger::default());
    let map = SyncMap::new();
    map.store(0, Tracked::new(0, &ledger));
    map.range(|_, _| true); // key 0 in `read`
    let was_alive = map.load_with(&0, |value| {
        let id = value.id;
        thread::scope(|s| {
            s.spawn(|| {
                assert!(map.delete(&0));
                // Each replaced value is retired on this thread: several batches' worth.
                for i in 0..256 {
                    map.store(1, Tracked::new(i, &ledger));
                }
            });
        });
        ledger.is_live(id)
    });
    assert_eq!(
        was_alive,
        Some(true),
        "the value was dropped under its reader"
    );
    drop(map);
    assert_eq!(ledger.live(), 0);
}

/// The other side of freeing what other threads retired: a value deleted by a thread that then
/// exits is still not dropped while a reader on a third thread reads it, however much a fourth
/// thread retires meanwhile; it is dropped after the reader is done.
#[test]
fn sync_map_keeps_a_value_alive_while_a_reader_uses_it_when_another_thread_frees_it() {
    let ledger = Arc::new(Ledger::default());
    let map = SyncMap::new();
    map.store(0, Tracked::new(0, &ledger));
    map.range(|_, _| true); // key 0 in `read`
    let retire_many = |map: &SyncMap<u32, Tracked>| {
        for i in 0..IDLE_DROP_BOUND as u32 {
            map.store(1, Tracked::new(i, &ledger));
        }
    };
    let (id, was_alive) = map
        .load_with(&0, |value| {
            let id = value.id;
            // Alive together, so that the retiring thread cannot inherit the deleting thread's
            // number (and bag) and free the value as its own.
            let turns = Barrier::new(2);
            thread::scope(|s| {
                s.spawn(|| {
                    assert!(map.delete(&0));
                    turns.wait();
                    turns.wait(); // idle while the other thread collects
                });
                s.spawn(|| {
                    turns.wait();
                    retire_many(&map); // collects at least once
                    turns.wait();
                });
            });
            (id, ledger.is_live(id))
        })
        .unwrap();
    assert!(was_alive, "the value was dropped under its reader");
    // On this thread, which has a number of its own: a thread spawned now could inherit the
    // deleting thread's number, and with it the value, and free it as its own.
    retire_many(&map);
    assert!(
        !ledger.is_live(id),
        "the value outlived its reader by {IDLE_DROP_BOUND} retiring operations"
    );
    drop(map);
    assert_eq!(ledger.live(), 0);
}

/// How many retiring operations of other threads may pass before what an idle thread retired
/// must have been dropped: a thread collects every 128 retirements (`Reclaimer::COLLECT_AT`), so
/// one collection on the working thread, with room for a partly filled bag before it.
const IDLE_DROP_BOUND: usize = 2 * BAG;

/// The most objects a thread's bag holds between two of its collections (`COLLECT_AT`).
const BAG: usize = 128;

/// Eight values in `read` (so that deleting them retires them without the lock); their ids.
fn eight_values_in_read(map: &SyncMap<u32, Tracked>, ledger: &Arc<Ledger>) -> Vec<u64> {
    let ids = (0..8)
        .map(|k| {
            let value = Tracked::new(k, ledger);
            let id = value.id;
            map.store(k, value);
            id
        })
        .collect();
    map.range(|_, _| true);
    ids
}

/// Replaces the value of key 100 on this thread (each store retires the value it replaces) until
/// every instance in `ids` has been dropped; returns how many stores that took, or fails after
/// [`IDLE_DROP_BOUND`].
fn stores_until_dropped(map: &SyncMap<u32, Tracked>, ledger: &Arc<Ledger>, ids: &[u64]) -> usize {
    map.store(100, Tracked::new(0, ledger)); // a new key: retires nothing yet
    for stores in 0..=IDLE_DROP_BOUND {
        let alive = ids.iter().filter(|&&id| ledger.is_live(id)).count();
        if alive == 0 {
            return stores;
        }
        map.store(100, Tracked::new(stores as u32, ledger));
    }
    let alive = ids.iter().filter(|&&id| ledger.is_live(id)).count();
    panic!(
        "{alive} of {} values deleted by another thread still alive after {IDLE_DROP_BOUND} \
         retiring operations on this one",
        ids.len()
    );
}

/// A thread deletes eight values, then waits without touching the map again: another thread's
/// retiring operations must free them (they sit in the idle thread's bag, which only that thread
/// used to collect).
#[test]
fn sync_map_drops_values_deleted_by_a_thread_that_went_idle() {
    let ledger = Arc::new(Ledger::default());
    let map = SyncMap::new();
    let ids = eight_values_in_read(&map, &ledger);
    let (deleted, wait_for_deletes) = mpsc::channel();
    let (finished, wait_until_finished) = mpsc::channel::<()>();
    thread::scope(|s| {
        // Owned by this closure, so that a failure below drops it and the idle thread ends
        // (the scope waits for it before passing the failure on).
        let finished = finished;
        let map = &map;
        s.spawn(move || {
            for k in 0..8 {
                assert!(map.delete(&k));
            }
            deleted.send(()).unwrap();
            // Idle, but alive: its thread number stays taken.
            let _ = wait_until_finished.recv();
        });
        wait_for_deletes.recv().unwrap();
        let stores = stores_until_dropped(map, &ledger, &ids);
        finished.send(()).unwrap();
        eprintln!("the idle thread's values were dropped after {stores} stores");
    });
    drop(map);
    assert_eq!(ledger.live(), 0);
}

/// As above, but the deleting thread has exited: its bag must not wait for a new thread to
/// inherit its number.
#[test]
fn sync_map_drops_values_deleted_by_a_thread_that_exited() {
    let ledger = Arc::new(Ledger::default());
    let map = SyncMap::new();
    let ids = eight_values_in_read(&map, &ledger);
    thread::scope(|s| {
        s.spawn(|| {
            for k in 0..8 {
                assert!(map.delete(&k));
            }
        });
    });
    let stores = stores_until_dropped(&map, &ledger, &ids);
    eprintln!("the exited thread's values were dropped after {stores} stores");
    drop(map);
    assert_eq!(ledger.live(), 0);
}

/// Threads churn tracked keys (each insert and delete retires entries, keys and old `read` maps)
/// and exit; a few dozen retiring operations on the thread left must free what they left behind,
/// so that the live instances are what the map holds plus at most one bag's worth.
#[test]
fn sync_map_frees_what_exited_churn_threads_retired() {
    let ledger = Arc::new(Ledger::default());
    let map = SyncMap::new();
    // This thread takes its number now, so that it cannot inherit a churn thread's bag below.
    let key = Tracked::new(u32::MAX, &ledger);
    map.store(key.clone(), Tracked::new(0, &ledger));
    // Alive together, so that each has a thread number (and a bag) of its own.
    let start = Barrier::new(4);
    thread::scope(|s| {
        for thread in 0..4u32 {
            let (map, ledger, start) = (&map, &ledger, &start);
            s.spawn(move || {
                start.wait();
                for i in 0..scaled(2_000, 40) as u32 {
                    let key = Tracked::new(1_000 * thread + i % 50, ledger);
                    map.store(key, Tracked::new(i, ledger));
                    if i % 3 == 0 {
                        map.delete(&Tracked::new(1_000 * thread + (i + 7) % 50, ledger));
                    }
                }
            });
        }
    });
    let stranded = ledger.live();
    for i in 0..IDLE_DROP_BOUND as u32 {
        map.store(key.clone(), Tracked::new(i, &ledger));
    }
    drop(key);
    // Every present entry holds a key and a value, deleted entries still in `read` a key; this
    // thread's bag may hold what it retired since its last collection, fewer than `BAG` values.
    let present = map.len();
    let live = ledger.live();
    assert!(
        live <= 3 * present + BAG,
        "{live} instances live for {present} entries (there were {stranded} when the churn \
         threads exited)"
    );
    drop(map);
    assert_eq!(ledger.live(), 0);
}

/// A map used from a thread-local's destructor that runs after the thread gave its own reader
/// number back: the operations borrow a number for their duration, work, and leak nothing.
#[test]
fn sync_map_works_from_a_thread_local_destructor() {
    type Shared = (Arc<SyncMap<u32, Tracked>>, Arc<Ledger>);
    struct UsesMapOnExit(Option<Shared>);
    impl Drop for UsesMapOnExit {
        fn drop(&mut self) {
            if let Some((map, ledger)) = self.0.take() {
                map.store(2, Tracked::new(2, &ledger));
                assert_eq!(map.load_with(&1, |v| v.payload), Some(1));
                assert!(map.delete(&1));
                for i in 0..64 {
                    map.store(3, Tracked::new(i, &ledger)); // enough retired to collect
                }
            }
        }
    }
    thread_local! {
        static ON_EXIT: std::cell::RefCell<UsesMapOnExit> =
            const { std::cell::RefCell::new(UsesMapOnExit(None)) };
    }
    let ledger = Arc::new(Ledger::default());
    let map = Arc::new(SyncMap::new());
    for round in 0..scaled(8, 2) as u32 {
        let (shared, ledger_here) = (Arc::clone(&map), Arc::clone(&ledger));
        thread::spawn(move || {
            let (map, ledger) = (shared, ledger_here);
            // Registered before the map's own thread-local, so destroyed after it (thread-locals
            // are destroyed in the reverse order of their first use).
            ON_EXIT.with_borrow_mut(|on_exit| on_exit.0 = Some((Arc::clone(&map), ledger.clone())));
            map.store(1, Tracked::new(1, &ledger));
            assert_eq!(map.load_with(&1, |v| v.payload), Some(1), "round {round}");
        })
        .join()
        .expect("the thread and its destructors do not panic");
        assert_eq!(map.load_with(&2, |v| v.payload), Some(2), "round {round}");
        assert_eq!(map.load_with(&3, |v| v.payload), Some(63), "round {round}");
        assert!(!map.contains_key(&1), "round {round}");
    }
    drop(map);
    assert_eq!(ledger.live(), 0);
}
