//! The conformance kit: checks that any [`ConcurrentMap`](crate::ConcurrentMap) implementation
//! keeps the trait's contract, runnable with one call from your own tests.
//!
//! Available with the cargo feature `conformance`:
//!
//! ```toml
//! [dev-dependencies]
//! syncmap-core = { version = "0.1", features = ["conformance"] }
//! ```
//!
//! # Running the kit on your map
//!
//! Describe your map as a [`MapFamily`] (the kit builds maps of several key and value types), then
//! call [`run_all`] from a test. Every check builds fresh maps; each runs on its own thread under
//! [`Config::deadlock_timeout`], so a deadlock fails the test instead of hanging it.
//!
//! ```
//! use syncmap_core::conformance::{self, Config, KitKey, KitValue, MapFamily};
//! use syncmap_impls::MutexMap;
//!
//! /// `MutexMap` as the kit sees it.
//! struct MutexMapFamily;
//!
//! impl MapFamily for MutexMapFamily {
//!     type Map<K: KitKey, V: KitValue> = MutexMap<K, V>;
//!
//!     fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> {
//!         MutexMap::new()
//!     }
//! }
//!
//! // In a real test, `Config::default()`: 10,000 cases per differential check.
//! let quick = Config { cases: 64, ops_per_thread: 200, ..Config::default() };
//! conformance::run_all::<MutexMapFamily>(&quick);
//! ```
//!
//! On failure the kit panics with the name of the check, the family, and what went wrong; the
//! differential checks shrink a failing operation sequence to a minimal one and print it with the
//! seed that found it (set [`Config::seed`] to replay it).
//!
//! # The checks
//!
//! | check | what it asserts |
//! | --- | --- |
//! | [`check_sequential`] | random sequences of every method, compared result by result and by final contents with a `HashMap` model |
//! | [`check_disjoint_writers`] | threads writing disjoint keys lose nothing: each key ends with its last value, `len` is exact |
//! | [`check_cas_counter`] | a counter raised by `compare_and_swap` loops (and `update`, `compute`) from several threads sums exactly |
//! | [`check_concurrent_range`] | `range` during concurrent writes visits each key at most once, never a key never stored, and every key left untouched |
//! | [`check_range_nested_calls`] | a `range` callback that calls every other method of the map gets the expected results (Go's `TestMapRangeNestedCall`) |
//! | [`check_reentrant_closures`] | every closure-taking method, and the `Drop` of a replaced value, may call back into the map, writes included, without deadlock |
//! | [`check_panicking_closures`] | after a closure panics, the map still matches the model, leaks nothing and keeps working |
//! | [`check_drop_counts`] | every key and value instance created is dropped exactly once by the time the map is dropped |
//! | [`check_hash_panics_while_growing`] | a key's `Hash` that panics while the map grows or rehashes loses no other key |
//! | [`check_bounded_memory_with_idle_threads`] | values removed by a thread that then idles or exits are dropped within [`IDLE_DROP_BOUND`] operations of another thread |
//!
//! [`check_against`] holds one family to another on identical sequences; it is not part of
//! [`run_all`] because it needs two. The differential machinery is public for other tests:
//! [`Op`] and its strategies [`op_strategy`] and [`ops_strategy`], [`apply_op`], and
//! [`diff_against_model`].
//!
//! # Cost
//!
//! With [`Config::default`], [`run_all`] on `MutexMap` takes about 5 seconds in a debug build on
//! a loaded 2-core machine (the panic check, which unwinds thousands of times, and the sequential
//! check take most of it); set `SYNCMAP_CONFORMANCE_CASES` to trade thoroughness for time. Under
//! Miri the defaults shrink to a handful of cases.

mod concurrent;
mod config;
mod counted;
mod differential;
mod drops;
mod encoding;
mod family;
mod harness;
mod hash_panics;
mod idle;
mod op;
mod panics;
mod reentrant;
mod sequential;

/// The proptest the kit's strategies are built with, so that tests composing [`op_strategy`] or
/// [`ops_strategy`] need not pin a matching version.
pub use proptest;

pub use concurrent::{check_cas_counter, check_concurrent_range, check_disjoint_writers};
pub use config::{CASES_ENV_VAR, Config};
pub use differential::{Mismatch, apply_op, diff_against_model};
pub use drops::check_drop_counts;
pub use family::{KitKey, KitValue, MapFamily};
pub use hash_panics::check_hash_panics_while_growing;
pub use idle::{IDLE_DROP_BOUND, check_bounded_memory_with_idle_threads};
pub use op::{ComputeAction, KEYS, MAX_OPS, Op, Outcome, VALUE_RANGE, op_strategy, ops_strategy};
pub use panics::check_panicking_closures;
pub use reentrant::{check_range_nested_calls, check_reentrant_closures};
pub use sequential::{check_against, check_sequential};

/// Runs every check of the kit on family `F`, one after the other.
///
/// # Panics
///
/// At the first failing check, with a message that names it (`syncmap conformance check
/// `check_...` failed for ...`).
///
/// ```
/// use syncmap_core::conformance::{run_all, Config, KitKey, KitValue, MapFamily};
/// use syncmap_impls::RwLockMap;
///
/// struct RwLockMapFamily;
/// impl MapFamily for RwLockMapFamily {
///     type Map<K: KitKey, V: KitValue> = RwLockMap<K, V>;
///     fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> {
///         RwLockMap::new()
///     }
/// }
///
/// run_all::<RwLockMapFamily>(&Config { cases: 32, ops_per_thread: 100, ..Config::default() });
/// ```
pub fn run_all<F: MapFamily>(config: &Config) {
    check_sequential::<F>(config);
    check_disjoint_writers::<F>(config);
    check_cas_counter::<F>(config);
    check_concurrent_range::<F>(config);
    check_range_nested_calls::<F>(config);
    check_reentrant_closures::<F>(config);
    check_panicking_closures::<F>(config);
    check_drop_counts::<F>(config);
    check_hash_panics_while_growing::<F>(config);
    check_bounded_memory_with_idle_threads::<F>(config);
}
