//! `Debug` of every map shows its entries (and, for `SyncMap`, whether `dirty` holds more), so a
//! failing assertion that prints a map is useful.

use syncmap_core::ConcurrentMap;
use syncmap_impls::{MutexMap, RwLockMap, SyncMap};

#[test]
fn lock_based_maps_print_their_entries() {
    let mutex_map = MutexMap::new();
    mutex_map.store("apples", 3);
    assert_eq!(format!("{mutex_map:?}"), r#"{"apples": 3}"#);
    let rwlock_map = RwLockMap::new();
    rwlock_map.store(7, vec!['x']);
    assert_eq!(format!("{rwlock_map:?}"), "{7: ['x']}");
}

#[test]
fn sync_map_prints_read_and_whether_dirty_holds_more() {
    let map = SyncMap::new();
    map.store("apples", 3);
    map.range(|_, _| true); // promotes `dirty` into `read`
    let promoted = format!("{map:?}");
    assert!(promoted.contains(r#"{"apples": 3}"#), "{promoted}");
    map.store("pears", 4); // only in `dirty`
    let amended = format!("{map:?}");
    assert!(
        amended.contains("apples") && !amended.contains("pears") && amended != promoted,
        "{amended} should show `read` and that `dirty` holds more"
    );
}
