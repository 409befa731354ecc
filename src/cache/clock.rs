//! The time a cache field reads: the system's monotonic clock, or a [`ManualClock`] a test
//! moves by hand.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// A clock that moves only when told: inject it with
/// [`CacheField::use_clock`](super::CacheField::use_clock) to test expiry without sleeping.
///
/// ```
/// use std::time::Duration;
/// use syncmap::cache::ManualClock;
///
/// let clock = ManualClock::new();
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(clock.now(), Duration::from_secs(5));
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    nanos: AtomicU64,
}

impl ManualClock {
    /// A clock at zero, shared.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.nanos.fetch_add(nanos(by), Ordering::Release);
    }

    /// The time since the clock was made, as advanced.
    pub fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Acquire))
    }
}

/// Where one cache field reads the time from.
#[derive(Debug, Default)]
pub(crate) struct ClockSource {
    manual: OnceLock<Arc<ManualClock>>,
}

impl ClockSource {
    /// Uses `clock` from now on; `false` if a manual clock was already set.
    pub(crate) fn set(&self, clock: Arc<ManualClock>) -> bool {
        self.manual.set(clock).is_ok()
    }

    /// Nanoseconds on this source's clock.
    #[inline]
    pub(crate) fn now(&self) -> u64 {
        match self.manual.get() {
            Some(clock) => clock.nanos.load(Ordering::Acquire),
            None => system_now(),
        }
    }
}

/// Nanoseconds since the first call in this process, on the monotonic clock.
fn system_now() -> u64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    nanos(ORIGIN.get_or_init(Instant::now).elapsed())
}

/// A duration in nanoseconds, saturating (584 years).
pub(crate) fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}
