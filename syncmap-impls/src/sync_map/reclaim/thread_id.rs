//! Small, dense, reused thread numbers: each map keeps one reader slot per number, so numbers
//! must stay few even when threads come and go (a thread's number is freed when it exits and
//! handed to the next new thread, which then inherits its slots).
//!
//! Giving a number up needs nothing from the slots: an exited thread holds no guard, so its
//! slot reads 0 and any thread's next collection frees what it left in its bag.

use std::cell::Cell;
use std::ptr;

use parking_lot::Mutex;

use super::slots::Slot;

/// Numbers freed by exited threads, and the next never-used number.
struct Allocator {
    free: Vec<usize>,
    next: usize,
}

static ALLOCATOR: Mutex<Allocator> = Mutex::new(Allocator {
    free: Vec::new(),
    next: 0,
});

/// A thread number, held for as long as the value lives.
pub(super) struct ThreadNumber(usize);

impl ThreadNumber {
    fn acquire() -> Self {
        let mut allocator = ALLOCATOR.lock();
        let number = allocator.free.pop().unwrap_or_else(|| {
            allocator.next += 1;
            allocator.next - 1
        });
        Self(number)
    }

    pub(super) fn get(&self) -> usize {
        self.0
    }
}

impl Drop for ThreadNumber {
    fn drop(&mut self) {
        ALLOCATOR.lock().free.push(self.0);
    }
}

/// The current thread's number, held until the thread exits.
struct Current(ThreadNumber);

impl Drop for Current {
    fn drop(&mut self) {
        // The number goes back to the allocator: the cached slot is no longer this thread's.
        LAST_SLOT.set((0, ptr::null()));
    }
}

thread_local! {
    static CURRENT: Current = Current(ThreadNumber::acquire());
    /// The reclaimer this thread entered last (by id) and its slot there: the read path finds
    /// its slot with one thread-local load while a thread keeps using one map. No destructor,
    /// so it stays readable while other thread-locals are destroyed.
    static LAST_SLOT: Cell<(u64, *const Slot)> = const { Cell::new((0, ptr::null())) };
}

/// The slot cached for reclaimer `id`, if it is the one this thread entered last.
#[inline]
pub(super) fn cached_slot(id: u64) -> Option<*const Slot> {
    let (cached_id, slot) = LAST_SLOT.get();
    (cached_id == id).then_some(slot)
}

/// Remembers `slot` as this thread's own slot in reclaimer `id`.
pub(super) fn cache_slot(id: u64, slot: &Slot) {
    LAST_SLOT.set((id, slot));
}

/// The current thread's number, or `None` while its thread-locals are being destroyed.
#[inline]
pub(super) fn current() -> Option<usize> {
    CURRENT.try_with(|current| current.0.get()).ok()
}

/// A number for a thread whose own is gone (a map used from another thread-local's
/// destructor); the caller gives it back with [`release_temporary`] when its operation ends.
pub(super) fn acquire_temporary() -> usize {
    let number = ThreadNumber::acquire();
    let n = number.get();
    std::mem::forget(number);
    n
}

/// Gives back a number from [`acquire_temporary`].
pub(super) fn release_temporary(n: usize) {
    drop(ThreadNumber(n));
}

#[cfg(test)]
mod tests {
    use super::{acquire_temporary, current, release_temporary};

    #[test]
    fn temporary_numbers_are_distinct_and_given_back() {
        let own = current().expect("a live thread has its number");
        let (a, b) = (acquire_temporary(), acquire_temporary());
        assert!(a != b && a != own && b != own, "{own} {a} {b}");
        release_temporary(b);
        release_temporary(a);
        // Freed numbers are reused first (last freed, first reused). Other tests' new threads
        // may take one in between, so a few tries: a leaked number never comes back.
        let came_back = (0..3).any(|_| {
            let again = acquire_temporary();
            release_temporary(again);
            again == a
        });
        assert!(came_back, "number {a} was not given back");
    }
}
