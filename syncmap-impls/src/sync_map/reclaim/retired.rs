//! [`Retired`]: an unlinked object with its type erased, waiting to be freed.

/// An object retired by this thread, freed once no reader can still reach it.
pub(super) struct Retired {
    ptr: *mut (),
    free: unsafe fn(*mut ()),
    /// The global epoch when it was unlinked. (The loom stand-in frees everything at the map's
    /// drop and never reads it.)
    #[cfg_attr(loom, allow(dead_code))]
    pub(super) epoch: u64,
}

impl Retired {
    /// # Safety
    ///
    /// `ptr` comes from `Box::<T>::into_raw` and nothing else owns or frees it.
    pub(super) unsafe fn new<T>(ptr: *mut T, epoch: u64) -> Self {
        /// Frees a box whose type was erased.
        ///
        /// # Safety
        ///
        /// `ptr` is a `Box<T>` turned raw, freed only here.
        unsafe fn free_box<T>(ptr: *mut ()) {
            // SAFETY: the contract of `Retired::new`, and `Retired` calls this once, on drop.
            drop(unsafe { Box::from_raw(ptr.cast::<T>()) });
        }
        Self {
            ptr: ptr.cast(),
            free: free_box::<T>,
            epoch,
        }
    }
}

impl Retired {
    /// An object freed by `free` instead of as a box.
    ///
    /// # Safety
    ///
    /// `free(ptr)` may be called once, on any thread, once no reader can reach the object, and
    /// nothing else frees it.
    pub(super) unsafe fn with_free(ptr: *mut (), free: unsafe fn(*mut ()), epoch: u64) -> Self {
        Self { ptr, free, epoch }
    }
}

impl Retired {
    /// The object's address, which a collection prefetches ahead of its free. (The loom
    /// stand-in frees everything at the map's drop and never asks.)
    #[cfg_attr(loom, allow(dead_code))]
    pub(super) fn address(&self) -> *const u8 {
        self.ptr.cast()
    }
}

impl Drop for Retired {
    fn drop(&mut self) {
        // SAFETY: `free` matches the pointer (set together in `new`, or by the caller of `with_free`
        // under its contract), and a `Retired` is
        // dropped once; the owner drops it only when no reader can reach the object.
        unsafe { (self.free)(self.ptr) }
    }
}
