//! The maps under test, their names on the command line, and the hasher each one gets.

use std::collections::hash_map::RandomState as StdRandomState;
use std::hash::BuildHasher;
use std::time::Duration;

use syncmap::{DefaultHashBuilder, MutexMap, RwLockMap, SyncMap};

use crate::go_suite::{BenchMap, GoWorkload};
use crate::harness::{Budget, Sample, calibrate, measure, settle_allocator};
use crate::mixes::Mix;
use syncmap::peers::{DashMapAdapter, PapayaAdapter, SccHashIndexAdapter, SccHashMapAdapter};

/// A map the benchmark runs, by its name in the CSV (`syncmap`, `mutexmap`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MapName {
    /// `syncmap::SyncMap`, Go's read/dirty design.
    SyncMap,
    /// `syncmap::MutexMap`.
    MutexMap,
    /// `syncmap::RwLockMap`.
    RwLockMap,
    /// dashmap 6.
    DashMap,
    /// papaya 0.2.
    Papaya,
    /// scc 3: `HashIndex` on read-mostly workloads (where the key set barely changes after
    /// setup: LoadMostlyHits, LoadMostlyMisses, the three collision workloads, Range, ReadHeavy),
    /// `HashMap` on the others, as scc's documentation advises.
    Scc,
    /// scc's `HashIndex` on every workload.
    SccIndex,
    /// scc's `HashMap` on every workload.
    SccMap,
}

/// Which hasher the maps get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hashers {
    /// [`syncmap::DefaultHashBuilder`] (foldhash) for every map, so designs are compared, not
    /// hashers.
    Same,
    /// Each map's own default: foldhash for syncmap's maps, `std`'s SipHash `RandomState` for
    /// dashmap, papaya and scc.
    OwnDefault,
}

/// What to run on a map: one of Go's workloads or one of the mixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Workload {
    /// A workload of Go's `map_bench_test.go`.
    Go(GoWorkload),
    /// A conc-map-bench mix.
    Mix(Mix),
}

impl Workload {
    /// The workload's name.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Go(w) => w.name(),
            Workload::Mix(m) => m.name(),
        }
    }

    /// `true` if the map the workload builds grows with the number of operations, so that its
    /// cost per operation depends on how many run: Go's `LoadOrStoreBalanced` and
    /// `LoadOrStoreUnique` store a fresh key in every other or every call, and each mix's key
    /// slices are sized for all its inserts. Every map of one row of such a workload runs the
    /// same number of operations (see `run::run`).
    ///
    /// ```
    /// use syncmap_bench::go_suite::GoWorkload;
    /// use syncmap_bench::maps::Workload;
    /// use syncmap_bench::mixes::Mix;
    ///
    /// assert!(Workload::Go(GoWorkload::LoadOrStoreUnique).grows_with_ops());
    /// assert!(Workload::Mix(Mix::ReadHeavy).grows_with_ops());
    /// assert!(!Workload::Go(GoWorkload::LoadMostlyHits).grows_with_ops());
    /// ```
    pub fn grows_with_ops(self) -> bool {
        match self {
            Workload::Go(w) => matches!(
                w,
                GoWorkload::LoadOrStoreBalanced | GoWorkload::LoadOrStoreUnique
            ),
            Workload::Mix(_) => true,
        }
    }

    /// `true` for read-mostly workloads (see [`MapName::Scc`]).
    pub fn read_mostly(self) -> bool {
        match self {
            Workload::Go(w) => w.read_mostly(),
            Workload::Mix(m) => m.read_mostly(),
        }
    }

    /// The suite the workload belongs to: `go` or `mixes`.
    pub fn suite(self) -> &'static str {
        match self {
            Workload::Go(_) => "go",
            Workload::Mix(_) => "mixes",
        }
    }

    /// One timed run of about `n` operations on a fresh map from `make`.
    pub fn run_on<M: BenchMap>(
        self,
        make: &dyn Fn() -> M,
        threads: usize,
        n: u64,
        previous: Option<(u64, Duration)>,
    ) -> Result<Sample, String> {
        let sample = match self {
            Workload::Go(w) => w.run(make, threads, n, previous),
            Workload::Mix(m) => m.run(make, threads, n),
        };
        // The map is dropped by now: its memory goes back before the next run (of any map).
        settle_allocator();
        sample
    }
}

impl MapName {
    /// Every map, in the order of the tables.
    pub const ALL: [MapName; 8] = [
        MapName::SyncMap,
        MapName::MutexMap,
        MapName::RwLockMap,
        MapName::DashMap,
        MapName::Papaya,
        MapName::Scc,
        MapName::SccIndex,
        MapName::SccMap,
    ];

    /// The maps run when `--map` is not given (scc once, as the workload picks).
    pub const DEFAULT: [MapName; 6] = [
        MapName::SyncMap,
        MapName::MutexMap,
        MapName::RwLockMap,
        MapName::DashMap,
        MapName::Papaya,
        MapName::Scc,
    ];

    /// The name in the CSV and on the command line.
    ///
    /// ```
    /// use syncmap_bench::maps::MapName;
    /// assert_eq!(MapName::RwLockMap.name(), "rwlockmap");
    /// assert_eq!(MapName::from_name("DashMap"), Some(MapName::DashMap));
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            MapName::SyncMap => "syncmap",
            MapName::MutexMap => "mutexmap",
            MapName::RwLockMap => "rwlockmap",
            MapName::DashMap => "dashmap",
            MapName::Papaya => "papaya",
            MapName::Scc => "scc",
            MapName::SccIndex => "scc-hashindex",
            MapName::SccMap => "scc-hashmap",
        }
    }

    /// The map named `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// Measures `workload` on this map, on `threads` threads, with a fresh map built with the
    /// chosen hasher for every run (see [`crate::harness::measure`]).
    ///
    /// ```
    /// use syncmap_bench::go_suite::GoWorkload;
    /// use syncmap_bench::harness::Budget;
    /// use syncmap_bench::maps::{Hashers, MapName, Workload};
    ///
    /// let w = Workload::Go(GoWorkload::LoadMostlyHits);
    /// let sample = MapName::Papaya.measure(w, Hashers::Same, 2, Budget::Ops(200), 1).unwrap();
    /// assert_eq!(sample.ops, 200);
    /// ```
    pub fn measure(
        self,
        workload: Workload,
        hashers: Hashers,
        threads: usize,
        budget: Budget,
        repeat: usize,
    ) -> Result<Sample, String> {
        measure(budget, repeat, |n, previous| {
            self.run_n(workload, hashers, threads, n, previous)
        })
    }

    /// The warm-up of [`measure`](Self::measure) (see [`crate::harness::calibrate`]): returns
    /// the last run, whose `ops` is the number of operations to measure with.
    pub fn calibrate(
        self,
        workload: Workload,
        hashers: Hashers,
        threads: usize,
        budget: Budget,
    ) -> Result<Sample, String> {
        calibrate(budget, |n, previous| {
            self.run_n(workload, hashers, threads, n, previous)
        })
    }

    /// One counted run of `workload` on a fresh map, of as many operations as `previous` (the
    /// calibration, or the run before), which also sizes Go-style batches.
    ///
    /// ```
    /// use syncmap_bench::go_suite::GoWorkload;
    /// use syncmap_bench::harness::Budget;
    /// use syncmap_bench::maps::{Hashers, MapName, Workload};
    ///
    /// let w = Workload::Go(GoWorkload::LoadMostlyHits);
    /// let warm_up = MapName::SyncMap.calibrate(w, Hashers::Same, 2, Budget::Ops(300)).unwrap();
    /// let sample = MapName::SyncMap.run_once(w, Hashers::Same, 2, warm_up).unwrap();
    /// assert_eq!(sample.ops, 300);
    /// ```
    pub fn run_once(
        self,
        workload: Workload,
        hashers: Hashers,
        threads: usize,
        previous: Sample,
    ) -> Result<Sample, String> {
        let last = Some((previous.ops, previous.elapsed));
        self.run_n(workload, hashers, threads, previous.ops, last)
    }

    /// One run of `n` operations on a fresh map with the chosen hashers.
    fn run_n(
        self,
        workload: Workload,
        hashers: Hashers,
        threads: usize,
        n: u64,
        previous: Option<(u64, Duration)>,
    ) -> Result<Sample, String> {
        let plan = Plan {
            workload,
            threads,
            n,
            previous,
        };
        match hashers {
            Hashers::Same => self.measure_with::<DefaultHashBuilder, DefaultHashBuilder>(plan),
            Hashers::OwnDefault => self.measure_with::<DefaultHashBuilder, StdRandomState>(plan),
        }
    }

    /// `Own` hashes syncmap's maps, `Peer` the peers'.
    fn measure_with<Own, Peer>(self, plan: Plan) -> Result<Sample, String>
    where
        Own: BuildHasher + Default + Clone + Send + Sync,
        Peer: BuildHasher + Default + Clone + Send + Sync,
    {
        let scc_index = match self {
            MapName::Scc => plan.workload.read_mostly(),
            MapName::SccIndex => true,
            _ => false,
        };
        match self {
            MapName::SyncMap => plan.run(&|| SyncMap::<u64, u64, Own>::with_hasher(Own::default())),
            MapName::MutexMap => {
                plan.run(&|| MutexMap::<u64, u64, Own>::with_hasher(Own::default()))
            }
            MapName::RwLockMap => {
                plan.run(&|| RwLockMap::<u64, u64, Own>::with_hasher(Own::default()))
            }
            MapName::DashMap => {
                plan.run(&|| DashMapAdapter::<u64, u64, Peer>::with_hasher(Peer::default()))
            }
            MapName::Papaya => {
                plan.run(&|| PapayaAdapter::<u64, u64, Peer>::with_hasher(Peer::default()))
            }
            MapName::Scc | MapName::SccIndex | MapName::SccMap if scc_index => {
                plan.run(&|| SccHashIndexAdapter::<u64, u64, Peer>::with_hasher(Peer::default()))
            }
            MapName::Scc | MapName::SccIndex | MapName::SccMap => {
                plan.run(&|| SccHashMapAdapter::<u64, u64, Peer>::with_hasher(Peer::default()))
            }
        }
    }
}

/// One run to make, whatever the map: `n` operations, after a run of `previous` (ops, time).
#[derive(Clone, Copy, Debug)]
struct Plan {
    workload: Workload,
    threads: usize,
    n: u64,
    previous: Option<(u64, Duration)>,
}

impl Plan {
    fn run<M: BenchMap>(self, make: &dyn Fn() -> M) -> Result<Sample, String> {
        self.workload
            .run_on(make, self.threads, self.n, self.previous)
    }
}
