//! Cache fields under real threads and counted drops: the bound holds while two threads insert a
//! million distinct keys, and every key and value is dropped exactly once after evictions,
//! expirations, replacements, deletes and the registry's own drop.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::thread;
use std::time::Duration;

use syncmap::cache::ManualClock;
use syncmap::{Registry, SyncRegistry};

const CAPACITY: u64 = 1_000;

#[derive(SyncRegistry)]
struct Bounded {
    #[registry(cache(capacity = CAPACITY))]
    entries: HashMap<u64, u64>,
}

#[test]
fn capacity_holds_while_two_threads_insert_a_million_distinct_keys() {
    let bounded: Arc<BoundedRegistry> = Arc::new(Registry::from_defaults().unwrap());
    let done = Arc::new(AtomicBool::new(false));
    // A reader walks the field meanwhile: it may see the one entry a write holds before that
    // write evicts (the documented slack of a concurrent walk), never more.
    let walker = {
        let (bounded, done) = (Arc::clone(&bounded), Arc::clone(&done));
        thread::spawn(move || {
            let mut most = 0;
            while !done.load(Ordering::Relaxed) {
                most = most.max(bounded.entries_len() as u64);
            }
            most
        })
    };
    let writers: Vec<_> = (0..2u64)
        .map(|thread| {
            let bounded = Arc::clone(&bounded);
            thread::spawn(move || {
                for i in 0..500_000u64 {
                    bounded.store_entries(thread * 1_000_000 + i, i);
                    if i % 1_000 == 0 {
                        let cache = bounded.entries_cache();
                        assert!(cache.weight() <= CAPACITY, "{} held", cache.weight());
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    let most_walked = walker.join().unwrap();
    assert!(
        most_walked <= CAPACITY + 1,
        "a walk saw {most_walked} entries"
    );
    let cache = bounded.entries_cache();
    assert_eq!(cache.entry_count(), CAPACITY);
    assert_eq!(bounded.entries_len() as u64, CAPACITY);
    assert_eq!(cache.stats().evictions, 1_000_000 - CAPACITY);
}

/// A key or value that counts its live instances (clones included).
#[derive(Debug)]
struct Counted {
    id: u64,
    live: Arc<AtomicI64>,
}

impl Counted {
    fn new(id: u64, live: &Arc<AtomicI64>) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Self {
            id,
            live: Arc::clone(live),
        }
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Self::new(self.id, &self.live)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

impl PartialEq for Counted {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Counted {}

impl Hash for Counted {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

#[derive(SyncRegistry)]
struct Dropping {
    #[registry(cache(capacity = 50, ttl = Duration::from_secs(10)))]
    entries: HashMap<Counted, Counted>,
}

#[test]
fn every_key_and_value_is_dropped_exactly_once() {
    let keys = Arc::new(AtomicI64::new(0));
    let values = Arc::new(AtomicI64::new(0));
    {
        let dropping: DroppingRegistry = Registry::from_defaults().unwrap();
        let clock = ManualClock::new();
        dropping.entries_cache().use_clock(Arc::clone(&clock));
        dropping
            .entries_cache()
            .set_eviction_listener(|key, value, _| assert_eq!(key.id, value.id));
        for id in 0..300 {
            // Evictions past 50 entries.
            dropping.store_entries(Counted::new(id, &keys), Counted::new(id, &values));
            if id % 3 == 0 {
                // Replacements.
                dropping.store_entries(Counted::new(id, &keys), Counted::new(id, &values));
            }
            if id % 7 == 0 {
                // Deletes.
                dropping.delete_entries(&Counted::new(id, &keys));
            }
        }
        let loaded = dropping.get_or_load_entries(Counted::new(1_000, &keys), |key| key.clone());
        assert_eq!(loaded.unwrap().id, 1_000);
        // Expirations, reclaimed by writes and by a purge.
        clock.advance(Duration::from_secs(11));
        for id in 300..310 {
            dropping.store_entries(Counted::new(id, &keys), Counted::new(id, &values));
        }
        dropping.entries_cache().purge_expired();
        assert_eq!(dropping.entries_cache().entry_count(), 10);
        let stats = dropping.entries_cache().stats();
        assert!(stats.evictions > 0 && stats.expirations > 0, "{stats:?}");
    }
    assert_eq!(
        keys.load(Ordering::SeqCst),
        0,
        "keys leaked or dropped twice"
    );
    assert_eq!(
        values.load(Ordering::SeqCst),
        0,
        "values leaked or dropped twice"
    );
}
