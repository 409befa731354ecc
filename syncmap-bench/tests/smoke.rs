//! Every workload on every map for a few hundred operations, on 1 and 2 threads, with Go's
//! checks armed; and proof that those checks catch a map that breaks Go's expectations.

use std::borrow::Borrow;
use std::hash::Hash;

use syncmap::{ConcurrentMap, LoadOrStore, MutexMap};
use syncmap_bench::go_suite::GoWorkload;
use syncmap_bench::harness::Budget;
use syncmap_bench::maps::{Hashers, MapName, Workload};
use syncmap_bench::mixes::Mix;

/// Small enough for a debug build, large enough for every loop to wrap around its key space
/// (Range and AdversarialDelete act every 1024 operations).
const OPS: u64 = if cfg!(miri) { 20 } else { 300 };

fn every_workload() -> Vec<Workload> {
    GoWorkload::ALL
        .into_iter()
        .map(Workload::Go)
        .chain(Mix::ALL.into_iter().map(Workload::Mix))
        .collect()
}

#[test]
fn every_workload_passes_its_checks_on_every_map() {
    for map in MapName::ALL {
        for workload in every_workload() {
            for threads in [1, 2] {
                let sample = map
                    .measure(workload, Hashers::Same, threads, Budget::Ops(OPS), 1)
                    .unwrap_or_else(|e| {
                        panic!(
                            "{} on {}, {threads} threads: {e}",
                            workload.name(),
                            map.name()
                        )
                    });
                assert!(
                    sample.ops >= OPS,
                    "{} on {}: {} ops",
                    workload.name(),
                    map.name(),
                    sample.ops
                );
            }
        }
    }
}

#[test]
fn every_map_runs_with_its_own_default_hasher() {
    let workload = Workload::Go(GoWorkload::LoadOrStoreBalanced);
    for map in MapName::ALL {
        map.measure(workload, Hashers::OwnDefault, 2, Budget::Ops(OPS), 1)
            .unwrap_or_else(|e| panic!("{}: {e}", map.name()));
    }
}

#[test]
fn adversarial_delete_crosses_its_period() {
    // i % 1024 == 0 happens at thread 0's first index and again after 1024 operations.
    let workload = Workload::Go(GoWorkload::AdversarialDelete);
    for map in MapName::ALL {
        map.measure(workload, Hashers::Same, 2, Budget::Ops(2_100), 1)
            .unwrap_or_else(|e| panic!("{}: {e}", map.name()));
    }
}

/// A map that breaks one of Go's expectations on purpose.
#[derive(Debug, Default)]
struct Broken {
    inner: MutexMap<u64, u64>,
    /// `load_or_store` never finds anything: LoadOrStoreBalanced misses its 128 hits.
    forgetful: bool,
    /// `load_or_store` claims every fresh key was already there.
    lying_stores: bool,
    /// `delete` reports success whether or not the key was there.
    lying_deletes: bool,
}

impl ConcurrentMap<u64, u64> for Broken {
    fn load_with<Q, R, F>(&self, key: &Q, f: F) -> Option<R>
    where
        u64: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        F: FnOnce(&u64) -> R,
    {
        if self.forgetful {
            None
        } else {
            self.inner.load_with(key, f)
        }
    }
    fn store(&self, key: u64, value: u64) {
        self.inner.store(key, value);
    }
    fn load_or_store(&self, key: u64, value: u64) -> LoadOrStore<u64> {
        if self.forgetful {
            return LoadOrStore::Stored(value);
        }
        match self.inner.load_or_store(key, value) {
            LoadOrStore::Stored(v) if self.lying_stores => LoadOrStore::Loaded(v),
            other => other,
        }
    }
    fn load_or_store_with<F: FnOnce() -> u64>(&self, key: u64, make: F) -> LoadOrStore<u64> {
        self.load_or_store(key, make())
    }
    fn load_and_delete<Q>(&self, key: &Q) -> Option<u64>
    where
        u64: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.load_and_delete(key)
    }
    fn delete<Q>(&self, key: &Q) -> bool
    where
        u64: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let deleted = self.inner.delete(key);
        deleted || self.lying_deletes
    }
    fn swap(&self, key: u64, value: u64) -> Option<u64> {
        self.inner.swap(key, value)
    }
    fn compare_and_swap<Q>(&self, key: &Q, old: &u64, new: u64) -> bool
    where
        u64: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.compare_and_swap(key, old, new)
    }
    fn compare_and_delete<Q>(&self, key: &Q, old: &u64) -> bool
    where
        u64: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.compare_and_delete(key, old)
    }
    fn range<F: FnMut(&u64, &u64) -> bool>(&self, f: F) {
        self.inner.range(f);
    }
    fn clear(&self) {
        self.inner.clear();
    }
    fn len(&self) -> usize {
        self.inner.len()
    }
}

fn run_broken(workload: GoWorkload, make: fn() -> Broken) -> Result<(), String> {
    workload.run(&make, 2, OPS, None).map(|_| ())
}

#[test]
fn load_or_store_balanced_fails_when_a_hit_is_missed() {
    let err = run_broken(GoWorkload::LoadOrStoreBalanced, || Broken {
        forgetful: true,
        ..Broken::default()
    })
    .expect_err("a map that forgets its keys must fail");
    assert!(err.contains("unexpected miss for"), "{err}");
}

#[test]
fn load_or_store_balanced_fails_when_a_fresh_key_loads() {
    let err = run_broken(GoWorkload::LoadOrStoreBalanced, || Broken {
        lying_stores: true,
        ..Broken::default()
    })
    .expect_err("a map that loads fresh keys must fail");
    assert!(err.contains("failed to store"), "{err}");
}

#[test]
fn load_mostly_hits_fails_when_loads_miss() {
    let err = run_broken(GoWorkload::LoadMostlyHits, || Broken {
        forgetful: true,
        ..Broken::default()
    })
    .expect_err("a map whose loads miss must fail");
    assert!(err.contains("loads hit, expected"), "{err}");
}

#[test]
fn delete_collision_fails_when_two_deletes_succeed() {
    let err = run_broken(GoWorkload::DeleteCollision, || Broken {
        lying_deletes: true,
        ..Broken::default()
    })
    .expect_err("a map whose every delete succeeds must fail");
    assert!(err.contains("expected exactly 1"), "{err}");
}

#[test]
fn the_same_map_unbroken_passes() {
    // So the failures above come from the breakage, not from the workloads.
    for workload in [
        GoWorkload::LoadOrStoreBalanced,
        GoWorkload::LoadMostlyHits,
        GoWorkload::DeleteCollision,
    ] {
        run_broken(workload, Broken::default).unwrap();
    }
    Mix::ReadHeavy.run(&Broken::default, 1, OPS).unwrap();
}

#[test]
fn mixes_fail_on_a_map_that_loses_keys() {
    let make = || Broken {
        forgetful: true,
        ..Broken::default()
    };
    let err = Mix::ReadHeavy
        .run(&make, 1, OPS)
        .expect_err("reads of present keys must find them");
    assert!(err.contains("expected true"), "{err}");
}
