//! Model checking of SyncMap's racy interactions with loom: every interleaving of two threads'
//! atomic operations and lock acquisitions is explored (exhaustively: `scripts/loom.sh` sets no
//! preemption bound), and each model asserts that the outcome is one a linearizable map could
//! give, that the internal invariants hold afterwards, and that every value is dropped exactly
//! once.
//!
//! Run with `scripts/loom.sh` (it sets `RUSTFLAGS="--cfg loom"`); a plain build skips this file.

#![cfg(loom)]

use std::sync::Arc as StdArc;
use std::sync::atomic::{AtomicUsize, Ordering};

use loom::sync::Arc;
use loom::thread;
use syncmap_core::{ConcurrentMap, LoadOrStore};
use syncmap_impls::SyncMap;

/// A value that counts its live instances, so each model can check that nothing leaked and
/// nothing was freed twice.
#[derive(Debug)]
struct Counted {
    value: u32,
    live: StdArc<AtomicUsize>,
}

impl Counted {
    fn new(value: u32, live: &StdArc<AtomicUsize>) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Self {
            value,
            live: StdArc::clone(live),
        }
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Self::new(self.value, &self.live)
    }
}

impl PartialEq for Counted {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let before = self.live.fetch_sub(1, Ordering::SeqCst);
        assert!(before > 0, "a value was dropped twice");
    }
}

type Map = SyncMap<u32, Counted>;

/// Runs `body` under loom with a fresh live counter, then checks that the map (dropped inside
/// `body`) left no value alive.
fn model(body: impl Fn(&StdArc<AtomicUsize>) + Sync + Send + 'static) {
    loom::model(move || {
        let live = StdArc::new(AtomicUsize::new(0));
        body(&live);
        assert_eq!(live.load(Ordering::SeqCst), 0, "a value leaked");
    });
}

fn value_of(map: &Map, key: u32) -> Option<u32> {
    map.load_with(&key, |v| v.value)
}

fn settle(map: &Map) {
    map.check_invariants().expect("invariants hold");
}

/// Keys 1 to 9: a rebuild that expunges one of them leaves it in `read` (Go's lazy path), as
/// too few are deleted for the rebuild to publish a compacted `read`.
const NINE: [u32; 9] = [1, 2, 3, 4, 5, 6, 7, 8, 9];

/// A map whose `read` holds `promoted` and whose `dirty` also holds `in_dirty` (amended).
fn map_with(live: &StdArc<AtomicUsize>, promoted: &[u32], in_dirty: &[u32]) -> Map {
    let map = Map::new();
    for &k in promoted {
        map.store(k, Counted::new(k, live));
    }
    map.range(|_, _| true);
    for &k in in_dirty {
        map.store(k, Counted::new(k, live));
    }
    map
}

/// While another thread stores `key` (new to the map, with the value `key`): looks the key up,
/// then load-or-stores it, then looks it up again. Once either call has seen the key it must
/// stay seen: a load-or-store after a lookup that found it loads it, and the last lookup finds
/// it.
fn a_new_key_once_seen_stays_seen(map: &Map, key: u32, live: &StdArc<AtomicUsize>) {
    let first = value_of(map, key);
    assert!(first.is_none() || first == Some(key), "{first:?}");
    let loaded = match map.load_or_store(key, Counted::new(10 * key, live)) {
        LoadOrStore::Loaded(v) => Some(v.value),
        LoadOrStore::Stored(_) => None,
    };
    assert!(
        first.is_none() || loaded == Some(key),
        "the key was seen, then load_or_store stored over it"
    );
    assert!(
        value_of(map, key).is_some(),
        "a lookup missed key {key} after it was seen ({first:?}, loaded {loaded:?})"
    );
}

/// Load against promotion: a load of a key that only `dirty` holds races with the miss that
/// promotes `dirty`. The double-checked look at `read` under `mu` is what keeps it found.
#[test]
fn load_against_promotion() {
    model(|live| {
        let map = Arc::new(map_with(live, &[], &[1, 2]));
        assert_eq!(value_of(&map, 1), Some(1)); // one miss; the next one promotes
        let other = Arc::clone(&map);
        let t = thread::spawn(move || value_of(&other, 2));
        assert_eq!(value_of(&map, 1), Some(1));
        assert_eq!(t.join().unwrap(), Some(2));
        settle(&map);
        assert_eq!(map.stats().amended, false);
    });
}

/// Store against the expunge of a dirty rebuild: with `promoted` in `read`, key 1 (one of them)
/// is deleted, then stored lock-free while a new key makes another thread rebuild `dirty` and
/// try to expunge it. The re-stored key must survive the next promotion.
fn store_against_expunge(live: &StdArc<AtomicUsize>, promoted: &[u32]) {
    let new_key = promoted.len() as u32 + 1;
    let map = Arc::new(map_with(live, promoted, &[]));
    assert!(map.delete(&1));
    let other = Arc::clone(&map);
    let live2 = StdArc::clone(live);
    let t = thread::spawn(move || other.store(new_key, Counted::new(new_key, &live2)));
    map.store(1, Counted::new(100, live));
    t.join().unwrap();
    settle(&map);
    map.range(|_, _| true); // promote: a lost key would vanish here
    assert_eq!(
        (value_of(&map, 1), value_of(&map, new_key)),
        (Some(100), Some(new_key))
    );
    assert_eq!(map.len(), promoted.len() + 1);
}

/// The race on a compacting rebuild: every entry of `read` is deleted, so the rebuild also
/// publishes a `read` without the expunged entry, which leaves the map at once: a store that
/// lost the race must add the key anew.
#[test]
fn store_against_expunge_of_a_compacting_rebuild() {
    model(|live| store_against_expunge(live, &[1]));
}

/// The same race on Go's lazy path: one deleted entry of nine is too few to compact, so the
/// expunged entry stays in `read`, and a store that lost the race revives it under `mu`.
#[test]
fn store_against_lazy_expunge_of_a_rebuild() {
    model(|live| store_against_expunge(live, &NINE));
}

/// Lookups against a compacting rebuild: one thread stores a new key, whose rebuild of `dirty`
/// publishes a `read` without the deleted key 1, while the other looks up the kept key 2, the
/// deleted key 1 and the new key 3 (through the old `read` or the new one), then load-or-stores
/// key 3, then looks it up again. Key 2 is always found and key 1 never; once key 3 has been
/// seen it stays seen. The planted bug `stale_read_after_compaction` notes key 3 in the replaced
/// `read`, and the last lookups here miss it.
#[test]
fn lookups_against_a_compacting_rebuild() {
    model(|live| {
        let map = Arc::new(map_with(live, &[1, 2], &[]));
        assert!(map.delete(&1));
        let other = Arc::clone(&map);
        let live2 = StdArc::clone(live);
        let t = thread::spawn(move || other.store(3, Counted::new(3, &live2)));
        assert_eq!((value_of(&map, 2), value_of(&map, 1)), (Some(2), None));
        a_new_key_once_seen_stays_seen(&map, 3, live);
        t.join().unwrap();
        settle(&map);
        assert_eq!(value_of(&map, 3), Some(3));
        assert_eq!(map.len(), 2);
    });
}

/// Unexpunge against delete: a store revives an expunged key while another thread deletes it.
#[test]
fn unexpunge_against_delete() {
    model(|live| {
        let map = Arc::new(map_with(live, &NINE, &[]));
        map.delete(&1);
        map.store(10, Counted::new(10, live)); // rebuild: 1 is expunged, lazily
        assert_eq!(map.stats().expunged, 1);
        let other = Arc::clone(&map);
        let t = thread::spawn(move || other.delete(&1));
        map.store(1, Counted::new(10, live));
        let deleted = t.join().unwrap();
        settle(&map);
        // Linearizable outcomes: delete then store (nothing deleted, 1 present), or store then
        // delete (deleted, 1 absent).
        let expected = if deleted { None } else { Some(10) };
        assert_eq!(value_of(&map, 1), expected);
        map.range(|_, _| true);
        assert_eq!(value_of(&map, 1), expected);
    });
}

/// Two threads `load_or_store` `key` on `map` (held by the model's thread): exactly one stores,
/// and both see its value, which the map then holds.
fn two_load_or_store(map: Arc<Map>, key: u32, live: &StdArc<AtomicUsize>) {
    let other = Arc::clone(&map);
    let live2 = StdArc::clone(live);
    let t = thread::spawn(move || {
        other
            .load_or_store(key, Counted::new(20, &live2))
            .map(|v| v.value)
    });
    let mine = map
        .load_or_store(key, Counted::new(10, live))
        .map(|v| v.value);
    let theirs = t.join().unwrap();
    settle(&map);
    let stored = [mine, theirs]
        .into_iter()
        .filter(LoadOrStore::is_stored)
        .count();
    assert_eq!(stored, 1, "{mine:?} {theirs:?}");
    assert_eq!(mine.into_value(), theirs.into_value());
    assert_eq!(value_of(&map, key), Some(mine.into_value()));
}

/// Two `load_or_store` of one new key: exactly one stores, and both see its value.
#[test]
fn two_load_or_store_on_one_new_key() {
    model(|live| two_load_or_store(Arc::new(map_with(live, &[1], &[])), 5, live));
}

/// Two `load_or_store` of a key deleted in `read`: both race to fill the entry without the lock
/// (Go's `tryLoadOrStore`), so one compare-and-swap fails and must load the winner's value.
#[test]
fn two_load_or_store_on_a_deleted_key() {
    model(|live| {
        let map = Arc::new(map_with(live, &[1], &[]));
        map.delete(&1);
        two_load_or_store(map, 1, live);
    });
}

/// Compare-and-swap against delete: the only linearizable outcomes are (swapped, then deleted
/// the new value) and (deleted the old value, then the swap fails); the key ends absent.
#[test]
fn compare_and_swap_against_delete() {
    model(|live| {
        let map = Arc::new(map_with(live, &[], &[1]));
        let other = Arc::clone(&map);
        let t = thread::spawn(move || other.load_and_delete(&1).map(|v| v.value));
        let swapped = map.compare_and_swap(&1, &Counted::new(1, live), Counted::new(2, live));
        let deleted = t.join().unwrap();
        settle(&map);
        match (swapped, deleted) {
            (true, Some(2)) | (false, Some(1)) => {}
            outcome => panic!("not linearizable: {outcome:?}"),
        }
        assert_eq!(value_of(&map, 1), None);
    });
}

/// Compare-and-delete against store: a successful compare-and-delete of a key only `dirty` holds
/// takes the key out of `dirty` (Go's issue 40999 for `CompareAndDelete`) while another thread
/// stores the same key. The store must never be lost: either it came first (and the
/// compare-and-delete failed, comparing against it) or it came after and the key holds it.
#[test]
fn compare_and_delete_against_store() {
    model(|live| {
        // Three keys in `dirty`, so that the miss of the lookup does not promote it.
        let map = Arc::new(map_with(live, &[], &[1, 2, 3]));
        let other = Arc::clone(&map);
        let live2 = StdArc::clone(live);
        let t = thread::spawn(move || other.store(1, Counted::new(5, &live2)));
        let deleted = map.compare_and_delete(&1, &Counted::new(1, live));
        t.join().unwrap();
        settle(&map);
        // Whatever the order, the store is the last write that can succeed: it is kept.
        assert_eq!(
            value_of(&map, 1),
            Some(5),
            "the store was lost (deleted: {deleted})"
        );
        map.range(|_, _| true); // promote: a key lost from `dirty` would vanish here
        assert_eq!(value_of(&map, 1), Some(5));
    });
}

/// Compare-and-delete against load-and-delete of one key only `dirty` holds: both take the key
/// out of `dirty` when they win; exactly one wins, and the entry is retired once (the model's
/// drop count catches a double retire).
#[test]
fn compare_and_delete_against_load_and_delete() {
    model(|live| {
        let map = Arc::new(map_with(live, &[], &[1, 2, 3]));
        let other = Arc::clone(&map);
        let t = thread::spawn(move || other.load_and_delete(&1).map(|v| v.value));
        let deleted = map.compare_and_delete(&1, &Counted::new(1, live));
        let loaded = t.join().unwrap();
        settle(&map);
        match (deleted, loaded) {
            (true, None) | (false, Some(1)) => {}
            outcome => panic!("not linearizable: {outcome:?}"),
        }
        assert_eq!(value_of(&map, 1), None);
        assert_eq!(map.len(), 2);
    });
}

/// Range's promotion against store: a range that promotes races with a store of a new key;
/// it visits each key at most once, every key present throughout, and nothing never stored.
#[test]
fn range_promotion_against_store() {
    model(|live| {
        let map = Arc::new(map_with(live, &[1], &[2]));
        let other = Arc::clone(&map);
        let live2 = StdArc::clone(live);
        let t = thread::spawn(move || other.store(3, Counted::new(3, &live2)));
        let mut seen = Vec::new();
        map.range(|k, v| {
            assert_eq!(*k, v.value);
            seen.push(*k);
            true
        });
        t.join().unwrap();
        settle(&map);
        seen.sort_unstable();
        assert!(seen == [1, 2] || seen == [1, 2, 3], "range saw {seen:?}");
        assert_eq!(map.len(), 3);
    });
}

/// Clear against store: the store survives (it came after the clear) or not (before it), and
/// the map is consistent either way.
#[test]
fn clear_against_store() {
    model(|live| {
        let map = Arc::new(map_with(live, &[1], &[2]));
        let other = Arc::clone(&map);
        let live2 = StdArc::clone(live);
        let t = thread::spawn(move || other.store(1, Counted::new(10, &live2)));
        map.clear();
        t.join().unwrap();
        settle(&map);
        assert_eq!(value_of(&map, 2), None, "cleared and not written again");
        let one = value_of(&map, 1);
        assert!(one.is_none() || one == Some(10), "{one:?}");
        assert_eq!(map.len(), usize::from(one.is_some()));
    });
}

/// Miss counting against promotion: two threads miss `read` at once on keys that only `dirty`
/// holds; every miss is counted against the right `dirty`, promotion happens once `misses`
/// reaches its length, and `misses` restarts. (Misses of absent keys that the new-key summary
/// rules out take no lock and count nothing.)
#[test]
fn miss_counting_against_promotion() {
    model(|live| {
        let map = Arc::new(map_with(live, &[], &[1, 2]));
        let other = Arc::clone(&map);
        let t = thread::spawn(move || value_of(&other, 1));
        assert_eq!(value_of(&map, 2), Some(2));
        assert_eq!(t.join().unwrap(), Some(1));
        settle(&map);
        let stats = map.stats();
        assert_eq!(
            (stats.promotions, stats.misses, stats.amended),
            (1, 0, false)
        );
        assert_eq!((value_of(&map, 1), value_of(&map, 2)), (Some(1), Some(2)));
    });
}

/// A lock-free miss against the store of a new key: one thread stores key 3, which `read` lacks,
/// while the other looks it up (a miss the new-key summary may answer without `mu`), then
/// load-or-stores it under `mu`, then looks it up again. Once either call has seen the key, the
/// lookup must see it too: its bit in the summary was set before the key went into `dirty`. The
/// planted bug `new_key_noted_late` sets the bit after `mu` is released, and this model finds
/// the interleaving in which the last lookup misses a key the load-or-store has just loaded.
#[test]
fn miss_against_store_of_a_new_key() {
    model(|live| {
        // `read` holds 1 and is amended by 2, so a miss of 3 consults the summary.
        let map = Arc::new(map_with(live, &[1], &[2]));
        let other = Arc::clone(&map);
        let live2 = StdArc::clone(live);
        let t = thread::spawn(move || other.store(3, Counted::new(3, &live2)));
        a_new_key_once_seen_stays_seen(&map, 3, live);
        t.join().unwrap();
        settle(&map);
        // Stored or loaded, the thread's store is the last write of key 3.
        assert_eq!(value_of(&map, 3), Some(3));
    });
}
