//! [`SmallIndex`]: a perfect-hash index over the keys of a small `read`, the lock-free lookup of
//! a map with at most [`MAX_KEYS`] keys (a registry's backend: one key per field).
//!
//! A `read` never changes its set of keys once published, so when it is built its keys can be
//! given a collision-free position: `multiplier * hash >> 58` picks one of 64 slots, and
//! building tries fixed odd multipliers until every key lands in a slot of its own. A lookup
//! then reads one slot and compares one stored hash and one key; a key that is absent from
//! `read` finds its slot empty or holding another key. There is no probe sequence, no
//! control-byte group to load and match first, and the slots live inside the `ReadOnly`
//! itself, one dependent load closer to the entry than the hash table's.
//!
//! Measured on a registry field read over `SyncMap` (four fields, 2026-11-30): callgrind, 88
//! instructions per read through the hash table, 74 through this index (`ArcSwap<Config>` and
//! the field: about 69, two of them locked); a tight loop, alternated, 5.1 to 5.4 ns against
//! 4.2 to 4.4 (`ArcSwap`: 4.7 to 5.1); the registry suite's `FieldRead`, three runs, 1 thread
//! 4.26 to 4.85 ns against `ArcSwap`'s 4.99 to 5.61, 2 threads 2.09 to 2.31 against 2.47 to
//! 2.66. Go's suite on maps with one key (the collision workloads, `LoadMostlyMisses`) gained
//! 5 to 15 %, and `LoadMostlyHits` (a map of 1,023 keys, the table's path) moved within noise.
//!
//! The index costs about 1 KiB inside every `ReadOnly` (64 slots of 16 bytes, inline so that a
//! lookup reaches its slot straight from `read`), whatever the map's size; it is built, and the
//! `ReadOnly` moved, only when a `read` is published (a new map, a promotion, a rebuild of
//! `dirty` that compacts `read`, a clear).
//!
//! Maps with more keys, or keys that none of the 64 multipliers separates (for 16 random
//! hashes each try succeeds with probability about 0.13, so about one set in 7,000), use only
//! the table.

use std::borrow::Borrow;

use super::entry::EntryPtr;
use super::entry_table::EntryTable;
use super::planted;
use super::reclaim::Guard;

/// The most keys a `read` can have and still be indexed.
pub(super) const MAX_KEYS: usize = 16;

/// log2 of the number of slots: 64 slots for at most 16 keys keeps a random multiplier
/// collision-free often enough that building rarely tries more than a handful.
const SLOTS_LOG2: u32 = 6;
const SLOTS: usize = 1 << SLOTS_LOG2;

/// The multipliers building tries, in order: odd constants from splitmix64's sequence.
const MULTIPLIERS: [u64; 64] = multipliers();

const fn multipliers() -> [u64; 64] {
    let mut out = [0; 64];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut i = 0;
    while i < out.len() {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out[i] = (z ^ (z >> 31)) | 1;
        i += 1;
    }
    out
}

/// A slot: an entry and its key's hash, or nothing.
struct Slot<K, V> {
    hash: u64,
    entry: Option<EntryPtr<K, V>>,
}

// Derived `Clone`/`Copy` would require `K: Copy` and `V: Copy`.
impl<K, V> Clone for Slot<K, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K, V> Copy for Slot<K, V> {}

/// The collision-free index of a small `read`'s keys; see the module docs.
pub(super) struct SmallIndex<K, V> {
    multiplier: u64,
    slots: [Slot<K, V>; SLOTS],
}

impl<K, V> SmallIndex<K, V> {
    /// The index of `table`'s keys, or `None` if it has more than [`MAX_KEYS`] keys or no
    /// multiplier separates their hashes. Reads stored hashes only: runs no user code.
    pub(super) fn build(table: &EntryTable<K, V>) -> Option<Self> {
        if table.len() > MAX_KEYS {
            return None;
        }
        let multiplier = MULTIPLIERS
            .into_iter()
            .find(|&multiplier| separates(multiplier, table.slots().map(|(hash, _)| hash)))?;
        let mut slots = [Slot {
            hash: 0,
            entry: None,
        }; SLOTS];
        // The planted bug leaves the table's first key out of the index.
        let skip = usize::from(planted::small_index_skips_a_key() && table.len() > 1);
        for (hash, entry) in table.slots().skip(skip) {
            slots[position(multiplier, hash)] = Slot {
                hash,
                entry: Some(entry),
            };
        }
        Some(Self { multiplier, slots })
    }

    /// The entry of `key`, whose hash is `hash`, if the indexed `read` has it; the entries are
    /// read under `guard`.
    #[inline(always)]
    pub(super) fn find<Q>(&self, hash: u64, key: &Q, guard: &Guard<'_>) -> Option<EntryPtr<K, V>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let slot = &self.slots[position(self.multiplier, hash)];
        let entry = slot.entry?;
        (slot.hash == hash && *key == *entry.get(guard).key().borrow()).then_some(entry)
    }
}

/// Whether `multiplier` gives every hash of `hashes` a slot of its own. Two keys with one hash
/// share a slot under every multiplier, so their `read` is never indexed.
fn separates(multiplier: u64, hashes: impl IntoIterator<Item = u64>) -> bool {
    let mut taken = 0_u64;
    hashes.into_iter().all(|hash| {
        let bit = 1_u64 << position(multiplier, hash);
        let free = taken & bit == 0;
        taken |= bit;
        free
    })
}

/// The slot of `hash` under `multiplier`: its top bits after multiplying, always below
/// [`SLOTS`].
#[inline(always)]
fn position(multiplier: u64, hash: u64) -> usize {
    (hash.wrapping_mul(multiplier) >> (u64::BITS - SLOTS_LOG2)) as usize
}

#[cfg(test)]
mod tests {
    use super::{MAX_KEYS, MULTIPLIERS, SLOTS, position, separates};

    #[test]
    fn multipliers_are_odd_and_distinct() {
        for (i, m) in MULTIPLIERS.iter().enumerate() {
            assert_eq!(m % 2, 1);
            assert!(!MULTIPLIERS[..i].contains(m));
        }
    }

    #[test]
    fn positions_stay_in_range() {
        for &m in &MULTIPLIERS {
            for hash in [0, 1, u64::MAX, 0x8000_0000_0000_0000, 0x1234_5678_9abc_def0] {
                assert!(position(m, hash) < SLOTS);
            }
        }
    }

    /// For many random sets of `MAX_KEYS` hashes, some multiplier separates them: a small
    /// `read` that falls back to the table is a rare event, not the common case.
    #[test]
    fn random_full_sets_are_separated() {
        let mut state = 7_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut tries_used = Vec::new();
        for _ in 0..1000 {
            let hashes: Vec<u64> = (0..MAX_KEYS).map(|_| next()).collect();
            let found = MULTIPLIERS
                .iter()
                .position(|&m| separates(m, hashes.iter().copied()));
            tries_used.extend(found);
        }
        // One set in about 7,000 has no separating multiplier of the 64 (each tries with
        // probability about 0.13); such a `read` uses the table, which is still correct.
        assert!(
            tries_used.len() >= 998,
            "{} of 1000 sets separated",
            tries_used.len()
        );
        let mean = tries_used.iter().sum::<usize>() as f64 / tries_used.len() as f64;
        assert!(mean < 16.0, "mean tries {mean}");
    }
}
