//! The epoch reclaimer of ordinary builds; the parent module explains the scheme.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use super::barrier;
use super::retired::Retired;
use super::slots::{Slot, Slots};
use super::thread_id;

/// Owns the objects a map retired until no guard can reach them.
pub(crate) struct Reclaimer {
    /// The global epoch; on its own cache line, since every guard reads it.
    epoch: PaddedEpoch,
    slots: Slots,
    /// Distinct for every reclaimer ever created, so a thread can cache its slot by it.
    id: u64,
}

/// Hands out reclaimer ids; never reused, so a stale cached slot can never match a new map.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

#[repr(align(128))]
struct PaddedEpoch(AtomicU64);

/// Proof that the current thread is inside an operation: objects loaded through
/// [`protect`](Guard::protect) stay allocated until the guard is dropped.
///
/// Two pointers, so that it lives in registers: the read path creates and drops one per call.
/// Its end can run a collection, hence user `Drop`s that may panic: end it before the value an
/// operation returns is computed into the return place, or that value leaks on such a panic
/// (see `load_with`, which also avoids moving the guard into `drop(guard)` on the hot path).
pub(crate) struct Guard<'a> {
    reclaimer: &'a Reclaimer,
    slot: &'a Slot,
    /// Whether this guard announced the epoch (the thread held no other guard): only the
    /// outermost guard's end clears the announcement. Kept here rather than as a depth count in
    /// the slot, which cost a load and a store at each end of every read.
    outermost: bool,
    /// Guards belong to the thread whose slot they hold.
    _not_send: PhantomData<*mut ()>,
}

impl Reclaimer {
    /// A thread collects once its bag holds this many objects: small enough that a deleted
    /// value's `Drop` runs soon after the delete, large enough to amortise the heavy fence.
    pub(crate) const COLLECT_AT: usize = 32;

    pub(crate) fn new() -> Self {
        barrier::detect();
        Self {
            epoch: PaddedEpoch(AtomicU64::new(1)),
            slots: Slots::new(),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Starts an operation.
    #[inline]
    pub(crate) fn enter(&self) -> Guard<'_> {
        let slot = match thread_id::cached_slot(self.id) {
            // SAFETY: cached by `find_slot` for this reclaimer, whose slots live as long as it
            // does; the cache is cleared when the thread gives its number up.
            Some(slot) => unsafe { &*slot },
            None => self.find_slot(),
        };
        // Only this thread writes its slot's epoch, and an announced epoch is never 0 (the
        // global one starts at 1 and only grows), so 0 means that no guard of this thread is live.
        let outermost = slot.epoch.load(Ordering::Relaxed) == 0;
        if outermost {
            let epoch = self.epoch.0.load(Ordering::SeqCst);
            // Release, although the fence below does the ordering that keeps readers safe: a
            // collector that reads this epoch instead of the 0 the last `leave` wrote must still
            // be ordered after everything this thread read under its previous guard, and only a
            // release store gives that edge (found by Miri; free on x86 and cheap elsewhere).
            slot.epoch.store(epoch, Ordering::Release);
            barrier::light();
        }
        Guard {
            reclaimer: self,
            slot,
            outermost,
            _not_send: PhantomData,
        }
    }

    /// This thread's slot, found by its number and cached for the next `enter`. A thread whose
    /// thread-locals are being destroyed borrows a number for one operation instead.
    #[cold]
    #[inline(never)]
    fn find_slot(&self) -> &Slot {
        match thread_id::current() {
            Some(number) => {
                let slot = self.slots.get(number);
                thread_id::cache_slot(self.id, slot);
                slot
            }
            None => {
                let slot = self.slots.get(thread_id::acquire_temporary());
                slot.temporary.store(true, Ordering::Relaxed);
                // Zero sends the end of the operation to `leave_slow`, which gives it back.
                slot.collect_at.store(0, Ordering::Relaxed);
                slot
            }
        }
    }

    /// Advances the epoch and frees what `slot`'s thread retired before every live guard began.
    #[cold]
    #[inline(never)]
    fn collect(&self, slot: &Slot) {
        self.epoch.0.fetch_add(1, Ordering::SeqCst);
        barrier::heavy();
        let oldest = self
            .slots
            .min_active_epoch()
            .unwrap_or_else(|| self.epoch.0.load(Ordering::SeqCst));
        // SAFETY: `slot` is the current thread's (the guard that led here held it); the bag is
        // borrowed only inside `take_ready` and `bag_len`.
        let ready = unsafe { slot.take_ready(oldest) };
        // SAFETY: as above.
        let left = unsafe { slot.bag_len() };
        // What could not be freed waits for a bag twice as full, so a long-lived guard elsewhere
        // does not make every operation here pay for a collection.
        slot.collect_at
            .store((2 * left).max(Self::COLLECT_AT), Ordering::Relaxed);
        // Freeing runs `Drop` of values and keys, user code that may use the map again.
        drop(ready);
    }
}

impl Guard<'_> {
    /// Loads `ptr` so that the object it points to stays allocated while `self` lives.
    #[inline]
    pub(crate) fn protect<T>(&self, ptr: &AtomicPtr<T>) -> *mut T {
        ptr.load(Ordering::SeqCst)
    }

    /// Frees `ptr` (a `Box<T>` turned into a raw pointer) once no guard can still reach it.
    ///
    /// # Safety
    ///
    /// `ptr` came from `Box::into_raw`, has been unlinked so that no operation that starts from
    /// now on can reach it, is retired only once, and nothing frees it otherwise.
    pub(crate) unsafe fn retire<T>(&self, ptr: *mut T) {
        // Read after the unlink: a reader that still sees `ptr` announced an epoch <= this one.
        let epoch = self.reclaimer.epoch.0.load(Ordering::SeqCst);
        // SAFETY: the caller's contract is `Retired::new`'s; `self.slot` belongs to this thread,
        // which holds this guard.
        unsafe { self.slot.push(Retired::new(ptr, epoch)) };
    }
}

impl Drop for Guard<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.outermost || super::super::planted::nested_guard_withdraws() {
            // Everything this thread read is done with before the slot says so.
            self.slot.epoch.store(0, Ordering::Release);
            // SAFETY: this thread owns `self.slot`.
            if unsafe { self.slot.bag_len() } >= self.slot.collect_at.load(Ordering::Relaxed) {
                self.leave_slow();
            }
        }
    }
}

impl Guard<'_> {
    /// The end of an outermost guard with work to do: a full bag to collect, or a borrowed
    /// thread number to give back.
    #[cold]
    #[inline(never)]
    fn leave_slow(&self) {
        let slot = self.slot;
        let temporary = slot.temporary.load(Ordering::Relaxed);
        if temporary {
            slot.temporary.store(false, Ordering::Relaxed);
            slot.collect_at
                .store(Reclaimer::COLLECT_AT, Ordering::Relaxed);
        }
        // SAFETY: this thread owns `slot` (or borrows its number until the end of this call).
        if unsafe { slot.bag_len() } >= Reclaimer::COLLECT_AT {
            self.reclaimer.collect(slot);
        }
        if temporary {
            thread_id::release_temporary(slot.number);
        }
    }
}

impl std::fmt::Debug for Reclaimer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reclaimer")
            .field("epoch", &self.epoch.0.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::Reclaimer;

    /// A guard taken inside another (a callback that uses the map again) must not withdraw the
    /// thread's announcement when it ends: the outer guard still reads what it protects.
    #[test]
    fn a_nested_guard_ends_without_withdrawing_the_announcement() {
        let reclaimer = Reclaimer::new();
        let outer = reclaimer.enter();
        let announced = outer.slot.epoch.load(Ordering::Relaxed);
        assert_ne!(announced, 0);
        drop(reclaimer.enter());
        assert_eq!(outer.slot.epoch.load(Ordering::Relaxed), announced);
        let slot = outer.slot;
        drop(outer);
        assert_eq!(
            slot.epoch.load(Ordering::Relaxed),
            0,
            "the outermost end withdraws it"
        );
    }
}
