//! Loads racing the promotion of `dirty` (the double-checked look at `read` under the lock every
//! port must get right), and stores racing the expunge of a rebuild; each run on every map.

mod support;

use std::sync::Barrier;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::thread;

use support::scaled;
use syncmap_core::ConcurrentMap;
use syncmap_impls::{MutexMap, RwLockMap, SyncMap};

/// How far behind the newest key a key is deleted.
const LAG: u32 = 4;

/// A writer stores keys 1, 2, 3, ... one by one (each new key goes to `dirty` alone) and deletes
/// the key `LAG` behind; readers load the newest key over and over. Their misses promote `dirty`
/// all the time, so a reader that missed `read` without the lock may take the lock just after
/// another reader promoted. A key that was stored before the load began and not deleted until
/// after it ended must be found.
fn loads_race_promotions<M: ConcurrentMap<u32, u32> + Sync>(map: &M) {
    let keys = scaled(20_000, 40) as u32;
    let newest = AtomicU32::new(0);
    let start = Barrier::new(3);
    thread::scope(|s| {
        s.spawn(|| {
            start.wait();
            for key in 1..=keys {
                map.store(key, key);
                newest.store(key, Ordering::SeqCst);
                if key > LAG {
                    map.delete(&(key - LAG));
                }
            }
        });
        for _ in 0..2 {
            s.spawn(|| {
                start.wait();
                loop {
                    let key = newest.load(Ordering::SeqCst);
                    if key == keys {
                        break;
                    }
                    if key == 0 {
                        thread::yield_now();
                        continue;
                    }
                    let found = map.load(&key);
                    // The delete of `key` comes after the store of `key + LAG` is published: if
                    // it is not yet, `key` was present during the whole load.
                    if newest.load(Ordering::SeqCst) < key + LAG {
                        assert_eq!(found, Some(key), "a load of present key {key} missed it");
                    }
                }
            });
        }
    });
}

/// Many maps, each holding one key in `dirty` alone (so the first miss promotes it); for each,
/// two threads released together by a spinning barrier (a parking one would let the last arrival
/// run alone for microseconds) load that key once. The first to take the lock promotes; the
/// other looked at `read` before that promotion and must look again under the lock, or it
/// misses a key that was present all along.
fn simultaneous_first_loads<M: ConcurrentMap<u32, u32> + Sync>(new_map: impl Fn() -> M) {
    let maps: Vec<M> = (0..scaled(5_000, 10))
        .map(|_| {
            let map = new_map();
            map.store(1, 1);
            map
        })
        .collect();
    let arrived = AtomicUsize::new(0);
    let missed = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for (round, map) in maps.iter().enumerate() {
                    arrived.fetch_add(1, Ordering::SeqCst);
                    let mut spins = 0u32;
                    while arrived.load(Ordering::SeqCst) < 2 * (round + 1) {
                        spins += 1;
                        if spins.is_multiple_of(1024) {
                            thread::yield_now(); // the other thread is not running
                        }
                        std::hint::spin_loop();
                    }
                    // Counted, not asserted: a panicking thread would leave the other spinning.
                    if map.load(&1) != Some(1) {
                        missed.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    assert_eq!(missed.into_inner(), 0, "loads of a present key missed it");
}

#[test]
fn sync_map_simultaneous_first_loads() {
    simultaneous_first_loads(SyncMap::new);
}

#[test]
fn mutex_map_simultaneous_first_loads() {
    simultaneous_first_loads(MutexMap::new);
}

#[test]
fn sync_map_loads_race_promotions() {
    let map = SyncMap::new();
    loads_race_promotions(&map);
    assert!(map.stats().promotions > 0, "{:?}", map.stats());
}

#[test]
fn mutex_map_loads_race_stores() {
    loads_race_promotions(&MutexMap::new());
}

#[test]
#[cfg_attr(
    miri,
    ignore = "RwLockMap shares MutexMap's code, which has no unsafe; Miri runs MutexMap's test"
)]
fn rwlock_map_loads_race_stores() {
    loads_race_promotions(&RwLockMap::new());
}

/// Keys deleted and stored again while new keys keep rebuilding `dirty` (which expunges the
/// deleted ones): a key stored again must survive every later promotion. The churning thread
/// deletes each fresh key `window` keys later: with a window of 0 few entries are deleted at a
/// rebuild, which leaves them in `read` (Go's lazy path); with a wide one, many, and the rebuild
/// compacts `read`, retiring them while the other thread stores and loads.
fn stores_race_expunges<M: ConcurrentMap<u32, u32> + Sync>(map: &M, window: u32) {
    let rounds = scaled(5_000, 30) as u32;
    let start = Barrier::new(2);
    thread::scope(|s| {
        // Churns fresh keys so `dirty` is rebuilt (expunging deleted entries) and promoted.
        s.spawn(|| {
            start.wait();
            for fresh in 1_000..1_000 + rounds {
                map.store(fresh, 0);
                map.load(&fresh);
                if fresh >= 1_000 + window {
                    map.delete(&(fresh - window));
                }
            }
        });
        // Deletes and restores its own keys; each restored key must stay until deleted again.
        s.spawn(|| {
            start.wait();
            for round in 0..rounds {
                let key = round % 8;
                map.delete(&key);
                map.store(key, round);
                for _ in 0..3 {
                    map.load(&(key + 500)); // misses count toward promotion
                }
                assert_eq!(
                    map.load(&key),
                    Some(round),
                    "key {key} lost after a re-store"
                );
            }
        });
    });
    for key in 0..8.min(rounds) {
        assert!(map.contains_key(&key), "key {key} lost");
    }
}

#[test]
fn sync_map_stores_race_expunges() {
    let map = SyncMap::new();
    stores_race_expunges(&map, 0);
    let stats = map.stats();
    assert!(
        stats.promotions > 0 && stats.dirty_rebuilds > 0,
        "{stats:?}"
    );
}

#[test]
fn sync_map_stores_race_compacting_rebuilds() {
    let map = SyncMap::new();
    stores_race_expunges(&map, 200);
    let stats = map.stats();
    // Under Miri the run is too short for a rebuild to find enough deleted entries.
    if !cfg!(miri) {
        assert!(stats.read_compactions > 0, "{stats:?}");
    }
}

#[test]
fn mutex_map_stores_race_deletes() {
    stores_race_expunges(&MutexMap::new(), 0);
}
