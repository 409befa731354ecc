//! The timing harness: Go's `RunParallel` and `b.N` calibration, rebuilt on threads.
//!
//! Go's `testing.B.RunParallel` starts `GOMAXPROCS` goroutines that share one budget of `b.N`
//! iterations: each `pb.Next()` hands out the next iteration of a batch the goroutine claimed
//! from a shared atomic counter. The figure Go prints is the wall-clock time of the whole run
//! divided by `b.N`, the operations of all goroutines together. [`run_parallel`] and [`Pb`] do the
//! same with OS threads, so the numbers are comparable with Go's line for line.
//!
//! The conc-map-bench mixes instead give each thread a fixed share (`ops / threads`), as bustle,
//! their harness, does; [`run_threads`] serves both.

use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Go's cap on the number of iterations a goroutine claims at once.
const MAX_GRAIN: u64 = 10_000;

/// One thread's view of the shared iteration budget (Go's `testing.PB`).
///
/// ```
/// use std::sync::atomic::AtomicU64;
/// use syncmap_bench::harness::Pb;
///
/// let counter = AtomicU64::new(0);
/// let mut pb = Pb::new(&counter, 10, 3, None);
/// let mut ops = 0;
/// while pb.next() {
///     ops += 1;
/// }
/// assert_eq!(ops, 10);
/// ```
#[derive(Debug)]
pub struct Pb<'a> {
    claimed: &'a AtomicU64,
    total: u64,
    grain: u64,
    left_in_batch: u64,
    abort: Option<&'a AtomicBool>,
}

impl<'a> Pb<'a> {
    /// A view of a budget of `total` iterations handed out in batches of `grain` from `claimed`;
    /// if `abort` is set, no new batch is handed out once it becomes `true`.
    pub fn new(
        claimed: &'a AtomicU64,
        total: u64,
        grain: u64,
        abort: Option<&'a AtomicBool>,
    ) -> Self {
        Self {
            claimed,
            total,
            grain: grain.max(1),
            left_in_batch: 0,
            abort,
        }
    }

    /// `true` if there is one more iteration to run (Go's `pb.Next()`).
    #[inline]
    #[allow(clippy::should_implement_trait)] // Go's name; this is not an iterator of items.
    pub fn next(&mut self) -> bool {
        if self.left_in_batch > 0 {
            self.left_in_batch -= 1;
            return true;
        }
        if self
            .abort
            .is_some_and(|abort| abort.load(Ordering::Relaxed))
        {
            return false;
        }
        let start = self.claimed.fetch_add(self.grain, Ordering::Relaxed);
        if start >= self.total {
            return false;
        }
        self.left_in_batch = self.grain.min(self.total - start) - 1;
        true
    }
}

/// Go's batch size: about 10 µs of work as measured by the previous run, between 1 and 10 000.
///
/// ```
/// use std::time::Duration;
/// use syncmap_bench::harness::grain_after;
///
/// assert_eq!(grain_after(None), 1);
/// assert_eq!(grain_after(Some((1_000, Duration::from_micros(10)))), 1_000);
/// assert_eq!(grain_after(Some((1_000_000_000, Duration::from_millis(1)))), 10_000);
/// ```
pub fn grain_after(previous: Option<(u64, Duration)>) -> u64 {
    let Some((n, elapsed)) = previous else {
        return 1;
    };
    let nanos = elapsed.as_nanos().max(1);
    let grain = u128::from(n) * 10_000 / nanos;
    grain.clamp(1, u128::from(MAX_GRAIN)) as u64
}

/// Runs `body(thread_id)` on `threads` threads started together, and returns the wall-clock
/// time from the first thread's start to the last thread's end, or the first error a thread
/// reported.
///
/// Thread start-up is not timed: every thread waits at a barrier and reads the clock as it
/// leaves it. The threads read the clock themselves rather than the spawning thread, which on a
/// machine with as many cores as workers may be scheduled only after the work is done.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use syncmap_bench::harness::run_threads;
///
/// let sum = AtomicU64::new(0);
/// run_threads(2, |id| {
///     sum.fetch_add(id as u64 + 1, Ordering::Relaxed);
///     Ok(())
/// })
/// .unwrap();
/// assert_eq!(sum.into_inner(), 3);
/// ```
pub fn run_threads<F>(threads: usize, body: F) -> Result<Duration, String>
where
    F: Fn(usize) -> Result<(), String> + Sync,
{
    let threads = threads.max(1);
    let barrier = Barrier::new(threads);
    let spans = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|id| {
                let (barrier, body) = (&barrier, &body);
                scope.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    let result = body(id);
                    (start, Instant::now(), result)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect::<Vec<_>>()
    });
    let mut first_start = spans[0].0;
    let mut last_end = spans[0].1;
    for (start, end, result) in spans {
        result?;
        first_start = first_start.min(start);
        last_end = last_end.max(end);
    }
    Ok(last_end - first_start)
}

/// Go's `RunParallel`: `threads` threads share `n` iterations in batches of `grain`; thread `id`
/// numbers its iterations from `id * n`, as Go's benchmarks do with `id*b.N`.
///
/// `per_thread(pb, first_i)` runs one thread's loop. If it returns an error (Go's `b.Fatalf`),
/// the other threads stop at their next batch and the error is returned.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use syncmap_bench::harness::run_parallel;
///
/// let ops = AtomicU64::new(0);
/// run_parallel(2, 1_000, 10, |pb, _first_i| {
///     while pb.next() {
///         ops.fetch_add(1, Ordering::Relaxed);
///     }
///     Ok(())
/// })
/// .unwrap();
/// assert_eq!(ops.into_inner(), 1_000);
/// ```
pub fn run_parallel<F>(
    threads: usize,
    n: u64,
    grain: u64,
    per_thread: F,
) -> Result<Duration, String>
where
    F: Fn(&mut Pb<'_>, u64) -> Result<(), String> + Sync,
{
    let claimed = AtomicU64::new(0);
    let abort = AtomicBool::new(false);
    run_threads(threads, |id| {
        let mut pb = Pb::new(&claimed, n, grain, Some(&abort));
        let result = per_thread(&mut pb, id as u64 * n);
        if result.is_err() {
            abort.store(true, Ordering::Relaxed);
        }
        result
    })
}

/// Go's next `b.N` after a run of `last` iterations that took `elapsed`, aiming at `goal`:
/// the predicted count plus a fifth, at most 100 times `last`, at least `last + 1`, at most 10⁹.
///
/// ```
/// use std::time::Duration;
/// use syncmap_bench::harness::predict_n;
///
/// let goal = Duration::from_millis(100);
/// assert_eq!(predict_n(goal, 1, Duration::from_micros(1)), 100);
/// assert_eq!(predict_n(goal, 1_000_000, Duration::from_millis(50)), 2_400_000);
/// ```
pub fn predict_n(goal: Duration, last: u64, elapsed: Duration) -> u64 {
    let elapsed = elapsed.as_nanos().max(1);
    let mut n = goal.as_nanos() * u128::from(last) / elapsed;
    n += n / 5;
    n = n.min(100 * u128::from(last));
    n = n.max(u128::from(last) + 1);
    n.min(1_000_000_000) as u64
}

/// How long or how much to run each measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// Grow `n` as Go does (`-benchtime 200ms`) until one run lasts at least this long.
    Duration(Duration),
    /// Run exactly this many operations, all threads together (`-benchtime Nx`).
    Ops(u64),
}

/// The figure of one measurement: operations of all threads and the wall-clock time they took.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Operations of all threads together (Go's `b.N`).
    pub ops: u64,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
}

impl Sample {
    /// Go's figure: nanoseconds of wall-clock time per operation of all threads.
    pub fn ns_per_op(&self) -> f64 {
        self.elapsed.as_nanos() as f64 / self.ops.max(1) as f64
    }

    /// Millions of operations per second, all threads together.
    pub fn mops(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(1e-12) / 1e6
    }
}

/// Measures one workload on one map: calibrates `n` as Go does (those runs are the warm-up) or,
/// with [`Budget::Ops`], runs `n` once as a warm-up that is not counted; then runs `repeat` times
/// and returns the median by ns/op.
///
/// `run(n, previous)` builds a fresh map, sets it up, and times about `n` operations, returning
/// how many it ran and how long they took; `previous` is the last run's `(ops, elapsed)`, from
/// which Go sizes its batches.
///
/// ```
/// use std::time::Duration;
/// use syncmap_bench::harness::{Budget, Sample, measure};
///
/// let mut runs = 0;
/// let sample = measure(Budget::Ops(500), 3, |n, _previous| {
///     runs += 1;
///     Ok(Sample { ops: n, elapsed: Duration::from_micros(runs) })
/// })
/// .unwrap();
/// assert_eq!(runs, 4); // one warm-up, three counted
/// assert_eq!(sample.elapsed, Duration::from_micros(3)); // the median of 2, 3 and 4
/// ```
pub fn measure<F>(budget: Budget, repeat: usize, mut run: F) -> Result<Sample, String>
where
    F: FnMut(u64, Option<(u64, Duration)>) -> Result<Sample, String>,
{
    let mut last = calibrate(budget, &mut run)?;
    let mut samples = Vec::with_capacity(repeat.max(1));
    for _ in 0..repeat.max(1) {
        last = run(last.ops, Some((last.ops, last.elapsed)))?;
        samples.push(last);
    }
    Ok(median(&mut samples))
}

/// The warm-up of [`measure`]: with [`Budget::Duration`], Go's calibration of `n` (every run is
/// warm-up); with [`Budget::Ops`], one run of `n`. Returns the last run, whose `ops` is the `n`
/// to measure with.
///
/// ```
/// use std::time::Duration;
/// use syncmap_bench::harness::{Budget, Sample, calibrate};
///
/// let warm_up = calibrate(Budget::Ops(500), |n, _previous| {
///     Ok(Sample { ops: n, elapsed: Duration::from_micros(1) })
/// })
/// .unwrap();
/// assert_eq!(warm_up.ops, 500);
/// ```
pub fn calibrate<F>(budget: Budget, mut run: F) -> Result<Sample, String>
where
    F: FnMut(u64, Option<(u64, Duration)>) -> Result<Sample, String>,
{
    match budget {
        Budget::Ops(n) => run(n.max(1), None),
        Budget::Duration(goal) => {
            let mut last = run(1, None)?;
            while last.elapsed < goal && last.ops < 1_000_000_000 {
                let n = predict_n(goal, last.ops, last.elapsed);
                last = run(n, Some((last.ops, last.elapsed)))?;
            }
            Ok(last)
        }
    }
}

/// The median of `samples` by ns/op (the upper one of an even count); sorts them.
///
/// # Panics
///
/// If `samples` is empty.
pub fn median(samples: &mut [Sample]) -> Sample {
    samples.sort_by(|a, b| a.ns_per_op().total_cmp(&b.ns_per_op()));
    samples[samples.len() / 2]
}

/// Returns what the last run freed to the allocator before the next run starts, outside every
/// timed region.
///
/// glibc keeps small freed chunks in "fast bins" and coalesces them all at the next large
/// request, whoever makes it: the drop of a map of a million entries left that work, about a
/// million cache misses, to the first table growth of the next timed run, which then paid for
/// the previous map's memory (callgrind, LoadOrStoreUnique). `malloc_trim` coalesces them now,
/// so every run starts from a settled heap. Elsewhere than glibc this does nothing.
#[allow(unsafe_code, reason = "a call into glibc, which has no safe binding")]
pub fn settle_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only reorganises the allocator's own free memory; no allocation of
    // ours is touched, and any pad is valid.
    unsafe {
        libc::malloc_trim(0);
    }
}
