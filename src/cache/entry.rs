//! What a cache field stores for each entry: the value and the few words of metadata that the
//! read path and the eviction policy share.

use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};

/// The deadline of an entry that never expires.
pub(crate) const NEVER: u64 = u64::MAX;

/// How many times a hit is counted before further hits stop writing (S3-FIFO's two-bit
/// frequency): a hot entry's reads write nothing shared.
const MAX_FREQUENCY: u8 = 3;

/// A value of a cache field as the backend map holds it: the value and its entry's metadata.
///
/// The registry's value enum holds this for a `cache` field; the accessors hand out the value
/// alone. Its `Debug`, `PartialEq` and `Deref` are the value's; a clone is a copy of the value
/// with fresh metadata (only the stored instance's metadata is read).
pub struct Cached<V> {
    value: V,
    meta: EntryMeta,
}

/// The metadata of one stored entry. Written under the registry's writer lock when the entry is
/// stored; afterwards only `frequency` and `accessed_at` change, from the lock-free read path.
#[derive(Default)]
pub struct EntryMeta {
    /// Which insertion this is: queue records of an entry since replaced or removed carry an
    /// older id and are skipped.
    id: AtomicU64,
    weight: AtomicU64,
    /// Hits since the policy last looked, saturating at [`MAX_FREQUENCY`].
    frequency: AtomicU8,
    /// Whether the entry is in the main queue (else in the small one).
    in_main: AtomicBool,
    /// When the entry dies whatever reads it: its time to live or its own expiry ([`NEVER`]).
    expires_at: AtomicU64,
    /// The last read, for time to idle.
    accessed_at: AtomicU64,
}

impl<V> Cached<V> {
    /// `value`, not yet stored.
    pub fn new(value: V) -> Self {
        Self {
            value,
            meta: EntryMeta::default(),
        }
    }

    /// The value.
    pub fn into_inner(self) -> V {
        self.value
    }

    /// The value, by reference.
    pub fn get(&self) -> &V {
        &self.value
    }

    /// The entry's metadata.
    #[doc(hidden)]
    pub fn meta(&self) -> &EntryMeta {
        &self.meta
    }
}

impl EntryMeta {
    /// Stamps a new insertion, before it is published to readers.
    pub(crate) fn stamp(&self, id: u64, weight: u64, expires_at: u64, now: u64) {
        self.id.store(id, Ordering::Relaxed);
        self.weight.store(weight, Ordering::Relaxed);
        self.frequency.store(0, Ordering::Relaxed);
        self.in_main.store(false, Ordering::Relaxed);
        self.expires_at.store(expires_at, Ordering::Relaxed);
        self.accessed_at.store(now, Ordering::Relaxed);
    }

    pub(crate) fn id(&self) -> u64 {
        self.id.load(Ordering::Relaxed)
    }

    pub(crate) fn weight(&self) -> u64 {
        self.weight.load(Ordering::Relaxed)
    }

    pub(crate) fn in_main(&self) -> bool {
        self.in_main.load(Ordering::Relaxed)
    }

    pub(crate) fn set_in_main(&self) {
        self.in_main.store(true, Ordering::Relaxed);
    }

    pub(crate) fn frequency(&self) -> u8 {
        self.frequency.load(Ordering::Relaxed)
    }

    pub(crate) fn set_frequency(&self, frequency: u8) {
        self.frequency.store(frequency, Ordering::Relaxed);
    }

    /// Counts a hit. Racing hits may count once: the count is a hint, not a tally.
    #[inline]
    pub(crate) fn record_hit(&self) {
        let frequency = self.frequency.load(Ordering::Relaxed);
        if frequency < MAX_FREQUENCY {
            self.frequency.store(frequency + 1, Ordering::Relaxed);
        }
    }

    /// Records a read at `now`, writing only when the stored time is `granularity` or more
    /// behind, so that a hot entry is not a shared write on every read.
    #[inline]
    pub(crate) fn touch(&self, now: u64, granularity: u64) {
        if now.saturating_sub(self.accessed_at.load(Ordering::Relaxed)) >= granularity {
            self.accessed_at.store(now, Ordering::Relaxed);
        }
    }

    /// When the entry expires at the earliest, given its time to idle (`tti`, in nanoseconds,
    /// or `None`).
    pub(crate) fn deadline(&self, tti: Option<u64>) -> u64 {
        let idle = tti.map_or(NEVER, |tti| {
            self.accessed_at.load(Ordering::Relaxed).saturating_add(tti)
        });
        self.expires_at.load(Ordering::Relaxed).min(idle)
    }
}

impl<V: Clone> Clone for Cached<V> {
    fn clone(&self) -> Self {
        Self::new(self.value.clone())
    }
}

impl<V> Deref for Cached<V> {
    type Target = V;

    fn deref(&self) -> &V {
        &self.value
    }
}

impl<V: PartialEq> PartialEq for Cached<V> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<V: fmt::Debug> fmt::Debug for Cached<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl fmt::Debug for EntryMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntryMeta")
            .field("id", &self.id())
            .field("weight", &self.weight())
            .field("frequency", &self.frequency())
            .finish_non_exhaustive()
    }
}
