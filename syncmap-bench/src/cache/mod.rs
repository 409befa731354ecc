//! The cache benchmark (`--bin cache-bench`, feature `cache`): hit ratio and throughput of
//! bounded caches side by side, moka and quick_cache today, each behind [`Contender`].
//!
//! - [`traces`]: the seeded RNG, the Zipf sampler and the key streams.
//! - [`hit_ratio`]: single-threaded replay of a trace, get then insert on a miss;
//!   [`belady`]: the optimal hit ratio of each trace, the table's reference column.
//! - [`throughput`]: threads doing the same over pre-generated keys, in Mops/s.
//! - [`report`]: the Markdown tables.
//!
//! A new contender is a file implementing [`Contender`] and one `bench.add::<…>()` line in
//! `src/bin/cache-bench.rs`; [`Bench`] does the rest.

pub mod belady;
pub mod contender;
pub mod hit_ratio;
pub mod peer_moka;
pub mod peer_quick_cache;
pub mod peer_syncmap;
pub mod report;
pub mod throughput;
pub mod traces;

use std::num::NonZeroUsize;

pub use contender::Contender;
pub use peer_moka::Moka;
pub use peer_quick_cache::QuickCache;
pub use peer_syncmap::SyncMapCache;

use hit_ratio::{TraceRow, TraceSpec, replay};
use throughput::{Mix, Point, Workload, measure};

/// What to measure and at which sizes.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The hit-ratio traces and capacities.
    pub traces: TraceSpec,
    /// How often the hit-ratio replay calls [`Contender::settle`]; `None`: never.
    pub settle_every: Option<NonZeroUsize>,
    /// The cache's capacity in the throughput runs.
    pub throughput_capacity: usize,
    /// Operations each thread runs in one throughput run.
    pub ops_per_thread: usize,
    /// Thread counts of the throughput runs.
    pub threads: Vec<usize>,
    /// Counted throughput runs per point (the median is reported), after one warm-up run.
    pub repeat: usize,
    /// Whether to compute the optimal (Bélády) hit ratio of each row.
    pub optimal: bool,
    /// Measure only the contenders of these names; empty: all.
    pub only: Vec<String>,
}

impl Plan {
    /// Whether the contender named `name` is to be measured.
    pub fn selects(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|n| n == name)
    }
}

/// One contender's hit ratios, one per [`Bench::rows`] entry.
#[derive(Clone, Debug)]
pub struct HitColumn {
    /// The column header.
    pub name: String,
    /// Hit ratios in `[0, 1]`.
    pub ratios: Vec<f64>,
}

/// One contender's throughput, one point per [`Bench::throughput_rows`] entry.
#[derive(Clone, Debug)]
pub struct ThroughputColumn {
    /// The column header.
    pub name: String,
    /// The median runs.
    pub points: Vec<Point>,
}

/// The prepared inputs (traces and keys, generated once for all contenders) and the results.
#[derive(Debug)]
pub struct Bench {
    /// What was asked for.
    pub plan: Plan,
    /// The rows of the hit-ratio table.
    pub rows: Vec<TraceRow>,
    /// Bélády's hit ratio of each row, if [`Plan::optimal`].
    pub optimal: Option<Vec<f64>>,
    /// One workload per mix.
    pub workloads: Vec<Workload>,
    /// The hit-ratio table's columns, in the order added.
    pub hit_columns: Vec<HitColumn>,
    /// The throughput table's columns, in the order added.
    pub throughput_columns: Vec<ThroughputColumn>,
    /// Every contender offered to [`Bench::add`] or [`Bench::add_hit_ratio`], selected or not.
    pub offered: Vec<&'static str>,
}

impl Bench {
    /// Generates every trace and workload of `plan` (and the optimal hit ratios).
    pub fn prepare(plan: Plan) -> Self {
        let rows = plan.traces.rows();
        let optimal = plan.optimal.then(|| {
            rows.iter()
                .map(|row| {
                    let hits = belady::optimal_hits(&row.keys, row.capacity);
                    hits as f64 / row.keys.len().max(1) as f64
                })
                .collect()
        });
        // No keys to generate when no throughput run is asked for.
        let max_threads = plan.threads.iter().copied().max().unwrap_or(0);
        let mixes = if max_threads == 0 {
            &[][..]
        } else {
            &Mix::ALL[..]
        };
        let workloads = mixes
            .iter()
            .map(|&mix| {
                let seed = plan.traces.seed ^ mix as u64;
                Workload::new(
                    mix,
                    plan.throughput_capacity,
                    plan.ops_per_thread,
                    max_threads,
                    seed,
                )
            })
            .collect();
        Self {
            plan,
            rows,
            optimal,
            workloads,
            hit_columns: Vec::new(),
            throughput_columns: Vec::new(),
            offered: Vec::new(),
        }
    }

    /// An error naming the first cache of [`Plan::only`] that no contender offered is called.
    ///
    /// # Errors
    ///
    /// If `--cache` named a cache that does not exist.
    pub fn check_selection(&self) -> Result<(), String> {
        match self
            .plan
            .only
            .iter()
            .find(|n| !self.offered.contains(&n.as_str()))
        {
            Some(unknown) => Err(format!(
                "unknown cache `{unknown}`; known caches: {}",
                self.offered.join(", ")
            )),
            None => Ok(()),
        }
    }

    /// The rows of the throughput table: every mix at every thread count.
    pub fn throughput_rows(&self) -> Vec<(Mix, usize)> {
        let threads = &self.plan.threads;
        Mix::ALL
            .iter()
            .flat_map(|&mix| threads.iter().map(move |&t| (mix, t)))
            .collect()
    }

    /// Measures `C` everywhere: a column in each table (none if the plan leaves it out).
    ///
    /// # Errors
    ///
    /// If the contender returns a wrong value in the hit-ratio replay.
    pub fn add<C: Contender>(&mut self) -> Result<(), String> {
        if !self.offered.contains(&C::NAME) {
            self.offered.push(C::NAME);
        }
        if !self.plan.selects(C::NAME) {
            return Ok(());
        }
        self.add_hit_ratio::<C>(C::NAME.to_owned(), self.plan.settle_every)?;
        let mut points = Vec::new();
        for (mix, threads) in self.throughput_rows() {
            let workload = self
                .workloads
                .iter()
                .find(|w| w.mix == mix)
                .ok_or_else(|| format!("no keys were generated for {}", mix.name()))?;
            let point = measure::<C>(workload, threads, self.plan.repeat)?;
            eprintln!(
                "  {}: {} x{threads}: {:.2} Mops/s, {:.1}% hits, {:.1}% waiting for a CPU",
                C::NAME,
                mix.name(),
                point.mops,
                100.0 * point.hit_ratio,
                100.0 * point.waited.unwrap_or(f64::NAN)
            );
            points.push(point);
        }
        self.throughput_columns.push(ThroughputColumn {
            name: C::NAME.to_owned(),
            points,
        });
        Ok(())
    }

    /// Measures `C`'s hit ratios only, in a column named `name`, settling every `settle_every`
    /// requests (`None`: never) — for a variant of a contender that only the policy tells apart.
    ///
    /// # Errors
    ///
    /// If the contender returns a wrong value.
    pub fn add_hit_ratio<C: Contender>(
        &mut self,
        name: String,
        settle_every: Option<NonZeroUsize>,
    ) -> Result<(), String> {
        if !self.offered.contains(&C::NAME) {
            self.offered.push(C::NAME);
        }
        if !self.plan.selects(C::NAME) {
            return Ok(());
        }
        let mut ratios = Vec::with_capacity(self.rows.len());
        for row in &self.rows {
            let ratio = replay::<C>(&row.keys, row.capacity, settle_every)?.ratio();
            eprintln!(
                "  {name}: {} at capacity {}: {:.2}% hits",
                row.trace,
                row.capacity,
                100.0 * ratio
            );
            ratios.push(ratio);
        }
        self.hit_columns.push(HitColumn { name, ratios });
        Ok(())
    }
}
