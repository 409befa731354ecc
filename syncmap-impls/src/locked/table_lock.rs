//! The one difference between `MutexMap` and `RwLockMap`: how readers take the lock.

use std::ops::{Deref, DerefMut};

use crate::reentrance::{
    CheckedMutex, CheckedMutexGuard, CheckedReadGuard, CheckedRwLock, CheckedWriteGuard,
};

/// A lock around a table: shared access for lookups, exclusive access for writes.
pub(crate) trait TableLock<T> {
    /// Guard for lookups.
    type Read<'a>: Deref<Target = T>
    where
        Self: 'a;
    /// Guard for writes.
    type Write<'a>: DerefMut<Target = T>
    where
        Self: 'a;

    fn new(table: T) -> Self;
    fn read(&self) -> Self::Read<'_>;
    fn write(&self) -> Self::Write<'_>;
}

/// `MutexMap`: readers and writers take the same exclusive lock, as Go's `mutexMap.go` does.
/// (Both locks are `parking_lot`'s, wrapped to panic on re-entrance: see `crate::reentrance`.)
impl<T> TableLock<T> for CheckedMutex<T> {
    type Read<'a>
        = CheckedMutexGuard<'a, T>
    where
        T: 'a;
    type Write<'a>
        = CheckedMutexGuard<'a, T>
    where
        T: 'a;

    fn new(table: T) -> Self {
        CheckedMutex::new(table)
    }
    fn read(&self) -> Self::Read<'_> {
        self.lock()
    }
    fn write(&self) -> Self::Write<'_> {
        self.lock()
    }
}

/// `RwLockMap`: lookups share a read lock, as Go's `RWMutexMap` reference map does.
impl<T> TableLock<T> for CheckedRwLock<T> {
    type Read<'a>
        = CheckedReadGuard<'a, T>
    where
        T: 'a;
    type Write<'a>
        = CheckedWriteGuard<'a, T>
    where
        T: 'a;

    fn new(table: T) -> Self {
        CheckedRwLock::new(table)
    }
    fn read(&self) -> Self::Read<'_> {
        CheckedRwLock::read(self)
    }
    fn write(&self) -> Self::Write<'_> {
        CheckedRwLock::write(self)
    }
}
