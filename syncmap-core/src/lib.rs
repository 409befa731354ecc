//! The [`ConcurrentMap`] trait of [syncmap](https://docs.rs/syncmap): Go's `sync.Map` vocabulary
//! as one Rust trait, with its contract, and (under the cargo feature `conformance`) a public
//! conformance kit that checks any implementation against that contract.
//!
//! Most users depend on the `syncmap` facade, which re-exports this crate together with the maps
//! (`MutexMap`, `RwLockMap`, `SyncMap`) and `#[derive(SyncRegistry)]`. Implementors of new maps
//! depend on this crate alone.

#![deny(missing_docs, missing_debug_implementations, unsafe_op_in_unsafe_fn)]
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod concurrent_map;
#[cfg(feature = "conformance")]
#[cfg_attr(docsrs, doc(cfg(feature = "conformance")))]
pub mod conformance;
mod load_or_store;

pub use concurrent_map::ConcurrentMap;
pub use load_or_store::LoadOrStore;
