//! How hard the kit tries: case counts, thread counts, the deadlock deadline, the random seed.

use std::time::Duration;

/// The environment variable that overrides [`Config::cases`] in [`Config::default`].
pub const CASES_ENV_VAR: &str = "SYNCMAP_CONFORMANCE_CASES";

/// How many cases, threads and operations each check runs.
///
/// [`Config::default`] is what CI should run: 10,000 random sequences for the differential checks
/// (or the number in the environment variable `SYNCMAP_CONFORMANCE_CASES`), 4 threads of 2,000
/// operations for the concurrent ones, scaled far down under Miri.
///
/// ```
/// use syncmap_core::conformance::Config;
///
/// // A quick smoke run, e.g. in a doctest or under a slow sanitizer.
/// let quick = Config { cases: 50, ops_per_thread: 100, ..Config::default() };
/// assert_eq!(quick.cases, 50);
/// assert!(quick.threads >= 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Random operation sequences per differential check (`check_sequential`, `check_against`);
    /// the drop and panic checks run a tenth of this, at least one.
    pub cases: u32,
    /// Threads in each concurrent check.
    pub threads: usize,
    /// Operations each thread performs in each concurrent check.
    pub ops_per_thread: usize,
    /// How long a check may run before the kit declares it deadlocked and fails (the check runs
    /// on its own thread, which is abandoned). Generous: it exists to turn a hang into a failure,
    /// not to measure speed.
    pub deadlock_timeout: Duration,
    /// Seed for every random choice, so a run can be repeated; `None` picks a fresh seed per run.
    /// Failures print the minimal failing sequence either way.
    pub seed: Option<u64>,
}

impl Default for Config {
    /// 10,000 cases (or `$SYNCMAP_CONFORMANCE_CASES`), 4 threads × 2,000 operations, a 5-minute
    /// deadlock deadline and a random seed; under Miri 8 cases, 2 threads × 24 operations.
    ///
    /// # Panics
    ///
    /// If `SYNCMAP_CONFORMANCE_CASES` is set but is not a number: a typo should not silently
    /// run the default.
    fn default() -> Self {
        let cases = match std::env::var(CASES_ENV_VAR) {
            Ok(text) => text.trim().parse().unwrap_or_else(|_| {
                panic!("{CASES_ENV_VAR}={text:?} is not a number of cases (a u32)")
            }),
            Err(_) if cfg!(miri) => 8,
            Err(_) => 10_000,
        };
        if cfg!(miri) {
            Self {
                cases,
                threads: 2,
                ops_per_thread: 24,
                // Miri runs thousands of times slower than native code.
                deadlock_timeout: Duration::from_secs(6 * 60 * 60),
                seed: None,
            }
        } else {
            Self {
                cases,
                threads: 4,
                ops_per_thread: 2_000,
                deadlock_timeout: Duration::from_secs(5 * 60),
                seed: None,
            }
        }
    }
}

impl Config {
    /// A tenth of [`cases`](Self::cases), at least one: for checks whose cases cost more.
    pub(crate) fn tenth_cases(&self) -> u32 {
        (self.cases / 10).max(1)
    }

    /// The seed to use: the configured one, or a fresh one from the standard library's
    /// randomly keyed hasher (good enough to vary runs; not a cryptographic source).
    pub(crate) fn seed_or_random(&self) -> u64 {
        use std::hash::{BuildHasher, RandomState};
        self.seed
            .unwrap_or_else(|| RandomState::new().hash_one(0x5eed_u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_seed_is_used_and_none_picks_a_fresh_one_each_time() {
        let fixed = Config {
            seed: Some(7),
            ..Config::default()
        };
        assert_eq!(fixed.seed_or_random(), 7);
        let random = Config {
            seed: None,
            ..Config::default()
        };
        assert_ne!(random.seed_or_random(), random.seed_or_random());
    }

    #[test]
    fn costlier_checks_run_a_tenth_of_the_cases_and_at_least_one() {
        let with_cases = |cases| Config {
            cases,
            ..Config::default()
        };
        assert_eq!(with_cases(10_000).tenth_cases(), 1_000);
        assert_eq!(with_cases(5).tenth_cases(), 1);
    }
}
