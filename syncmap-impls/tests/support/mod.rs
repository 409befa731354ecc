//! Helpers shared by the integration tests of this crate: a linearizability checker, a recorder
//! of concurrent histories, a seeded generator, and test scale.
//!
//! Each test binary uses only part of this module.
#![allow(dead_code)]

pub(crate) mod instrumented;
pub(crate) mod lincheck;
pub(crate) mod record;
pub(crate) mod rng;

/// `native` normally, `miri` under Miri (which runs thousands of times slower).
pub(crate) const fn scaled(native: usize, miri: usize) -> usize {
    if cfg!(miri) { miri } else { native }
}

/// Runs `body` on its own thread and fails if it has not finished after `seconds`: a deadlock
/// becomes a failure instead of a hung test. The thread is abandoned if it hangs.
pub(crate) fn with_deadline<F: FnOnce() + Send + 'static>(what: &str, seconds: u64, body: F) {
    if cfg!(miri) {
        // Miri reports a deadlock itself, and its clock makes deadlines meaningless.
        body();
        return;
    }
    let (done, finished) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        body();
        let _ = done.send(());
    });
    match finished.recv_timeout(std::time::Duration::from_secs(seconds)) {
        Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(payload) = worker.join() {
                std::panic::resume_unwind(payload);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: still running after {seconds} s: deadlocked")
        }
    }
}
