//! Registry 2.0: required, optional, map and nested fields; changes with values; secrets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use syncmap::{ExposeSecret, MutexMap, Registry, SecretString, SyncRegistry};

#[derive(SyncRegistry, Clone, Debug, PartialEq)]
struct Pool {
    #[registry(default = 8)]
    size: u32,
    #[registry(nested)]
    retry: Retry,
}

#[derive(SyncRegistry, Clone, Debug, PartialEq)]
struct Retry {
    #[registry(default = 3)]
    attempts: u32,
}

#[derive(SyncRegistry, Clone, Debug)]
struct Database {
    url: String,
    #[registry(secret)]
    password: SecretString,
    #[registry(nested)]
    pool: Pool,
}

#[derive(SyncRegistry, Clone, Debug)]
struct Service {
    /// Port to listen on.
    port: u16,
    #[registry(default = 30)]
    timeout_secs: u64,
    tls_cert: Option<String>,
    #[registry(map)]
    routes: HashMap<String, u16>,
    #[registry(nested)]
    database: Database,
}

fn service() -> Service {
    Service {
        port: 8080,
        timeout_secs: 30,
        tls_cert: None,
        routes: HashMap::from([("/".to_owned(), 200)]),
        database: Database {
            url: "postgres://db".to_owned(),
            password: SecretString::from("hunter2"),
            pool: Pool {
                size: 8,
                retry: Retry { attempts: 3 },
            },
        },
    }
}

#[test]
fn required_optional_map_and_three_levels_of_nesting() {
    let config = ServiceRegistry::new(service()).unwrap();
    assert_eq!(config.port(), 8080);
    assert_eq!(config.tls_cert(), None);
    assert_eq!(config.routes("/"), Some(200));
    assert_eq!(config.database().pool().retry().attempts(), 3);
    config.database().pool().retry().store_attempts(5);
    assert_eq!(config.database().pool().retry().attempts(), 5);
    let snapshot = config.snapshot();
    assert_eq!(snapshot.database.pool.retry.attempts, 5);
    assert_eq!(snapshot.database.password.expose_secret(), "hunter2");
    let change = config.changes_since(0);
    assert!(change.changed("database.pool.retry.attempts"), "{change:?}");
}

#[test]
fn identical_writes_publish_nothing_and_changes_carry_values() {
    let config = ServiceRegistry::new(service()).unwrap();
    config.store_port(8080);
    assert_eq!(config.version(), 0);
    assert_eq!(config.store_struct(service()).unwrap(), 0);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let (start, version, _subscription) = config.subscribe_from_current(move |change| {
        for field in change.fields() {
            log.lock().unwrap().push(format!(
                "{}: {:?} -> {:?}",
                field.path(),
                field.old(),
                field.new_value()
            ));
        }
    });
    assert_eq!((start.port, version), (8080, 0));
    config.store_port(8081);
    config.update(|s| s.database.pool.size = 16).unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "port: Some(8080) -> Some(8081)",
            "database.pool.size: Some(8) -> Some(16)"
        ]
    );
    let waited = config.wait_for_change(1, Duration::from_secs(1)).unwrap();
    assert!(waited.changed("database.pool.size"));
}

#[test]
fn secrets_never_print() {
    let config = ServiceRegistry::new(service()).unwrap();
    config
        .database()
        .store_password(SecretString::from("swordfish"));
    let outputs = [
        format!("{config:?}"),
        format!("{:?}", config.snapshot()),
        format!("{:?}", config.changes_since(0)),
        format!("{:?}", config.database()),
    ];
    for output in outputs {
        assert!(
            !output.contains("hunter2") && !output.contains("swordfish"),
            "{output}"
        );
    }
}

#[test]
fn any_backend() {
    let config: ServiceRegistry<MutexMap<ServiceKey, ServiceValue>> =
        Registry::from_struct(service()).unwrap();
    assert_eq!(config.update_port(|p| p + 1), 8081);
    assert!(config.compare_and_swap_port(&8081, 9000));
    assert_eq!(config.port(), 9000);
}

/// A value whose `Drop` writes to the registry it is stored in (through a global, as the
/// contract allows a `Drop` to call back).
#[derive(Clone, Debug, PartialEq)]
struct WritesOnDrop(u32);

static HOOKED: std::sync::OnceLock<HookedRegistry> = std::sync::OnceLock::new();

impl Drop for WritesOnDrop {
    fn drop(&mut self) {
        if let Some(registry) = HOOKED.get() {
            registry.store_drops(self.0);
        }
    }
}

#[derive(SyncRegistry, Clone, Debug)]
struct Hooked {
    #[registry(map)]
    values: HashMap<u32, WritesOnDrop>,
    #[registry(default)]
    drops: u32,
}

#[test]
fn a_drop_that_writes_back_while_the_history_evicts_does_not_deadlock() {
    let registry = HOOKED.get_or_init(|| {
        HookedRegistry::new(Hooked {
            values: HashMap::new(),
            drops: 0,
        })
        .unwrap()
    });
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // More writes than the history keeps, each replacing a value whose drop writes: the
        // evicted changes drop those values while the history is being updated.
        for n in 0..(3 * syncmap::registry::HISTORY as u32) {
            registry.store_values(n % 4, WritesOnDrop(n));
        }
        done_tx.send(()).unwrap();
    });
    assert!(
        done_rx.recv_timeout(Duration::from_secs(30)).is_ok(),
        "writes deadlocked"
    );
    assert!(registry.drops() > 0);
}
