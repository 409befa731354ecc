//! Small, dense, reused thread numbers: each map keeps one reader slot per number, so numbers
//! must stay few even when threads come and go (a thread's number is freed when it exits and
//! handed to the next new thread, which then inherits its slots).

use parking_lot::Mutex;

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

thread_local! {
    static CURRENT: ThreadNumber = ThreadNumber::acquire();
}

/// The current thread's number, or `None` while its thread-locals are being destroyed.
#[inline]
pub(super) fn current() -> Option<usize> {
    CURRENT.try_with(ThreadNumber::get).ok()
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
