//! Running a check: on its own thread under a deadline (so a deadlock fails instead of hanging),
//! with failures re-raised under the check's name; and driving proptest's runner.

use std::any::{Any, type_name};
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{
    Config as ProptestConfig, RngAlgorithm, RngSeed, TestCaseError, TestError, TestRng, TestRunner,
};

use super::Config;

/// Runs `body` for the check `check` of the family `family` on a fresh thread and waits at most
/// `config.deadlock_timeout` for it.
///
/// # Panics
///
/// With a message naming the check and the family if `body` panics or misses the deadline. A
/// thread that missed the deadline is left behind: a deadlocked thread cannot be stopped.
pub(crate) fn run_check<B>(check: &str, family: &str, config: &Config, body: B)
where
    B: FnOnce(Config) + Send + 'static,
{
    let (done, finished) = mpsc::channel::<()>();
    let owned_config = config.clone();
    let worker = thread::Builder::new()
        .name(format!("conformance::{check}"))
        .spawn(move || {
            body(owned_config);
            // The receiver may have given up already; then nobody is listening, which is fine.
            let _ = done.send(());
        })
        .unwrap_or_else(|err| panic!("conformance check `{check}`: cannot spawn a thread: {err}"));
    match finished.recv_timeout(config.deadlock_timeout) {
        // Finished, or the sender was dropped by a panic: join tells which.
        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(payload) = worker.join() {
                panic!(
                    "syncmap conformance check `{check}` failed for `{family}`: {}",
                    panic_message(&*payload)
                );
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!(
            "syncmap conformance check `{check}` failed for `{family}`: it did not finish within \
             {:?}, so it is deadlocked (does the map run a closure or a Drop under a lock that the \
             closure re-enters?) or far too slow for this Config",
            config.deadlock_timeout
        ),
    }
}

/// The name the kit prints for family `F`.
pub(crate) fn family_name<F: ?Sized>() -> &'static str {
    type_name::<F>()
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "<a panic whose payload is not a string>".to_owned()
    }
}

/// Runs `test` on `cases` sequences drawn from `strategy`; on failure, shrinks and returns a
/// message with the reason and the minimal failing sequence. A panic in `test` counts as a failure.
///
/// proptest shrinks a `Vec` by removing elements first and simplifying them after, so a sequence
/// can end up with elements that have become removable; a final greedy pass removes them.
pub(crate) fn run_sequences<T, S, F>(
    config: &Config,
    cases: u32,
    strategy: S,
    test: F,
) -> Result<(), String>
where
    T: Clone + fmt::Debug,
    S: Strategy<Value = Vec<T>>,
    F: Fn(&[T]) -> Result<(), String>,
{
    let seed = config.seed_or_random();
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        // The kit is a library: persisting regressions next to *its* source makes no sense.
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        ..ProptestConfig::default()
    });
    let outcome = runner.run(&strategy, |sequence| {
        guarded(&test, &sequence).map_err(TestCaseError::fail)
    });
    match outcome {
        Ok(()) => Ok(()),
        Err(TestError::Fail(_, shrunk)) => {
            let (minimal, reason) = remove_redundant(shrunk, |s| guarded(&test, s));
            Err(format!(
                "{reason}\nminimal failing sequence (seed {seed}; set `Config::seed` to replay):\n{minimal:#?}"
            ))
        }
        Err(TestError::Abort(reason)) => Err(format!("proptest aborted: {reason}")),
    }
}

/// `test(sequence)`, with a panic turned into an error that keeps the panic's message.
fn guarded<T, F>(test: &F, sequence: &[T]) -> Result<(), String>
where
    F: Fn(&[T]) -> Result<(), String>,
{
    panic::catch_unwind(AssertUnwindSafe(|| test(sequence)))
        .unwrap_or_else(|payload| Err(format!("panicked: {}", panic_message(&*payload))))
}

/// Removes elements of the failing `sequence` one at a time while it keeps failing; returns the
/// result and its failure.
fn remove_redundant<T, F>(mut sequence: Vec<T>, fails: F) -> (Vec<T>, String)
where
    T: Clone,
    F: Fn(&[T]) -> Result<(), String>,
{
    let mut reason = match fails(&sequence) {
        Err(reason) => reason,
        // Not reproducible (a flaky map): report what proptest found.
        Ok(()) => {
            "the failure did not reproduce when replayed (is the map nondeterministic?)".to_owned()
        }
    };
    let mut index = 0;
    while index < sequence.len() {
        let mut shorter = sequence.clone();
        shorter.remove(index);
        match fails(&shorter) {
            Err(shorter_reason) => {
                sequence = shorter;
                reason = shorter_reason;
            }
            Ok(()) => index += 1,
        }
    }
    (sequence, reason)
}

/// Re-raises `result`'s error as a panic (inside [`run_check`], which adds the check's name).
pub(crate) fn fail_on_err(result: Result<(), String>) {
    if let Err(message) = result {
        panic!("{message}");
    }
}

/// A deterministic source of random operations for thread `stream` of a run seeded with `seed`:
/// concurrent checks draw their operations from the same strategies as the differential ones.
pub(crate) fn op_source(seed: u64, stream: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&stream.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    TestRunner::new_with_rng(ProptestConfig::default(), rng)
}

/// One value drawn from `strategy` with `source`'s randomness (no shrinking).
pub(crate) fn draw<S: Strategy>(strategy: &S, source: &mut TestRunner) -> S::Value {
    strategy
        .new_tree(source)
        .unwrap_or_else(|reason| panic!("the kit's strategy rejected every value: {reason}"))
        .current()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::op::op_strategy;

    #[test]
    fn removing_redundant_steps_keeps_only_what_the_failure_needs() {
        let fails = |s: &[u32]| {
            if s.contains(&2) && s.contains(&4) {
                Err(format!("{} steps", s.len()))
            } else {
                Ok(())
            }
        };
        assert_eq!(
            remove_redundant(vec![1, 2, 3, 4, 5], fails),
            (vec![2, 4], "2 steps".to_owned())
        );
    }

    #[test]
    fn a_failure_that_does_not_reproduce_is_reported_as_such() {
        let (sequence, reason) = remove_redundant(vec![1, 2], |_| Ok(()));
        assert_eq!(sequence, [1, 2]);
        assert!(reason.contains("did not reproduce"), "{reason}");
    }

    #[test]
    fn an_op_source_is_determined_by_its_seed_and_stream() {
        let strategy = op_strategy();
        let draws = |seed, stream| {
            let mut source = op_source(seed, stream);
            (0..32)
                .map(|_| draw(&strategy, &mut source))
                .collect::<Vec<_>>()
        };
        assert_eq!(draws(7, 0), draws(7, 0), "the same seed and stream");
        assert_ne!(draws(7, 0), draws(7, 1), "another stream");
        assert_ne!(draws(7, 0), draws(8, 0), "another seed");
    }

    #[test]
    fn a_configured_seed_replays_the_same_sequences() {
        use std::sync::Mutex;

        use crate::conformance::op::ops_strategy;

        let sequences_of = |seed| {
            let seen = Mutex::new(Vec::new());
            let config = Config {
                seed: Some(seed),
                ..Config::default()
            };
            let result = run_sequences(&config, 4, ops_strategy(), |ops| {
                seen.lock().unwrap().push(ops.to_vec());
                Ok(())
            });
            assert_eq!(result, Ok(()));
            seen.into_inner().unwrap()
        };
        assert_eq!(sequences_of(11), sequences_of(11));
        assert_ne!(sequences_of(11), sequences_of(12));
    }

    #[test]
    fn a_family_is_named_by_its_type() {
        assert_eq!(family_name::<u32>(), "u32");
        assert!(family_name::<Config>().ends_with("Config"));
    }
}
