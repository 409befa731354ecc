//! Known bugs, planted on purpose so the test suite can prove that it catches them.
//!
//! Building with `RUSTFLAGS='--cfg syncmap_planted_bug="NAME"'` turns one of them on;
//! `scripts/planted-bugs.sh` runs the suite once per bug. Default builds never set the cfg, and
//! every function here is then a constant the optimizer folds away.
//!
//! | NAME | the bug | in the wild |
//! | --- | --- | --- |
//! | `skip_second_read_check` | the slow path trusts the `read` it saw before taking `mu` | the double-checked locking every port must get right |
//! | `promotion_off_by_one` | promotes when misses exceed `len(dirty)` instead of reaching it | |
//! | `rebuild_without_expunge` | a rebuilt `dirty` keeps deleted entries instead of expunging them | |
//! | `stale_read_after_compaction` | after a rebuild that published a compacted `read`, the new key is noted (and `read` marked amended) in the replaced `read` | a pointer kept across the call that replaced its target |
//! | `store_without_unexpunge` | a store into an expunged entry does not put it back into `dirty` | the key vanishes at the next promotion |
//! | `cas_on_absent_key` | `compare_and_swap` reports success on an absent key | Go's early `CompareAndSwap` |
//! | `load_and_delete_keeps_dirty_key` | `load_and_delete` leaves the key in `dirty` | Go issue 40999 |
//! | `compare_and_delete_keeps_dirty_key` | a successful `compare_and_delete` leaves the key in `dirty` | Go 1.20 to 1.23 |
//! | `small_index_skips_a_key` | the perfect-hash index of a small `read` leaves one of its keys out, which lookups then miss | an index built from a snapshot it does not match |
//! | `first_value_dropped_early` | a deleted or replaced first value gives its share of the entry up at its unlink even when `V` has drop glue, dropping it under its readers | a reclamation shortcut taken for every type |
//! | `new_key_noted_late` | a new key's bit in `read`'s new-key summary is set after `mu` is released, when the key is already visible | a filter updated after publication |
//! | `nested_guard_withdraws` | a nested guard's end clears the thread's announcement while the outer guard still reads | a reclaimer that counts no nesting |
//! | `collect_ignores_other_bags` | a collection frees only the collecting thread's bag | per-thread garbage stranded by idle and exited threads |
//! | `foreign_bags_ignore_oldest_epoch` | a collection frees other threads' objects without waiting for the oldest announced epoch | a use after free under a reader |
// The reclaimer's bugs live in `reclaim/epoch.rs`, which loom builds replace with the stand-in of
// `reclaim/model.rs`.
#![cfg_attr(loom, allow(dead_code))]

/// The small index of a `read` leaves out the first key of its table.
pub(super) const fn small_index_skips_a_key() -> bool {
    cfg!(syncmap_planted_bug = "small_index_skips_a_key")
}

/// The slow path skips its second look at `read` under `mu`.
pub(super) const fn skip_second_read_check() -> bool {
    cfg!(syncmap_planted_bug = "skip_second_read_check")
}

/// Whether `misses` (just incremented) call for promoting a `dirty` of `dirty_len` entries.
pub(super) const fn promotion_is_due(misses: usize, dirty_len: usize) -> bool {
    if cfg!(syncmap_planted_bug = "promotion_off_by_one") {
        misses > dirty_len
    } else {
        misses >= dirty_len
    }
}

/// Whether an entry's first value, just unlinked, gives up its share of the entry at once
/// rather than through the reclaimer: right only when `V` has no drop glue. The planted bug
/// does it for every `V`, dropping a value that readers may still hold.
pub(super) const fn first_value_released_at_once<V>() -> bool {
    cfg!(syncmap_planted_bug = "first_value_dropped_early") || !std::mem::needs_drop::<V>()
}

/// A rebuilt `dirty` does not expunge deleted entries.
pub(super) const fn rebuild_without_expunge() -> bool {
    cfg!(syncmap_planted_bug = "rebuild_without_expunge")
}

/// After a rebuild that compacted `read`, the locked section goes on with the `read` it
/// started with: it marks that one amended and notes the new key in its summary, so lookups
/// through the `read` now published miss the key without the lock.
pub(super) const fn stale_read_after_compaction() -> bool {
    cfg!(syncmap_planted_bug = "stale_read_after_compaction")
}

/// A store into an expunged entry skips the unexpunge (and so the re-insertion into `dirty`).
pub(super) const fn store_without_unexpunge() -> bool {
    cfg!(syncmap_planted_bug = "store_without_unexpunge")
}

/// `compare_and_swap` on an absent key reports success.
pub(super) const fn cas_on_absent_key() -> bool {
    cfg!(syncmap_planted_bug = "cas_on_absent_key")
}

/// `load_and_delete` and `delete` of a key found only in `dirty` leave it there.
pub(super) const fn load_and_delete_keeps_dirty_key() -> bool {
    cfg!(syncmap_planted_bug = "load_and_delete_keeps_dirty_key")
}

/// A successful `compare_and_delete` of a key found only in `dirty` leaves it there.
pub(super) const fn compare_and_delete_keeps_dirty_key() -> bool {
    cfg!(syncmap_planted_bug = "compare_and_delete_keeps_dirty_key")
}

/// The end of a nested guard withdraws the thread's announcement, as only the outermost may.
pub(super) const fn nested_guard_withdraws() -> bool {
    cfg!(syncmap_planted_bug = "nested_guard_withdraws")
}

/// A collection frees only the collecting thread's own bag, so what an idle or exited thread
/// retired is never freed while the map lives.
pub(super) const fn collect_ignores_other_bags() -> bool {
    cfg!(syncmap_planted_bug = "collect_ignores_other_bags")
}

/// A collection frees everything in other threads' bags, whatever epoch a reader still holds.
pub(super) const fn foreign_bags_ignore_oldest_epoch() -> bool {
    cfg!(syncmap_planted_bug = "foreign_bags_ignore_oldest_epoch")
}

/// A new key's bit in the new-key summary is set after `mu` is released instead of before the
/// key goes into `dirty`: a lock-free miss can then return `None` for a key another operation
/// already saw.
pub(super) const fn new_key_noted_late() -> bool {
    cfg!(syncmap_planted_bug = "new_key_noted_late")
}
