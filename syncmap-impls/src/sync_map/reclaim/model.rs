//! The reclaimer of loom builds: everything retired is freed when the map drops.
//!
//! loom explores the interleavings of the map's own atomics and lock; the epoch reclaimer's
//! thread-local numbers and `membarrier` fences are outside what it can model, and are checked
//! instead by Miri and ThreadSanitizer. Deferring every free to the map's drop keeps each model's
//! memory safe while still counting every drop (the models assert that each value is dropped
//! exactly once by then).

use std::marker::PhantomData;

use super::super::sync::{AtomicPtr, Mutex, Ordering};
use super::retired::Retired;

/// Holds every retired object until the map drops.
pub(crate) struct Reclaimer {
    retired: Mutex<Vec<Retired>>,
}

/// An operation in progress; loads through it are plain `SeqCst` loads.
pub(crate) struct Guard<'a> {
    reclaimer: &'a Reclaimer,
    _not_send: PhantomData<*mut ()>,
}

impl Reclaimer {
    pub(crate) fn new() -> Self {
        Self {
            retired: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn enter(&self) -> Guard<'_> {
        Guard {
            reclaimer: self,
            _not_send: PhantomData,
        }
    }
}

impl Guard<'_> {
    pub(crate) fn protect<T>(&self, ptr: &AtomicPtr<T>) -> *mut T {
        ptr.load(Ordering::SeqCst)
    }

    /// # Safety
    ///
    /// As for the epoch reclaimer: `ptr` is an unlinked `Box<T>`, retired once.
    pub(crate) unsafe fn retire<T>(&self, ptr: *mut T) {
        // SAFETY: the caller's contract is `Retired::new`'s.
        let retired = unsafe { Retired::new(ptr, 0) };
        self.reclaimer.retired.lock().push(retired);
    }

    /// # Safety
    ///
    /// As for the epoch reclaimer's `retire_with`.
    pub(crate) unsafe fn retire_with(&self, ptr: *mut (), free: unsafe fn(*mut ())) {
        // SAFETY: the caller's contract is `Retired::with_free`'s.
        let retired = unsafe { Retired::with_free(ptr, free, 0) };
        self.reclaimer.retired.lock().push(retired);
    }
}

impl std::fmt::Debug for Reclaimer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reclaimer").finish_non_exhaustive()
    }
}
