//! A hot-reloaded configuration: worker threads read settings from a `#[derive(SyncRegistry)]`
//! registry on every request while a reloader thread updates fields, with no lock on the read
//! path (the default backend is `SyncMap`).
//!
//! The backend is one type parameter. Run with `-- mutex` to run the same program on `MutexMap`:
//!
//! ```text
//! cargo run --example config_registry
//! cargo run --example config_registry -- mutex
//! ```

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

use syncmap::{ConcurrentMap, MutexMap, SyncMap, SyncRegistry};

/// The service's configuration, as it would be read from a file.
#[derive(SyncRegistry, Debug, Clone, PartialEq)]
struct ServiceConfig {
    /// Requests a worker may serve per batch.
    #[registry(default = 8)]
    batch_size: u32,
    /// Whether to log each request.
    #[registry(default)]
    verbose: bool,
    /// Greeting put in every response.
    #[registry(rename = "greeting-text")]
    greeting: String,
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

/// The reloader: apply `name=value` lines, as from a re-read config file or an admin endpoint.
fn reload<M>(config: &ServiceConfigRegistry<M>, lines: &[&str])
where
    M: ConcurrentMap<ServiceConfigKey, ServiceConfigValue>,
{
    for line in lines {
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        match name.parse::<ServiceConfigKey>() {
            Ok(ServiceConfigKey::BatchSize) => config.store_batch_size(value.parse().unwrap_or(8)),
            Ok(ServiceConfigKey::Verbose) => config.store_verbose(value == "true"),
            Ok(ServiceConfigKey::Greeting) => config.store_greeting(value.to_owned()),
            Err(err) => eprintln!("ignored: {err}"),
        }
    }
}

fn run<M>(config: ServiceConfigRegistry<M>)
where
    M: ConcurrentMap<ServiceConfigKey, ServiceConfigValue> + Sync,
{
    // An unknown name is reported, not applied.
    reload(&config, &["greeting-text=hello", "batch_size=16"]);
    let stop = AtomicBool::new(false);
    let served = AtomicU64::new(0);
    let reloads = 200;
    thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| serve(&config, &stop, &served));
        }
        s.spawn(|| {
            for round in 0..reloads {
                let verbose = if round % 2 == 0 { "true" } else { "false" };
                reload(
                    &config,
                    &[
                        &format!("batch_size={}", 4 + round % 16),
                        &format!("verbose={verbose}"),
                    ],
                );
                // A field updated in place: bump the batch size by one, whatever it is now.
                config.update_batch_size(|n| n + 1);
                thread::yield_now();
            }
            stop.store(true, Ordering::Relaxed);
        });
    });
    let snapshot = config
        .load_struct()
        .expect("every field without a default is set");
    println!(
        "served {} requests across {reloads} reloads",
        served.load(Ordering::Relaxed)
    );
    println!("final configuration: {snapshot:?}");
    println!("key names: {:?}", ServiceConfigKey::NAMES);
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
