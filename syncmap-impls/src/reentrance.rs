//! Locks that turn a re-entrant acquisition into a panic instead of a deadlock.
//!
//! Every map here runs some user code while holding its lock: the `Hash` and `Eq` of keys (a hash
//! table cannot be searched without them) and, in `SyncMap`'s dirty rebuild, the `Clone` of keys.
//! If that code calls back into the same map on the same thread, the call needs the lock its own
//! thread already holds. `parking_lot`'s locks are not re-entrant, so that would hang the thread
//! forever, with no message. The contract forbids such calls, and these wrappers make breaking it
//! loud: the re-entrant call panics with [`REENTRANT_CALL`], the panic unwinds through the user's
//! code and out of the outer call, and the map stays consistent (every lock-holding path is
//! panic-safe, see `tests/panic_safety.rs`). `tests/reentrance.rs` calls back from every such
//! place. (A call back made from *another* thread that the user's code waits for still deadlocks:
//! no lock can tell that apart from ordinary contention.)
//!
//! For the exclusive locks the check costs, on the uncontended path, one thread-local address and
//! two relaxed stores next to the lock word: the holder records its thread's token in `owner`,
//! and only an acquisition that fails to take the lock at once compares `owner` with its own
//! token. A thread reads back its own last store, so it sees its own token exactly while it holds
//! the lock. Shared (read) locks have many holders, so [`CheckedRwLock`] also records, in a small
//! per-thread array, the read locks the thread holds: a few more loads and stores per read.
//!
//! Both thread-locals are constant-initialised and have no destructor, so they stay usable while
//! the thread's other thread-locals are destroyed (a map may be used from such a destructor).

use std::cell::Cell;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The message of the panic that replaces a deadlock.
pub(crate) const REENTRANT_CALL: &str = "syncmap: a key's Hash, Eq or Clone called back into the \
    map that was running it, under that map's lock; this would deadlock, so it panics instead \
    (see `ConcurrentMap`'s contract, \"No user code under an internal lock\")";

/// How many read locks held at once a thread can record; more than that are only counted.
const RECORDED_READS: usize = 8;

/// The read locks of `CheckedRwLock`s a thread holds, by address (0: a free place).
struct ReadsHeld {
    locks: [Cell<usize>; RECORDED_READS],
    /// Read locks held beyond the recorded ones, whichever they are.
    unrecorded: Cell<usize>,
}

impl ReadsHeld {
    fn record(&self, lock: usize) {
        match self.locks.iter().find(|place| place.get() == 0) {
            Some(place) => place.set(lock),
            None => self.unrecorded.set(self.unrecorded.get() + 1),
        }
    }

    fn forget(&self, lock: usize) {
        match self.locks.iter().find(|place| place.get() == lock) {
            Some(place) => place.set(0),
            None => self.unrecorded.set(self.unrecorded.get().saturating_sub(1)),
        }
    }

    /// Whether `lock` is held for reading: `None` if it may be among the unrecorded ones.
    fn holds(&self, lock: usize) -> Option<bool> {
        if self.locks.iter().any(|place| place.get() == lock) {
            Some(true)
        } else if self.unrecorded.get() > 0 {
            None
        } else {
            Some(false)
        }
    }
}

thread_local! {
    /// Its address identifies the thread; it is never 0, the `owner` of an unheld lock.
    static THREAD_TOKEN: u8 = const { 0 };
    static READS_HELD: ReadsHeld = const {
        ReadsHeld {
            locks: [const { Cell::new(0) }; RECORDED_READS],
            unrecorded: Cell::new(0),
        }
    };
}

/// This thread's token, or 0 where thread-locals are no longer reachable (never on platforms
/// with native thread-locals): then no lock is recorded as held by it, nor checked.
fn thread_token() -> usize {
    THREAD_TOKEN
        .try_with(|token| std::ptr::from_ref(token) as usize)
        .unwrap_or(0)
}

/// Guards stay on the thread that locked (the owner and the read list are per thread), whatever
/// `parking_lot`'s features say about its own guards.
type NotSend = PhantomData<*const ()>;

#[cold]
#[inline(never)]
fn reentrant_call() -> ! {
    panic!("{REENTRANT_CALL}")
}

/// A `parking_lot::Mutex` that panics, rather than deadlocks, when its holder locks it again.
#[derive(Debug, Default)]
pub(crate) struct CheckedMutex<T> {
    /// The token of the holding thread, or 0. Written only by the holder.
    owner: AtomicUsize,
    inner: parking_lot::Mutex<T>,
}

impl<T> CheckedMutex<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self {
            owner: AtomicUsize::new(0),
            inner: parking_lot::Mutex::new(value),
        }
    }

    /// Locks, blocking while another thread holds the lock.
    ///
    /// # Panics
    ///
    /// With [`REENTRANT_CALL`] if this thread already holds it.
    pub(crate) fn lock(&self) -> CheckedMutexGuard<'_, T> {
        let me = thread_token();
        let guard = match self.inner.try_lock() {
            Some(guard) => guard,
            None => {
                if me != 0 && self.owner.load(Ordering::Relaxed) == me {
                    reentrant_call();
                }
                self.inner.lock()
            }
        };
        self.owner.store(me, Ordering::Relaxed);
        CheckedMutexGuard {
            owner: &self.owner,
            guard,
            _not_send: PhantomData,
        }
    }
}

/// The guard of a [`CheckedMutex`]; clears the owner before unlocking.
pub(crate) struct CheckedMutexGuard<'a, T> {
    owner: &'a AtomicUsize,
    guard: parking_lot::MutexGuard<'a, T>,
    _not_send: NotSend,
}

impl<T> Drop for CheckedMutexGuard<'_, T> {
    fn drop(&mut self) {
        // Runs before the field `guard` unlocks: the owner is cleared while still held.
        self.owner.store(0, Ordering::Relaxed);
    }
}

impl<T> Deref for CheckedMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for CheckedMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

/// A `parking_lot::RwLock` that panics, rather than deadlocks, when a thread holding it asks for
/// the write lock, or for a read lock while holding the write lock. A thread holding a read lock
/// may take another read lock: that one is recursive, so it never waits behind a queued writer.
#[derive(Debug, Default)]
pub(crate) struct CheckedRwLock<T> {
    /// The token of the thread holding the write lock, or 0. Written only by that thread.
    owner: AtomicUsize,
    inner: parking_lot::RwLock<T>,
}

impl<T> CheckedRwLock<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self {
            owner: AtomicUsize::new(0),
            inner: parking_lot::RwLock::new(value),
        }
    }

    fn address(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// Whether this thread holds a read lock of `self`; `None` if it cannot tell.
    fn read_held_here(&self) -> Option<bool> {
        let me = self.address();
        READS_HELD.try_with(|held| held.holds(me)).unwrap_or(None)
    }

    /// Takes a read lock.
    ///
    /// # Panics
    ///
    /// With [`REENTRANT_CALL`] if this thread holds the write lock.
    pub(crate) fn read(&self) -> CheckedReadGuard<'_, T> {
        let guard = match self.inner.try_read() {
            Some(guard) => guard,
            None => {
                let me = thread_token();
                if me != 0 && self.owner.load(Ordering::Relaxed) == me {
                    reentrant_call();
                }
                if self.read_held_here() == Some(false) {
                    self.inner.read()
                } else {
                    // Holding a read lock (or unable to tell), a plain `read` could queue behind
                    // a waiting writer that waits for this very thread.
                    self.inner.read_recursive()
                }
            }
        };
        let me = self.address();
        let _ = READS_HELD.try_with(|held| held.record(me));
        CheckedReadGuard {
            lock: self,
            guard,
            _not_send: PhantomData,
        }
    }

    /// Takes the write lock.
    ///
    /// # Panics
    ///
    /// With [`REENTRANT_CALL`] if this thread holds the lock, for reading or writing.
    pub(crate) fn write(&self) -> CheckedWriteGuard<'_, T> {
        let me = thread_token();
        let guard = match self.inner.try_write() {
            Some(guard) => guard,
            None => {
                let written_here = me != 0 && self.owner.load(Ordering::Relaxed) == me;
                if written_here || self.read_held_here() == Some(true) {
                    reentrant_call();
                }
                self.inner.write()
            }
        };
        self.owner.store(me, Ordering::Relaxed);
        CheckedWriteGuard {
            owner: &self.owner,
            guard,
            _not_send: PhantomData,
        }
    }
}

/// A read guard of a [`CheckedRwLock`]; forgets the lock in this thread's list when dropped.
pub(crate) struct CheckedReadGuard<'a, T> {
    lock: &'a CheckedRwLock<T>,
    guard: parking_lot::RwLockReadGuard<'a, T>,
    _not_send: NotSend,
}

impl<T> Drop for CheckedReadGuard<'_, T> {
    fn drop(&mut self) {
        let me = self.lock.address();
        let _ = READS_HELD.try_with(|held| held.forget(me));
    }
}

impl<T> Deref for CheckedReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

/// The write guard of a [`CheckedRwLock`]; clears the owner before unlocking.
pub(crate) struct CheckedWriteGuard<'a, T> {
    owner: &'a AtomicUsize,
    guard: parking_lot::RwLockWriteGuard<'a, T>,
    _not_send: NotSend,
}

impl<T> Drop for CheckedWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.owner.store(0, Ordering::Relaxed);
    }
}

impl<T> Deref for CheckedWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for CheckedWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    fn panics_reentrant(f: impl FnOnce()) -> bool {
        let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
        payload.downcast_ref::<String>().map(String::as_str) == Some(REENTRANT_CALL)
    }

    #[test]
    fn a_mutex_relocked_by_its_holder_panics_and_unlocks() {
        let mutex = CheckedMutex::new(1);
        assert!(panics_reentrant(|| {
            let _held = mutex.lock();
            let _again = mutex.lock();
        }));
        // The unwinding released the first guard.
        *mutex.lock() += 1;
        assert_eq!(*mutex.lock(), 2);
    }

    #[test]
    fn another_thread_waits_for_the_mutex_instead_of_panicking() {
        let mutex = CheckedMutex::new(0);
        let held = mutex.lock();
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| *mutex.lock() += 1);
            std::thread::sleep(std::time::Duration::from_millis(20));
            drop(held);
            waiter.join().expect("the waiter does not panic");
        });
        assert_eq!(*mutex.lock(), 1);
    }

    #[test]
    fn two_mutexes_nest() {
        let (a, b) = (CheckedMutex::new(1), CheckedMutex::new(2));
        let held_a = a.lock();
        assert_eq!(*b.lock() + *held_a, 3);
    }

    #[test]
    fn a_read_of_one_lock_does_not_refuse_a_contended_write_of_another() {
        let (a, b) = (CheckedRwLock::new(1), CheckedRwLock::new(2));
        let (held, release) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let _read_b = b.read();
                held.wait();
                release.wait();
            });
            held.wait();
            let read_a = a.read();
            // `b` is read-locked by the other thread, so this write waits (after `release`)
            // rather than finding that this thread, which holds only `a`, holds `b`.
            let writer = || *b.write() += *read_a;
            std::thread::scope(|inner| {
                let releaser = inner.spawn(|| {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    release.wait();
                });
                writer();
                releaser.join().expect("the releaser does not panic");
            });
        });
        assert_eq!(*b.read(), 3);
    }

    #[test]
    fn locks_work_from_a_thread_local_destructor() {
        use std::sync::Arc;
        struct LockOnExit(Option<Arc<CheckedRwLock<u32>>>);
        impl Drop for LockOnExit {
            fn drop(&mut self) {
                if let Some(lock) = self.0.take() {
                    let (outer, inner) = (lock.read(), lock.read());
                    let read = *outer + *inner;
                    drop((outer, inner));
                    *lock.write() = read;
                }
            }
        }
        thread_local! {
            static ON_EXIT: std::cell::RefCell<LockOnExit> =
                const { std::cell::RefCell::new(LockOnExit(None)) };
        }
        let lock = Arc::new(CheckedRwLock::new(1));
        let shared = Arc::clone(&lock);
        std::thread::spawn(move || {
            ON_EXIT.with_borrow_mut(|on_exit| on_exit.0 = Some(Arc::clone(&shared)));
            assert_eq!(*shared.read(), 1);
        })
        .join()
        .expect("the destructor does not panic");
        assert_eq!(*lock.read(), 2);
    }

    #[test]
    fn reads_beyond_the_recorded_ones_make_the_answer_unknown() {
        let held = ReadsHeld {
            locks: [const { Cell::new(0) }; RECORDED_READS],
            unrecorded: Cell::new(0),
        };
        for _ in 0..=RECORDED_READS {
            held.record(1);
        }
        assert_eq!((held.holds(1), held.holds(2)), (Some(true), None));
        for _ in 0..=RECORDED_READS {
            held.forget(1);
        }
        assert_eq!((held.holds(1), held.holds(2)), (Some(false), Some(false)));
    }

    #[test]
    fn reads_nest_and_writes_under_a_held_lock_panic() {
        let lock = CheckedRwLock::new(5);
        {
            let outer = lock.read();
            let inner = lock.read();
            assert_eq!(*outer + *inner, 10);
        }
        assert!(panics_reentrant(|| {
            let _read = lock.read();
            let _write = lock.write();
        }));
        assert!(panics_reentrant(|| {
            let _write = lock.write();
            let _read = lock.read();
        }));
        assert!(panics_reentrant(|| {
            let _write = lock.write();
            let _again = lock.write();
        }));
        *lock.write() += 1;
        assert_eq!(*lock.read(), 6);
        assert!(READS_HELD.with(|held| held.holds(lock.address()) == Some(false)));
    }
}
