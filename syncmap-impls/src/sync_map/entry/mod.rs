//! Go's `entry`: one key's value slot, shared by `read` and `dirty`, whose pointer `p` is in
//! one of three states.
//!
//! ```text
//!                 store, swap, compare_and_swap (lock-free)
//!                ┌───────┐
//!                ▼       │
//!              value ────┘
//!               │  ▲
//!   delete,     │  │ store, load_or_store, swap (lock-free: the entry is in dirty,
//!   l_and_d,    ▼  │ or there is no dirty)
//!   c_and_d    nil ─────────────────────────────► expunged
//!                ▲   dirty rebuilt from read        │
//!                │   (under mu)                     │
//!                └──────────────────────────────────┘
//!                  unexpunge: a store takes mu, puts the entry
//!                  back into dirty, then stores its value
//! ```
//!
//! - **value**: the key is present with that value.
//! - **nil** (`p` is null): deleted. If `dirty` exists, the entry is in it too, so a store can
//!   revive it in place without the lock.
//! - **expunged**: deleted, and *not* in `dirty`. Set under `mu` when `dirty` is rebuilt from
//!   `read`; a store must then take `mu`, put the entry back into `dirty`, and only then set a
//!   value, or the key would be lost at the next promotion. When a rebuild expunges many
//!   entries it also publishes a `read` without them (`slow_path::compacts`): they have then
//!   left the map for good, and only lookups through the replaced `read` still see them,
//!   expunged, which sends a store to `mu`, where the key is added anew.
//!
//! Every compare-and-swap below uses `SeqCst` on failure too: the pointer a failed exchange
//! returns is then loaded exactly as [`Guard::protect`] loads, so it is protected by the guard.

mod block;

use std::cell::UnsafeCell;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ptr::{self, NonNull};

use super::reclaim::Guard;
use super::sync::{AtomicPtr, AtomicU64, Ordering};
pub(super) use block::EntryPtr;

/// A value where `p` points: a new key's first value lives inside its entry's allocation
/// (`inline`), every later one in a box of its own.
///
/// The flag also keeps the type from being zero-sized even when `V` is: boxes of zero-sized
/// types all share one dangling address, and two values at one address would let a
/// compare-and-swap succeed against a value that had been replaced in between (ABA).
struct Slot<V> {
    value: V,
    inline: bool,
}

/// The address `p` holds when the entry is expunged: the last address, never dereferenced. No
/// value slot can live there, since a `Slot` is at least one byte and no allocation ends past the
/// end of the address space. A constant rather than a static's address, so that checking for it
/// loads nothing (a static's address is loaded from the GOT in position-independent code).
fn expunged<V>() -> *mut Slot<V> {
    ptr::without_provenance_mut(usize::MAX)
}

fn boxed<V>(value: V) -> *mut Slot<V> {
    Box::into_raw(Box::new(Slot {
        value,
        inline: false,
    }))
}

/// Takes back a value that was boxed for a compare-and-swap that then failed.
///
/// # Safety
///
/// `slot` came from [`boxed`] and was never published.
unsafe fn unbox<V>(slot: *mut Slot<V>) -> V {
    // SAFETY: the caller guarantees the box is ours alone.
    unsafe { Box::from_raw(slot) }.value
}

/// A value pointer just unlinked from an entry by this thread, tied to the guard that was
/// active when it was unlinked. Dropping it reclaims the value: it retires it (it is freed once
/// no reader can see it), or, for an entry's first value without drop glue, gives up its share
/// of the entry at once (see the `block` module). It does so also while unwinding, so a panic in
/// user code between the unlink and the reclamation (a `Clone` of the value, the `Drop` of a
/// key) cannot leak it. Drop it only after `mu` is released.
pub(super) struct Unlinked<'g, 'r, V> {
    slot: NonNull<Slot<V>>,
    guard: &'g Guard<'r>,
    /// How to reclaim the slot if it is its entry's first one, which lives inside the entry's
    /// allocation (`block::free_first_slot` for the entry's key type).
    free_first: unsafe fn(*mut ()),
}

impl<'g, 'r, V> Unlinked<'g, 'r, V> {
    /// The unlinked value, readable while the guard lives.
    pub(super) fn value(&self) -> &'g V {
        // SAFETY: the pointer was unlinked while `self.guard` was active, which it still is, and
        // it is retired only when `self` drops, so it is allocated.
        unsafe { &self.slot.as_ref().value }
    }
}

impl<V> Drop for Unlinked<'_, '_, V> {
    fn drop(&mut self) {
        // SAFETY: the pointer was published by `boxed` or `EntryPtr::new`, then unlinked by
        // exactly one successful swap or compare-and-swap (the one that produced this
        // `Unlinked`), so no operation that starts now can reach it and nobody else retires or
        // frees it; this runs once.
        unsafe { block::retire_slot(self.guard, self.slot.as_ptr(), self.free_first) }
    }
}

/// What [`Entry::try_load_or_store`] found.
pub(super) enum TryLoadOrStore<'g, V> {
    /// A value was present; the offered one is handed back.
    Loaded(&'g V, V),
    /// The offered value was stored.
    Stored(&'g V),
    /// The entry is expunged; the caller must take `mu`. The offered value is handed back.
    Expunged(V),
}

/// One key's value slot, which owns the key and its hash and is allocated with the key's first
/// value (see the `block` module). `read` and `dirty` are tables of pointers to entries: a
/// rebuild of `dirty` copies pointers and never runs a key's code.
pub(super) struct Entry<K, V> {
    p: AtomicPtr<Slot<V>>,
    /// How many of the entry and its first value still need the allocation: 2 at first; the
    /// entry's free and the first value's reclamation each give one up, and the last frees it.
    owners: AtomicU64,
    /// The first value, where `p` points until it is replaced or deleted. Dropped in place
    /// exactly once (if it has drop glue): when it is reclaimed after being unlinked, or when the
    /// entry is freed while it is still the current value.
    first: UnsafeCell<ManuallyDrop<Slot<V>>>,
    /// The hash of `key`, with the map's hasher: tables grow and compare with it.
    hash: u64,
    /// The key, dropped when the entry is freed.
    key: ManuallyDrop<K>,
    /// The entry owns a `V` (for `Send`/`Sync` and drop checking).
    _owns: PhantomData<V>,
}

impl<K, V> Entry<K, V> {
    /// The key.
    #[inline]
    pub(super) fn key(&self) -> &K {
        &self.key
    }

    /// The key's hash.
    #[inline]
    pub(super) fn hash(&self) -> u64 {
        self.hash
    }

    /// An unlinked slot of this entry, reclaimed through `guard`.
    fn unlinked<'g, 'r>(slot: NonNull<Slot<V>>, guard: &'g Guard<'r>) -> Unlinked<'g, 'r, V> {
        Unlinked {
            slot,
            guard,
            free_first: block::free_first_slot::<K, V>,
        }
    }
    /// The current value, if present; it stays readable while `guard` lives.
    #[inline]
    pub(super) fn load<'g>(&self, guard: &'g Guard<'_>) -> Option<&'g V> {
        let p = guard.protect(&self.p);
        if p.is_null() || p == expunged() {
            return None;
        }
        // SAFETY: `p` is a published value slot, loaded through `guard`, so it is not freed
        // before `guard` ends.
        Some(unsafe { &(*p).value })
    }

    /// `true` if `p` is the expunged marker.
    pub(super) fn is_expunged(&self) -> bool {
        self.p.load(Ordering::Acquire) == expunged()
    }

    /// Replaces the value unless the entry is expunged (Go's `trySwap`, which `Store` uses on
    /// its lock-free path). `Ok(previous)` on success; the value back if expunged.
    pub(super) fn try_swap<'g, 'r>(
        &self,
        value: V,
        guard: &'g Guard<'r>,
    ) -> Result<Option<Unlinked<'g, 'r, V>>, V> {
        let new = boxed(value);
        let mut p = guard.protect(&self.p);
        loop {
            if p == expunged() {
                // SAFETY: `new` was never published.
                return Err(unsafe { unbox(new) });
            }
            match self
                .p
                .compare_exchange_weak(p, new, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(previous) => {
                    return Ok(NonNull::new(previous).map(|slot| Self::unlinked(slot, guard)));
                }
                Err(current) => p = current,
            }
        }
    }

    /// Turns an expunged entry into a deleted one, so the caller can put it back into `dirty`
    /// (Go's `unexpungeLocked`). Returns whether it was expunged. Only under `mu`.
    pub(super) fn unexpunge_locked(&self) -> bool {
        self.p
            .compare_exchange(
                expunged(),
                ptr::null_mut(),
                Ordering::SeqCst,
                Ordering::SeqCst,
            )
            .is_ok()
    }

    /// Stores a value into an entry known not to be expunged (Go's `swapLocked`). Only under `mu`.
    pub(super) fn swap_locked<'g, 'r>(
        &self,
        value: V,
        guard: &'g Guard<'r>,
    ) -> Option<Unlinked<'g, 'r, V>> {
        let previous = self.p.swap(boxed(value), Ordering::SeqCst);
        debug_assert!(previous != expunged(), "swap_locked on an expunged entry");
        NonNull::new(previous).map(|slot| Self::unlinked(slot, guard))
    }

    /// Go's `tryLoadOrStore`: loads a present value, stores into a deleted entry, or reports that
    /// the entry is expunged.
    pub(super) fn try_load_or_store<'g>(
        &self,
        value: V,
        guard: &'g Guard<'_>,
    ) -> TryLoadOrStore<'g, V> {
        let mut p = guard.protect(&self.p);
        if p == expunged() {
            return TryLoadOrStore::Expunged(value);
        }
        if !p.is_null() {
            // SAFETY: a published value slot loaded through `guard`.
            return TryLoadOrStore::Loaded(unsafe { &(*p).value }, value);
        }
        let new = boxed(value);
        loop {
            match self.p.compare_exchange_weak(
                ptr::null_mut(),
                new,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                // SAFETY: `new` is now published and this thread's guard was active before it
                // was, so it cannot be freed before `guard` ends.
                Ok(_) => return TryLoadOrStore::Stored(unsafe { &(*new).value }),
                Err(current) => p = current,
            }
            if p == expunged() {
                // SAFETY: `new` was never published.
                return TryLoadOrStore::Expunged(unsafe { unbox(new) });
            }
            if !p.is_null() {
                // SAFETY: `new` was never published; `p` is a published value slot loaded
                // through `guard` (the failed compare-exchange is an acquire load of it, and the
                // guard was already active).
                return TryLoadOrStore::Loaded(unsafe { &(*p).value }, unsafe { unbox(new) });
            }
        }
    }

    /// Deletes the value, if present (Go's `entry.delete`). The value is returned unlinked.
    pub(super) fn delete<'g, 'r>(&self, guard: &'g Guard<'r>) -> Option<Unlinked<'g, 'r, V>> {
        self.delete_while(guard, |p| !p.is_null() && p != expunged())
    }

    /// Empties the entry (sets `p` to null) as long as `accept` holds for the value it would
    /// unlink, retrying on lost races; the unlinked value on success. The loop of `delete` and
    /// `try_compare_and_delete`.
    fn delete_while<'g, 'r>(
        &self,
        guard: &'g Guard<'r>,
        accept: impl Fn(*mut Slot<V>) -> bool,
    ) -> Option<Unlinked<'g, 'r, V>> {
        let mut p = guard.protect(&self.p);
        loop {
            if !accept(p) {
                return None;
            }
            match self.p.compare_exchange_weak(
                p,
                ptr::null_mut(),
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(previous) => {
                    return NonNull::new(previous).map(|slot| Self::unlinked(slot, guard));
                }
                Err(current) => p = current,
            }
        }
    }

    /// Swaps in `new` if the value equals `old` (Go's `tryCompareAndSwap`); a deleted or
    /// expunged entry never matches. The unlinked value on success, `new` back on failure.
    pub(super) fn try_compare_and_swap<'g, 'r>(
        &self,
        old: &V,
        new: V,
        guard: &'g Guard<'r>,
    ) -> Result<Unlinked<'g, 'r, V>, V>
    where
        V: PartialEq,
    {
        let mut p = guard.protect(&self.p);
        if !Self::holds(p, old) {
            return Err(new);
        }
        let new = boxed(new);
        loop {
            match self
                .p
                .compare_exchange_weak(p, new, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(previous) => {
                    let slot = NonNull::new(previous).expect("holds() rejected null");
                    return Ok(Self::unlinked(slot, guard));
                }
                Err(current) => p = current,
            }
            if !Self::holds(p, old) {
                // SAFETY: `new` was never published.
                return Err(unsafe { unbox(new) });
            }
        }
    }

    /// Deletes the value if it equals `old` (Go 1.20's `CompareAndDelete` loop).
    pub(super) fn try_compare_and_delete<'g, 'r>(
        &self,
        old: &V,
        guard: &'g Guard<'r>,
    ) -> Option<Unlinked<'g, 'r, V>>
    where
        V: PartialEq,
    {
        self.delete_while(guard, |p| Self::holds(p, old))
    }

    /// Marks a deleted entry expunged so a `dirty` being rebuilt can leave it out (Go's
    /// `tryExpungeLocked`). Returns whether the entry is now expunged. Only under `mu`.
    pub(super) fn try_expunge_locked(&self) -> bool {
        let mut p = self.p.load(Ordering::Acquire);
        while p.is_null() {
            match self.p.compare_exchange_weak(
                ptr::null_mut(),
                expunged(),
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return true,
                Err(current) => p = current,
            }
        }
        p == expunged()
    }

    /// `true` if `p` is a value equal to `old`. `p` must have been loaded under a live guard.
    fn holds(p: *mut Slot<V>, old: &V) -> bool
    where
        V: PartialEq,
    {
        if p.is_null() || p == expunged() {
            return false;
        }
        // SAFETY: callers pass a pointer they loaded through a guard that is still active.
        unsafe { (*p).value == *old }
    }
}
