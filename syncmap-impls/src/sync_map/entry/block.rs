//! An entry's allocation, shared with the key's first value: one allocation per new key
//! instead of two (the entry, then a box for its value).
//!
//! # Why
//!
//! Storing a new key allocated an [`Entry`] and a box for its value. Where new keys keep
//! arriving (Go's LoadOrStoreUnique, the RapidGrow mix) the allocator is a large share of the
//! work: callgrind counted about 200 instructions per fresh allocation from glibc's `malloc`,
//! and `EntryPtr::new` cost two of them. The first value now lives in the entry's own
//! allocation; values stored later still get boxes of their own, since they replace one another
//! while readers may still hold the old ones. callgrind, 4 x 100,000 `load_or_store` of new
//! `u64` keys: 710 instructions per call before, 512 after (`MutexMap`: 383); the map's drop
//! went from 169 to 97 million instructions.
//!
//! The entry also owns the key and its hash (see the `entry_table` module), so one allocation
//! holds everything a new key needs.
//!
//! # Who frees the allocation
//!
//! The entry and its first value leave the map at different times: the value when a store,
//! swap or delete unlinks it, the entry when it leaves `read` and `dirty` for good (it is then
//! retired, and freed once no guard can see it). Either may go first, and either may be freed
//! by any thread, so each holds a share of the allocation (`Entry::owners`, 2 at first) and gives
//! it up once it is done with: the first value after its `Drop`, the entry after dropping
//! whatever value it still holds. The one that gives up the last share frees the allocation. If
//! the entry is freed while its first value is still current, it drops that value and gives up
//! both shares. A value's `Drop` that panics still gives its shares up (drop guards), so the
//! allocation is freed during the unwinding.
//!
//! An unlinked first value with drop glue is retired, like a boxed one, and dropped once no
//! guard can see it. One whose type has no drop glue (`u64`, `&str`, plain structs of them)
//! gives its share up at once instead: nothing is left to run, and its bytes live as long as
//! the entry's share. That share outlives every reader of the value: a guard that can read it
//! found the entry in `read` or `dirty` before the entry left them, so before the entry was
//! retired, whenever the unlink happens (before the retirement, or after it, as when a delete
//! takes a `dirty`-only key out and then empties it, or races `clear`), and the entry is freed
//! only after all such guards end. This saves a retirement and a second touch of the entry by
//! the collector per deleted or replaced first value: callgrind on an Exchange-like loop (40%
//! new keys, 40% deletes, 49,152 live `u64` keys) counted 6% fewer instructions, and wall time
//! fell by about as much (147-155 ns/op before, 133-144 after, three alternating runs).

use std::cell::UnsafeCell;
use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop, offset_of};
use std::ptr::{self, NonNull};

use super::{Entry, Slot, expunged};
use crate::sync_map::reclaim::Guard;
use crate::sync_map::sync::{AtomicPtr, AtomicU64, Ordering};
use crate::sync_map::{planted, prefetch};

/// The first value's slot inside `entry`'s allocation. Derived from the allocation's own
/// pointer, so it can find its way back to the allocation when it is reclaimed.
fn first_slot<K, V>(entry: *mut Entry<K, V>) -> *mut Slot<V> {
    // SAFETY: `entry` points at a live allocation of an `Entry<K, V>` (every caller's pointer came
    // from `EntryPtr::new`, and the allocation is freed only when both shares are given up);
    // `addr_of_mut!` computes the field's address without reading or referencing it.
    let cell = unsafe { ptr::addr_of_mut!((*entry).first) };
    // `UnsafeCell` and `ManuallyDrop` are `repr(transparent)`.
    cell.cast()
}

/// Gives up one share of `entry`'s allocation; the last share frees it.
///
/// # Safety
///
/// The caller holds a share it has not given up, and is done with the part of the allocation
/// it stands for.
unsafe fn give_up_share<K, V>(entry: *mut Entry<K, V>) {
    // AcqRel: whatever the other owner did with the allocation (a value's `Drop`) happens
    // before the last one frees it.
    // SAFETY: the caller's share keeps the allocation alive for this access.
    if unsafe { (*entry).owners.fetch_sub(1, Ordering::AcqRel) } == 1 {
        // SAFETY: both shares are given up: the first value and the key were dropped and
        // nothing can reach the entry. The fields left need no drop (`first` and `key` are
        // `ManuallyDrop`), so this only frees.
        drop(unsafe { Box::from_raw(entry) });
    }
}

/// Gives up a share when dropped, also while unwinding from a value's `Drop`.
struct Share<K, V>(*mut Entry<K, V>);

impl<K, V> Drop for Share<K, V> {
    fn drop(&mut self) {
        // SAFETY: each `Share` is made for one share that its maker holds and hands over.
        unsafe { give_up_share(self.0) }
    }
}

/// Reclaims an entry's first value after it was unlinked: drops it in place and gives up its
/// share of the entry's allocation. The reclaimer's free function for such a slot, and called
/// directly at the unlink when `V` has no drop glue (see `retire_slot`).
///
/// # Safety
///
/// `slot` is an entry's first slot (`first_slot`), unlinked once, and reclaimed only here, once.
/// Either no guard can reach it any more, or `V` has no drop glue and the caller's guard was
/// active when the entry was found in a map (so the entry, whose share keeps the allocation,
/// cannot be freed before that guard ends, nor before any reader that saw the value ends).
pub(super) unsafe fn free_first_slot<K, V>(slot: *mut ()) {
    // SAFETY: the slot lies `offset_of!(Entry<K, V>, first)` bytes into its entry's allocation, and
    // its pointer carries the whole allocation's provenance (`first_slot`).
    let entry = unsafe { slot.byte_sub(offset_of!(Entry<K, V>, first)) }.cast::<Entry<K, V>>();
    let _share = Share(entry);
    // Without drop glue there is nothing to run, and no `&mut` may be made: this may run while
    // readers still hold the value (`retire_slot` gives such a value's share up at its unlink).
    if mem::needs_drop::<V>() {
        // SAFETY: unlinked and unreachable, so dropped here only; the entry's free will not drop
        // it (its `p` no longer points here, and never will again).
        unsafe { ptr::drop_in_place(slot.cast::<Slot<V>>()) };
    }
}

/// Frees an entry that no guard can reach: drops the value it still holds and gives up its
/// share of the allocation (and the first value's, if that is the value it holds). The
/// reclaimer's free function for entries.
///
/// # Safety
///
/// `entry` came from `EntryPtr::new`, left the map for good, is freed once, and nothing can
/// reach it any more.
unsafe fn free_entry<K, V>(entry: *mut ()) {
    let entry = entry.cast::<Entry<K, V>>();
    let _entry_share = Share(entry);
    /// Drops the key when dropped: after the value, also while unwinding from its `Drop`.
    struct Key<K, V>(*mut Entry<K, V>);
    impl<K, V> Drop for Key<K, V> {
        fn drop(&mut self) {
            // SAFETY: `free_entry` runs once per entry, when nothing can reach it; the key is
            // dropped only here, and the entry's share keeps the allocation alive meanwhile.
            unsafe { ManuallyDrop::drop(&mut (*self.0).key) }
        }
    }
    let _key = Key(entry);
    // SAFETY: the entry's share keeps the allocation alive.
    let p = unsafe { (*entry).p.load(Ordering::Acquire) };
    if p == first_slot(entry) {
        // The first value is current: it was never unlinked, so never retired, and its share
        // is given up here (declared second, so it goes first).
        let _first_share = Share(entry);
        // SAFETY: nothing else can reach the value, and nothing else drops it.
        unsafe { ptr::drop_in_place(p) };
    } else if !p.is_null() && p != expunged() {
        // SAFETY: a later value, boxed by `boxed`, current and so never retired.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// Retires a value slot just unlinked from an entry: a boxed one is freed as a box, an entry's
/// first one as in `free_first_slot`.
///
/// # Safety
///
/// `slot` was published in an entry, then unlinked by exactly one successful swap or
/// compare-and-swap while `guard` was active, and is retired only here, once.
pub(super) unsafe fn retire_slot<V>(
    guard: &Guard<'_>,
    slot: *mut Slot<V>,
    free_first: unsafe fn(*mut ()),
) {
    // SAFETY: unlinked while `guard` was active, so still allocated; `inline` never changes.
    if unsafe { (*slot).inline } {
        if planted::first_value_released_at_once::<V>() {
            // No drop glue: the share is given up now, while the line is hot, rather than by
            // the reclaimer after a grace period (see the module docs, "Who frees the
            // allocation", for why the entry's share outlives every reader of the value).
            // SAFETY: the first slot, unlinked once; `free_first_slot` drops nothing for such a
            // `V` and gives up the first value's share, which the entry's share outlives.
            unsafe { free_first(slot.cast()) }
        } else {
            // SAFETY: an entry's first slot, retired once, freed by `free_first_slot` once no
            // guard can reach it.
            unsafe { guard.retire_with(slot.cast(), free_first) }
        }
    } else {
        // SAFETY: a box from `boxed`, unlinked and retired once.
        unsafe { guard.retire(slot) }
    }
}

/// A pointer to an entry: `read` and `dirty` are tables of them (see the `entry_table` module).
///
/// The map owns its entries: an entry is created by a store of a new key and retired (freed once
/// no guard can reach it) when it leaves the map for good: when a promotion drops it as expunged,
/// when a rebuild of `dirty` that compacts `read` expunges it, when a delete takes it out of
/// `dirty`, and at `clear`. Copying the pointer is free, where an
/// `Arc` would cost two atomic read-modify-writes per entry at every `dirty` rebuild and every
/// promotion.
pub(in crate::sync_map) struct EntryPtr<K, V>(NonNull<Entry<K, V>>);

impl<K, V> EntryPtr<K, V> {
    /// A new entry of `key`, whose hash is `hash`, holding `value`, in one allocation.
    pub(in crate::sync_map) fn new(hash: u64, key: K, value: V) -> Self {
        let entry = Box::into_raw(Box::new(Entry {
            p: AtomicPtr::new(ptr::null_mut()),
            owners: AtomicU64::new(2),
            first: UnsafeCell::new(ManuallyDrop::new(Slot {
                value,
                inline: true,
            })),
            hash,
            key: ManuallyDrop::new(key),
            _owns: PhantomData,
        }));
        // SAFETY: a fresh allocation, not yet shared.
        unsafe { (*entry).p.store(first_slot(entry), Ordering::Relaxed) };
        // SAFETY: `Box::into_raw` never returns null.
        Self(unsafe { NonNull::new_unchecked(entry) })
    }

    /// The entry, readable while `guard` lives.
    ///
    /// Sound for any pointer obtained from `read` or `dirty` while `guard` was active: entries
    /// that leave the map are retired through the guards, never freed directly.
    #[inline]
    pub(in crate::sync_map) fn get<'g>(&self, _guard: &'g Guard<'_>) -> &'g Entry<K, V> {
        // SAFETY: see above; `_guard` was active when the pointer was read from a map, so the
        // entry is not freed before it ends.
        unsafe { self.0.as_ref() }
    }

    /// Starts loading the entry into the cache (see the `prefetch` module).
    #[inline]
    pub(in crate::sync_map) fn prefetch(self) {
        prefetch::prefetch(self.address());
    }

    /// The entry's address, for prefetching; never dereferenced through this.
    #[inline]
    pub(in crate::sync_map) fn address(self) -> *const u8 {
        self.0.as_ptr().cast()
    }

    /// Takes the key and the value back out of an entry that was never published, freeing the
    /// entry.
    ///
    /// # Safety
    ///
    /// The entry came from [`new`](Self::new) and was never put into a map.
    pub(in crate::sync_map) unsafe fn into_parts(self) -> (K, V) {
        let entry = self.0.as_ptr();
        let slot = first_slot(entry);
        // SAFETY: never published, so `p` still points at the first value and this is the only
        // pointer to the allocation.
        debug_assert!(unsafe { (*entry).p.load(Ordering::Relaxed) } == slot);
        // SAFETY: as above; the value is moved out once, and the `ManuallyDrop` around it keeps
        // freeing the allocation below from dropping it again.
        let value = unsafe { ptr::read(ptr::addr_of!((*slot).value)) };
        // SAFETY: likewise for the key, behind its `ManuallyDrop`.
        let key = ManuallyDrop::into_inner(unsafe { ptr::read(ptr::addr_of!((*entry).key)) });
        // SAFETY: the allocation of `new`, which nothing else can reach.
        drop(unsafe { Box::from_raw(entry) });
        (key, value)
    }

    /// Hands the entry to the reclaimer.
    ///
    /// # Safety
    ///
    /// The entry has left `read` and `dirty` for good and is retired only once.
    pub(in crate::sync_map) unsafe fn retire(self, guard: &Guard<'_>) {
        // SAFETY: made by `new`; unlinked and retired once, by the caller's contract, and freed
        // by `free_entry` once no guard can reach it.
        unsafe { guard.retire_with(self.0.as_ptr().cast(), free_entry::<K, V>) }
    }

    /// Frees the entry at once.
    ///
    /// # Safety
    ///
    /// As for [`retire`](Self::retire), and no thread can reach the entry any more (the map is
    /// being dropped).
    pub(in crate::sync_map) unsafe fn free(self) {
        // SAFETY: made by `new`; the caller guarantees nobody else uses or frees it.
        unsafe { free_entry::<K, V>(self.0.as_ptr().cast()) }
    }
}

impl<K, V> Clone for EntryPtr<K, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K, V> Copy for EntryPtr<K, V> {}

impl<K, V> PartialEq for EntryPtr<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

// SAFETY: an `EntryPtr` stands for an entry that the map owns and shares between threads:
// another thread may read its key and values (`K: Sync`, `V: Sync`) and drop them when it frees
// the entry (`Send`). The entry's one `UnsafeCell`, its first value, is written only by its
// drop in place, once nothing can reach that value (`free_first_slot`, `free_entry`), and the
// allocation's shares are atomic.
unsafe impl<K: Send + Sync, V: Send + Sync> Send for EntryPtr<K, V> {}
// SAFETY: as above.
unsafe impl<K: Send + Sync, V: Send + Sync> Sync for EntryPtr<K, V> {}
