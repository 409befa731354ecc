//! Cache fields: `map` fields that are bounded, expire, load once per key, and count.
//!
//! ```
//! use std::collections::HashMap;
//! use std::time::Duration;
//! use syncmap::{Registry, SyncRegistry};
//!
//! #[derive(SyncRegistry)]
//! struct Lookups {
//!     /// User names by id: 10,000 at most, each for 5 minutes.
//!     #[registry(cache(capacity = 10_000, ttl = Duration::from_secs(300)))]
//!     names: HashMap<u64, String>,
//!     /// Not a cache: configuration next to the caches.
//!     #[registry(default = 3)]
//!     retries: u32,
//! }
//!
//! let lookups: LookupsRegistry = Registry::from_defaults().unwrap();
//! let name = lookups
//!     .get_or_load_names(7, |id| format!("user {id}")) // runs once, however many threads ask
//!     .unwrap();
//! assert_eq!(name, "user 7");
//! assert_eq!(lookups.names(&7).as_deref(), Some("user 7"));
//! assert_eq!(lookups.names_cache().stats().loads, 1);
//! ```
//!
//! # The attribute
//!
//! `#[registry(cache(capacity = N, ...))]` on a `HashMap<K, V>` field (it implies `map`):
//!
//! - `capacity = N`: the most entries held, or the most weight with a weigher;
//! - `weigher = f`: `fn(&K, &V) -> u64`, an entry's weight (bytes, say) instead of 1;
//! - `ttl = d`: a `Duration`; an entry expires `d` after it was stored;
//! - `tti = d`: a `Duration`; an entry expires `d` after it was last read or stored;
//! - `expire_after = f`: `fn(&K, &V) -> Option<Duration>`, an entry's own time to live.
//!
//! The field keeps every accessor of a `map` field (`names(&k)`, `store_names`,
//! `delete_names`, ...), and gains `get_or_load_names(k, loader)`,
//! `try_get_or_load_names(k, fallible_loader)` and `names_cache()` (a [`CacheField`]: statistics,
//! size, listener, clock).
//!
//! # What the registry promises for a cache field
//!
//! - **Bounded, with no slack.** Writes are serialized by the registry's writer lock and each
//!   write evicts before it returns, so the weight never exceeds the capacity, under any number
//!   of writing threads. An entry heavier than the whole capacity is turned away (its listener
//!   is told [`EvictionCause::Capacity`]).
//! - **Expired entries are never returned**, by any accessor, snapshot or `range`. They are
//!   reclaimed by writes, a few per write, or all at once by [`CacheField::purge_expired`]; no
//!   background thread is involved. Time to idle is refreshed by reads at a granularity of 1% of
//!   it, so an entry may expire up to that much early, never late.
//! - **Reads take no lock.** On the default `SyncMap` backend a hit is a lock-free read plus, on
//!   an entry's first three hits only, a one-byte store (S3-FIFO's frequency, see the policy
//!   notes below); counters are striped per thread.
//! - **Not changes.** Filling, evicting, expiring, even storing or deleting an entry of a cache
//!   field publishes no version and no change event and wakes no subscriber: a cache holds
//!   derived data, and a configuration registry's watchers should not wake for it. A cache
//!   field is still part of the registry's state: a snapshot holds its live entries, consistent
//!   with every other field (a registry with cache fields takes its snapshots under the writer
//!   lock), and a whole-struct store replaces its entries. Two snapshots at one version can
//!   differ in their caches. A fleet does not share cache fields (it shares changes).
//! - **`<field>_len()`** counts the live entries (a walk); [`CacheField::entry_count`] is the
//!   constant-time count of entries held, expired ones not yet reclaimed included.
//! - **Statistics** count reads through the registry's accessors (getters, `contains_*`,
//!   `get_or_load_*`, and the read that `load_or_store_*_with` makes first).
//! - **Listeners** run after the write that removed the entry, outside every lock, on a
//!   thread that has just written (the one that removed it, unless a concurrent writer drained
//!   the queue first); the entries one thread hands over arrive in removal order.
//!
//! # Single-flight loading
//!
//! `get_or_load_<field>(key, loader)` returns the live entry, or runs `loader` once however many
//! threads ask for `key` at once: the others wait and get its value. Loaders of different keys
//! run in parallel. A loader's error goes to every waiter and is not cached; a loader that panics
//! wakes the waiters with [`LoadErrorKind::Panicked`] (the panic goes on in the loader's thread)
//! and leaves the cache usable; a loader that asks for its own key gets
//! [`LoadErrorKind::Recursive`] instead of a deadlock. (A cycle through two keys on two threads
//! is not detected.)
//!
//! # The eviction policy
//!
//! S3-FIFO: see the notes of the policy's module in the source (`src/cache/policy.rs`), and
//! `bench-reports/cache.md` for its hit ratios beside moka's and quick_cache's.

mod clock;
mod config;
mod entry;
mod error;
mod field;
mod flight;
mod policy;
mod state;
mod stats;

pub use clock::ManualClock;
pub use config::CacheConfig;
pub use entry::{Cached, EntryMeta};
pub use error::{EvictionCause, LoadError, LoadErrorKind};
pub use field::{CacheField, CacheOps};
pub use stats::CacheStats;

pub(crate) use state::Caches;
pub(crate) use stats::Event;
