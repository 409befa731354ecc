//! The command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::harness::Budget;
use crate::maps::MapName;

/// Go's sync.Map benchmarks and the conc-map-bench mixes on syncmap's maps, the Rust peers
/// (dashmap, papaya, scc) and, with --with-go, Go 1.19 itself.
///
/// With no arguments: every suite, threads 1 and 2, every map, 50 ms per measurement, as an
/// aligned table.
#[derive(Debug, Parser)]
#[command(name = "syncmap-bench", version, about, long_about = None)]
pub struct Args {
    /// Which suite to run.
    #[arg(long, value_enum, default_value_t = Suite::All)]
    pub suite: Suite,

    /// Run only these workloads (Go's names such as LoadMostlyHits; ReadHeavy, Exchange,
    /// RapidGrow; FieldRead, FieldReadWrite); comma- or space-separated.
    #[arg(long = "workload", value_name = "NAME", num_args = 1.., value_delimiter = ',')]
    pub workloads: Vec<String>,

    /// Run only these maps: syncmap, mutexmap, rwlockmap, dashmap, papaya, scc (scc-hashindex
    /// and scc-hashmap force one scc design). The registry suite always runs its own holders.
    #[arg(long = "map", value_name = "NAME", num_args = 1.., value_delimiter = ',', value_parser = parse_map)]
    pub maps: Vec<MapName>,

    /// Thread counts to run each workload at (Go's -cpu).
    #[arg(long, value_name = "N,N,...", value_delimiter = ',', default_value = "1,2", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Vec<u16>,

    /// Target time of one measurement, Go's -benchtime (e.g. 50ms, 200ms, 1s).
    #[arg(long, value_name = "TIME", value_parser = parse_duration, conflicts_with = "ops")]
    pub duration: Option<Duration>,

    /// Exact number of operations (all threads together) of one measurement, Go's -benchtime Nx.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub ops: Option<u64>,

    /// Counted runs per measurement, the maps of a row taking turns; the median is reported. A
    /// warm-up run is never counted.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub repeat: u16,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Also run Go 1.19's own sync.Map benchmarks and print SyncMap / Go sync.Map.
    #[arg(long)]
    pub with_go: bool,

    /// The go binary to use with --with-go (default: /usr/lib/go-1.19/bin/go, then go on PATH).
    #[arg(long, value_name = "PATH", requires = "with_go")]
    pub go: Option<PathBuf>,

    /// Give each map its own default hasher instead of foldhash for all.
    #[arg(long)]
    pub default_hashers: bool,

    /// Write one SVG chart per workload into DIR.
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,

    /// Write a Markdown report (machine, versions, tables) to FILE.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

/// `--suite`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Suite {
    /// Go's twelve sync.Map workloads.
    Go,
    /// The conc-map-bench mixes.
    Mixes,
    /// A field read from a derived registry against `ArcSwap<Config>` and `RwLock<Config>`.
    Registry,
    /// Every suite.
    All,
}

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned tables, one per suite.
    Table,
    /// `suite,workload,map,threads,ns_per_op,mops`, one line per measurement.
    Csv,
    /// One JSON object with the measurements and the Go ratios.
    Json,
}

impl Args {
    /// The measurement budget: `--ops`, else `--duration`, else 50 ms.
    pub fn budget(&self) -> Budget {
        match (self.ops, self.duration) {
            (Some(n), _) => Budget::Ops(n),
            (None, Some(d)) => Budget::Duration(d),
            (None, None) => Budget::Duration(DEFAULT_DURATION),
        }
    }
}

/// The default time per measurement, short enough for the whole default run to stay under two
/// minutes on two cores.
pub const DEFAULT_DURATION: Duration = Duration::from_millis(50);

fn parse_map(name: &str) -> Result<MapName, String> {
    MapName::from_name(name).ok_or_else(|| {
        let known: Vec<_> = MapName::ALL.iter().map(|m| m.name()).collect();
        format!("unknown map `{name}`; known maps: {}", known.join(", "))
    })
}

/// Parses Go-style durations: `500us`, `50ms`, `1s`, `1.5s`, `2m`.
///
/// ```
/// use std::time::Duration;
/// use syncmap_bench::cli::parse_duration;
///
/// assert_eq!(parse_duration("200ms"), Ok(Duration::from_millis(200)));
/// assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
/// assert!(parse_duration("fast").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("`{text}` has no unit; write e.g. 50ms or 1s"))?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; write e.g. 50ms or 1s"))?;
    let seconds = match unit {
        "ns" => value / 1e9,
        "us" | "µs" => value / 1e6,
        "ms" => value / 1e3,
        "s" => value,
        "m" => value * 60.0,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}`; use ns, us, ms, s or m"
            ));
        }
    };
    if seconds <= 0.0 || !seconds.is_finite() {
        return Err(format!("`{text}` must be a positive duration"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Go's `-benchtime` spelling of a budget.
///
/// ```
/// use std::time::Duration;
/// use syncmap_bench::cli::go_benchtime;
/// use syncmap_bench::harness::Budget;
///
/// assert_eq!(go_benchtime(Budget::Ops(1000)), "1000x");
/// assert_eq!(go_benchtime(Budget::Duration(Duration::from_millis(50))), "50ms");
/// ```
pub fn go_benchtime(budget: Budget) -> String {
    match budget {
        Budget::Ops(n) => format!("{n}x"),
        Budget::Duration(d) => format!("{}us", d.as_micros().max(1)).replace("000us", "ms"),
    }
}
