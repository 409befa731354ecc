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
#[cfg_attr(
    miri,
    ignore = "RwLockMap shares MutexMap's code, which has no unsafe; Miri runs MutexMap's test"
)]
fn rwlock_map_conforms() {
    conformance::run_all::<RwLockMapFamily>(&Config::default());
}

#[test]
#[cfg_attr(
    miri,
    ignore = "RwLockMap shares MutexMap's code, which has no unsafe; Miri runs MutexMap's test"
)]
fn rwlock_map_agrees_with_mutex_map() {
    conformance::check_against::<RwLockMapFamily, MutexMapFamily>(&Config::default());
}

#[test]
fn sync_map_conforms() {
    conformance::run_all::<SyncMapFamily>(&Config::default());
}

#[test]
fn sync_map_agrees_with_mutex_map() {
    conformance::check_against::<SyncMapFamily, MutexMapFamily>(&Config::default());
}
