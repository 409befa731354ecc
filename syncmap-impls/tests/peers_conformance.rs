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

/// Every check but the two papaya does not keep (documented in `syncmap::peers`):
/// - `check_hash_panics_while_growing`: after a key's `Hash` panics in the middle of papaya's
///   incremental resize, the next operations never finish (the kit reports a deadlock);
/// - `check_bounded_memory_with_idle_threads`: papaya's collector (seize) frees a thread's
///   retired values in that thread's batches, so a thread that goes idle keeps them.
#[test]
fn papaya_adapter_keeps_the_contract_but_hash_panics_and_idle_threads() {
    let config = config();
    conformance::check_sequential::<PapayaFamily>(&config);
    conformance::check_disjoint_writers::<PapayaFamily>(&config);
    conformance::check_cas_counter::<PapayaFamily>(&config);
    conformance::check_concurrent_range::<PapayaFamily>(&config);
    conformance::check_range_nested_calls::<PapayaFamily>(&config);
    conformance::check_reentrant_closures::<PapayaFamily>(&config);
    conformance::check_panicking_closures::<PapayaFamily>(&config);
    conformance::check_drop_counts::<PapayaFamily>(&config);
}

/// Every check but `check_reentrant_closures` and `check_bounded_memory_with_idle_threads`:
/// scc's epoch collector (sdd) may run the `Drop` of a value retired earlier inside a later scc
/// call, while that call holds a bucket lock, so a `Drop` that re-enters the map (the check's
/// drop hook) can deadlock on that lock; and it frees what a thread retired in that thread's
/// batches, so a thread that goes idle keeps them. No adapter can prevent either, so
/// `SccHashIndexAdapter` is for values whose `Drop` leaves the map alone (the benchmark's
/// `u64`s) and threads that keep working.
#[test]
fn scc_hashindex_adapter_keeps_the_contract_but_reentrant_drops_and_idle_threads() {
    let config = config();
    conformance::check_sequential::<SccHashIndexFamily>(&config);
    conformance::check_disjoint_writers::<SccHashIndexFamily>(&config);
    conformance::check_cas_counter::<SccHashIndexFamily>(&config);
    conformance::check_concurrent_range::<SccHashIndexFamily>(&config);
    conformance::check_range_nested_calls::<SccHashIndexFamily>(&config);
    conformance::check_panicking_closures::<SccHashIndexFamily>(&config);
    conformance::check_drop_counts::<SccHashIndexFamily>(&config);
    conformance::check_hash_panics_while_growing::<SccHashIndexFamily>(&config);
}

#[test]
fn scc_hashmap_adapter_keeps_the_contract() {
    conformance::run_all::<SccHashMapFamily>(&config());
}
