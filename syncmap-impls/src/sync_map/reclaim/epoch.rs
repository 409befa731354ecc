//! The epoch reclaimer of ordinary builds; the parent module explains the scheme.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use super::super::{planted, prefetch};
use super::barrier::Barrier;
use super::retired::Retired;
use super::slots::{Claim, Slot, Slots};
use super::thread_id;

/// Owns the objects a map retired until no guard can reach them.
pub(crate) struct Reclaimer {
    /// The global epoch; on its own cache line, since every guard reads it.
    epoch: PaddedEpoch,
    slots: Slots,
    /// Distinct for every reclaimer ever created, so a thread can cache its slot by it.
    id: u64,
    /// The process's fences, read by every `enter` like `id` (the two share a cache line in
    /// today's layout, which the compiler chooses).
    barrier: Barrier,
}

std::thread_local! {
    /// The vector a collection moves the objects it frees into, kept by each thread between its
    /// collections. Allocated afresh, it grew to about 3 KiB (128 retirements) at every
    /// collection, and a request that large makes glibc's `malloc` consolidate its fast bins
    /// first, walking every small chunk freed since: callgrind on the Exchange mix (1 thread,
    /// 450,000 operations) put `malloc_consolidate` at a fifth of all last-level cache misses.
    static READY_BUFFER: Cell<Vec<Retired>> = const { Cell::new(Vec::new()) };
}

/// The largest capacity of `READY_BUFFER` a thread keeps: a few collections' worth.
const READY_BUFFER_KEPT: usize = 4 * Reclaimer::COLLECT_AT;

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
    /// A thread collects once it has retired this many objects since its last collection: small
    /// enough that a deleted value's `Drop` runs soon after the delete (on whichever thread
    /// retires next), large enough to amortise the heavy fence.
    ///
    /// Chosen by measurement (2026-11-30): the heavy fence is a `membarrier(2)` that interrupts
    /// every other core running the process, and at 32 it was a third of all CPU time of the
    /// Exchange mix on 2 threads (perf: `smp_call_function_many_cond`, `native_write_msr`).
    /// Exchange, 2 threads, `--ops 4000000`, two runs each, Mops/s: 32: 3.24-3.66; 128:
    /// 4.69-4.87; 256: 4.37-6.43. 1 thread moved within noise.
    pub(crate) const COLLECT_AT: usize = 128;

    pub(crate) fn new() -> Self {
        Self {
            epoch: PaddedEpoch(AtomicU64::new(1)),
            slots: Slots::new(),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            barrier: Barrier::detect(),
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
            self.barrier.light();
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

    /// Advances the epoch and frees what any thread retired before every live guard began,
    /// from every bag whose owner holds no guard now (an idle or exited thread's included).
    /// `slot` is the calling thread's, whose retirements since its last collection it resets.
    #[cold]
    #[inline(never)]
    fn collect(&self, slot: &Slot) {
        // Claims first, then the fence: an owner that announces itself after the fence sees its
        // bag claimed before it pushes (see `Slot::push`). A bag another collector holds is that
        // collector's to free. A bag whose owner is inside a guard right now is left out: it
        // would most likely be given back unused after the fence, and meanwhile its owner's
        // pushes would wait for it; a busy owner collects its own bag soon enough.
        let mut claims: Vec<Claim<'_>> = self
            .slots
            .iter()
            .filter(|other| {
                ptr::eq(*other, slot)
                    || (!planted::collect_ignores_other_bags()
                        && other.epoch.load(Ordering::Relaxed) == 0)
            })
            .filter_map(Slot::try_claim)
            .collect();
        self.epoch.0.fetch_add(1, Ordering::SeqCst);
        self.barrier.heavy();
        let oldest = self
            .slots
            .min_active_epoch()
            .unwrap_or_else(|| self.epoch.0.load(Ordering::SeqCst));
        // An owner inside a guard may be pushing: its bag waits for a later collection, by this
        // thread or another. Dropping those claims now lets it push without waiting for us.
        claims.retain(|claim| claim.slot().epoch.load(Ordering::SeqCst) == 0);
        let mut ready = READY_BUFFER.try_with(Cell::take).unwrap_or_default();
        let mut left = 0;
        for claim in &mut claims {
            let before =
                if planted::foreign_bags_ignore_oldest_epoch() && !ptr::eq(claim.slot(), slot) {
                    u64::MAX
                } else {
                    oldest
                };
            // SAFETY: claimed before the heavy fence above, and the slot's epoch was loaded as 0
            // after it (the `retain`).
            left += unsafe { claim.take_ready(before, &mut ready) };
        }
        // Released before anything is freed: a `Drop` below may re-enter the map and push.
        drop(claims);
        slot.retired_since_collect.store(0, Ordering::Relaxed);
        // What could not be freed (a long-lived guard elsewhere) waits for as many new
        // retirements here before the next try, so that rescanning it costs each retirement a
        // bounded amount instead of making every operation pay for a collection.
        slot.collect_at
            .store(left.max(Self::COLLECT_AT), Ordering::Relaxed);
        // Freeing runs `Drop` of values and keys, user code that may use the map again (a
        // collection it starts finds the buffer taken and uses a fresh one). If one panics, the
        // rest are dropped with `ready` as it unwinds. Each free has a later one on its way into
        // the cache: the objects lie at random addresses, and freeing an entry gives up a share
        // with an atomic read-modify-write that waits for every earlier load.
        prefetch::drop_from_back(&mut ready, Retired::address);
        // A buffer that grew past the usual collection (after a long-lived guard elsewhere held
        // many objects back) is not kept: the thread would hold that memory until it exits.
        if ready.capacity() <= READY_BUFFER_KEPT {
            // Fails only after this local was destroyed (thread exit); the buffer is then freed.
            let _ = READY_BUFFER.try_with(|buffer| buffer.set(ready));
        }
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
        // which holds this guard, so the slot's epoch is announced (`enter` of the outermost
        // guard stored it and ran the light fence, and only that guard's end clears it).
        unsafe { self.slot.push(Retired::new(ptr, epoch)) };
    }

    /// Has `free(ptr)` called once no guard can still reach the object; for objects that are
    /// not a plain box (an entry's first value lives inside the entry's allocation).
    ///
    /// # Safety
    ///
    /// The object has been unlinked so that no operation that starts from now on can reach it,
    /// is retired only once, and `free` frees it exactly as `Retired::with_free` requires.
    pub(crate) unsafe fn retire_with(&self, ptr: *mut (), free: unsafe fn(*mut ())) {
        // Read after the unlink, as in `retire`.
        let epoch = self.reclaimer.epoch.0.load(Ordering::SeqCst);
        // SAFETY: the caller's contract is `Retired::with_free`'s; the slot is this thread's and
        // announced, as in `retire`.
        unsafe { self.slot.push(Retired::with_free(ptr, free, epoch)) };
    }
}

impl Drop for Guard<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.outermost || planted::nested_guard_withdraws() {
            // Everything this thread read is done with before the slot says so.
            self.slot.epoch.store(0, Ordering::Release);
            // The owner's own count, not the bag's length: from here on a collector may hold
            // the bag.
            if self.slot.retired_since_collect.load(Ordering::Relaxed)
                >= self.slot.collect_at.load(Ordering::Relaxed)
            {
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
        if slot.retired_since_collect.load(Ordering::Relaxed)
            >= slot.collect_at.load(Ordering::Relaxed)
        {
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
    use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};
    use std::thread;

    use super::Reclaimer;

    /// A nested guard taken inside another (a callback that uses the map again) must not withdraw the
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

    /// A retired object that counts its drop.
    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Retires `n` fresh objects counted in `dropped`, each in a guard of its own.
    fn retire(reclaimer: &Reclaimer, dropped: &Arc<AtomicUsize>, n: usize) {
        for _ in 0..n {
            let object = Box::into_raw(Box::new(Counted(Arc::clone(dropped))));
            // SAFETY: a fresh box, never published, retired once.
            unsafe { reclaimer.enter().retire(object) };
        }
    }

    /// What a thread retired before it exited is freed by the next collection on another thread,
    /// which does not inherit its number (it has one already).
    #[test]
    fn a_collection_frees_what_an_exited_thread_retired() {
        let reclaimer = Reclaimer::new();
        let (theirs, ours) = (Arc::default(), Arc::default());
        drop(reclaimer.enter()); // this thread's number and slot, taken before the other exits
        thread::scope(|s| {
            s.spawn(|| retire(&reclaimer, &theirs, 8));
        });
        assert_eq!(theirs.load(Ordering::SeqCst), 0, "too few to collect");
        retire(&reclaimer, &ours, Reclaimer::COLLECT_AT);
        assert_eq!(theirs.load(Ordering::SeqCst), 8);
        assert_eq!(ours.load(Ordering::SeqCst), Reclaimer::COLLECT_AT);
    }

    /// A collector frees another thread's object only once no guard can see it: a reader on a
    /// third thread keeps it alive (under Miri, a free too early is also a use after free).
    #[test]
    fn a_collection_keeps_another_thread_s_object_while_a_reader_may_see_it() {
        let reclaimer = Reclaimer::new();
        let (retired, collected) = (Arc::new(AtomicUsize::new(0)), Arc::default());
        let shared = AtomicPtr::new(Box::into_raw(Box::new(Counted(Arc::clone(&retired)))));
        // Four steps, every thread waiting at each (so none can inherit another's number):
        // the reader holds the object; another thread unlinks and retires it; a third collects;
        // the reader is done.
        let steps = Barrier::new(3);
        let dropped_at = |step| (step, retired.load(Ordering::SeqCst));
        let (while_read, after) = thread::scope(|s| {
            s.spawn(|| {
                let guard = reclaimer.enter();
                let object = guard.protect(&shared);
                steps.wait();
                steps.wait();
                steps.wait();
                if retired.load(Ordering::SeqCst) == 0 {
                    // SAFETY: loaded through `guard`, which is still alive.
                    assert_eq!(unsafe { &*object }.0.load(Ordering::SeqCst), 0);
                }
                drop(guard);
                steps.wait();
            });
            s.spawn(|| {
                steps.wait();
                let guard = reclaimer.enter();
                let unlinked = shared.swap(std::ptr::null_mut(), Ordering::SeqCst);
                // SAFETY: boxed above and unlinked by this swap, the only one.
                unsafe { guard.retire(unlinked) };
                drop(guard);
                steps.wait();
                steps.wait();
                steps.wait();
            });
            s.spawn(|| {
                steps.wait();
                steps.wait();
                retire(&reclaimer, &collected, 2 * Reclaimer::COLLECT_AT);
                let while_read = dropped_at("while read");
                steps.wait();
                steps.wait();
                retire(&reclaimer, &collected, 2 * Reclaimer::COLLECT_AT);
                (while_read, dropped_at("after"))
            })
            .join()
            .unwrap()
        });
        assert_eq!(
            [while_read, after],
            [("while read", 0), ("after", 1)],
            "when the object was dropped"
        );
    }

    /// Threads retire and collect at once, each collection claiming the others' bags while they
    /// push: under Miri, a bag touched by two threads at once is a reported data race.
    #[test]
    fn threads_retiring_at_once_free_everything_exactly_once() {
        let reclaimer = Reclaimer::new();
        let dropped = Arc::default();
        let per_thread = if cfg!(miri) { 80 } else { 10_000 };
        thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| retire(&reclaimer, &dropped, per_thread));
            }
        });
        drop(reclaimer);
        assert_eq!(dropped.load(Ordering::SeqCst), 3 * per_thread);
    }
}
