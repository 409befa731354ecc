//! # syncmap
//!
//! Go's `sync.Map`, brought to Rust and taken further.
//!
//! - [`ConcurrentMap`]: one trait in Go's vocabulary (`load`, `store`, `load_or_store`,
//!   `load_and_delete`, `delete`, `swap`, `compare_and_swap`, `compare_and_delete`, `range`,
//!   `clear`, plus `len` and friends) with a documented contract, so code is written once and
//!   the map chosen by a type parameter.
//! - [`MutexMap`] and [`RwLockMap`]: one `HashMap` behind one lock, the seed's `mutexMap.go`.
//! - [`SyncMap`]: Go's `sync.Map`, the read/dirty design, whose reads of stable keys take no
//!   lock; its docs teach the design.
//!
//! ```
//! use syncmap::{ConcurrentMap, MutexMap};
//! use std::thread;
//!
//! let map = MutexMap::new();
//! thread::scope(|s| {
//!     for t in 0..4u64 {
//!         let map = &map;
//!         s.spawn(move || {
//!             for i in 0..100 {
//!                 map.store(t * 100 + i, i);
//!             }
//!         });
//!     }
//! });
//! assert_eq!(map.len(), 400);
//! ```

#![deny(missing_docs, missing_debug_implementations, unsafe_op_in_unsafe_fn)]
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

pub use syncmap_core::{ConcurrentMap, LoadOrStore};
pub use syncmap_impls::{DefaultHashBuilder, MutexMap, RwLockMap, SyncMap, SyncMapStats};

#[doc = include_str!("registry/REFERENCE.md")]
#[cfg(feature = "derive")]
pub use syncmap_derive::SyncRegistry;

pub mod registry;

/// The ecosystem's maps behind [`ConcurrentMap`] (features `dashmap`, `papaya`, `scc`).
#[cfg(any(feature = "dashmap", feature = "papaya", feature = "scc"))]
pub use syncmap_impls::peers;

pub mod cache;

#[cfg(feature = "config")]
pub mod config;

#[cfg(feature = "fleet")]
pub mod fleet;

pub use crate::registry::{
    Batch, Change, ChangesSince, Defaults, FieldChange, FieldInfo, FieldKind, LeafField,
    MissingFields, Registry, RegistryStruct, RegistrySubscription, SecretValue, ValidationError,
};
pub use secrecy::{ExposeSecret, SecretBox, SecretString};

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

/// The README's code blocks, run as doctests so that the README cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
