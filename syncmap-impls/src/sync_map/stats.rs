//! [`SyncMapStats`]: the read/dirty design at work, as numbers a user can read.

use super::sync::{AtomicU64, Ordering};

/// A snapshot of a [`SyncMap`](super::SyncMap)'s internal state, from
/// [`SyncMap::stats`](super::SyncMap::stats).
///
/// Taken under the map's lock, so the fields are consistent with each other (the entry counts of
/// `read` are read without stopping lock-free writers and may be one step stale).
///
/// ```
/// use syncmap_core::ConcurrentMap;
/// use syncmap_impls::SyncMap;
///
/// let map = SyncMap::new();
/// map.store("a", 1); // a new key goes to `dirty`, and `read` is marked amended
/// let stats = map.stats();
/// assert!(stats.amended);
/// assert_eq!((stats.read_len, stats.dirty_len), (0, Some(1)));
///
/// assert_eq!(map.load("a"), Some(1)); // a miss in `read`, served by `dirty`...
/// let stats = map.stats();
/// assert_eq!(stats.promotions, 1); // ...and 1 miss reached len(dirty) = 1: promoted
/// assert_eq!((stats.read_len, stats.dirty_len, stats.amended), (1, None, false));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncMapStats {
    /// Lookups that missed `read` and went to `dirty` since the last promotion (Go's `misses`).
    pub misses: usize,
    /// Times `dirty` was promoted to `read` (misses reached `len(dirty)`, or a `range` began).
    pub promotions: u64,
    /// Times a new `dirty` was built by copying `read` (the first new key after a promotion).
    pub dirty_rebuilds: u64,
    /// Rebuilds of `dirty` that expunged so many entries that they also published a `read`
    /// without them, which then left the map at once (see the docs of `SyncMap`).
    pub read_compactions: u64,
    /// Entries in `read`, deleted and expunged ones included (Go's `len(read.m)`).
    pub read_len: usize,
    /// Entries in `dirty`, or `None` when there is no `dirty` (right after a promotion).
    pub dirty_len: Option<usize>,
    /// Entries of `read` that are expunged: deleted and left out of `dirty`.
    pub expunged: usize,
    /// `true` if `dirty` holds keys that `read` lacks (Go's `read.amended`).
    pub amended: bool,
}

/// The monotonic counters behind [`SyncMapStats`], bumped under `mu` and read with it.
#[derive(Debug, Default)]
pub(super) struct Counters {
    promotions: AtomicU64,
    dirty_rebuilds: AtomicU64,
    read_compactions: AtomicU64,
}

impl Counters {
    pub(super) fn count_promotion(&self) {
        self.promotions.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn count_dirty_rebuild(&self) {
        self.dirty_rebuilds.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn count_read_compaction(&self) {
        self.read_compactions.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn promotions(&self) -> u64 {
        self.promotions.load(Ordering::Relaxed)
    }

    pub(super) fn dirty_rebuilds(&self) -> u64 {
        self.dirty_rebuilds.load(Ordering::Relaxed)
    }

    pub(super) fn read_compactions(&self) -> u64 {
        self.read_compactions.load(Ordering::Relaxed)
    }
}
