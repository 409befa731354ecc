//! Two caches and a few counters in one registry: profiles bounded by count and expiring after
//! a minute, pages bounded by bytes; a slow backend behind single-flight loaders; four threads
//! of Zipf-like traffic; the statistics at the end.
//!
//! ```text
//! cargo run --release --example caches
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use syncmap::cache::CacheStats;
use syncmap::{Registry, SyncRegistry};

#[derive(SyncRegistry)]
struct Frontend {
    /// User profiles by id: 200 at most, each for a minute.
    #[registry(cache(capacity = 200, ttl = Duration::from_secs(60)))]
    profiles: HashMap<u64, Arc<String>>,
    /// Rendered pages by path, 64 KiB of them at most.
    #[registry(cache(
        capacity = 64 * 1024,
        weigher = |path: &String, page: &Arc<String>| (path.len() + page.len()) as u64
    ))]
    pages: HashMap<String, Arc<String>>,
    /// Requests served.
    #[registry(default)]
    requests: u64,
    /// Backend calls that failed.
    #[registry(default)]
    backend_errors: u64,
}

/// A backend that takes a millisecond per call and fails one call in 97.
struct Backend {
    calls: AtomicU64,
}

#[derive(Debug)]
struct BackendDown;

impl fmt::Display for BackendDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the backend timed out")
    }
}

impl std::error::Error for BackendDown {}

impl Backend {
    fn fetch(&self, what: &str) -> Result<Arc<String>, BackendDown> {
        let call = self.calls.fetch_add(1, Ordering::Relaxed);
        thread::sleep(Duration::from_millis(1));
        if call % 97 == 96 {
            return Err(BackendDown);
        }
        Ok(Arc::new(format!("<{what}>{}", "x".repeat(200))))
    }
}

/// A skewed id: small ids are asked for far more often (a cheap stand-in for a Zipf law).
fn skewed(seed: &mut u64, range: u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    let uniform = (*seed % 10_000) as f64 / 10_000.0;
    (uniform.powi(4) * range as f64) as u64
}

fn serve(frontend: &FrontendRegistry, backend: &Backend, user: u64, page: u64) {
    frontend.update_requests(|n| n + 1);
    let profile =
        frontend.try_get_or_load_profiles(user, |id| backend.fetch(&format!("user {id}")));
    let path = format!("/page/{page}");
    let rendered = frontend.try_get_or_load_pages(path, |path| backend.fetch(path));
    if profile.is_err() || rendered.is_err() {
        frontend.update_backend_errors(|n| n + 1);
    }
}

fn report(name: &str, stats: CacheStats, held: u64, weight: u64, capacity: u64) {
    println!(
        "{name:>8}: {held:>4} held ({weight}/{capacity}), hit ratio {:.1}%, {} hits, {} misses, \
         {} loads, {} load failures, {} evictions, {} expirations",
        stats.hit_ratio() * 100.0,
        stats.hits,
        stats.misses,
        stats.loads,
        stats.load_failures,
        stats.evictions,
        stats.expirations,
    );
}

fn main() {
    let frontend: FrontendRegistry = Registry::from_defaults().expect("no validators");
    let backend = Backend {
        calls: AtomicU64::new(0),
    };
    let started = Instant::now();
    thread::scope(|s| {
        for worker in 0..4u64 {
            let (frontend, backend) = (&frontend, &backend);
            s.spawn(move || {
                let mut seed = 0x9E37_79B9_7F4A_7C15 ^ (worker + 1);
                for _ in 0..5_000 {
                    let user = skewed(&mut seed, 2_000);
                    let page = skewed(&mut seed, 1_000);
                    serve(frontend, backend, user, page);
                }
            });
        }
    });
    println!(
        "{} requests in {:.2?}, {} backend calls, {} backend errors",
        frontend.requests(),
        started.elapsed(),
        backend.calls.load(Ordering::Relaxed),
        frontend.backend_errors(),
    );
    let profiles = frontend.profiles_cache();
    report(
        "profiles",
        profiles.stats(),
        profiles.entry_count(),
        profiles.weight(),
        profiles.capacity(),
    );
    let pages = frontend.pages_cache();
    report(
        "pages",
        pages.stats(),
        pages.entry_count(),
        pages.weight(),
        pages.capacity(),
    );
    assert!(profiles.entry_count() <= 200 && pages.weight() <= 64 * 1024);
    assert_eq!(frontend.requests(), 20_000);
}
