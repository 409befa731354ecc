//! Registry 2.0: required, optional, map and nested fields; changes with values; secrets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use syncmap::{ConcurrentMap, ExposeSecret, MutexMap, Registry, SecretString, SyncRegistry};

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

/// A type without `PartialEq`: its field keeps the accessors that need no comparison, and the
/// other fields keep all of theirs.
#[derive(Clone, Debug)]
struct Opaque(u8);

#[derive(SyncRegistry, Clone, Debug)]
struct Mixed {
    handle: Opaque,
    #[registry(default = 1)]
    count: u32,
}

#[test]
fn a_field_without_partial_eq_leaves_the_others_whole() {
    let mixed = MixedRegistry::new(Mixed {
        handle: Opaque(1),
        count: 1,
    })
    .unwrap();
    assert!(mixed.compare_and_swap_count(&1, 2));
    assert_eq!(mixed.update_count(|c| c * 10), 20);
    // Without `PartialEq` a write cannot be compared, so it always counts as a change.
    let before = mixed.version();
    mixed.store_handle(Opaque(1));
    assert_eq!(mixed.version(), before + 1);
    assert_eq!(mixed.handle().0, 1);
}

#[derive(SyncRegistry, Clone, Debug, PartialEq)]
#[registry(validate = |w: &Window| if w.min <= w.max { Ok(()) } else { Err(format!("min {} > max {}", w.min, w.max)) })]
struct Window {
    #[registry(default = 1, validate = |v: &u32| if *v > 0 { Ok(()) } else { Err("zero") })]
    min: u32,
    #[registry(default = 10)]
    max: u32,
}

#[derive(SyncRegistry, Clone, Debug, PartialEq)]
struct Throttle {
    #[registry(nested)]
    window: Window,
    #[registry(default)]
    enabled: bool,
}

#[test]
fn closures_validate_fields_and_structs_nested_ones_under_their_path() {
    let throttle: ThrottleRegistry = Registry::from_defaults().unwrap();
    assert_eq!((throttle.window().min(), throttle.window().max()), (1, 10));
    let refused = throttle
        .update(|t| {
            t.window.min = 0;
            t.enabled = true;
        })
        .unwrap_err();
    let paths: Vec<_> = refused
        .failures()
        .iter()
        .map(|f| f.path().to_owned())
        .collect();
    assert_eq!(paths, ["window.min"]);
    assert_eq!(refused.to_string(), "invalid value: window.min: zero");
    assert!(!throttle.enabled(), "a refused update writes nothing");
    let refused = throttle.update(|t| t.window.min = 20).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "invalid value: window: min 20 > max 10"
    );
    assert!(throttle.window().try_store_min(0).is_err());
    assert_eq!(throttle.window().min(), 1);
    assert_eq!(throttle.version(), 0);
}

#[derive(SyncRegistry, Clone, Debug)]
struct Vault {
    #[registry(secret)]
    master: SecretString,
    #[registry(secret)]
    backup: Option<SecretString>,
    #[registry(map, secret)]
    by_user: HashMap<String, SecretString>,
}

#[test]
fn no_public_value_prints_a_secret() {
    let vault = VaultRegistry::new(Vault {
        master: SecretString::from("s3cret-master"),
        backup: Some(SecretString::from("s3cret-backup")),
        by_user: HashMap::from([("alice".to_owned(), SecretString::from("s3cret-entry"))]),
    })
    .unwrap();
    vault.store_master(SecretString::from("s3cret-rotated"));
    vault.store_by_user("bob".to_owned(), SecretString::from("s3cret-entry2"));
    let snapshot = vault.snapshot();
    let changes = vault.changes_since(0);
    let refused = syncmap::ValidationError::new("master", "rejected");
    let batch = syncmap::Batch::<Vault>::new().store(
        VaultKey::Master,
        VaultValue::Master(SecretString::from("s3cret-batch")),
    );
    let mut outputs = vec![
        format!("{vault:?}"),
        format!("{snapshot:?}"),
        format!("{changes:?}"),
        format!("{batch:?}"),
        format!("{refused} {refused:?}"),
    ];
    for change in changes.changes() {
        outputs.push(format!("{change:?}"));
        for field in change.fields() {
            outputs.push(format!(
                "{field:?} {} {:?} {:?} {:?}",
                field.path(),
                field.key(),
                field.old(),
                field.new_value()
            ));
        }
    }
    vault.backend().range(|key, value| {
        outputs.push(format!("{key:?} {value:?}"));
        true
    });
    for output in &outputs {
        assert!(!output.contains("s3cret"), "a secret printed: {output}");
    }
    assert_eq!(
        outputs.len(),
        5 + 1 + 2 + 1 + 4,
        "every value was formatted"
    );
    // A secret map field's keys are not secret to the struct's own `Debug`, but every `Debug`
    // the derive generates redacts them too.
    assert!(outputs[0].contains("by_user[<redacted>]") && !outputs[0].contains("alice"));
    // The values are still there.
    assert_eq!(vault.master_with(|s| s.expose_secret().len()), 14);
}

#[test]
fn versions_stay_unique_and_ordered_when_evicted_values_write_back() {
    let registry = HOOKED.get_or_init(|| {
        HookedRegistry::new(Hooked {
            values: HashMap::new(),
            drops: 0,
        })
        .unwrap()
    });
    let start = registry.version();
    for n in 0..(2 * syncmap::registry::HISTORY as u32) {
        registry.store_values(n % 3, WritesOnDrop(1000 + n));
    }
    let since = registry.changes_since(start);
    let versions: Vec<u64> = since.changes().iter().map(|c| c.version()).collect();
    assert!(
        versions.windows(2).all(|w| w[1] == w[0] + 1),
        "versions out of order or repeated: {versions:?}"
    );
    assert_eq!(versions.last().copied(), Some(registry.version()));
}
