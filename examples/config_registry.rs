//! A hot-reloaded configuration: worker threads read settings from a `#[derive(SyncRegistry)]`
//! registry on every request while a reloader thread updates fields, with no lock on the read
//! path (the default backend is `SyncMap`).
//!
//! Each reload is one validated batch: a reload that breaks an invariant (a batch size above the
//! limit) is refused as a whole and the old values stay. A subscriber logs every change with the
//! keys it wrote, and an auditor takes consistent snapshots and waits for the next change.
//!
//! The backend is one type parameter. Run with `-- mutex` to run the same program on `MutexMap`:
//!
//! ```text
//! cargo run --example config_registry
//! cargo run --example config_registry -- mutex
//! ```

use std::error::Error;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use syncmap::{ConcurrentMap, MutexMap, RegistryChange, SyncMap, SyncRegistry};

/// A configuration is valid when a batch fits the limit.
fn check_config(config: &ServiceConfig) -> Result<(), String> {
    if config.batch_size > config.max_batch {
        return Err(format!(
            "batch_size {} exceeds max_batch {}",
            config.batch_size, config.max_batch
        ));
    }
    Ok(())
}

/// A greeting must say something.
fn check_greeting(greeting: &str) -> Result<(), &'static str> {
    if greeting.trim().is_empty() {
        Err("empty greeting")
    } else {
        Ok(())
    }
}

/// The service's configuration, as it would be read from a file.
#[derive(SyncRegistry, Debug, Clone, PartialEq)]
#[registry(validate = check_config)]
struct ServiceConfig {
    /// Requests a worker may serve per batch.
    #[registry(default = 8)]
    batch_size: u32,
    /// The largest batch a reload may set.
    #[registry(default = 32)]
    max_batch: u32,
    /// Whether to log each request.
    #[registry(default)]
    verbose: bool,
    /// Greeting put in every response.
    #[registry(rename = "greeting-text", validate = check_greeting)]
    greeting: String,
    /// Credential for the upstream service: never printed.
    #[registry(secret, default)]
    api_token: String,
}

/// What a worker does: read the configuration for each request, as it is at that moment.
fn serve<M>(config: &ServiceConfigRegistry<M>, stop: &AtomicBool, served: &AtomicU64)
where
    M: ConcurrentMap<ServiceConfigKey, ServiceConfigValue>,
{
    while !stop.load(Ordering::Relaxed) {
        let batch = config.batch_size();
        for _ in 0..batch {
            // `greeting_with` reads in place: no clone of the string per request.
            let len = config.greeting_with(String::len).unwrap_or(0);
            if config.verbose() {
                std::hint::black_box(len);
            }
        }
        served.fetch_add(u64::from(batch), Ordering::Relaxed);
    }
}

/// The reloader: apply `name=value` lines, as from a re-read config file or an admin endpoint,
/// as one batch. The batch is validated as a whole; if it is refused, nothing of it is applied.
fn reload<M>(
    config: &ServiceConfigRegistry<M>,
    lines: &[&str],
) -> Result<(), Box<dyn Error + Send + Sync>>
where
    M: ConcurrentMap<ServiceConfigKey, ServiceConfigValue>,
{
    config.update(|batch| {
        for line in lines {
            let Some((name, value)) = line.split_once('=') else {
                continue;
            };
            match name.parse::<ServiceConfigKey>() {
                Ok(ServiceConfigKey::BatchSize) => {
                    batch.store_batch_size(value.parse().unwrap_or(8));
                }
                Ok(ServiceConfigKey::MaxBatch) => {
                    batch.store_max_batch(value.parse().unwrap_or(32));
                }
                Ok(ServiceConfigKey::Verbose) => {
                    batch.store_verbose(value == "true");
                }
                Ok(ServiceConfigKey::Greeting) => {
                    batch.store_greeting(value.to_owned());
                }
                Ok(ServiceConfigKey::ApiToken) => {
                    batch.store_api_token(value.to_owned());
                }
                // An unknown name is reported, not applied.
                Err(err) => eprintln!("ignored: {err}"),
            }
        }
    })
}

fn run<M>(config: ServiceConfigRegistry<M>)
where
    M: ConcurrentMap<ServiceConfigKey, ServiceConfigValue> + Sync,
{
    reload(
        &config,
        &[
            "greeting-text=hello",
            "batch_size=16",
            "api_token=s3cr3t",
            "colour=blue",
        ],
    )
    .expect("a valid first configuration");

    // Every change, with the keys it wrote, in version order, outside every lock.
    let changes = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&changes);
    let subscription = config.subscribe(move |change: &RegistryChange<ServiceConfigKey>| {
        let names: Vec<&str> = change.keys().iter().map(ServiceConfigKey::name).collect();
        log.lock()
            .unwrap()
            .push(format!("v{} {}", change.version(), names.join(",")));
    });

    let stop = AtomicBool::new(false);
    let served = AtomicU64::new(0);
    let refused = AtomicU64::new(0);
    let audits = AtomicU64::new(0);
    let reloads = 200;
    thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| serve(&config, &stop, &served));
        }
        // The auditor: a consistent snapshot after each change it wakes for; it can never see a
        // batch half applied, so the invariant holds in every snapshot.
        s.spawn(|| {
            let mut version = 0;
            while !stop.load(Ordering::Relaxed) {
                let Some(next) = config.wait_for_change(version, Duration::from_millis(50)) else {
                    continue;
                };
                let (snapshot, at) = config
                    .snapshot()
                    .expect("every field without a default is set");
                assert!(check_config(&snapshot).is_ok(), "torn: {snapshot:?}");
                version = at.max(next);
                audits.fetch_add(1, Ordering::Relaxed);
            }
        });
        s.spawn(|| {
            for round in 0..reloads {
                let verbose = if round % 2 == 0 { "true" } else { "false" };
                // Every fifth reload asks for more than the limit, and is refused as a whole.
                let batch_size = if round % 5 == 4 { 64 } else { 4 + round % 16 };
                let result = reload(
                    &config,
                    &[
                        &format!("batch_size={batch_size}"),
                        &format!("verbose={verbose}"),
                    ],
                );
                if let Err(err) = result {
                    if round == 4 {
                        println!("refused reload: {err}");
                    }
                    refused.fetch_add(1, Ordering::Relaxed);
                }
                // A field updated in place: bump the batch size by one, whatever it is now.
                config.update_batch_size(|n| (n + 1).min(32));
                thread::yield_now();
            }
            stop.store(true, Ordering::Relaxed);
        });
    });
    drop(subscription);

    let (snapshot, version) = config
        .snapshot()
        .expect("every field without a default is set");
    println!(
        "served {} requests across {reloads} reloads ({} refused); {} audits",
        served.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
        audits.load(Ordering::Relaxed),
    );
    let changes = changes.lock().unwrap();
    println!(
        "{} changes seen by the subscriber, the first ones: {:?}",
        changes.len(),
        &changes[..changes.len().min(3)]
    );
    // The struct's own `Debug` is the user's (it would print the token); the registry's redacts.
    println!(
        "final configuration at version {version}: batch_size {}, verbose {}, greeting {:?}",
        snapshot.batch_size, snapshot.verbose, snapshot.greeting
    );
    println!("the registry, secrets redacted: {config:?}");
    println!("key names: {:?}", ServiceConfigKey::NAMES);
    assert!(config.try_store_greeting(" ".to_owned()).is_err());
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("mutex") {
        println!("backend: MutexMap");
        // The only change: the registry's type parameter.
        run(ServiceConfigRegistry::<
            MutexMap<ServiceConfigKey, ServiceConfigValue>,
        >::default());
    } else {
        println!("backend: SyncMap (the default)");
        let config: ServiceConfigRegistry<SyncMap<ServiceConfigKey, ServiceConfigValue>> =
            ServiceConfigRegistry::new();
        run(config);
    }
}
