//! The one difference between `MutexMap` and `RwLockMap`: how readers take the lock.

use std::ops::{Deref, DerefMut};

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
impl<T> TableLock<T> for parking_lot::Mutex<T> {
    type Read<'a>
        = parking_lot::MutexGuard<'a, T>
    where
        T: 'a;
    type Write<'a>
        = parking_lot::MutexGuard<'a, T>
    where
        T: 'a;

    fn new(table: T) -> Self {
        parking_lot::Mutex::new(table)
    }
    fn read(&self) -> Self::Read<'_> {
        self.lock()
    }
    fn write(&self) -> Self::Write<'_> {
        self.lock()
    }
}

/// `RwLockMap`: lookups share a read lock, as Go's `RWMutexMap` reference map does.
impl<T> TableLock<T> for parking_lot::RwLock<T> {
    type Read<'a>
        = parking_lot::RwLockReadGuard<'a, T>
    where
        T: 'a;
    type Write<'a>
        = parking_lot::RwLockWriteGuard<'a, T>
    where
        T: 'a;

    fn new(table: T) -> Self {
        parking_lot::RwLock::new(table)
    }
    fn read(&self) -> Self::Read<'_> {
        parking_lot::RwLock::read(self)
    }
    fn write(&self) -> Self::Write<'_> {
        parking_lot::RwLock::write(self)
    }
}
