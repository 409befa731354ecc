//! The maps of [syncmap](https://docs.rs/syncmap), each an implementation of
//! [`ConcurrentMap`](syncmap_core::ConcurrentMap):
//!
//! | map | design | choose it when |
//! | --- | --- | --- |
//! | [`MutexMap`] | one `HashMap` behind one mutex (the seed's `mutexMap.go`) | writes are frequent and spread over all keys; you want the simplest exact semantics |
//! | [`RwLockMap`] | one `HashMap` behind one reader-writer lock (Go's `RWMutexMap`) | reads dominate but run on few cores |
//! | [`SyncMap`] | Go's `sync.Map`: a lock-free `read` map beside a locked `dirty` map | keys are written once and read many times, or threads work on disjoint keys |
//!
//! Every map takes a hasher parameter `S: BuildHasher`, defaulting to [`DefaultHashBuilder`].
//!
//! With the features `dashmap`, `papaya` and `scc`, the module `peers` puts those crates' maps
//! behind the same trait, with when to pick each.

#![deny(missing_docs, missing_debug_implementations, unsafe_op_in_unsafe_fn)]
#![doc(test(attr(deny(warnings))))]

mod hashed;
mod locked;
mod mutex_map;
#[cfg(any(feature = "dashmap", feature = "papaya", feature = "scc"))]
pub mod peers;
mod reentrance;
mod rwlock_map;
#[cfg(feature = "serde")]
mod serde_support;
pub mod sync_map;

pub use mutex_map::MutexMap;
pub use rwlock_map::RwLockMap;
pub use sync_map::{SyncMap, SyncMapStats};

/// The default hasher of every map: [`foldhash::fast::RandomState`].
///
/// foldhash is among the fastest general-purpose hashers for short keys (it is hashbrown's
/// default), and each `RandomState` is seeded per process and per instance, so an attacker who
/// does not see hash values cannot aim keys at one bucket. For keys chosen by an adversary who
/// can observe timings, use a keyed cryptographic hasher such as `std`'s `RandomState` instead.
#[cfg(not(loom))]
pub type DefaultHashBuilder = foldhash::fast::RandomState;

/// The default hasher of every map, under the model checker (`--cfg loom`): foldhash with a
/// fixed seed, so that each explored execution hashes, and so iterates, identically.
#[cfg(loom)]
pub type DefaultHashBuilder = foldhash::fast::FixedState;
