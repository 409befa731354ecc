//! A service configured from a TOML file, the environment and a flag, hot-reloaded: several
//! threads read the configuration on every request while a watcher reloads it when the file
//! changes, publishing only the fields that changed and keeping the last good configuration
//! when an edit is invalid.
//!
//! ```text
//! cargo run --example service --features watch,toml
//! cargo run --example service --features watch,toml -- path/to/service.toml
//! ```
//!
//! Without an argument it copies `examples/service/service.toml` to a temporary directory and
//! edits the copy itself (an atomic save, an invalid edit, a fix), printing each reload report.
//! With a path it watches that file until interrupted: edit it and watch the reports.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use syncmap::config::{Loader, ReloadReport};
use syncmap::{Registry, SecretString, SyncRegistry};

/// The connection pool.
#[derive(SyncRegistry, Clone, Debug)]
struct Pool {
    /// Connections kept open at most.
    #[registry(default = 8, validate = at_least_one)]
    max_size: u32,
}

fn at_least_one(n: &u32) -> Result<(), String> {
    if *n == 0 {
        Err("must be at least 1".to_owned())
    } else {
        Ok(())
    }
}

/// The database section.
#[derive(SyncRegistry, Clone, Debug)]
struct Database {
    /// Where the database is.
    url: String,
    /// The pool section.
    #[registry(nested)]
    pool: Pool,
    /// The database password: from the environment or a secret file, never printed.
    #[registry(secret)]
    password: Option<SecretString>,
}

/// The service's configuration.
#[derive(SyncRegistry, Clone, Debug)]
struct Service {
    /// Port to listen on; a new port takes a restart.
    #[registry(restart_required)]
    port: u16,
    /// Greeting put in every response.
    greeting: String,
    /// Requests a worker serves per batch.
    #[registry(default = 4)]
    batch_size: u32,
    /// Hosts allowed to call.
    allowed_hosts: Vec<String>,
    /// Upstream port by route prefix.
    #[registry(map)]
    routes: BTreeMap<String, u16>,
    /// The database section.
    #[registry(nested)]
    database: Database,
}

/// Prints one reload report: what changed, or why nothing did.
fn print_report(report: &ReloadReport<Service>) {
    match &report.outcome {
        Ok(reload) => match &reload.change {
            Some(change) => {
                println!("reload #{}: version {}", report.attempt, reload.version);
                let show = |value: Option<&ServiceValue>| {
                    value.map_or_else(|| "-".to_owned(), |value| format!("{value:?}"))
                };
                for field in change.fields() {
                    let (old, new) = (show(field.old()), show(field.new_value()));
                    println!("  {}: {old} -> {new}", field.path());
                }
                for path in report.restart_required() {
                    println!("  {path} changed: takes effect at the next restart");
                }
            }
            None => println!("reload #{}: nothing changed", report.attempt),
        },
        Err(error) => println!(
            "reload #{} refused, old values kept:\n  {error}",
            report.attempt
        ),
    }
}

/// A worker: reads the configuration for every request, as it is at that moment.
fn serve(config: &ServiceRegistry, stop: &AtomicBool, served: &AtomicU64) {
    while !stop.load(Ordering::Relaxed) {
        let greeting = config.greeting();
        let batch = config.batch_size();
        let upstream = config.routes("/api");
        std::hint::black_box((greeting, batch, upstream));
        served.fetch_add(u64::from(batch), Ordering::Relaxed);
        thread::yield_now();
    }
}

/// Replaces `path`'s content at once, as an editor's atomic save does.
fn save(path: &Path, text: &str) {
    let temporary = path.with_extension("toml.swp");
    std::fs::write(&temporary, text).expect("write the new file");
    std::fs::rename(&temporary, path).expect("rename it over the old one");
}

fn main() {
    let given = std::env::args().nth(1).map(PathBuf::from);
    let scratch = tempfile_dir();
    let file = match &given {
        Some(path) => path.clone(),
        None => {
            let copy = scratch.join("service.toml");
            std::fs::copy("examples/service/service.toml", &copy).expect("copy the example file");
            copy
        }
    };

    // Layers, later wins: defaults, the file, SERVICE_* variables, then a flag.
    let loader = Loader::<ServiceRegistry>::new()
        .file(&file)
        .env_prefix("SERVICE")
        .set_labeled("batch_size", 6, "--batch-size")
        .debounce(Duration::from_millis(100));
    let (config, provenance) = match loader.load() {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    println!("loaded {}:\n{:#?}\n", file.display(), config.snapshot());
    println!("where each value came from:\n{provenance}");

    let config = Arc::new(config);
    let watcher = loader
        .watch_with(Arc::clone(&config), print_report)
        .expect("watch the file's directory");

    let stop = AtomicBool::new(false);
    let served = AtomicU64::new(0);
    thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| serve(&config, &stop, &served));
        }
        if given.is_some() {
            println!("watching {}; edit it, Ctrl-C to stop", file.display());
            loop {
                thread::park();
            }
        }
        let original = std::fs::read_to_string(&file).expect("read the copy");
        let edits = [
            (
                "raise the pool and move the port",
                original
                    .replace("max_size = 16", "max_size = 32")
                    .replace("port = 8080", "port = 8081"),
            ),
            (
                "an invalid edit",
                original.replace("max_size = 16", "max_size = \"lots\""),
            ),
            ("a typo'd key", original.replace("greeting =", "greting =")),
            (
                "fixed again, with a new route",
                original.replace("\"/static\" = 9002", "\"/static\" = 9002\n\"/beta\" = 9100"),
            ),
        ];
        for (what, text) in edits {
            println!("\n-- {what}");
            let after = watcher.latest_report().map_or(0, |report| report.attempt);
            save(&file, &text);
            if watcher
                .wait_report(after, Duration::from_secs(10))
                .is_none()
            {
                println!("(no reload within 10 s)");
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    println!(
        "\n{} requests served during the reloads; final pool size {}, routes {:?}",
        served.load(Ordering::Relaxed),
        config.database().pool().max_size(),
        config.snapshot().routes,
    );
    drop(watcher);
    let _ = std::fs::remove_dir_all(&scratch);
}

/// A fresh directory for the example's copy of the file.
fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("syncmap-service-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}
