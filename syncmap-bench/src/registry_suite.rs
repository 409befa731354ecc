//! The registry suite: one field read from a `#[derive(SyncRegistry)]` registry, against what a
//! user would write instead, `ArcSwap<Config>` then `.field`, and `parking_lot::RwLock<Config>`.
//!
//! Runs use Go's `RunParallel` harness and figure, like the Go suite. `FieldRead` only reads
//! `timeout_secs`; `FieldReadWrite` also stores a new `timeout_secs` once every 1024 operations
//! (thread-local count), the live-reconfiguration case a registry is for.

use std::hint::black_box;

use arc_swap::ArcSwap;
use parking_lot::RwLock;
use syncmap::{ConcurrentMap, MutexMap, Registry, RwLockMap, SyncMap, SyncRegistry};

use crate::harness::{Budget, Pb, Sample, grain_after, measure, run_parallel};

/// The configuration the suite reads: a typical handful of fields.
#[derive(SyncRegistry, Clone, Debug, PartialEq)]
pub struct BenchConfig {
    /// Port to listen on.
    pub port: u16,
    /// Request timeout; the field every run reads.
    pub timeout_secs: u64,
    /// Retries before giving up.
    pub retries: u32,
    /// Name shown in logs.
    pub name: String,
}

/// The value every run starts from.
fn initial() -> BenchConfig {
    BenchConfig {
        port: 8080,
        timeout_secs: 30,
        retries: 3,
        name: "edge".to_owned(),
    }
}

/// A registry workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegistryWorkload {
    /// Read `timeout_secs`, nothing else.
    FieldRead,
    /// Read `timeout_secs`; store it once every 1024 operations of a thread.
    FieldReadWrite,
}

/// What holds the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Holder {
    /// `BenchConfigRegistry` over `SyncMap` (the derive's default backend).
    RegistrySyncMap,
    /// `BenchConfigRegistry` over `RwLockMap`.
    RegistryRwLockMap,
    /// `BenchConfigRegistry` over `MutexMap`.
    RegistryMutexMap,
    /// `ArcSwap<BenchConfig>`: load, then read the field.
    ArcSwap,
    /// `parking_lot::RwLock<BenchConfig>`: read-lock, then read the field.
    RwLock,
}

/// Store a new value once every this many operations in `FieldReadWrite`.
const WRITE_EVERY: u64 = 1024;

impl RegistryWorkload {
    /// Both workloads.
    pub const ALL: [RegistryWorkload; 2] = [
        RegistryWorkload::FieldRead,
        RegistryWorkload::FieldReadWrite,
    ];

    /// The workload's name.
    pub fn name(self) -> &'static str {
        match self {
            RegistryWorkload::FieldRead => "FieldRead",
            RegistryWorkload::FieldReadWrite => "FieldReadWrite",
        }
    }

    /// The workload named `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|w| w.name().eq_ignore_ascii_case(name))
    }
}

impl Holder {
    /// Every holder, in table order.
    pub const ALL: [Holder; 5] = [
        Holder::RegistrySyncMap,
        Holder::RegistryRwLockMap,
        Holder::RegistryMutexMap,
        Holder::ArcSwap,
        Holder::RwLock,
    ];

    /// The name in the CSV's `map` column.
    pub fn name(self) -> &'static str {
        match self {
            Holder::RegistrySyncMap => "registry-syncmap",
            Holder::RegistryRwLockMap => "registry-rwlockmap",
            Holder::RegistryMutexMap => "registry-mutexmap",
            Holder::ArcSwap => "arcswap",
            Holder::RwLock => "rwlock",
        }
    }

    /// Measures `workload` held this way on `threads` threads.
    ///
    /// ```
    /// use syncmap_bench::harness::Budget;
    /// use syncmap_bench::registry_suite::{Holder, RegistryWorkload};
    ///
    /// for holder in Holder::ALL {
    ///     let sample = holder.measure(RegistryWorkload::FieldReadWrite, 2, Budget::Ops(3_000), 1).unwrap();
    ///     assert_eq!(sample.ops, 3_000);
    /// }
    /// ```
    pub fn measure(
        self,
        workload: RegistryWorkload,
        threads: usize,
        budget: Budget,
        repeat: usize,
    ) -> Result<Sample, String> {
        let writes = workload == RegistryWorkload::FieldReadWrite;
        measure(budget, repeat, |n, previous| {
            let grain = grain_after(previous);
            let elapsed = match self {
                Holder::RegistrySyncMap => run_registry(
                    BenchConfigRegistry::from_struct_in(initial(), SyncMap::new())
                        .map_err(|e| e.to_string())?,
                    threads,
                    n,
                    grain,
                    writes,
                ),
                Holder::RegistryRwLockMap => run_registry(
                    BenchConfigRegistry::from_struct_in(initial(), RwLockMap::new())
                        .map_err(|e| e.to_string())?,
                    threads,
                    n,
                    grain,
                    writes,
                ),
                Holder::RegistryMutexMap => run_registry(
                    BenchConfigRegistry::from_struct_in(initial(), MutexMap::new())
                        .map_err(|e| e.to_string())?,
                    threads,
                    n,
                    grain,
                    writes,
                ),
                Holder::ArcSwap => {
                    let config = ArcSwap::from_pointee(initial());
                    run_parallel(threads, n, grain, |pb, i| {
                        loop_with(
                            pb,
                            i,
                            writes,
                            || config.load().timeout_secs,
                            |t| {
                                let mut next = BenchConfig::clone(&config.load());
                                next.timeout_secs = t;
                                config.store(next.into());
                            },
                        )
                    })
                }
                Holder::RwLock => {
                    let config = RwLock::new(initial());
                    run_parallel(threads, n, grain, |pb, i| {
                        loop_with(
                            pb,
                            i,
                            writes,
                            || config.read().timeout_secs,
                            |t| config.write().timeout_secs = t,
                        )
                    })
                }
            }?;
            Ok(Sample { ops: n, elapsed })
        })
    }
}

fn run_registry<M>(
    registry: BenchConfigRegistry<M>,
    threads: usize,
    n: u64,
    grain: u64,
    writes: bool,
) -> Result<std::time::Duration, String>
where
    M: ConcurrentMap<BenchConfigKey, BenchConfigValue> + Send + Sync,
{
    run_parallel(threads, n, grain, |pb, i| {
        loop_with(
            pb,
            i,
            writes,
            || registry.timeout_secs(),
            |t| registry.store_timeout_secs(t),
        )
    })
}

/// One thread's loop: read the field each operation (it must never be unset), and with
/// `writes`, store `30 + i % 7` once every [`WRITE_EVERY`] operations.
fn loop_with(
    pb: &mut Pb<'_>,
    mut i: u64,
    writes: bool,
    read: impl Fn() -> u64,
    write: impl Fn(u64),
) -> Result<(), String> {
    while pb.next() {
        let timeout = black_box(read());
        if !(30..37).contains(&timeout) {
            return Err(format!("read timeout_secs = {timeout}, never stored"));
        }
        if writes && i.is_multiple_of(WRITE_EVERY) {
            write(30 + i % 7);
        }
        i += 1;
    }
    Ok(())
}
