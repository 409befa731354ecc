//! One [`Slot`] per thread number, in a growable array that never moves: bucket `b` holds
//! `2^b` slots and is allocated the first time a thread with a number in its range enters.
//!
//! A slot's bag is filled by its owner and emptied by any collector. They take turns through a
//! handshake (the parent module explains why it is sound): a collector [claims](Slot::try_claim)
//! the bag, runs the heavy fence, and touches the bag only if the owner's epoch then reads 0; an
//! owner pushes only inside a guard (after its announcement and light fence), and only while the
//! bag is not claimed.

use std::cell::UnsafeCell;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

use super::retired::Retired;

/// A thread's announcement and its retired objects. Padded to its own cache lines: every read
/// writes its slot, and neighbours must not slow each other down.
#[repr(align(128))]
pub(super) struct Slot {
    /// The epoch at which the thread's outermost guard began, or 0 when it holds no guard.
    pub(super) epoch: AtomicU64,
    /// How many objects the owning thread retired since it last collected: the end of a guard
    /// compares it with `collect_at`. A count of the owner's own, not the bag's length, since
    /// the bag may be claimed by a collector at that moment. Only the owning thread touches it.
    pub(super) retired_since_collect: AtomicUsize,
    /// The `retired_since_collect` at which the owning thread next collects; raised while objects
    /// cannot be freed (another thread holds an old guard) so that collecting does not repeat on
    /// every operation, and 0 while a number is borrowed, to send the end of the operation to the
    /// slow path. Only the owning thread touches it.
    pub(super) collect_at: AtomicUsize,
    /// The thread number this slot belongs to.
    pub(super) number: usize,
    /// Set while a thread without a number of its own borrows this slot's for one operation.
    /// Only the borrowing thread touches it.
    pub(super) temporary: AtomicBool,
    /// Set while a collector holds the bag (see [`Claim`]).
    claimed: AtomicBool,
    /// Objects the owning thread retired that no collector has freed yet.
    bag: UnsafeCell<Vec<Retired>>,
}

// SAFETY: every field but `bag` is atomic or immutable. `bag` is touched by the owner of the
// slot's number only in `push`, which it calls inside a guard and only while `claimed` is unset,
// and otherwise only through a `Claim` whose holder ran the heavy fence after claiming and then
// read the slot's epoch as 0 (so the owner held no guard, and will see the claim before its next
// push), or through `&mut` when the map is dropped. Claims exclude each other by their
// compare-and-swap, and are handed over with release/acquire on `claimed`; a number changes owner
// only through the allocator's mutex. The retired objects are values and maps of a `SyncMap`
// that is itself `Send + Sync` only for `Send + Sync` contents.
unsafe impl Sync for Slot {}
// SAFETY: as above; moving the slot array moves retired objects of `Send` contents.
unsafe impl Send for Slot {}

impl Slot {
    fn new(number: usize) -> Self {
        Self {
            epoch: AtomicU64::new(0),
            retired_since_collect: AtomicUsize::new(0),
            collect_at: AtomicUsize::new(super::epoch::Reclaimer::COLLECT_AT),
            number,
            temporary: AtomicBool::new(false),
            claimed: AtomicBool::new(false),
            bag: UnsafeCell::new(Vec::new()),
        }
    }

    /// Adds an object to the bag, waiting while a collector holds it.
    ///
    /// # Safety
    ///
    /// Called by the thread that owns this slot, while it holds a guard on it: the slot's
    /// epoch is announced (not 0) and the light fence has run since.
    pub(super) unsafe fn push(&self, retired: Retired) {
        // The handshake's owner half: announcement, light fence (both in `enter`), then this
        // load. A collector that claimed before its heavy fence either sees the announcement and
        // leaves the bag alone, or its claim is seen here. Acquire: what a collector did to the
        // bag happens before the push, once it has released the claim.
        let mut spins = 0u32;
        while self.claimed.load(Ordering::Acquire) {
            // A collector holds the bag for a few moves, never while waiting on anything.
            if spins < 64 {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        // SAFETY: the bag is unclaimed and the slot announced, so no collector touches it until
        // this guard ends (the handshake above), and this thread, its owner, holds no other
        // reference to it: claims and `take_ready` hand out owned objects.
        unsafe { (*self.bag.get()).push(retired) };
        let retired = self.retired_since_collect.load(Ordering::Relaxed);
        self.retired_since_collect
            .store(retired + 1, Ordering::Relaxed);
    }

    /// Claims the bag for a collection, unless another collector holds it.
    pub(super) fn try_claim(&self) -> Option<Claim<'_>> {
        // Acquire: the previous holder's moves out of the bag happen before ours. (`then`, not
        // `then_some`: a `Claim` built for a failed exchange would release the holder's claim
        // when dropped.)
        self.claimed
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
            .then(|| Claim { slot: self })
    }
}

/// A collector's hold on one slot's bag, released when dropped.
pub(super) struct Claim<'a> {
    slot: &'a Slot,
}

impl Claim<'_> {
    /// The claimed slot.
    pub(super) fn slot(&self) -> &Slot {
        self.slot
    }

    /// Moves the objects retired before `epoch` into `ready`, to be dropped by the caller after
    /// the claim is released (dropping them runs user code, which may re-enter the map and push
    /// to this bag); returns how many stay in the bag.
    ///
    /// # Safety
    ///
    /// The heavy fence ran after this claim was taken, and the slot's epoch, loaded after that
    /// fence, was 0: its owner held no guard, and its next push will wait for this claim.
    pub(super) unsafe fn take_ready(&mut self, epoch: u64, ready: &mut Vec<Retired>) -> usize {
        // SAFETY: by the caller's contract and the handshake (see `push`), neither the owner nor
        // another collector touches the bag while this claim lives; `&mut self` keeps this the
        // only borrow through it, and it ends before this returns.
        let bag = unsafe { &mut *self.slot.bag.get() };
        // Usually every object is old enough: then one block copy moves them all (`append`
        // leaves the bag its capacity for the owner's next pushes), where `extract_if` moved
        // and tested them one by one (callgrind: 84 instructions per object in the Exchange
        // mix). The check reads only the tags, in order.
        if bag.iter().all(|retired| retired.epoch < epoch) {
            ready.append(bag);
            return 0;
        }
        // Reserved up front: `ready` grows at most once per bag instead of doubling from empty.
        ready.reserve(bag.len());
        ready.extend(bag.extract_if(.., |retired| retired.epoch < epoch));
        bag.len()
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        // Release: our moves out of the bag happen before the owner's next push and the next
        // collector's claim.
        self.slot.claimed.store(false, Ordering::Release);
    }
}

/// Enough buckets for every thread number a `usize` can count on 64-bit targets.
const BUCKETS: usize = usize::BITS as usize;

/// The slot array of one map.
pub(super) struct Slots {
    buckets: [AtomicPtr<Slot>; BUCKETS],
    /// One more than the highest bucket allocated so far: scans stop there instead of loading
    /// all 64 bucket pointers (thread numbers are dense, so a handful of buckets is typical).
    in_use: AtomicUsize,
}

/// Bucket and index of thread number `n`: bucket `b` holds numbers `2^b - 1 ..= 2^(b+1) - 2`.
#[inline]
fn locate(n: usize) -> (usize, usize) {
    let shifted = n + 1;
    let bucket = (usize::BITS - 1 - shifted.leading_zeros()) as usize;
    (bucket, shifted - (1 << bucket))
}

impl Slots {
    pub(super) fn new() -> Self {
        Self {
            buckets: [const { AtomicPtr::new(ptr::null_mut()) }; BUCKETS],
            in_use: AtomicUsize::new(0),
        }
    }

    /// The slot of thread number `n`, allocating its bucket on first use.
    #[inline]
    pub(super) fn get(&self, n: usize) -> &Slot {
        let (bucket, index) = locate(n);
        let mut slots = self.buckets[bucket].load(Ordering::Acquire);
        if slots.is_null() {
            slots = self.allocate(bucket);
        }
        // SAFETY: `slots` points to a live bucket of `1 << bucket` slots (allocated by
        // `allocate`, freed only when `self` drops), and `index < 1 << bucket` by `locate`.
        unsafe { &*slots.add(index) }
    }

    #[cold]
    #[inline(never)]
    fn allocate(&self, bucket: usize) -> *mut Slot {
        // Bucket `b` starts at thread number `2^b - 1`.
        let first = (1usize << bucket) - 1;
        let fresh: Box<[Slot]> = (0..1usize << bucket)
            .map(|index| Slot::new(first + index))
            .collect();
        let fresh = Box::into_raw(fresh).cast::<Slot>();
        match self.buckets[bucket].compare_exchange(
            ptr::null_mut(),
            fresh,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => {
                // After the publication: a scan that sees the new bound finds the bucket (the
                // acquire load of `in_use` orders the bucket's release CAS before its own loads).
                self.in_use.fetch_max(bucket + 1, Ordering::AcqRel);
                fresh
            }
            Err(winner) => {
                // SAFETY: `fresh` was never published; it is the boxed slice built above.
                drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(fresh, 1 << bucket)) });
                winner
            }
        }
    }

    /// Every slot allocated so far, and perhaps some allocated meanwhile.
    ///
    /// A thread publishes its bucket and raises `in_use` before its first announcement, so a
    /// scan after a collector's heavy fence misses only slots whose threads announce after that
    /// fence: exactly the readers a collection may ignore, as for a slot that reads 0.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Slot> {
        let in_use = self.in_use.load(Ordering::Acquire);
        self.buckets[..in_use]
            .iter()
            .enumerate()
            .flat_map(|(bucket, slots)| {
                let slots = slots.load(Ordering::Acquire);
                let len = if slots.is_null() { 0 } else { 1usize << bucket };
                // SAFETY: a live bucket of `1 << bucket` slots, as in `get`, that stays allocated
                // while `self` is borrowed; a null bucket yields no index.
                (0..len).map(move |index| unsafe { &*slots.add(index) })
            })
    }

    /// The smallest epoch announced by a thread holding a guard, if any.
    pub(super) fn min_active_epoch(&self) -> Option<u64> {
        self.iter()
            .map(|slot| slot.epoch.load(Ordering::SeqCst))
            .filter(|&epoch| epoch != 0)
            .min()
    }
}

impl Drop for Slots {
    fn drop(&mut self) {
        for (bucket, slots) in self.buckets.iter_mut().enumerate() {
            let slots = *slots.get_mut();
            if !slots.is_null() {
                // SAFETY: allocated in `allocate` as a boxed slice of this length; `&mut self`
                // means no thread uses it. Dropping the slots frees every retired object left.
                drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(slots, 1 << bucket)) });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::locate;

    #[test]
    fn each_slot_records_its_own_thread_number() {
        let slots = super::Slots::new();
        for n in [0, 1, 2, 3, 6, 7, 20, 63, 64] {
            assert_eq!(slots.get(n).number, n);
        }
    }

    /// A collector that fails to claim a bag must leave the holder's claim in place.
    #[test]
    fn a_claimed_bag_stays_claimed_until_its_holder_releases_it() {
        let slots = super::Slots::new();
        let slot = slots.get(0);
        let claim = slot.try_claim().expect("an unclaimed bag");
        assert!(slot.try_claim().is_none());
        assert!(slot.try_claim().is_none(), "the failed claim released it");
        drop(claim);
        assert!(slot.try_claim().is_some());
    }

    /// The owner's half of the handshake: a push inside a guard waits while a collector holds
    /// the bag, and lands once the claim is released.
    #[test]
    fn an_owner_pushes_only_once_the_claim_is_released() {
        use std::sync::atomic::{AtomicBool, Ordering, fence};

        use super::super::retired::Retired;

        let slots = super::Slots::new();
        let slot = slots.get(0);
        let claim = slot.try_claim().expect("an unclaimed bag");
        let pushed = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                // This thread stands for the slot's owner entering a guard.
                slot.epoch.store(1, Ordering::Release);
                fence(Ordering::SeqCst);
                let object = Box::into_raw(Box::new(7u8));
                // SAFETY: the slot is announced and the fence has run, as in a guard; the box
                // is fresh and retired once.
                unsafe { slot.push(Retired::new(object, 1)) };
                pushed.store(true, Ordering::SeqCst);
                slot.epoch.store(0, Ordering::Release);
            });
            // Until the owner has announced itself (or, wrongly, pushed and left).
            while slot.epoch.load(Ordering::SeqCst) == 0 && !pushed.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
            for _ in 0..100 {
                std::thread::yield_now();
                assert!(!pushed.load(Ordering::SeqCst), "pushed into a claimed bag");
            }
            drop(claim);
        });
        assert!(pushed.into_inner());
        let mut ready = Vec::new();
        let mut claim = slot.try_claim().expect("released");
        // SAFETY: the owner's thread has ended (no fence is needed with no other thread left),
        // and its epoch reads 0.
        let left = unsafe { claim.take_ready(2, &mut ready) };
        assert_eq!((ready.len(), left), (1, 0));
    }

    #[test]
    fn thread_numbers_map_to_distinct_slots_in_growing_buckets() {
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(1), (1, 0));
        assert_eq!(locate(2), (1, 1));
        assert_eq!(locate(3), (2, 0));
        assert_eq!(locate(6), (2, 3));
        assert_eq!(locate(7), (3, 0));
    }
}
