//! The synchronisation primitives of `SyncMap`, in one place so that the model checker can swap
//! them: with `RUSTFLAGS="--cfg loom"` they are loom's, which explores every interleaving of
//! their operations (see `syncmap-impls/tests/loom_sync_map.rs`); otherwise they are `std`'s
//! atomics and `parking_lot`'s mutex (wrapped to panic on re-entrance, see `crate::reentrance`).

#[cfg(not(loom))]
pub(super) use crate::reentrance::CheckedMutex as Mutex;
#[cfg(not(loom))]
pub(super) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};

#[cfg(loom)]
pub(super) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};

/// loom's mutex with `parking_lot`'s signature: no poisoning, since loom models never unwind.
#[cfg(loom)]
#[derive(Debug)]
pub(super) struct Mutex<T>(loom::sync::Mutex<T>);

#[cfg(loom)]
impl<T> Mutex<T> {
    pub(super) fn new(value: T) -> Self {
        Self(loom::sync::Mutex::new(value))
    }

    pub(super) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
