//! When a rebuild of `dirty` also compacts `read`: publishes a `read` without the entries it
//! expunged, which then leave the map at once instead of at the next promotion.
//!
//! # Why
//!
//! In Go the expunged entries stay in `read` until the next promotion, which brings back the
//! keys deleted since the rebuild as nil entries: under steady churn `read` carries up to two
//! cycles of deleted keys. At the end of conc-map-bench's ReadHeavy mix (49,152 live keys, 1 %
//! inserts, 1 % removes; 3, 10 and 30 million operations) 10,738 of `read`'s 58,629 entries
//! were deleted ones, then 16,031 of 61,083, then 29,737 of 64,101: every lookup of such a key
//! pays the cache miss of its entry, and past 57,344 entries `read`'s table doubles its buckets.
//! With compaction the same runs ended with `read` at 49,152 entries, 1,515 to 5,776 of them
//! deleted.
//!
//! # When
//!
//! Compacting costs a second table of the kept entries, built from `dirty`'s slots (no entry is
//! read), and a new `ReadOnly` (its new-key summary, and for a small `read` its perfect-hash
//! index): a fixed cost of about a microsecond, and a share of the rebuild's walk. It pays when
//! the deleted entries are many, in absolute terms (they cost cache misses only in a map that
//! outgrows the caches) and against `read`'s size (the rebuild walks all of `read` anyway). So
//! a rebuild compacts when it expunged at least [`MIN_EXPUNGED`] entries and at least one entry
//! of `read` in eight.
//!
//! # Measured (2 cores, 2026-11-30)
//!
//! - cachegrind with a 1 MiB last-level cache, the ReadHeavy mix at 1 thread, 10 million
//!   operations: 10 % fewer last-level misses, 3 % more instructions; Exchange, 3 million: 5 %
//!   fewer misses, 3 % more instructions; RapidGrow, LoadOrStoreUnique and LoadOrStoreBalanced
//!   within 2 % either way.
//! - Compacting at every rebuild that expunged anything made Go's AdversarialDelete (one key of
//!   1,024 deleted before each rebuild) 25 to 45 % slower; with one in eight it never compacts.
//! - A small map under key churn (each round deletes a key, stores a new one and loads the
//!   live keys, so a rebuild comes every few rounds), ns per round, two alternated runs each:
//!
//!   | live keys | Go's lazy path | compacting at one in eight | with the minimum too |
//!   | ---: | ---: | ---: | ---: |
//!   | 4 | 299, 318 | 405, 414 | 225, 219 (lazy: 200, 228) |
//!   | 8 | 212, 211 | 297, 290 | 217, 207 (lazy: 209, 217) |
//!   | 16 | 226, 279 | 481, 418 | 233, 235 (lazy: 219, 253) |
//!   | 64 | 536, 498 | 539, 529 | 480, 495 (lazy: 486, 490) |
//!
//!   (The last column's runs shared the machine with a CI job, hence their own lazy figures.)
//!
//! Under `--cfg loom` the minimum is one entry, so that the model checker's two-thread models,
//! which hold a few keys, cover both the compacting and the lazy path.

/// The fewest expunged entries that make a rebuild compact `read` (one under loom: see the
/// module docs).
pub(super) const MIN_EXPUNGED: usize = if cfg!(loom) { 1 } else { 64 };

/// Whether a rebuild that expunged `expunged` of the `read_len` entries of `read` also
/// publishes a `read` without them.
pub(super) fn compacts(expunged: usize, read_len: usize) -> bool {
    expunged >= MIN_EXPUNGED && expunged.saturating_mul(8) >= read_len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacts_many_deleted_entries_only() {
        assert!(!compacts(0, 0));
        assert!(
            !compacts(MIN_EXPUNGED - 1, MIN_EXPUNGED - 1),
            "too few, even if all"
        );
        assert!(compacts(MIN_EXPUNGED, MIN_EXPUNGED * 8));
        assert!(
            !compacts(MIN_EXPUNGED, MIN_EXPUNGED * 8 + 1),
            "fewer than one in eight"
        );
        assert!(compacts(10_000, 50_000));
    }
}
