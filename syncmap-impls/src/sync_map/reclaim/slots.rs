//! One [`Slot`] per thread number, in a growable array that never moves: bucket `b` holds
//! `2^b` slots and is allocated the first time a thread with a number in its range enters.

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
    /// The bag length at which the owning thread next collects; raised while objects cannot
    /// be freed (another thread holds an old guard) so that collecting does not repeat on every
    /// operation, and 0 while a number is borrowed, to send the end of the operation to the
    /// slow path. Only the owning thread touches it.
    pub(super) collect_at: AtomicUsize,
    /// The thread number this slot belongs to.
    pub(super) number: usize,
    /// Set while a thread without a number of its own borrows this slot's for one operation.
    /// Only the borrowing thread touches it.
    pub(super) temporary: AtomicBool,
    /// Objects the owning thread retired and has not freed yet.
    bag: UnsafeCell<Vec<Retired>>,
}

// SAFETY: `epoch` is atomic. `bag` is touched only by the thread that owns the
// slot's number while it holds a guard on this slot (`push`, `take_ready`), or through `&mut`
// when the map is dropped; a number changes owner only through the allocator's mutex, which
// orders the old owner's last access before the new owner's first. The retired objects are
// values and maps of a `SyncMap` that is itself `Send + Sync` only for `Send + Sync` contents.
unsafe impl Sync for Slot {}
// SAFETY: as above; moving the slot array moves retired objects of `Send` contents.
unsafe impl Send for Slot {}

impl Slot {
    fn new(number: usize) -> Self {
        Self {
            epoch: AtomicU64::new(0),
            collect_at: AtomicUsize::new(super::epoch::Reclaimer::COLLECT_AT),
            number,
            temporary: AtomicBool::new(false),
            bag: UnsafeCell::new(Vec::new()),
        }
    }

    /// Adds an object to the bag.
    ///
    /// # Safety
    ///
    /// Called by the thread that owns this slot, while it holds a guard on it.
    pub(super) unsafe fn push(&self, retired: Retired) {
        // SAFETY: only the owning thread touches the bag (the caller's contract), and it holds
        // no other reference to it now: `take_ready` returns owned objects.
        unsafe { (*self.bag.get()).push(retired) }
    }

    /// How many objects wait in the bag.
    ///
    /// # Safety
    ///
    /// As for [`push`](Self::push).
    #[inline]
    pub(super) unsafe fn bag_len(&self) -> usize {
        // SAFETY: as in `push`.
        unsafe { (*self.bag.get()).len() }
    }

    /// Moves out the objects retired before `epoch`, to be dropped by the caller (dropping them
    /// runs user code, which may re-enter the map and push to this bag).
    ///
    /// # Safety
    ///
    /// As for [`push`](Self::push).
    pub(super) unsafe fn take_ready(&self, epoch: u64) -> Vec<Retired> {
        // SAFETY: as in `push`; the borrow ends before this returns.
        let bag = unsafe { &mut *self.bag.get() };
        bag.extract_if(.., |retired| retired.epoch < epoch)
            .collect()
    }
}

/// Enough buckets for every thread number a `usize` can count on 64-bit targets.
const BUCKETS: usize = usize::BITS as usize;

/// The slot array of one map.
pub(super) struct Slots {
    buckets: [AtomicPtr<Slot>; BUCKETS],
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
            Ok(_) => fresh,
            Err(winner) => {
                // SAFETY: `fresh` was never published; it is the boxed slice built above.
                drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(fresh, 1 << bucket)) });
                winner
            }
        }
    }

    /// The smallest epoch announced by a thread holding a guard, if any.
    pub(super) fn min_active_epoch(&self) -> Option<u64> {
        let mut min = None;
        for (bucket, slots) in self.buckets.iter().enumerate() {
            let slots = slots.load(Ordering::Acquire);
            if slots.is_null() {
                continue;
            }
            for index in 0..1usize << bucket {
                // SAFETY: a live bucket of `1 << bucket` slots, as in `get`.
                let epoch = unsafe { &*slots.add(index) }.epoch.load(Ordering::SeqCst);
                if epoch != 0 {
                    min = Some(min.map_or(epoch, |m: u64| m.min(epoch)));
                }
            }
        }
        min
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
