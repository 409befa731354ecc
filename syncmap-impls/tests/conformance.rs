//! The conformance kit of `syncmap-core`, run on every map of this crate with its default
//! configuration (`SYNCMAP_CONFORMANCE_CASES` overrides the case count).

use syncmap_core::conformance::{self, Config, KitKey, KitValue, MapFamily};
use syncmap_impls::{MutexMap, RwLockMap, SyncMap};

/// `MutexMap` with its default hasher.
struct MutexMapFamily;

impl MapFamily for MutexMapFamily {
    type Map<K: KitKey, V: KitValue> = MutexMap<K, V>;

    fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> {
        MutexMap::new()
    }
}

/// `RwLockMap` with its default hasher.
struct RwLockMapFamily;

impl MapFamily for RwLockMapFamily {
    type Map<K: KitKey, V: KitValue> = RwLockMap<K, V>;

    fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> {
        RwLockMap::new()
    }
}

/// `SyncMap` with its default hasher.
struct SyncMapFamily;

impl MapFamily for SyncMapFamily {
    type Map<K: KitKey, V: KitValue> = SyncMap<K, V>;

    fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> {
        SyncMap::new()
    }
}

#[test]
fn mutex_map_conforms() {
    conformance::run_all::<MutexMapFamily>(&Config::default());
}

#[test]
fn rwlock_map_conforms() {
    conformance::run_all::<RwLockMapFamily>(&Config::default());
}

#[test]
fn rwlock_map_agrees_with_mutex_map() {
    conformance::check_against::<RwLockMapFamily, MutexMapFamily>(&Config::default());
}

// SyncMap does not pass yet: `load_or_store_with` runs its builder when the key is present but
// not in `read` (sequence: store, load_or_store_with), and a value whose `Drop` calls back into
// the map recurses without end through reclamation (stack overflow, which aborts this whole test
// binary). Remove the `ignore`s once fixed.
#[test]
#[ignore = "SyncMap fails the kit: load_or_store_with builds for a key present in dirty; Drop re-entrance overflows the stack"]
fn sync_map_conforms() {
    conformance::run_all::<SyncMapFamily>(&Config::default());
}

#[test]
#[ignore = "SyncMap fails the kit: load_or_store_with builds for a key present in dirty"]
fn sync_map_agrees_with_mutex_map() {
    conformance::check_against::<SyncMapFamily, MutexMapFamily>(&Config::default());
}
