//! Memory reclamation for [`SyncMap`](super::SyncMap): when may a replaced value, a deleted
//! value or an old `read` map be freed, now that there is no garbage collector to ask?
//!
//! Readers never lock, so a writer that unlinks an object cannot know on its own whether a
//! reader is still looking at it. Every operation therefore runs inside a [`Guard`], and unlinked
//! objects are [retired](Reclaimer::retire) rather than freed: they are freed once every guard
//! that could have seen them has ended. The scheme underneath is [`seize`] (the collector papaya
//! uses): per-map, so values need not be `'static` and everything is freed when the map drops;
//! its reader side costs a thread-local access and a plain store thanks to asymmetric
//! (`membarrier`) fences on Linux.
//!
//! Objects are retired only after `mu` is released and guards end only after it is released, so
//! the `Drop` of a value, which runs when its batch is reclaimed, never runs under `mu`.

use std::sync::atomic::{AtomicPtr, Ordering};

use seize::Guard as _;

/// Owns the objects a map retired until no guard can reach them.
pub(super) struct Reclaimer {
    collector: seize::Collector,
}

/// Proof that the current thread is inside an operation: objects loaded through
/// [`protect`](Guard::protect) stay allocated until the guard is dropped.
pub(super) struct Guard<'a> {
    inner: seize::LocalGuard<'a>,
}

impl Reclaimer {
    /// Retirements are batched, one batch per thread; a small batch keeps a deleted value's
    /// `Drop` close to its deletion (the contract asks for prompt drops, not drops at the next
    /// promotion) while still amortising the fence a batch costs.
    const BATCH_SIZE: usize = 8;

    pub(super) fn new() -> Self {
        Self {
            collector: seize::Collector::new().batch_size(Self::BATCH_SIZE),
        }
    }

    /// Starts an operation.
    #[inline]
    pub(super) fn enter(&self) -> Guard<'_> {
        Guard {
            inner: self.collector.enter(),
        }
    }

    /// Frees `ptr` (a `Box<T>` turned into a raw pointer) once no guard can still reach it.
    ///
    /// # Safety
    ///
    /// `ptr` came from `Box::into_raw`, has been unlinked so that no operation that starts from
    /// now on can reach it, is retired only once, and the current thread does not touch it again
    /// (other threads may, through guards that were active when it was unlinked).
    pub(super) unsafe fn retire<T>(&self, ptr: *mut T) {
        // SAFETY: the caller guarantees the pointer is unlinked, retired once and boxed, which is
        // exactly what `seize::reclaim::boxed` and `retire` require.
        unsafe { self.collector.retire(ptr, seize::reclaim::boxed::<T>) }
    }
}

impl Guard<'_> {
    /// Loads `ptr` so that the object it points to stays allocated while `self` lives.
    #[inline]
    pub(super) fn protect<T>(&self, ptr: &AtomicPtr<T>) -> *mut T {
        self.inner.protect(ptr, Ordering::Acquire)
    }
}

impl std::fmt::Debug for Reclaimer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reclaimer").finish_non_exhaustive()
    }
}
