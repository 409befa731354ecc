//! The syncmap benchmark program, as a library so its tests can drive the workloads directly.
//!
//! - [`go_suite`]: the twelve workloads of Go 1.19's `sync/map_bench_test.go`, with Go's
//!   constants, loops and checks, and Go's figure (wall-clock time over all threads' operations).
//! - [`mixes`]: the conc-map-bench mixes ReadHeavy, Exchange and RapidGrow, in Mops/s.
//! - [`maps`]: the maps under test and their hashers (dashmap, papaya and scc through the
//!   library's own adapters, `syncmap::peers`).
//! - [`registry_suite`]: a field read from a `#[derive(SyncRegistry)]` registry against
//!   `ArcSwap<Config>` and `RwLock<Config>`.
//! - [`harness`]: Go's `RunParallel` and `b.N` calibration on OS threads.
//! - [`go_side`]: `--with-go`, Go 1.19's own suite run and parsed.
//! - `cache` (feature `cache`): the cache benchmark, `--bin cache-bench`: hit ratio and
//!   throughput of moka and quick_cache behind one `Contender` trait.
//! - [`run`], [`record`], [`output`]: the run, its rows, and the table, CSV, JSON, Markdown
//!   and SVG outputs.
//!
//! Run it with `cargo run --release -p syncmap-bench -- --help`.

#![deny(missing_docs)]
// One call is allowed by name: `harness::settle_allocator`'s `malloc_trim`.
#![deny(unsafe_code)]

#[cfg(feature = "cache")]
pub mod cache;
pub mod cli;
pub mod go_side;
pub mod go_suite;
pub mod harness;
pub mod machine;
pub mod maps;
pub mod mixes;
pub mod output;
pub mod record;
pub mod registry_suite;
pub mod run;
