//! `--with-go`: runs Go 1.19's own `sync` benchmarks and reads their ns/op lines.
//!
//! Go 1.19 is the last release whose `sync.Map` has the read/dirty design this project ports
//! (Go 1.24 replaced it with a hash-trie), so its figures are the ones to beat.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::go_suite::GoWorkload;
use crate::record::Row;

/// What to tell a user without Go.
pub const INSTALL_HINT: &str = "Go 1.19 was not found; install it with `apt-get install golang-1.19-go` \
     (or pass --go PATH). Carrying on with the Rust maps only.";

/// Go's figures and version.
#[derive(Clone, Debug, PartialEq)]
pub struct GoResults {
    /// `go version`'s output, e.g. `go version go1.19.8 linux/amd64`.
    pub version: String,
    /// Rows `go-syncmap`, `go-rwmutexmap` and `go-deepcopymap`.
    pub rows: Vec<Row>,
}

/// The go binary: `explicit` if given, else Go 1.19's Debian path, else `go` on the PATH;
/// `None` if none of them answers `go version`.
pub fn find_go(explicit: Option<&Path>) -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match explicit {
        Some(path) => vec![path.to_owned()],
        None => vec![
            PathBuf::from("/usr/lib/go-1.19/bin/go"),
            PathBuf::from("go"),
        ],
    };
    candidates.into_iter().find(|go| {
        Command::new(go)
            .arg("version")
            .output()
            .is_ok_and(|out| out.status.success())
    })
}

/// Runs Go's benchmarks for `workloads` at `threads` with `-benchtime benchtime` in the `sync`
/// package of `go`'s GOROOT (or, if that directory cannot be used, in a temporary copy of the
/// two benchmark files), and parses the results.
pub fn run_go(
    go: &Path,
    workloads: &[GoWorkload],
    threads: &[usize],
    benchtime: &str,
) -> Result<GoResults, String> {
    let version = output_of(Command::new(go).arg("version"))?
        .trim()
        .to_owned();
    let goroot = output_of(Command::new(go).args(["env", "GOROOT"]))?
        .trim()
        .to_owned();
    let sync_dir = Path::new(&goroot).join("src").join("sync");
    let names: Vec<_> = workloads.iter().map(|w| w.name()).collect();
    let pattern = format!("^Benchmark({})$", names.join("|"));
    let cpus: Vec<_> = threads.iter().map(usize::to_string).collect();
    let cache = std::env::temp_dir().join("syncmap-bench-gocache");
    let run_in = |dir: &Path| {
        output_of(
            Command::new(go)
                .current_dir(dir)
                .env("GOCACHE", &cache)
                .args(["test", "-run", "XXX", "-bench", &pattern])
                .args(["-cpu", &cpus.join(","), "-benchtime", benchtime, "."]),
        )
    };
    let stdout = match run_in(&sync_dir) {
        Ok(stdout) => stdout,
        // A read-only GOROOT: run the same two files as a package of their own.
        Err(first) => {
            let copy = copy_benchmarks(&sync_dir)
                .map_err(|e| format!("{first}\nand copying the benchmarks failed: {e}"))?;
            run_in(&copy).map_err(|e| format!("{first}\nand in a copy: {e}"))?
        }
    };
    let mut rows = parse_go_output(&stdout);
    // Go prints its maps in the order of its benchMap list; the tables lead with sync.Map.
    let rank = |map: &str| {
        ["go-syncmap", "go-rwmutexmap", "go-deepcopymap"]
            .iter()
            .position(|m| *m == map)
    };
    rows.sort_by_key(|row| rank(&row.map));
    if rows.is_empty() {
        return Err(format!("Go printed no benchmark results:\n{stdout}"));
    }
    Ok(GoResults { version, rows })
}

fn output_of(command: &mut Command) -> Result<String, String> {
    let out = command
        .output()
        .map_err(|e| format!("could not run {command:?}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(format!(
            "{command:?} failed ({}):\n{stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(stdout)
}

fn copy_benchmarks(sync_dir: &Path) -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("syncmap-bench-go-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    for file in ["map_bench_test.go", "map_reference_test.go"] {
        std::fs::copy(sync_dir.join(file), dir.join(file))?;
    }
    std::fs::write(dir.join("go.mod"), "module syncmapbench\n\ngo 1.19\n")?;
    Ok(dir)
}

/// Reads the lines `BenchmarkLoadMostlyHits/*sync.Map-2   1000000   14.0 ns/op` of `go test
/// -bench`; Go leaves out the `-N` suffix at one CPU.
///
/// ```
/// use syncmap_bench::go_side::parse_go_output;
///
/// let rows = parse_go_output(
///     "BenchmarkRange/*sync.Map   \t  1000\t  7306 ns/op\n\
///      BenchmarkRange/*sync_test.RWMutexMap-2 \t 1000\t 30592 ns/op\nPASS\n",
/// );
/// assert_eq!(rows.len(), 2);
/// assert_eq!((rows[0].map.as_str(), rows[0].threads, rows[0].ns_per_op), ("go-syncmap", 1, 7306.0));
/// assert_eq!((rows[1].map.as_str(), rows[1].threads), ("go-rwmutexmap", 2));
/// ```
pub fn parse_go_output(stdout: &str) -> Vec<Row> {
    stdout.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<Row> {
    let mut fields = line.split_whitespace();
    let name = fields.next()?.strip_prefix("Benchmark")?;
    let _iterations = fields.next()?;
    let ns_per_op: f64 = fields.next()?.parse().ok()?;
    if fields.next()? != "ns/op" {
        return None;
    }
    let (workload, variant) = name.split_once('/')?;
    let (type_name, threads) = match variant.rsplit_once('-') {
        Some((type_name, n)) if n.bytes().all(|b| b.is_ascii_digit()) => {
            (type_name, n.parse().ok()?)
        }
        _ => (variant, 1),
    };
    let map = match type_name {
        "*sync.Map" => "go-syncmap",
        "*sync_test.RWMutexMap" => "go-rwmutexmap",
        "*sync_test.DeepCopyMap" => "go-deepcopymap",
        _ => return None,
    };
    Some(Row {
        suite: "go".to_owned(),
        workload: workload.to_owned(),
        map: map.to_owned(),
        threads,
        ns_per_op,
        mops: 1e3 / ns_per_op,
    })
}
