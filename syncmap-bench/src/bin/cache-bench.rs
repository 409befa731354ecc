//! The cache benchmark: hit ratio and throughput of moka and quick_cache side by side.
//!
//! ```text
//! cargo run --release -p syncmap-bench --features cache --bin cache-bench -- [--quick] [--markdown FILE]
//! ```
//!
//! Prints a Markdown report on stdout and progress on stderr.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use syncmap_bench::cache::hit_ratio::TraceSpec;
use syncmap_bench::cache::{Bench, Moka, Plan, QuickCache, SyncMapCache, report};

/// Hit ratio (Zipf traces, a scan-polluted trace, Bélády's optimum as reference) and
/// throughput (read-heavy and miss-heavy mixes) of bounded caches: moka and quick_cache.
///
/// Sizes left unset take the full run's defaults, or --quick's.
#[derive(Debug, Parser)]
#[command(name = "cache-bench", version, about, long_about = None)]
struct Args {
    /// A small, fast run for smoke tests: universe 10,000, 100,000 requests per trace, 20,000
    /// gets per thread at capacity 5,000, one run per point. Sizes given explicitly still win.
    #[arg(long)]
    quick: bool,

    /// Which measurements to run.
    #[arg(long, value_enum, default_value_t = Suite::All)]
    suite: Suite,

    /// Distinct keys the Zipf ranks map to [default: 1,000,000; --quick: 10,000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    universe: Option<u64>,

    /// Requests per hit-ratio trace [default: 2,000,000; --quick: 100,000].
    #[arg(long, value_name = "N")]
    requests: Option<usize>,

    /// Hit-ratio capacities, in percent of the universe.
    #[arg(long, value_name = "P,P,...", value_delimiter = ',', default_value = "1,10", value_parser = parse_percent)]
    capacity_percent: Vec<f64>,

    /// Exponents of the pure Zipf traces.
    #[arg(long = "zipf", value_name = "S,S,...", value_delimiter = ',', default_value = "0.8,0.99,1.2", value_parser = parse_exponent)]
    exponents: Vec<f64>,

    /// Exponent of the scan trace's hot set.
    #[arg(long, value_name = "S", default_value_t = 0.99, value_parser = parse_exponent)]
    scan_zipf: f64,

    /// Call `settle` (moka: `run_pending_tasks`) every N requests of a hit-ratio replay; 0:
    /// never. moka is also shown without it in any case.
    #[arg(long, value_name = "N", default_value_t = 1)]
    settle_every: usize,

    /// Skip Bélády's optimum (a reference column; costs about a replay per row).
    #[arg(long)]
    no_optimal: bool,

    /// Thread counts of the throughput runs.
    #[arg(long, value_name = "N,N,...", value_delimiter = ',', default_value = "1,2", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Vec<u16>,

    /// Gets per thread in one throughput run [default: 2,000,000; --quick: 20,000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    ops: Option<u64>,

    /// Cache capacity of the throughput runs [default: 100,000; --quick: 5,000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    throughput_capacity: Option<u64>,

    /// Counted throughput runs per point; the median is reported [default: 3; --quick: 1].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    repeat: Option<u16>,

    /// Measure only these caches (moka, quick_cache); default: all.
    #[arg(long = "cache", value_name = "NAME,...", value_delimiter = ',')]
    only: Vec<String>,

    /// Seed of every trace and key stream.
    #[arg(long, default_value_t = 0x5EED_CAC4E)]
    seed: u64,

    /// Also write the Markdown report to FILE.
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
}

/// `--suite`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Suite {
    /// Single-threaded trace replays.
    HitRatio,
    /// Mops/s of the mixes.
    Throughput,
    /// Both.
    All,
}

fn parse_percent(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if p > 0.0 && p <= 100.0 => Ok(p),
        _ => Err(format!("`{text}` is not a percentage in (0, 100]")),
    }
}

fn parse_exponent(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s.is_finite() => Ok(s),
        _ => Err(format!("`{text}` is not a positive Zipf exponent")),
    }
}

impl Args {
    fn plan(&self) -> Plan {
        let pick = |full: u64, quick: u64| if self.quick { quick } else { full };
        let universe = self.universe.unwrap_or(pick(1_000_000, 10_000));
        let capacities = match self.suite {
            Suite::Throughput => Vec::new(),
            _ => self
                .capacity_percent
                .iter()
                .map(|p| ((universe as f64 * p / 100.0).round() as usize).max(1))
                .collect(),
        };
        let threads = match self.suite {
            Suite::HitRatio => Vec::new(),
            _ => self.threads.iter().map(|&t| usize::from(t)).collect(),
        };
        Plan {
            traces: TraceSpec {
                universe,
                requests: self.requests.unwrap_or(pick(2_000_000, 100_000) as usize),
                exponents: self.exponents.clone(),
                scan_exponent: self.scan_zipf,
                capacities,
                seed: self.seed,
            },
            settle_every: NonZeroUsize::new(self.settle_every),
            throughput_capacity: self.throughput_capacity.unwrap_or(pick(100_000, 5_000)) as usize,
            ops_per_thread: self.ops.unwrap_or(pick(2_000_000, 20_000)) as usize,
            threads,
            repeat: usize::from(self.repeat.unwrap_or(pick(3, 1) as u16)),
            optimal: !self.no_optimal,
            only: self.only.clone(),
        }
    }
}

fn main() -> Result<(), String> {
    let args = Args::parse();
    // The program's name rather than the path it ran from, which says where the target
    // directory was and nothing about the run.
    let command_line = std::iter::once("cache-bench".to_owned())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    eprintln!("generating traces and keys");
    let mut bench = Bench::prepare(args.plan());

    // The contenders, one line each: a new one implements `Contender` in its own file under
    // src/cache/ and is added here.
    bench.add::<Moka>()?;
    // moka once more without `settle`: its policy runs only when moka's own triggers fire (64
    // pending reads or writes, or 300 ms), so its table briefly holds more than the capacity.
    if bench.plan.settle_every.is_some() {
        bench.add_hit_ratio::<Moka>("moka, no settle".to_owned(), None)?;
    }
    bench.add::<QuickCache>()?;
    bench.add::<SyncMapCache>()?;

    bench.check_selection()?;

    let markdown = report::markdown(&bench, &command_line);
    print!("{markdown}");
    if let Some(path) = &args.markdown {
        std::fs::write(path, &markdown)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}
