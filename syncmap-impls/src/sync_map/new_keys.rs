//! The new-key summary of a `read` map: which hashes `dirty` has gained since that `read` was
//! published, so that a lookup that misses an amended `read` can tell, without taking `mu`,
//! that the key cannot be in `dirty` either (issue 14, "lock-free misses").
//!
//! # Why
//!
//! Go's design locks on every miss while `read` is amended. With a trickle of inserts `read` is
//! amended almost all the time, so every lookup of an absent key, a quarter of conc-map-bench's
//! ReadHeavy mix, took the lock, counted a miss and promoted `dirty` early, which then had to be
//! rebuilt by the next insert. The summary answers most of those misses with one atomic load.
//!
//! # What it is
//!
//! A bit set with one bit per hash bucket (a Bloom filter with one hash function), sized with
//! the `read` it belongs to: [`BITS_PER_KEY`] bits per key of that `read`, at least [`MIN_BITS`],
//! at most [`MAX_BITS`]. A bit is set, under `mu`, for every key that is added to `dirty` while
//! this `read` is the published one and that this `read` lacks (a brand-new key: keys that come
//! back from `read` itself, by a rebuild or an unexpunge, are found in `read`). Bits are never
//! cleared: a promotion (or a rebuild that compacts `read`) publishes a new `read` with an empty
//! summary. False positives only cost
//! the lock, as before; false negatives cannot happen. The bit comes from the middle of the
//! hash, so a hasher that leaves those bits constant (an identity "hasher" of small integers)
//! sends every miss to the lock, as Go does. A promotion (and a compacting rebuild) allocates
//! the new summary under `mu`:
//! one word per 16 keys of the promoted `dirty`, zeroed, against the `O(1)` pointer swap it
//! otherwise is; every retired `read` keeps its summary until it is reclaimed.
//!
//! # Why a miss it answers is linearizable
//!
//! A new key's store sets the key's bit *before* inserting the key into `dirty`, both under
//! `mu`, and nothing can see a key of `dirty` before that insert: other operations look into
//! `dirty` only under `mu`, and a promotion, which publishes it as `read`, also runs under `mu`.
//! So every operation that can observe the key happens after the bit was set. A lookup that
//! loads the bit of its `read` R as clear therefore read it before any store noted a key of
//! that bit in R (the bit's modification order). Every key `dirty` gained while R was the
//! published `read` was noted in R before it went in, and R's own keys never change: so at the
//! instant just before the load (or, if R was replaced already, just before it was replaced;
//! the lookup loaded R before that), the key was absent from R and from `dirty`. The lookup
//! linearizes at that instant, before the store. A lookup that sees the bit set takes `mu` and
//! decides as Go does. (The planted bug `new_key_noted_late` sets the bit only after `mu`
//! is released; the loom model `miss_against_store_of_a_new_key` catches it.)
//!
//! # Measured
//!
//! conc-map-bench's ReadHeavy mix (`syncmap-bench --suite mixes --workload ReadHeavy --ops
//! 10000000 --repeat 3`, 2 cores, 2026-11-30), the same build with and without the summary,
//! run alternately, two pairs, Mops/s:
//!
//! | threads | without | with |
//! | ---: | ---: | ---: |
//! | 1 | 6.0, 6.6 | 9.9, 18.2 |
//! | 2 | 9.8, 10.4 | 29.2, 33.6 |
//!
//! Exchange and RapidGrow, whose misses are few, moved within noise. On a 1,000-key map with
//! the same mix a scratch loop ran 3.2 times faster; on 16,000 keys 1.4 times. The cost: 4 bits
//! per key of each `read` (a promotion allocates them), one bit set per new key under `mu`,
//! and, on a miss of an amended `read`, one load of a line that writers touch once per new
//! key. A summary sized by keys (rather than fixed) keeps the false-positive rate of a large
//! map as low as a small one's.

use super::planted;
use super::sync::{AtomicU64, Ordering};

/// Bits of summary per key of the `read` it summarises.
const BITS_PER_KEY: usize = 4;
/// The smallest summary: 8 words, one cache line.
const MIN_BITS: usize = 512;
/// The largest summary, 2 MiB; a `read` of more than half a million keys shares bits more.
const MAX_BITS: usize = 1 << 24;

/// Which hashes `dirty` gained since the `read` that owns this summary was published.
pub(super) struct NewKeys {
    words: Box<[AtomicU64]>,
    /// The number of bits minus one; the number is a power of two.
    bit_mask: u64,
}

impl NewKeys {
    /// An empty summary for a `read` of `len` keys.
    pub(super) fn for_read_of(len: usize) -> Self {
        let bits = len
            .saturating_mul(BITS_PER_KEY)
            .clamp(MIN_BITS, MAX_BITS)
            .next_power_of_two();
        Self {
            words: (0..bits / 64).map(|_| AtomicU64::new(0)).collect(),
            bit_mask: bits as u64 - 1,
        }
    }

    /// The word and the bit of `hash`. The bit comes from the middle of the hash: the table
    /// indexes buckets with the low bits and tags slots with the top seven.
    #[inline]
    fn bit(&self, hash: u64) -> (&AtomicU64, u64) {
        let bit = (hash >> 24) & self.bit_mask;
        // The index is below `words.len()`: `bit_mask + 1` is `64 * words.len()`.
        let word = &self.words[(bit / 64) as usize];
        (word, 1 << (bit % 64))
    }

    /// Notes that `dirty` is about to gain a key of `hash` that `read` lacks. Only under `mu`,
    /// and before the key goes into `dirty`.
    pub(super) fn note_locked(&self, hash: u64) {
        if !planted::new_key_noted_late() {
            self.note(hash);
        }
    }

    /// The planted bug's late note, after `mu` is released; a no-op otherwise.
    pub(super) fn note_late(&self, hash: u64) {
        if planted::new_key_noted_late() {
            self.note(hash);
        }
    }

    fn note(&self, hash: u64) {
        let (word, bit) = self.bit(hash);
        // SeqCst, as the lookup's load: the argument in the module docs needs only the bit's
        // own modification order, but the model checker then explores the plainest orders.
        word.fetch_or(bit, Ordering::SeqCst);
    }

    /// `false` if no key of `hash` was added to `dirty` since the `read` was published (and
    /// before this load): a miss in that `read` is then a miss in the map.
    #[inline]
    pub(super) fn may_contain(&self, hash: u64) -> bool {
        let (word, bit) = self.bit(hash);
        word.load(Ordering::SeqCst) & bit != 0
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_BITS, MIN_BITS, NewKeys};

    #[test]
    fn sized_with_the_read_within_bounds() {
        assert_eq!(NewKeys::for_read_of(0).words.len() * 64, MIN_BITS);
        assert_eq!(NewKeys::for_read_of(1000).words.len() * 64, 4096);
        assert_eq!(NewKeys::for_read_of(usize::MAX).words.len() * 64, MAX_BITS);
    }

    #[test]
    fn a_noted_hash_may_be_present_and_others_mostly_not() {
        let summary = NewKeys::for_read_of(1 << 12);
        let hash = |i: u64| i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for i in 0..100 {
            summary.note(hash(i));
        }
        assert!(
            (0..100).all(|i| summary.may_contain(hash(i))),
            "no false negatives"
        );
        let false_positives = (100..10_100)
            .filter(|&i| summary.may_contain(hash(i)))
            .count();
        // 100 bits of 16384 are set: about 61 of 10,000 other hashes share one.
        assert!(false_positives < 300, "{false_positives} false positives");
    }
}
