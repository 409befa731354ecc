//! Asymmetric fences: a reader announcing itself needs a store-load barrier, which costs a full
//! fence on every read. Linux's `membarrier(2)` moves that cost to the rare writer that frees
//! memory: readers emit only a compiler fence, and the collector makes every running thread of
//! the process execute a full barrier before it scans the readers' announcements.
//!
//! Where `membarrier` is unavailable (other systems, old kernels, seccomp, Miri), both sides use
//! an ordinary `SeqCst` fence, which is correct everywhere and merely slower for readers.

use std::sync::OnceLock;
use std::sync::atomic::{Ordering, compiler_fence, fence};

/// The fences of one process: asymmetric (`membarrier`) or symmetric (`SeqCst` fences). Each
/// reclaimer keeps a copy beside the fields its readers load anyway, so a read tests a flag on a
/// line it already holds instead of loading a static's address from the GOT and then the static.
#[derive(Clone, Copy, Debug)]
pub(super) struct Barrier {
    expedited: bool,
}

impl Barrier {
    /// Chooses the strategy, once per process, and returns it: whether `membarrier` was
    /// registered. Every call returns the same (concurrent first calls wait for the one that
    /// registers), so every reader and collector of every map agrees.
    pub(super) fn detect() -> Self {
        static EXPEDITED: OnceLock<bool> = OnceLock::new();
        Self {
            expedited: *EXPEDITED.get_or_init(os::register),
        }
    }

    /// The reader's half: orders the reader's announcement before its later loads.
    #[inline]
    pub(super) fn light(self) {
        if self.expedited {
            compiler_fence(Ordering::SeqCst);
        } else {
            fence(Ordering::SeqCst);
        }
    }

    /// The collector's half: after it returns, every reader's announcement made before it is
    /// visible, and every reader that announces after it sees what was unlinked before it.
    pub(super) fn heavy(self) {
        if self.expedited {
            os::membarrier();
        } else {
            fence(Ordering::SeqCst);
        }
    }
}

#[cfg(all(target_os = "linux", not(miri), not(loom)))]
mod os {
    const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
    const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;

    /// Registers the process for private expedited barriers; `false` if the kernel refuses.
    pub(super) fn register() -> bool {
        // SAFETY: `membarrier` takes three integer arguments and touches no memory of ours.
        unsafe {
            libc::syscall(
                libc::SYS_membarrier,
                MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
                0,
                0,
            ) == 0
        }
    }

    pub(super) fn membarrier() {
        // SAFETY: as in `register`; the process registered before `EXPEDITED` was set.
        let result =
            unsafe { libc::syscall(libc::SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) };
        // Registered expedited barriers cannot fail; if one ever did, a full fence here would not
        // restore the readers' half, so refusing to go on is the only safe answer.
        assert_eq!(
            result, 0,
            "membarrier failed after a successful registration"
        );
    }
}

#[cfg(not(all(target_os = "linux", not(miri), not(loom))))]
mod os {
    pub(super) fn register() -> bool {
        false
    }

    pub(super) fn membarrier() {
        unreachable!("never registered on this platform")
    }
}
