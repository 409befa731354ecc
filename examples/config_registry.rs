//! A hot-reloaded configuration: worker threads read settings from a `#[derive(SyncRegistry)]`
//! registry on every request while a reloader thread re-reads the configuration file, with no
//! lock on the read path (the default backend is `SyncMap`).
//!
//! The configuration is a realistic one: required fields, a field with a default, an optional
//! TLS certificate, a secret API token (`SecretString`, never printed), a map of routes, and a
//! nested database section. Each reload stores the whole parsed file with `store_struct`: only
//! the fields that differ are written, as one validated change; a file that breaks an invariant
//! (a batch size above the limit) is refused as a whole and the old values stay. A subscriber
//! logs every change with each field's old and new value, and an auditor takes consistent
//! snapshots and waits for the next change.
//!
//! The backend is one type parameter. Run with `-- mutex` to run the same program on `MutexMap`:
//!
//! ```text
//! cargo run --example config_registry
//! cargo run --example config_registry -- mutex
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use syncmap::{
    ConcurrentMap, ExposeSecret, FieldChange, MutexMap, Registry, SecretString, SyncRegistry,
};

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

/// The database section.
#[derive(SyncRegistry, Debug, Clone)]
struct Database {
    /// Where the database is.
    url: String,
    /// Connections kept open.
    #[registry(default = 8)]
    pool_size: u32,
}

/// The service's configuration, as it is read from its file.
#[derive(SyncRegistry, Debug, Clone)]
#[registry(validate = check_config)]
struct ServiceConfig {
    /// Port to listen on.
    port: u16,
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
    /// Certificate to serve TLS with; plain HTTP while unset.
    tls_cert: Option<String>,
    /// Credential for the upstream service: never printed.
    #[registry(secret)]
    api_token: SecretString,
    /// Upstream port by route prefix.
    #[registry(map)]
    routes: HashMap<String, u16>,
    /// The database section.
    #[registry(nested)]
    database: Database,
}

/// Parses the configuration file: `name = value` lines, `route PREFIX = PORT` lines for the map,
/// and `[database]` starting the nested section. Unknown names are reported, not applied.
fn parse(text: &str) -> Result<ServiceConfig, String> {
    let mut values = HashMap::new();
    let mut routes = HashMap::new();
    let mut section = "";
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name;
            continue;
        }
        let (name, value) = line
            .split_once('=')
            .ok_or_else(|| format!("not `name = value`: {line:?}"))?;
        let (name, value) = (name.trim(), value.trim());
        if let Some(prefix) = name.strip_prefix("route ") {
            let port = value.parse().map_err(|e| format!("route {prefix}: {e}"))?;
            routes.insert(prefix.trim().to_owned(), port);
        } else if section.is_empty() {
            values.insert(name.to_owned(), value.to_owned());
        } else {
            values.insert(format!("{section}.{name}"), value.to_owned());
        }
    }
    // The settings the file may name: the registry's own list of leaf fields (the map's entries
    // have their own syntax).
    let known: Vec<String> = <ServiceConfigRegistry as Registry>::leaf_fields()
        .iter()
        .map(|leaf| leaf.path().to_owned())
        .collect();
    for name in values.keys() {
        if !known.contains(name) {
            eprintln!("ignored unknown setting {name:?}");
        }
    }
    let mut take = |name: &str| values.remove(name);
    let required = |value: Option<String>, name: &str| {
        value.ok_or_else(|| format!("missing required setting {name:?}"))
    };
    let number = |value: Option<String>, name: &str, default: u32| match value {
        Some(value) => value.parse().map_err(|e| format!("{name}: {e}")),
        None => Ok(default),
    };
    Ok(ServiceConfig {
        port: required(take("port"), "port")?
            .parse()
            .map_err(|e| format!("port: {e}"))?,
        batch_size: number(take("batch_size"), "batch_size", 8)?,
        max_batch: number(take("max_batch"), "max_batch", 32)?,
        verbose: take("verbose").is_some_and(|v| v == "true"),
        greeting: required(take("greeting-text"), "greeting-text")?,
        tls_cert: take("tls_cert"),
        api_token: SecretString::from(required(take("api_token"), "api_token")?),
        routes,
        database: Database {
            url: required(take("database.url"), "database.url")?,
            pool_size: number(take("database.pool_size"), "database.pool_size", 8)?,
        },
    })
}

/// The configuration file as it reads at reload `round`: the batch size and verbosity vary,
/// every fifth file asks for more than the limit, a beta route comes and goes, and from round
/// 100 on the service serves TLS.
fn file_at(round: u32) -> String {
    let batch_size = if round % 5 == 4 { 64 } else { 4 + round % 16 };
    let verbose = round.is_multiple_of(2);
    let mut text = format!(
        "port = 8080\n\
         greeting-text = hello\n\
         batch_size = {batch_size}\n\
         verbose = {verbose}\n\
         api_token = s3cr3t-{}\n\
         route /api = 9001\n\
         route /static = 9002\n",
        round / 50,
    );
    if round.is_multiple_of(3) {
        text.push_str("route /beta = 9100\n");
    }
    if round >= 100 {
        text.push_str("tls_cert = /etc/tls/edge.pem\n");
    }
    text.push_str("[database]\nurl = postgres://db.internal/app\n");
    text.push_str(&format!("pool_size = {}\n", 8 + round % 4 * 4));
    text
}

/// One changed field as `path: old -> new` (`-` where it was or became unset). Values print
/// through the value enum's `Debug`, which redacts the secret.
fn describe(field: &FieldChange<ServiceConfig>) -> String {
    let show = |value: Option<&ServiceConfigValue>| match value {
        Some(value) => format!("{value:?}"),
        None => "-".to_owned(),
    };
    format!(
        "{}: {} -> {}",
        field.path(),
        show(field.old()),
        show(field.new_value())
    )
}

/// What a worker does: read the configuration for each request, as it is at that moment.
fn serve<M>(config: &ServiceConfigRegistry<M>, stop: &AtomicBool, served: &AtomicU64)
where
    M: ConcurrentMap<ServiceConfigKey, ServiceConfigValue> + Send + Sync,
{
    let paths = ["/api", "/static", "/beta"];
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let batch = config.batch_size();
        // A nested field, read in place through the `database` view.
        let pool = config.database().pool_size();
        for _ in 0..batch {
            n += 1;
            // `greeting_with` reads in place: no clone of the string per request.
            let len = config.greeting_with(String::len);
            // The map field, looked up by `&str`; `/beta` is there only some of the time.
            let upstream = config.routes(paths[n % paths.len()]).unwrap_or(9001);
            let scheme = if config.contains_tls_cert() {
                "https"
            } else {
                "http"
            };
            // The secret, exposed only where it is used.
            let signed = config.api_token_with(|token| token.expose_secret().len());
            std::hint::black_box((len, upstream, scheme, signed, pool));
            if config.verbose() {
                std::hint::black_box(n);
            }
        }
        served.fetch_add(u64::from(batch), Ordering::Relaxed);
    }
}

fn run<M>(config: ServiceConfigRegistry<M>)
where
    M: ConcurrentMap<ServiceConfigKey, ServiceConfigValue> + Send + Sync,
{
    // Every change, with each field's old and new value, in version order, outside every lock.
    let changes = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&changes);
    let subscription = config.subscribe(move |change| {
        let fields: Vec<String> = change.fields().iter().map(describe).collect();
        log.lock()
            .unwrap()
            .push(format!("v{} {}", change.version(), fields.join(", ")));
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
        // file half applied, so the invariant holds in every snapshot.
        s.spawn(|| {
            let mut version = 0;
            while !stop.load(Ordering::Relaxed) {
                if config
                    .wait_for_change(version, Duration::from_millis(50))
                    .is_none()
                {
                    continue;
                }
                let (snapshot, at) = config.snapshot_with_version();
                assert!(check_config(&snapshot).is_ok(), "torn: {snapshot:?}");
                assert!(snapshot.routes.contains_key("/api"), "torn: {snapshot:?}");
                version = at;
                audits.fetch_add(1, Ordering::Relaxed);
            }
        });
        // The reloader.
        s.spawn(|| {
            for round in 1..=reloads {
                // The whole file, stored as one change of the fields that differ.
                let file = parse(&file_at(round)).expect("the file parses");
                if let Err(err) = config.store_struct(file) {
                    if round == 4 {
                        println!("refused reload: {err}");
                    }
                    refused.fetch_add(1, Ordering::Relaxed);
                }
                // An admin bump, validated and atomic like a reload: one more per batch, up to
                // the limit read in the same struct.
                config
                    .update(|c| c.batch_size = (c.batch_size + 1).min(c.max_batch))
                    .expect("stays within max_batch");
                thread::yield_now();
            }
            stop.store(true, Ordering::Relaxed);
        });
    });
    drop(subscription);

    let (snapshot, version) = config.snapshot_with_version();
    println!(
        "served {} requests across {reloads} reloads ({} refused); {} audits",
        served.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
        audits.load(Ordering::Relaxed),
    );
    let changes = changes.lock().unwrap();
    println!(
        "{} changes seen by the subscriber, the first ones:",
        changes.len()
    );
    for change in changes.iter().take(4) {
        println!("  {change}");
    }
    // A change of the secret: its old and new values print redacted, like everywhere else.
    if let Some(change) = changes.iter().find(|change| change.contains("api_token")) {
        println!("  ...\n  {change}");
    }
    println!(
        "final configuration at version {version}: port {}, batch_size {}, verbose {}, \
         tls_cert {:?}, routes {}, database pool {}",
        snapshot.port,
        snapshot.batch_size,
        snapshot.verbose,
        snapshot.tls_cert,
        snapshot.routes.len(),
        snapshot.database.pool_size
    );
    println!("the registry, secret redacted: {config:?}");

    // Field-level writes: a validated one, refused; a compare-and-swap; an optional unset.
    let err = config.try_store_greeting(" ".to_owned()).unwrap_err();
    println!("refused greeting: {err}");
    assert!(config.compare_and_swap_port(&8080, 8443));
    assert!(config.delete_tls_cert());
    let since = config.changes_since(version);
    let last: Vec<String> = since
        .changes()
        .iter()
        .flat_map(|change| change.fields().iter().map(describe))
        .collect();
    println!("after the run: {}", last.join(", "));
}

fn main() {
    let initial = parse(
        "port = 8080\n\
         greeting-text = hello\n\
         api_token = s3cr3t-0\n\
         colour = blue\n\
         route /api = 9001\n\
         [database]\n\
         url = postgres://db.internal/app\n",
    )
    .expect("the first file parses");
    if std::env::args().nth(1).as_deref() == Some("mutex") {
        println!("backend: MutexMap");
        // The only change: the backend map the registry is built in.
        let config: ServiceConfigRegistry<MutexMap<ServiceConfigKey, ServiceConfigValue>> =
            Registry::from_struct_in(initial, MutexMap::new()).expect("a valid first file");
        run(config);
    } else {
        println!("backend: SyncMap (the default)");
        run(ServiceConfigRegistry::new(initial).expect("a valid first file"));
    }
}
