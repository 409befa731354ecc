//! The state machine of the read/dirty design, walked step by step and observed through
//! [`SyncMap::stats`].

use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use syncmap_core::{ConcurrentMap, LoadOrStore};

use super::{SyncMap, SyncMapStats};

/// The statistics, after checking the invariants that tie them together.
fn stats<K: std::hash::Hash + Eq, V, S: std::hash::BuildHasher>(
    map: &SyncMap<K, V, S>,
) -> SyncMapStats {
    map.check_invariants().expect("invariants hold");
    map.stats()
}

/// Keys 1 to 9: deleting one of them leaves too few deleted entries for a rebuild to compact
/// `read` (fewer than one in eight), so the deleted entry takes Go's lazy path.
const NINE: [u32; 9] = [1, 2, 3, 4, 5, 6, 7, 8, 9];

/// A map with `keys` promoted into `read` and no `dirty`.
fn promoted(keys: &[u32]) -> SyncMap<u32, u32> {
    let map = SyncMap::new();
    for &k in keys {
        map.store(k, k);
    }
    map.range(|_, _| true); // a range promotes an amended map
    let s = stats(&map);
    assert_eq!(
        (s.read_len, s.dirty_len, s.amended),
        (keys.len(), None, false)
    );
    map
}

#[test]
fn a_new_key_rebuilds_dirty_and_amends_read() {
    let map = promoted(&[1, 2]);
    let before = stats(&map);
    map.store(3, 3);
    let after = stats(&map);
    assert!(after.amended);
    assert_eq!(after.dirty_rebuilds, before.dirty_rebuilds + 1);
    assert_eq!(
        after.dirty_len,
        Some(3),
        "dirty copies read and adds the new key"
    );
    assert_eq!(after.read_len, 2);
}

#[test]
fn storing_a_key_in_read_takes_the_lock_free_path() {
    let map = promoted(&[1, 2]);
    let rebuilds = stats(&map).dirty_rebuilds;
    map.store(1, 10);
    let s = stats(&map);
    assert_eq!(
        (s.amended, s.dirty_len, s.dirty_rebuilds),
        (false, None, rebuilds)
    );
    assert_eq!(map.load(&1), Some(10));
}

#[test]
fn promotion_happens_exactly_when_misses_reach_len_dirty() {
    let map = promoted(&[]);
    for k in 0..3 {
        map.store(k, k);
    }
    assert_eq!(stats(&map).dirty_len, Some(3));
    let promotions = stats(&map).promotions;
    assert_eq!(map.load(&0), Some(0));
    assert_eq!(map.load(&1), Some(1));
    let s = stats(&map);
    assert_eq!((s.misses, s.promotions, s.amended), (2, promotions, true));
    assert_eq!(map.load(&2), Some(2));
    let s = stats(&map);
    assert_eq!((s.misses, s.promotions), (0, promotions + 1));
    assert_eq!((s.read_len, s.dirty_len, s.amended), (3, None, false));
    // Now every hit is served by `read` and counts no miss.
    assert_eq!(map.load(&2), Some(2));
    assert_eq!(stats(&map).misses, 0);
}

#[test]
fn a_miss_the_new_key_summary_rules_out_takes_no_lock_and_counts_nothing() {
    let map = promoted(&(0..1000).collect::<Vec<_>>());
    for k in 1000..1010 {
        map.store(k, k); // ten new keys: `dirty` is rebuilt and `read` amended
    }
    for k in 5000..6000 {
        assert_eq!(map.load(&k), None);
        assert!(!map.delete(&k));
    }
    let s = stats(&map);
    assert!(s.amended);
    // 10 of the summary's 4096 bits are set: about 5 of the 2000 misses share one and lock. A
    // map without the summary locks for all of them and promotes `dirty` at the 1010th.
    assert!(s.misses < 100, "{} misses locked", s.misses);
    assert_eq!(s.promotions, 1, "only `promoted`'s range promoted");
    // Keys that `dirty` does hold are still found, under the lock, and counted.
    assert_eq!(map.load(&1005), Some(1005));
    assert!(stats(&map).misses >= 1);
}

#[test]
fn a_miss_without_amended_read_takes_no_lock_and_counts_nothing() {
    let map = promoted(&[1]);
    assert_eq!(map.load(&5), None);
    assert_eq!(stats(&map).misses, 0);
}

#[test]
fn rebuilding_dirty_expunges_a_few_deleted_entries_and_promotion_drops_them() {
    let map = promoted(&NINE);
    assert!(map.delete(&1)); // lazy: the entry stays in read as nil
    let s = stats(&map);
    assert_eq!((s.read_len, s.expunged), (9, 0));
    map.store(10, 10); // rebuild: 1 is expunged and left out of dirty, but stays in read
    let s = stats(&map);
    assert_eq!((s.read_len, s.dirty_len, s.expunged), (9, Some(9), 1));
    map.range(|_, _| true); // promote
    let s = stats(&map);
    assert_eq!(
        (s.read_len, s.expunged),
        (9, 0),
        "the expunged key is gone from read"
    );
    assert_eq!(map.load(&1), None);
}

/// The keys `1..=n`, promoted into `read`, of which `1..=deleted` are then deleted.
fn promoted_with_deleted(n: u32, deleted: u32) -> SyncMap<u32, u32> {
    let map = promoted(&(1..=n).collect::<Vec<_>>());
    for k in 1..=deleted {
        assert!(map.delete(&k));
    }
    map
}

#[test]
fn a_rebuild_that_expunges_many_entries_publishes_a_read_without_them() {
    let map = promoted_with_deleted(128, 64); // half: enough to compact
    let before = stats(&map);
    map.store(200, 200); // rebuild: 1 to 64 are expunged, a `read` of 65 to 128 is published
    let s = stats(&map);
    assert_eq!((s.read_len, s.dirty_len, s.expunged), (64, Some(65), 0));
    assert_eq!(s.read_compactions, before.read_compactions + 1);
    assert_eq!(s.promotions, before.promotions, "not a promotion");
    assert!(s.amended, "200 is in dirty only");
    assert_eq!(
        (map.load(&1), map.load(&65), map.load(&200)),
        (None, Some(65), Some(200))
    );
    map.store(1, 11); // the old entry left the map: a new one, in dirty
    assert_eq!(stats(&map).dirty_len, Some(66));
    map.range(|_, _| true);
    let s = stats(&map);
    assert_eq!((s.read_len, s.dirty_len), (66, None));
    assert_eq!(map.load(&1), Some(11));
}

#[test]
fn a_rebuild_that_expunges_few_entries_keeps_them_in_read() {
    // 63 of 64: too few in absolute terms, however large a share.
    let map = promoted_with_deleted(64, 63);
    map.store(200, 200);
    let s = stats(&map);
    assert_eq!((s.expunged, s.read_compactions), (63, 0));
    // 64 of 600: too small a share.
    let map = promoted_with_deleted(600, 64);
    map.store(1000, 1000);
    let s = stats(&map);
    assert_eq!((s.expunged, s.read_compactions), (64, 0));
}

/// A compacting rebuild retires the deleted entries at once, while a reader that found one
/// before its delete may still read its key (a `String`, whose heap bytes Miri checks): the
/// entry must outlive that reader's guard. The values are `u64`s, whose first value gives up its
/// share of the entry at its delete, so nothing but the entry's own retirement keeps it: freeing
/// the dead entries at once, instead of retiring them, is a use after free Miri reports here.
#[test]
fn a_reader_keeps_an_entry_that_a_compacting_rebuild_retires() {
    let map: SyncMap<String, u64> = SyncMap::new();
    map.store("one".to_owned(), 1);
    for k in 0..64 {
        map.store(format!("k{k}"), k);
    }
    map.range(|_, _| true);
    let mut seen = Vec::new();
    map.range(|key, _| {
        if key == "one" {
            for k in 0..64 {
                assert!(map.delete(format!("k{k}").as_str()));
            }
            assert!(map.delete("one"));
            map.store("three".to_owned(), 3); // compacting rebuild: entry "one" leaves the map
            let s = map.stats();
            assert_eq!(
                (s.read_len, s.expunged),
                (0, 0),
                "the rebuild compacted read"
            );
        }
        seen.push(key.clone());
        true
    });
    assert!(seen.contains(&"one".to_owned()), "{seen:?}");
    assert_eq!(map.load("one"), None);
    assert_eq!(map.len(), 1);
}

/// The compacting rebuild publishes a new `read` in the middle of the store that triggered it;
/// the store must note its key in that `read`, not in the one it started with, or lock-free
/// lookups through the new `read` miss the key (the planted bug `stale_read_after_compaction`).
#[test]
fn a_key_added_by_a_compacting_rebuild_is_found_without_the_lock() {
    let map = promoted_with_deleted(64, 64);
    map.store(100, 100); // compacting rebuild
    let s = stats(&map);
    assert_eq!((s.read_len, s.amended), (0, true));
    assert_eq!(
        map.load(&100),
        Some(100),
        "the new key is missed through the new read"
    );
    assert!(map.contains_key(&100));
    assert_eq!(map.len(), 1);
}

#[test]
fn storing_an_expunged_key_unexpunges_it_into_dirty() {
    let map = promoted(&NINE);
    map.delete(&1);
    map.store(10, 10);
    assert_eq!(stats(&map).expunged, 1);
    map.store(1, 11); // takes the lock, puts the entry back into dirty
    let s = stats(&map);
    assert_eq!((s.expunged, s.dirty_len), (0, Some(10)));
    map.range(|_, _| true);
    assert_eq!(map.load(&1), Some(11), "the key survives the promotion");
    assert_eq!(map.len(), 10);
}

/// A key whose `Hash` panics once its thread's countdown reaches zero.
#[derive(Clone, Debug, PartialEq, Eq)]
struct FragileKey(u32);

std::thread_local! {
    static HASHES_BEFORE_PANIC: std::cell::Cell<Option<u32>> = const { std::cell::Cell::new(None) };
}

impl std::hash::Hash for FragileKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        HASHES_BEFORE_PANIC.with(|left| match left.get() {
            Some(0) => {
                left.set(None);
                panic!("planned Hash panic");
            }
            Some(n) => left.set(Some(n - 1)),
            None => {}
        });
        self.0.hash(state);
    }
}

/// Issue 14, point 1: reviving an expunged entry used to hash its key a second time to put it
/// back into `dirty`, and a panic there left the entry live in `read` but absent from `dirty`,
/// where a later store vanished at the next promotion. Entries now carry their key's hash, so
/// the revival runs no `Hash` at all: a key that panics on its second hash is stored, and the
/// store survives the promotion.
#[test]
fn reviving_an_expunged_key_hashes_it_once_and_keeps_the_store() {
    let map: SyncMap<FragileKey, u32> = SyncMap::new();
    for k in NINE {
        map.store(FragileKey(k), k);
    }
    map.range(|_, _| true); // all in `read`
    map.delete(&FragileKey(1));
    map.store(FragileKey(10), 10); // rebuilds `dirty`: key 1 is expunged, lazily
    assert_eq!(stats(&map).expunged, 1);
    // One `Hash` call allowed: the lock-free look's. The second look under `mu` and the
    // re-insertion into `dirty` reuse it.
    HASHES_BEFORE_PANIC.with(|left| left.set(Some(1)));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        map.store(FragileKey(1), 10);
    }));
    HASHES_BEFORE_PANIC.with(|left| left.set(None));
    assert!(outcome.is_ok(), "the store hashed its key more than once");
    map.check_invariants().unwrap();
    assert_eq!(stats(&map).expunged, 0);
    map.range(|_, _| true); // promotes
    assert_eq!(map.load(&FragileKey(1)), Some(10));
    assert_eq!(map.len(), 10);
}

#[test]
fn a_deleted_but_not_expunged_key_is_revived_in_place() {
    let map = promoted(&[1]);
    map.delete(&1);
    assert_eq!(map.load_or_store(1, 5), LoadOrStore::Stored(5));
    let s = stats(&map);
    assert_eq!((s.dirty_len, s.amended), (None, false), "no lock needed");
}

#[test]
fn compare_and_swap_fails_on_absent_deleted_and_expunged_keys() {
    let map = promoted(&NINE);
    assert!(!map.compare_and_swap(&70, &70, 8), "absent");
    map.delete(&1);
    assert!(!map.compare_and_swap(&1, &1, 8), "deleted");
    map.store(10, 10);
    assert_eq!(stats(&map).expunged, 1);
    assert!(!map.compare_and_swap(&1, &1, 8), "expunged");
    assert!(!map.compare_and_delete(&1, &1));
    assert!(map.compare_and_swap(&2, &2, 20));
    assert!(map.compare_and_swap(&10, &10, 30), "a key only in dirty");
    assert_eq!(
        (map.load(&2), map.load(&10), map.load(&1)),
        (Some(20), Some(30), None)
    );
}

#[test]
fn load_and_delete_of_a_dirty_only_key_removes_it_from_dirty() {
    let map = promoted(&[1]);
    map.store(2, 2);
    assert_eq!(stats(&map).dirty_len, Some(2));
    assert_eq!(map.load_and_delete(&2), Some(2));
    let s = stats(&map);
    // Removed from dirty (Go's fix of issue 40999), and the miss promoted what remained.
    assert_eq!(s.dirty_len, None);
    assert_eq!(s.read_len, 1);
}

#[test]
fn issue_40999_churn_beside_one_long_lived_key_stays_bounded() {
    let map = SyncMap::new();
    map.store(u64::MAX, 0);
    for key in 0..if cfg!(miri) { 500 } else { 100_000 } {
        map.store(key, key);
        assert_eq!(map.load_and_delete(&key), Some(key));
        let s = stats(&map);
        // Checked at every step, so a leak fails at once instead of after a quadratic run.
        let size = s.read_len + s.dirty_len.unwrap_or(0);
        assert!(size <= 8, "internal size grew to {size} after {key} keys");
    }
    assert_eq!(map.len(), 1);
}

#[test]
fn compare_and_delete_churn_beside_one_long_lived_key_stays_bounded() {
    // Go 1.20 to 1.23 leak here: a successful CompareAndDelete leaves the key in `dirty`.
    let map = SyncMap::new();
    map.store(u64::MAX, 0);
    for key in 0..if cfg!(miri) { 500 } else { 100_000 } {
        map.store(key, key);
        assert!(map.compare_and_delete(&key, &key));
        let s = stats(&map);
        let size = s.read_len + s.dirty_len.unwrap_or(0);
        assert!(size <= 8, "internal size grew to {size} after {key} keys");
    }
    assert_eq!(map.len(), 1);
    map.check_invariants().unwrap();
}

#[test]
fn a_failed_compare_and_delete_keeps_a_dirty_key() {
    let map = promoted(&[1]);
    map.store(2, 2);
    assert!(!map.compare_and_delete(&2, &3));
    assert_eq!(map.load(&2), Some(2));
    assert!(map.compare_and_delete(&2, &2));
    assert_eq!(map.load(&2), None);
    map.store(2, 4);
    assert_eq!(map.load(&2), Some(4));
    map.check_invariants().unwrap();
}

#[test]
fn clear_empties_read_and_dirty() {
    let map = promoted(&[1, 2]);
    map.store(3, 3);
    map.clear();
    let s = stats(&map);
    assert_eq!(
        (s.read_len, s.dirty_len, s.amended, s.misses),
        (0, None, false, 0)
    );
    assert!(map.is_empty());
    map.store(1, 1);
    assert_eq!(map.load(&1), Some(1));
}

#[test]
fn range_promotes_an_amended_map_first() {
    let map = promoted(&[1]);
    map.store(2, 2);
    let mut seen = Vec::new();
    map.range(|k, v| {
        seen.push((*k, *v));
        true
    });
    seen.sort_unstable();
    assert_eq!(seen, [(1, 1), (2, 2)]);
    assert!(!stats(&map).amended);
}

/// A value that counts its live instances.
#[derive(Debug)]
struct Counted(Arc<AtomicUsize>);

impl Counted {
    fn new(live: &Arc<AtomicUsize>) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(live))
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Self::new(&self.0)
    }
}

impl PartialEq for Counted {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn deleted_values_are_dropped_while_the_map_lives_and_all_at_its_drop() {
    let live = Arc::new(AtomicUsize::new(0));
    let map = SyncMap::new();
    let n = 64;
    for k in 0..n {
        map.store(k, Counted::new(&live));
    }
    map.range(|_, _| true);
    for k in 0..n {
        assert!(map.delete(&k));
    }
    for k in 0..n {
        map.store(k, Counted::new(&live)); // replaced values are retired too
        map.store(k, Counted::new(&live));
    }
    let still_live = live.load(Ordering::SeqCst);
    assert!(
        still_live < 2 * n as usize,
        "{still_live} live: deleted and replaced values must be freed before the map drops"
    );
    drop(map);
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

/// A value that marks itself dropped, so that a reader can tell whether the value it holds was
/// dropped under it (an atomic, so the reader's load after the drop is really made).
struct Canary(AtomicBool);

impl Drop for Canary {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

#[test]
fn a_deleted_first_value_with_drop_glue_outlives_its_readers() {
    let map = SyncMap::new();
    map.store(1, Canary(AtomicBool::new(true))); // the entry's first value, inside its allocation
    // A miss that reaches len(dirty) = 1 promotes: the key is then in `read`, and the delete
    // below unlinks its value without the lock.
    map.load_with(&1, |_| ());
    assert!(!stats(&map).amended);
    let alive_after_delete = map.load_with(&1, |held| {
        assert!(map.delete(&1));
        held.0.load(Ordering::SeqCst)
    });
    assert_eq!(
        alive_after_delete,
        Some(true),
        "the deleted value was dropped while a reader held it"
    );
}

/// Deletes `deleted` of 64 `u64` keys, each under a reader, then adds a key, whose rebuild of
/// `dirty` expunges the deleted entries, and promotes. Returns the expunged entries `read` kept
/// after the rebuild: 0 when the rebuild compacted `read`.
fn delete_first_values_then_rebuild(deleted: u64) -> usize {
    let map = SyncMap::new();
    for k in 0..64_u64 {
        map.store(k, k);
    }
    map.range(|_, _| true);
    for k in 0..deleted {
        let seen = map.load_with(&k, |held| {
            assert!(map.delete(&k));
            *held
        });
        assert_eq!(seen, Some(k), "a reader's value changed under it");
    }
    let before = stats(&map);
    map.store(64, 64); // a new key: the rebuild of `dirty` expunges the deleted entries
    let kept_expunged = stats(&map).expunged;
    map.range(|_, _| true); // the promotion retires what `read` kept
    let after = stats(&map);
    assert_eq!(after.dirty_rebuilds, before.dirty_rebuilds + 1);
    assert_eq!(after.promotions, before.promotions + 1);
    assert_eq!((after.read_len, after.expunged), (65 - deleted as usize, 0));
    for k in 0..deleted {
        map.store(k, k + 1); // new entries for the old keys
    }
    map.range(|_, _| true);
    for k in 0..64 {
        let expected = if k < deleted { k + 1 } else { k };
        assert_eq!(map.load(&k), Some(expected));
    }
    map.check_invariants().unwrap();
    kept_expunged
}

#[test]
fn a_deleted_first_value_without_drop_glue_gives_up_its_share_at_once() {
    // `u64` has no drop glue: each delete gives the first value's share of its entry up at once
    // (no retirement). The entries are then expunged by a rebuild, and retired either by it (it
    // compacts `read`) or by the promotion (Go's lazy path); each allocation must still be
    // freed exactly once, after its readers: Miri checks the allocations' lives, this test the
    // values read meanwhile and the path taken.
    assert_eq!(delete_first_values_then_rebuild(64), 0, "compacted");
    assert_eq!(delete_first_values_then_rebuild(7), 7, "lazy");
}

/// The oracle the stress and model-checking tests rely on: each invariant it checks, broken on
/// purpose (and then repaired, so the map still drops cleanly), is reported.
#[test]
fn check_invariants_reports_each_broken_invariant() {
    fn broken(map: &SyncMap<u32, u32>, what: &str) {
        let report = map.check_invariants().expect_err(what);
        assert!(report.contains(what), "expected {what:?}, got {report:?}");
    }

    // Without a dirty: misses, an expunged entry, an amended `read`.
    let map = promoted(&[1, 2]);
    map.mu.lock().misses = 1;
    broken(&map, "misses without a dirty");
    map.mu.lock().misses = 0;
    map.delete(&1);
    let guard = map.reclaimer.enter();
    let read_m = &map.load_read(&guard).m;
    let entry_1 = read_m
        .find(BuildHasher::hash_one(&map.hasher, 1), &1, &guard)
        .expect("key 1 is in read");
    assert!(entry_1.get(&guard).try_expunge_locked());
    broken(&map, "expunged entries without a dirty");
    assert!(entry_1.get(&guard).unexpunge_locked());
    map.check_invariants().expect("repaired");

    // With a dirty: too many misses, an expunged entry in it, an entry of `read` missing from it.
    map.store(3, 3); // rebuilds dirty (expunging the deleted key 1) and amends read
    map.check_invariants().expect("a consistent dirty");
    let dirty_len = map.stats().dirty_len.expect("a dirty");
    map.mu.lock().misses = dirty_len;
    broken(&map, "misses did not promote");
    map.mu.lock().misses = 0;
    let taken = map.mu.lock().dirty.take();
    broken(&map, "read is amended but there is no dirty");
    map.mu.lock().dirty = taken;
    let hash_2 = BuildHasher::hash_one(&map.hasher, 2);
    let entry_2 = map
        .mu
        .lock()
        .dirty
        .as_mut()
        .unwrap()
        .remove(hash_2, &2, &guard)
        .unwrap();
    broken(&map, "an entry of read is live and not in dirty");
    map.mu
        .lock()
        .dirty
        .as_mut()
        .unwrap()
        .insert_unique(entry_2, &guard);
    map.delete(&2); // in read and dirty (the same entry): now nil in both
    assert!(entry_2.get(&guard).try_expunge_locked());
    broken(&map, "an expunged entry is in dirty");
    assert!(entry_2.get(&guard).unexpunge_locked());
    drop(guard);
    map.check_invariants().expect("repaired");
}

#[test]
fn from_iter_and_extend_store_every_pair() {
    let map: SyncMap<u32, u32> = (0..4).map(|k| (k, 10 * k)).collect();
    assert_eq!(map.len(), 4);
    assert_eq!(map.load(&3), Some(30));
}

/// The lock-free paths really are lock-free: with `mu` held by this very thread (so that taking
/// it again panics instead of waiting), every operation that Go serves from `read` alone
/// completes. A miss on a `read` that is not amended must not look under the lock.
#[test]
fn read_only_paths_never_take_mu() {
    let map = promoted(&[1, 2]);
    let held = map.mu.lock();
    assert_eq!(map.load(&1), Some(1));
    assert_eq!(map.load(&7), None, "a miss on an unamended read");
    assert!(!map.contains_key(&7));
    map.store(1, 10); // present in read: a compare-and-swap on the entry
    assert_eq!(map.swap(1, 11), Some(10));
    assert!(map.compare_and_swap(&1, &11, 12));
    assert_eq!(map.load_or_store(2, 20), LoadOrStore::Loaded(2));
    assert_eq!(map.load_and_delete(&2), Some(2));
    assert!(!map.delete(&7));
    assert!(!map.compare_and_delete(&7, &0));
    drop(held);
    assert_eq!(stats(&map).misses, 0);
}

#[test]
fn the_reclaimer_prints_its_epoch() {
    let map = promoted(&[1]);
    let printed = format!("{:?}", map.reclaimer);
    assert!(
        printed.starts_with("Reclaimer { epoch: ") && printed.ends_with(", .. }"),
        "{printed}"
    );
}

/// A hasher that cannot be cloned.
#[derive(Default)]
struct UnclonableHasher(crate::DefaultHashBuilder);

impl std::hash::BuildHasher for UnclonableHasher {
    type Hasher = <crate::DefaultHashBuilder as std::hash::BuildHasher>::Hasher;

    fn build_hasher(&self) -> Self::Hasher {
        self.0.build_hasher()
    }
}

/// Rebuilding `dirty` copies a table of pointers and hashes and runs no user code: the hasher
/// is the map's, and no table holds a clone. (A first version cloned the hasher with the table,
/// under `mu`; when that `Clone` panicked, the offered value leaked, and later the offer was
/// dropped but the store still failed.) `SyncMap` asks for no `S: Clone` at all, so a hasher
/// without `Clone` compiles, and every path that rebuilt, promoted or cleared with a clone runs.
#[test]
fn rebuilding_dirty_never_clones_the_hasher() {
    let live = Arc::new(AtomicUsize::new(0));
    let map = SyncMap::with_hasher(UnclonableHasher::default());
    map.store(1_u32, Counted::new(&live));
    map.range(|_, _| true); // promoted: the next new key rebuilds `dirty`
    let rebuilds_before = map.stats().dirty_rebuilds;
    map.store(2, Counted::new(&live));
    map.range(|_, _| true); // promotes again
    map.store(3, Counted::new(&live)); // and rebuilds again
    assert_eq!(map.stats().dirty_rebuilds, rebuilds_before + 2);
    map.check_invariants().unwrap();
    assert_eq!(map.len(), 3);
    assert_eq!(live.load(Ordering::SeqCst), 3);
    map.clear(); // builds an empty `read`, which cloned the hasher too
    assert_eq!(map.len(), 0);
    map.store(1, Counted::new(&live));
    map.store(2, Counted::new(&live));
    assert!(!map.load_or_store(3, Counted::new(&live)).is_loaded());
    drop(map);
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

/// A `read` of up to `MAX_KEYS` keys is looked up through its small index, a larger one
/// through its table, and both find every key they hold and nothing else: present keys, absent
/// keys, deleted keys (an entry without a value), and keys added to `dirty` since.
#[test]
fn small_and_large_reads_find_exactly_their_keys() {
    use super::small_index::MAX_KEYS;
    for n in 0..=(MAX_KEYS as u32 + 4) {
        let keys: Vec<u32> = (0..n).map(|k| k * 7919).collect();
        // A fixed seed: with a random one, about one map in 7,000 of 16 keys has hashes that no
        // multiplier separates and falls back to the table, which this test would call a bug.
        let map = SyncMap::with_hasher(foldhash::fast::FixedState::with_seed(1));
        for &k in &keys {
            map.store(k, k);
        }
        map.range(|_, _| true); // promotes
        {
            let guard = map.reclaimer.enter();
            let read = map.load_read(&guard);
            assert_eq!(read.is_indexed(), n as usize <= MAX_KEYS, "{n} keys");
        }
        for &k in &keys {
            assert_eq!(map.load(&k), Some(k), "key {k} of {n}");
        }
        for absent in (0..n + 3).map(|k| k * 7919 + 1) {
            assert_eq!(map.load(&absent), None, "absent key {absent} of {n}");
        }
        if let Some(&first) = keys.first() {
            assert!(map.delete(&first));
            assert_eq!(map.load(&first), None);
        }
        map.store(1, 1); // a new key: into dirty, found under the lock
        assert_eq!(map.load(&1), Some(1));
        map.check_invariants().unwrap();
    }
}

/// A hasher that gives every key the same hash.
#[derive(Clone, Default)]
struct OneHash;

impl std::hash::BuildHasher for OneHash {
    type Hasher = OneHasher;

    fn build_hasher(&self) -> OneHasher {
        OneHasher
    }
}

struct OneHasher;

impl std::hash::Hasher for OneHasher {
    fn finish(&self) -> u64 {
        0x5eed
    }

    fn write(&mut self, _: &[u8]) {}
}

/// Equal hashes: a `read` of one key is indexed and a different key with that hash misses it;
/// a `read` of two keys with one hash cannot be separated, uses its table, and finds both.
#[test]
fn keys_with_one_hash_are_told_apart_with_or_without_the_small_index() {
    let map = SyncMap::with_hasher(OneHash);
    map.store(1_u32, 10_u32);
    map.range(|_, _| true);
    {
        let guard = map.reclaimer.enter();
        assert!(map.load_read(&guard).is_indexed());
    }
    assert_eq!(map.load(&1), Some(10));
    assert_eq!(map.load(&2), None);
    map.store(2, 20);
    map.range(|_, _| true);
    {
        let guard = map.reclaimer.enter();
        assert!(!map.load_read(&guard).is_indexed());
    }
    assert_eq!(map.load(&1), Some(10));
    assert_eq!(map.load(&2), Some(20));
    assert_eq!(map.load(&3), None);
    map.check_invariants().unwrap();
}
