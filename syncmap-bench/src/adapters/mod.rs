//! Adapters that put maps we did not write behind [`syncmap::ConcurrentMap`].
//!
//! Each adapter is a newtype over the peer's map that implements every method of the trait with
//! the peer's own API, keeping the trait's contract:
//!
//! - **Atomicity** comes from the peer: `compare_and_swap` and `compare_and_delete` use the
//!   peer's entry, compute or `remove_if` call, so the comparison and the write happen at one
//!   instant, never as a separate load followed by a store.
//! - **No user code under a lock.** Where the peer would run a closure under one of its locks
//!   (dashmap's shard guards, `scc::HashMap`'s bucket locks), the adapter clones the value out
//!   first and calls the closure afterwards; `range` copies the entries out the same way.
//!   papaya and `scc::HashIndex` read without locks, so their adapters call closures in place.
//! - **One known deviation**: when a key is already present, dashmap and scc drop the offered
//!   duplicate *key* inside their lock (`store`, `load_or_store`). The benchmark's keys are `u64`,
//!   which have no `Drop`, so nothing observable runs there.
//!
//! The adapters need `V: Clone` for every method (they hand values out of a guard by cloning),
//! and papaya's and scc's need `K: Clone` (their compute and update calls take an owned key).

mod peer_dashmap;
mod peer_papaya;
mod peer_scc;

pub use peer_dashmap::DashMapAdapter;
pub use peer_papaya::PapayaAdapter;
pub use peer_scc::{SccHashIndexAdapter, SccHashMapAdapter};
