//! Two processes sharing one registry through Redis: each binds the same registry to one Redis
//! hash, prints every change it sees (its own and the other's, at the fleet version), shows its
//! sync status every round, and makes a few writes of its own.
//!
//! ```text
//! redis-server --port 6379 --save '' --appendonly no     # a throwaway local server
//! cargo build --example fleet --features redis
//! cargo run --example fleet --features redis -- a        # in one terminal
//! cargo run --example fleet --features redis -- b        # in another, within a few seconds
//! ```
//!
//! Role `a` flips a feature flag and raises the default rate limit once a second; role `b`
//! adjusts per-tenant limits. Each stops after ROUNDS rounds (the second argument, default 5),
//! then listens a little longer for the other side's last writes. The server is `REDIS_URL`
//! (default `redis://127.0.0.1:6379/`); the registry is the hash `syncmap-example:fleet`.

use std::collections::{BTreeMap, HashSet};
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use syncmap::fleet::{Fleet, FleetError, FleetOptions, RedisEngine, SyncStatus};
use syncmap::registry::Change;
use syncmap::{Registry, SyncRegistry};

const DEFAULT_URL: &str = "redis://127.0.0.1:6379/";
const KEY: &str = "syncmap-example:fleet";
const ROUND: Duration = Duration::from_secs(1);
/// How long each side keeps listening after its last round, for the other side's last writes.
const LINGER: Duration = Duration::from_millis(1500);
const TENANTS: [&str; 3] = ["acme", "globex", "initech"];

/// Feature flags, switched for the whole fleet at once.
#[derive(SyncRegistry, Clone, Debug, PartialEq, Serialize)]
struct Features {
    /// The new checkout flow.
    #[registry(default)]
    new_checkout: bool,
    /// Search suggestions as you type.
    #[registry(default = true)]
    search_suggestions: bool,
}

/// What every instance of the service reads on each request.
#[derive(SyncRegistry, Clone, Debug, PartialEq, Serialize)]
struct Settings {
    /// The feature flags section.
    #[registry(nested)]
    features: Features,
    /// Requests per second for a tenant without a limit of its own.
    #[registry(default = 100, validate = positive)]
    rate_limit: u32,
    /// Requests per second, by tenant.
    #[registry(map)]
    tenant_limits: BTreeMap<String, u32>,
}

fn positive(n: &u32) -> Result<(), String> {
    if *n == 0 {
        Err("must be at least 1".to_owned())
    } else {
        Ok(())
    }
}

/// The state an instance starts from; the store's state, if it has one, replaces it at bind.
fn initial() -> Settings {
    Settings {
        features: Features {
            new_checkout: false,
            search_suggestions: true,
        },
        rate_limit: 100,
        tenant_limits: BTreeMap::from([("acme".to_owned(), 50)]),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Role {
    A,
    B,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::A => "a",
            Role::B => "b",
        }
    }

    /// This role's write for `round`, through the fleet: one atomic change at a new version.
    fn write(self, fleet: &Fleet<SettingsRegistry>, round: u32) -> Result<u64, FleetError> {
        match self {
            Role::A => fleet.update(|settings| {
                settings.features.new_checkout = !settings.features.new_checkout;
                settings.rate_limit = 100 + 10 * round;
            }),
            Role::B => fleet.update(|settings| {
                let tenant = TENANTS[(round as usize - 1) % TENANTS.len()];
                let limit = settings
                    .tenant_limits
                    .entry(tenant.to_owned())
                    .or_insert(50);
                *limit += 25;
            }),
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let role = match args.first().map(String::as_str) {
        Some("a") => Role::A,
        Some("b") => Role::B,
        _ => return usage(),
    };
    let rounds = match args.get(1).map(|n| n.parse::<u32>()) {
        None => 5,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => return usage(),
    };
    if args.len() > 2 {
        return usage();
    }
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
    match run(role, rounds, &url) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("[{}] error: {message}", role.name());
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: cargo run --example fleet --features redis -- a|b [ROUNDS]\n\
         (the server is REDIS_URL, default {DEFAULT_URL})"
    );
    ExitCode::from(2)
}

/// Binds a registry to the store, with an error that says what to do when it is not there.
fn bind(url: &str) -> Result<Fleet<SettingsRegistry>, String> {
    let registry = Arc::new(SettingsRegistry::new(initial()).map_err(|e| e.to_string())?);
    // Both sides may start at once on an empty store: one publishes the first state, and the
    // other's bind then fails with `EpochChanged` (as of this writing); binding again takes the
    // state the first one published.
    let mut attempts = 0;
    loop {
        let engine = RedisEngine::new(url, KEY)
            .map_err(|error| format!("REDIS_URL={url} is not a Redis URL: {error}"))?;
        match Fleet::bind(Arc::clone(&registry), engine, FleetOptions::default()) {
            Ok(fleet) => return Ok(fleet),
            Err(FleetError::EpochChanged) if attempts < 3 => attempts += 1,
            Err(FleetError::Engine(error)) => {
                return Err(format!(
                    "cannot reach the Redis server at {url} ({error}).\n    \
                     Start a local one with `redis-server --port 6379 --save '' --appendonly no`, \
                     or set REDIS_URL to one that runs."
                ));
            }
            Err(error) => return Err(format!("cannot bind to {url}, key {KEY}: {error}")),
        }
    }
}

fn run(role: Role, rounds: u32, url: &str) -> Result<(), String> {
    let me = role.name();
    let fleet = bind(url)?;
    let registry = fleet.registry();
    println!(
        "[{me}] bound to {url} (hash {KEY}): {}",
        describe(&fleet.sync_status())
    );
    println!("[{me}] settings now: {:?}", registry.snapshot());

    // The subscriber runs on whichever thread publishes (the follower for the other side's
    // writes, this one for ours): it hands each change to the main loop, which prints it.
    let (sender, changes) = mpsc::channel::<Change<Settings>>();
    let _subscription = registry.subscribe(move |change| {
        let _ = sender.send(change.clone());
    });
    // The versions of this side's own writes, to tell them from the other side's.
    let mine = Mutex::new(HashSet::new());
    let mut from_other = 0;
    let mut failed = 0;
    let mut print_until = |deadline: Instant| loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match changes.recv_timeout(left) {
            Ok(change) => {
                let ours = mine.lock().unwrap().contains(&change.version());
                if !ours {
                    from_other += 1;
                }
                println!(
                    "[{me}] v{:<3} {:<6} {}",
                    change.version(),
                    if ours { "mine" } else { "other" },
                    describe_change(&change)
                );
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return,
        }
    };

    for round in 1..=rounds {
        let started = Instant::now();
        match role.write(&fleet, round) {
            Ok(version) => {
                mine.lock().unwrap().insert(version);
                println!("[{me}] round {round}/{rounds}: wrote v{version}");
            }
            Err(error) => {
                failed += 1;
                println!("[{me}] round {round}/{rounds}: write failed: {error}");
            }
        }
        print_until(started + ROUND);
        println!("[{me}] status: {}", describe(&fleet.sync_status()));
    }
    print_until(Instant::now() + LINGER);

    let status = fleet.sync_status();
    println!(
        "[{me}] done: {} writes of mine, {from_other} changes from the other side, {}",
        mine.lock().unwrap().len(),
        describe(&status)
    );
    println!("[{me}] settings now: {:?}", registry.snapshot());
    if failed > 0 {
        return Err(format!("{failed} of {rounds} writes failed"));
    }
    Ok(())
}

/// `path: old -> new` for every field of a change.
fn describe_change(change: &Change<Settings>) -> String {
    let show = |value: Option<&SettingsValue>| {
        value.map_or_else(|| "(unset)".to_owned(), |value| format!("{value:?}"))
    };
    change
        .fields()
        .iter()
        .map(|field| {
            let (old, new) = (show(field.old()), show(field.new_value()));
            format!("{}: {old} -> {new}", field.path())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe(status: &SyncStatus) -> String {
    match status {
        SyncStatus::Connecting => "connecting".to_owned(),
        SyncStatus::Synced { version, confirmed } => format!(
            "synced at v{version}, confirmed {} ms ago",
            confirmed.elapsed().as_millis()
        ),
        SyncStatus::Stale {
            since,
            version,
            reason,
        } => format!(
            "STALE at v{version} for {:.1} s: {reason}",
            since.elapsed().as_secs_f64()
        ),
    }
}
