//! The ecosystem's concurrent maps behind [`ConcurrentMap`](syncmap_core::ConcurrentMap), each
//! behind a cargo feature of its name: code written against the trait switches to the map that
//! wins its workload by changing one type.
//!
//! | adapter | feature | design | pick it for |
//! | --- | --- | --- | --- |
//! | [`DashMapAdapter`] | `dashmap` | sharded `RwLock<HashMap>`s | churn: inserts, deletes and swaps of many keys from many threads (the Exchange, RapidGrow and LoadOrStore rows of `bench-reports/latest.md`) |
//! | [`PapayaAdapter`] | `papaya` | lock-free table, incremental resize | read-heavy work that also grows, when no operation may block |
//! | [`SccHashIndexAdapter`] | `scc` | lock-free reads, copy-on-write entries | read-mostly data with small values |
//! | [`SccHashMapAdapter`] | `scc` | bucket locks, in-place updates | write-heavy work on many keys |
//!
//! [`SyncMap`](crate::SyncMap) stays the pick for keys written once and read many times, its
//! design's best case (`LoadMostlyHits`, `LoadMostlyMisses`, and a registry's fields).
//!
//! Each adapter implements every method of the trait with the peer's own API, keeping the
//! contract, and passes the conformance kit but for the deviations below:
//!
//! - **Atomicity** comes from the peer: `compare_and_swap` and `compare_and_delete` use the
//!   peer's entry, compute or `remove_if` call, so the comparison and the write happen at one
//!   instant, never as a separate load followed by a store.
//! - **No user closure under a lock.** Where the peer would run a closure under one of its locks
//!   (dashmap's shard guards, `scc::HashMap`'s bucket locks), the adapter clones the value out
//!   first and calls the closure afterwards; `range` copies the entries out the same way.
//!   papaya and `scc::HashIndex` read without locks, so their adapters call closures in place.
//!
//! # Deviations from the contract
//!
//! - When a key is already present, dashmap and scc drop the offered duplicate *key* inside
//!   their lock (`store`, `load_or_store`): a key type whose `Drop` calls back into the map can
//!   deadlock there.
//! - scc's epoch collector may run the `Drop` of a value retired earlier inside a later call,
//!   while that call holds a bucket lock ([`SccHashIndexAdapter`], [`SccHashMapAdapter`]): a
//!   value whose `Drop` calls back into the map can deadlock. `Drop`s without side effects on the
//!   map (the common case) are unaffected.
//! - papaya and `scc::HashIndex` free what a thread removed in that thread's own batches
//!   ([`PapayaAdapter`], [`SccHashIndexAdapter`]): a thread that removes values and then goes
//!   idle or exits keeps them alive (the kit's `check_bounded_memory_with_idle_threads` fails).
//! - After a key's `Hash` panics in the middle of papaya's incremental resize, later operations
//!   on the map never finish ([`PapayaAdapter`]; the kit's `check_hash_panics_while_growing`
//!   reports a deadlock): keep `Hash` from panicking there.
//!
//! Each adapter's test (`syncmap-impls/tests/peers_conformance.rs`) runs every other check.
//!
//! The adapters need `V: Clone` for every method (they hand values out of a guard by cloning),
//! and papaya's and scc's need `K: Clone` (their compute and update calls take an owned key).

#[cfg(feature = "dashmap")]
mod dashmap;
#[cfg(feature = "papaya")]
mod papaya;
#[cfg(feature = "scc")]
mod scc_index;
#[cfg(feature = "scc")]
mod scc_map;

#[cfg(feature = "dashmap")]
pub use self::dashmap::DashMapAdapter;
#[cfg(feature = "papaya")]
pub use self::papaya::PapayaAdapter;
#[cfg(feature = "scc")]
pub use self::scc_index::SccHashIndexAdapter;
#[cfg(feature = "scc")]
pub use self::scc_map::SccHashMapAdapter;
