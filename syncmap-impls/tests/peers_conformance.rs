//! The conformance kit of `syncmap-core` on the peers' adapters: the trait's contract holds for maps
//! this project did not write, through their own APIs.

use syncmap_core::conformance::{self, Config, KitKey, KitValue, MapFamily};
use syncmap_impls::DefaultHashBuilder;
use syncmap_impls::peers::{DashMapAdapter, PapayaAdapter, SccHashIndexAdapter, SccHashMapAdapter};

/// Fewer cases than the kit's default, so four peers pass in seconds in a debug build; the
/// crates' own suites run the full default on syncmap's maps.
fn config() -> Config {
    Config {
        cases: if cfg!(miri) { 4 } else { 96 },
        ops_per_thread: 300,
        ..Config::default()
    }
}

struct DashMapFamily;
impl MapFamily for DashMapFamily {
    type Map<K: KitKey, V: KitValue> = DashMapAdapter<K, V, DefaultHashBuilder>;
    fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> {
        DashMapAdapter::with_hasher(DefaultHashBuilder::default())
    }
}

struct PapayaFamily;
impl MapFamily for PapayaFamily {
    type Map<K: KitKey, V: KitValue> = PapayaAdapter<K, V, DefaultHashBuilder>;
    fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> {
        PapayaAdapter::with_hasher(DefaultHashBuilder::default())
    }
}

struct SccHashIndexFamily;
impl MapFamily for SccHashIndexFamily {
    type Map<K: KitKey, V: KitValue> = SccHashIndexAdapter<K, V, DefaultHashBuilder>;
    fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> {
        SccHashIndexAdapter::with_hasher(DefaultHashBuilder::default())
    }
}

struct SccHashMapFamily;
impl MapFamily for SccHashMapFamily {
    type Map<K: KitKey, V: KitValue> = SccHashMapAdapter<K, V, DefaultHashBuilder>;
    fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> {
        SccHashMapAdapter::with_hasher(DefaultHashBuilder::default())
    }
}

#[test]
fn dashmap_adapter_keeps_the_contract() {
    conformance::run_all::<DashMapFamily>(&config());
}

#[test]
fn papaya_adapter_keeps_the_contract() {
    conformance::run_all::<PapayaFamily>(&config());
}

/// Every check but `check_reentrant_closures`: scc's epoch collector (sdd) may run the `Drop` of
/// a value retired earlier inside a later scc call, while that call holds a bucket lock; a `Drop`
/// that re-enters the map (the check's drop hook) can then deadlock on that lock. No adapter can
/// prevent it, so `SccHashIndexAdapter` is for values whose `Drop` leaves the map alone, as the
/// benchmark's `u64`s do.
#[test]
fn scc_hashindex_adapter_keeps_the_contract_but_reentrant_drops() {
    let config = config();
    conformance::check_sequential::<SccHashIndexFamily>(&config);
    conformance::check_disjoint_writers::<SccHashIndexFamily>(&config);
    conformance::check_cas_counter::<SccHashIndexFamily>(&config);
    conformance::check_concurrent_range::<SccHashIndexFamily>(&config);
    conformance::check_range_nested_calls::<SccHashIndexFamily>(&config);
    conformance::check_panicking_closures::<SccHashIndexFamily>(&config);
    conformance::check_drop_counts::<SccHashIndexFamily>(&config);
}

#[test]
fn scc_hashmap_adapter_keeps_the_contract() {
    conformance::run_all::<SccHashMapFamily>(&config());
}
