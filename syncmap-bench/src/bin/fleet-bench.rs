//! The fleet benchmark (issue 16): how long a write in one instance takes to reach another
//! through Redis on loopback, and what a field read costs on a bound registry against an
//! unbound one (it must not be slower: reads never touch the network).
//!
//! ```text
//! cargo run --release -p syncmap-bench --features fleet --bin fleet-bench [-- WRITES]
//! ```
//!
//! Starts its own `redis-server` (the Debian package) on a free port in a temporary directory,
//! and stops it at the end. Prints a Markdown report.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use syncmap::fleet::{Fleet, FleetOptions, RedisEngine};
use syncmap::{Registry, SyncRegistry};
use syncmap_bench::harness::{Budget, Sample, grain_after, measure, run_parallel};

/// The configuration shared by the fleet: a handful of fields, as in the registry suite.
#[derive(SyncRegistry, Clone, Debug, PartialEq, serde::Serialize)]
struct FleetConfig {
    /// Port to listen on.
    port: u16,
    /// Request timeout; the field every read reads and every write changes.
    timeout_secs: u64,
    /// Retries before giving up.
    retries: u32,
    /// Name shown in logs.
    name: String,
}

fn initial() -> FleetConfig {
    FleetConfig {
        port: 8080,
        timeout_secs: 30,
        retries: 3,
        name: "edge".to_owned(),
    }
}

/// A `redis-server` of the benchmark's own, stopped on drop.
struct Server {
    child: Child,
    url: String,
    _dir: std::path::PathBuf,
}

impl Server {
    fn start() -> Result<Self, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let dir = std::env::temp_dir().join(format!("syncmap-fleet-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("cannot start redis-server (apt-get install redis-server): {e}")
            })?;
        let url = format!("redis://127.0.0.1:{port}/");
        let server = Self {
            child,
            url,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !answers(&server.url) {
            if Instant::now() > deadline {
                return Err("redis-server did not start".to_owned());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

/// Whether the server at `url` answers a command.
fn answers(url: &str) -> bool {
    use syncmap::fleet::Engine;
    RedisEngine::new(url, "probe")
        .map(|engine| engine.timeout(Duration::from_millis(100)))
        .is_ok_and(|engine| engine.version().is_ok())
}

fn bind(url: &str) -> Result<Fleet<FleetConfigRegistry>, String> {
    let registry = Arc::new(FleetConfigRegistry::new(initial()).map_err(|e| e.to_string())?);
    let engine = RedisEngine::new(url, "bench").map_err(|e| e.to_string())?;
    Fleet::bind(registry, engine, FleetOptions::default()).map_err(|e| e.to_string())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// ns per read of `timeout_secs` on `threads` threads, median of `repeat` runs.
fn read_cost(registry: &FleetConfigRegistry, threads: usize) -> Result<f64, String> {
    let sample = measure(
        Budget::Duration(Duration::from_millis(300)),
        5,
        |n, previous| {
            let grain = grain_after(previous);
            let elapsed = run_parallel(threads, n, grain, |pb, _| {
                let mut sum = 0u64;
                while pb.next() {
                    sum = sum.wrapping_add(registry.timeout_secs());
                }
                std::hint::black_box(sum);
                Ok(())
            })?;
            Ok(Sample { ops: n, elapsed })
        },
    )?;
    Ok(sample.elapsed.as_nanos() as f64 / sample.ops as f64)
}

fn main() -> Result<(), String> {
    let writes: usize = std::env::args()
        .nth(1)
        .map(|n| {
            n.parse()
                .map_err(|_| format!("not a number of writes: {n}"))
        })
        .transpose()?
        .unwrap_or(2_000);
    let server = Server::start()?;
    let a = bind(&server.url)?;
    let b = bind(&server.url)?;

    // Propagation: one write at a time from A, until B's registry publishes it.
    let mut write_times = Vec::with_capacity(writes);
    let mut propagation = Vec::with_capacity(writes);
    for i in 0..writes {
        let start = Instant::now();
        let version = a
            .update(|c| c.timeout_secs = 100 + i as u64)
            .map_err(|e| e.to_string())?;
        write_times.push(start.elapsed());
        let mut seen = b.registry().version();
        while seen < version {
            let left = Duration::from_secs(10).saturating_sub(start.elapsed());
            if left.is_zero() {
                return Err(format!("write {version} never reached the other instance"));
            }
            b.registry().wait_for_change(seen, left);
            seen = b.registry().version();
        }
        propagation.push(start.elapsed());
    }
    write_times.sort();
    propagation.sort();

    let unbound = FleetConfigRegistry::new(initial()).map_err(|e| e.to_string())?;
    let mut reads = Vec::new();
    for threads in [1, 2] {
        // Interleaved, best of three each: the followers' threads and the server share the
        // machine, and whichever side runs while one of them wakes up pays for it.
        let (mut bound_ns, mut unbound_ns) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..3 {
            bound_ns = bound_ns.min(read_cost(b.registry(), threads)?);
            unbound_ns = unbound_ns.min(read_cost(&unbound, threads)?);
        }
        reads.push((threads, bound_ns, unbound_ns));
    }

    println!("## Fleet through Redis on loopback ({writes} writes, one at a time)\n");
    println!("| measure | p50 | p99 |");
    println!("| --- | ---: | ---: |");
    let us = |d: Duration| format!("{:.0} µs", d.as_secs_f64() * 1e6);
    println!(
        "| write at A (script round trip + local publish) | {} | {} |",
        us(percentile(&write_times, 0.5)),
        us(percentile(&write_times, 0.99))
    );
    println!(
        "| write at A until B's registry publishes it | {} | {} |",
        us(percentile(&propagation, 0.5)),
        us(percentile(&propagation, 0.99))
    );
    println!("\n## Field read (ns/op: best of 3 interleaved runs, each the median of 5)\n");
    println!("| threads | bound registry | unbound registry | bound/unbound |");
    println!("| ---: | ---: | ---: | ---: |");
    for (threads, bound, unbound) in reads {
        println!(
            "| {threads} | {bound:.2} | {unbound:.2} | {:.2}x |",
            bound / unbound
        );
    }
    drop((a, b));
    drop(server);
    Ok(())
}
