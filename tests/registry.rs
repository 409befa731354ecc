//! Every generated method of `#[derive(SyncRegistry)]`, on the default backend (`SyncMap`), on `MutexMap`
//! and `RwLockMap`: each test is a generic function run once per backend.

use std::collections::{BTreeMap, HashMap};
use std::error::Error;

use syncmap::{ConcurrentMap, LoadOrStore, MutexMap, RwLockMap, SyncMap, SyncRegistry};

#[derive(SyncRegistry, Debug, Clone, PartialEq)]
struct Config {
    /// Port to listen on.
    port: u16,
    #[registry(default = 30)]
    timeout_secs: u64,
    #[registry(default)]
    label: String,
    #[registry(map)]
    routes: HashMap<String, u32>,
    #[registry(map)]
    weights: BTreeMap<u8, i64>,
    #[registry(skip)]
    scratch: Vec<u8>,
    #[registry(rename = "log-level")]
    log_level: String,
    r#type: u8,
}

/// What every test needs of a backend.
trait Backend: ConcurrentMap<ConfigKey, ConfigValue> + Default + Send + Sync {}
impl<M: ConcurrentMap<ConfigKey, ConfigValue> + Default + Send + Sync> Backend for M {}

fn sample() -> Config {
    Config {
        port: 8080,
        timeout_secs: 5,
        label: "edge".to_owned(),
        routes: HashMap::from([("/".to_owned(), 1), ("/api".to_owned(), 2)]),
        weights: BTreeMap::from([(1, -1), (2, 4)]),
        scratch: vec![9],
        log_level: "info".to_owned(),
        r#type: 3,
    }
}

fn plain_field_without_default<M: Backend>() {
    let reg = ConfigRegistry::<M>::default();
    assert_eq!(reg.port(), None);
    assert_eq!(reg.port_with(|p| *p + 1), None);
    assert!(!reg.contains_port());
    assert!(!reg.delete_port());
    assert_eq!(reg.load_and_delete_port(), None);
    assert_eq!(reg.swap_port(1), None);
    assert_eq!(reg.swap_port(2), Some(1));
    assert!(reg.contains_port());
    reg.store_port(3);
    assert_eq!(reg.port(), Some(3));
    assert_eq!(reg.port_with(|p| u32::from(*p) * 10), Some(30));
    assert_eq!(reg.load_or_store_port(4), LoadOrStore::Loaded(3));
    assert_eq!(
        reg.load_or_store_port_with(|| unreachable!("set: not built")),
        LoadOrStore::Loaded(3)
    );
    assert!(!reg.compare_and_swap_port(4, 5));
    assert!(reg.compare_and_swap_port(3, 5));
    assert_eq!(reg.update_port(|p| p * 2), Some(10));
    assert!(!reg.compare_and_delete_port(11));
    assert!(reg.compare_and_delete_port(10));
    assert_eq!(reg.port(), None);
    assert!(
        !reg.compare_and_swap_port(10, 1),
        "an unset field never compares equal"
    );
    assert_eq!(reg.update_port(|p| p + 1), None);
    assert_eq!(reg.load_or_store_port_with(|| 7), LoadOrStore::Stored(7));
    assert_eq!(reg.load_and_delete_port(), Some(7));
    assert_eq!(reg.load_or_store_port(8), LoadOrStore::Stored(8));
    assert!(reg.delete_port());
    // A raw identifier keeps `r#` on the getter only.
    reg.store_type(4);
    assert_eq!(reg.r#type(), Some(4));
}

fn plain_field_with_default<M: Backend>() {
    let reg = ConfigRegistry::<M>::default();
    assert_eq!(reg.timeout_secs(), 30);
    assert_eq!(reg.label(), "");
    assert_eq!(reg.timeout_secs_with(|t| t + 1), 31);
    assert!(!reg.contains_timeout_secs());
    // An unset field counts as holding its default.
    assert!(!reg.compare_and_swap_timeout_secs(31, 40));
    assert!(reg.compare_and_swap_timeout_secs(30, 40));
    assert_eq!(reg.timeout_secs(), 40);
    assert!(reg.contains_timeout_secs());
    assert!(!reg.compare_and_swap_timeout_secs(30, 50));
    assert!(reg.compare_and_swap_timeout_secs(40, 50));
    assert_eq!(reg.timeout_secs_with(|t| t + 1), 51);
    assert_eq!(reg.swap_timeout_secs(60), 50);
    assert!(reg.delete_timeout_secs(), "it was set");
    assert_eq!(reg.timeout_secs(), 30, "deleting resets to the default");
    assert!(!reg.delete_timeout_secs());
    assert_eq!(
        reg.swap_timeout_secs(1),
        30,
        "swap on an unset field returns the default"
    );
    assert_eq!(reg.load_and_delete_timeout_secs(), 1);
    assert_eq!(reg.load_and_delete_timeout_secs(), 30);
    assert_eq!(
        reg.update_timeout_secs(|t| t + 5),
        35,
        "update starts from the default"
    );
    assert_eq!(reg.update_timeout_secs(|t| t + 5), 40);
    assert!(!reg.compare_and_delete_timeout_secs(30));
    assert!(reg.compare_and_delete_timeout_secs(40));
    assert_eq!(reg.timeout_secs(), 30);
    assert!(
        reg.compare_and_delete_timeout_secs(30),
        "unset already holds the default"
    );
    assert!(!reg.compare_and_delete_timeout_secs(31));
    assert_eq!(reg.load_or_store_timeout_secs(7), LoadOrStore::Stored(7));
    assert_eq!(
        reg.load_or_store_timeout_secs_with(|| 8),
        LoadOrStore::Loaded(7)
    );
    reg.store_label("x".to_owned());
    assert_eq!(reg.label_with(String::len), 1);
}

fn map_fields<M: Backend>() {
    let reg = ConfigRegistry::<M>::default();
    assert_eq!(reg.routes("/"), None);
    assert!(!reg.contains_routes("/"));
    reg.store_routes("/".to_owned(), 1);
    assert_eq!(reg.routes("/"), Some(1), "looked up by &str");
    assert_eq!(reg.routes(&"/".to_owned()), Some(1), "and by &String");
    assert_eq!(reg.routes_with("/", |v| v * 10), Some(10));
    assert!(reg.contains_routes("/"));
    assert_eq!(reg.swap_routes("/".to_owned(), 2), Some(1));
    assert_eq!(reg.swap_routes("/a".to_owned(), 3), None);
    assert_eq!(
        reg.load_or_store_routes("/a".to_owned(), 9),
        LoadOrStore::Loaded(3)
    );
    assert_eq!(
        reg.load_or_store_routes_with("/b".to_owned(), || 4),
        LoadOrStore::Stored(4)
    );
    assert!(!reg.compare_and_swap_routes("/b", 5, 6));
    assert!(reg.compare_and_swap_routes("/b", 4, 6));
    assert!(!reg.compare_and_swap_routes("/missing", 4, 6));
    assert_eq!(reg.update_routes("/b", |v| v + 1), Some(7));
    assert_eq!(reg.update_routes("/missing", |v| v + 1), None);
    assert!(!reg.compare_and_delete_routes("/b", 6));
    assert!(reg.compare_and_delete_routes("/b", 7));
    assert_eq!(reg.load_and_delete_routes("/a"), Some(3));
    assert_eq!(reg.load_and_delete_routes("/a"), None);
    assert!(reg.delete_routes("/"));
    assert!(!reg.delete_routes("/"));

    // Entries of two map fields and plain fields share the backend without mixing.
    reg.store_port(1);
    reg.store_weights(1, -5);
    reg.store_weights(2, 5);
    reg.store_routes("1".to_owned(), 100);
    assert_eq!(reg.weights(&1), Some(-5));
    assert_eq!(reg.routes("1"), Some(100));
    let mut weights = Vec::new();
    reg.range_weights(|k, v| {
        weights.push((*k, *v));
        true
    });
    weights.sort_unstable();
    assert_eq!(weights, [(1, -5), (2, 5)]);
    let mut visited = 0;
    reg.range_weights(|_, _| {
        visited += 1;
        false
    });
    assert_eq!(visited, 1, "returning false stops the walk");
    assert_eq!(reg.map().len(), 4);
}

fn whole_struct<M: Backend>() {
    let reg = ConfigRegistry::<M>::default();
    let err = reg.load_struct().unwrap_err();
    assert_eq!(err.fields(), ["port", "log-level", "type"]);
    assert_eq!(
        err.to_string(),
        "the registry of `Config` lacks fields that have no default: `port`, `log-level`, `type`"
    );
    let _: &dyn Error = &err;

    reg.store_struct(sample());
    let rebuilt = reg.load_struct().unwrap();
    assert_eq!(
        rebuilt,
        Config {
            scratch: Vec::new(),
            ..sample()
        },
        "skip fields come back as Default"
    );

    // Storing a struct replaces map fields' entries, including removing the ones it lacks.
    let mut next = sample();
    next.routes = HashMap::from([("/new".to_owned(), 7)]);
    next.weights.clear();
    next.port = 1;
    reg.store_struct(next.clone());
    assert_eq!(reg.routes("/"), None);
    assert_eq!(
        reg.load_struct().unwrap(),
        Config {
            scratch: Vec::new(),
            ..next
        }
    );

    // Defaults fill unset fields.
    assert!(reg.delete_timeout_secs());
    assert_eq!(reg.load_struct().unwrap().timeout_secs, 30);

    let from: ConfigRegistry<M> = ConfigRegistry::from(sample());
    assert_eq!(from.port(), Some(8080));
    assert_eq!(from.routes("/api"), Some(2));
}

fn construction_and_debug<M: Backend + std::fmt::Debug>() {
    let map = M::default();
    map.store(ConfigKey::Port, ConfigValue::Port(9));
    let reg = ConfigRegistry::with_map(map);
    assert_eq!(reg.port(), Some(9));
    let debug = format!("{reg:?}");
    assert!(
        debug.starts_with("ConfigRegistry { version: 0, entries: {Port: Port(9)"),
        "{debug}"
    );
    let map = reg.into_map();
    assert_eq!(map.load(&ConfigKey::Port), Some(ConfigValue::Port(9)));
}

fn run_all<M: Backend + std::fmt::Debug>() {
    plain_field_without_default::<M>();
    plain_field_with_default::<M>();
    map_fields::<M>();
    whole_struct::<M>();
    construction_and_debug::<M>();
}

#[test]
fn default_backend() {
    // `new()` is the default backend; the tests run on its type.
    fn backend_of<M: Backend + std::fmt::Debug>(_: &ConfigRegistry<M>) {
        run_all::<M>();
    }
    let registry: ConfigRegistry<SyncMap<ConfigKey, ConfigValue>> = ConfigRegistry::new();
    backend_of(&registry);
}

#[test]
fn sync_map_backend() {
    run_all::<SyncMap<ConfigKey, ConfigValue>>();
}

#[test]
fn mutex_map_backend() {
    run_all::<MutexMap<ConfigKey, ConfigValue>>();
}

#[test]
fn rwlock_map_backend() {
    run_all::<RwLockMap<ConfigKey, ConfigValue>>();
}

#[test]
fn key_metadata() {
    assert_eq!(
        ConfigKey::NAMES,
        [
            "port",
            "timeout_secs",
            "label",
            "routes",
            "weights",
            "log-level",
            "type"
        ]
    );
    assert_eq!(
        ConfigKey::PLAIN_KEYS,
        [
            ConfigKey::Port,
            ConfigKey::TimeoutSecs,
            ConfigKey::Label,
            ConfigKey::LogLevel,
            ConfigKey::Type
        ]
    );
    for key in ConfigKey::PLAIN_KEYS {
        assert_eq!(key.name().parse::<ConfigKey>(), Ok(key));
    }
    assert_eq!(ConfigKey::Routes("/".to_owned()).name(), "routes");
    let err = "log_level".parse::<ConfigKey>().unwrap_err();
    assert_eq!(err.name(), "log_level");
    assert!(!err.is_map_field());
    assert_eq!(
        err.to_string(),
        "`log_level` is not a field of `Config`; expected one of: `port`, `timeout_secs`, `label`, `log-level`, `type`"
    );
    let err = "routes".parse::<ConfigKey>().unwrap_err();
    assert!(err.is_map_field());
    assert!(err.to_string().contains("is a `map` field"));
    assert!(
        "scratch".parse::<ConfigKey>().is_err(),
        "skip fields have no key"
    );
    assert_eq!(
        format!("{:?}", ConfigKey::Routes("/".to_owned())),
        "Routes(\"/\")"
    );
    assert_eq!(format!("{:?}", ConfigValue::Port(1)), "Port(1)");
}

/// A value type that is not `PartialEq`: the registry works, without the comparing accessors.
#[derive(Clone, Debug)]
struct Opaque(#[allow(dead_code)] u8);

#[derive(SyncRegistry)]
struct Mixed {
    count: u32,
    opaque: Opaque,
}

#[test]
fn field_type_without_partial_eq() {
    let reg = MixedRegistry::new();
    reg.store_count(1);
    reg.store_opaque(Opaque(2));
    assert_eq!(reg.opaque_with(|o| o.0), Some(2));
    assert_eq!(reg.swap_count(3), Some(1));
    assert!(reg.load_struct().is_ok());
}

#[test]
#[should_panic(expected = "holds a value of another field under the key of `port`")]
fn a_value_of_another_field_under_a_key_is_reported() {
    let reg = ConfigRegistry::new();
    reg.map().store(ConfigKey::Port, ConfigValue::Type(1));
    let _ = reg.port();
}

#[derive(SyncRegistry, Debug, PartialEq)]
#[registry(name = Renamed)]
struct NamedOtherwise {
    #[registry(default = "x".to_owned())]
    a: String,
}

#[test]
fn name_attribute_renames_generated_types() {
    let reg: RenamedRegistry = RenamedRegistry::new();
    assert_eq!(reg.a(), "x");
    let key: RenamedKey = RenamedKey::A;
    assert_eq!(key.name(), "a");
    let _: Option<RenamedValue> = None;
    assert_eq!(reg.load_struct(), Ok(NamedOtherwise { a: "x".to_owned() }));
}

#[derive(SyncRegistry, Debug, PartialEq)]
struct Generic<T: Clone, K: std::hash::Hash + Eq + Clone + Ord> {
    value: T,
    #[registry(map)]
    by_key: BTreeMap<K, T>,
    #[registry(default = 1)]
    plain: u8,
}

#[test]
fn generic_struct() {
    let reg = GenericRegistry::<String, u32>::new();
    reg.store_value("v".to_owned());
    reg.store_by_key(2, "two".to_owned());
    assert_eq!(reg.by_key(&2), Some("two".to_owned()));
    assert_eq!(
        reg.update_by_key(&2, |s| s.to_uppercase()),
        Some("TWO".to_owned())
    );
    let rebuilt = reg.load_struct().unwrap();
    assert_eq!(rebuilt.by_key, BTreeMap::from([(2, "TWO".to_owned())]));
    assert_eq!(rebuilt.plain, 1);
    // The key of a generic struct is matched with a `_` arm for its hidden variant.
    let key: GenericKey<String, u32> = GenericKey::ByKey(2);
    let described = match key {
        GenericKey::Value => "value",
        GenericKey::ByKey(_) => "by_key",
        _ => "plain",
    };
    assert_eq!(described, "by_key");
}

#[derive(SyncRegistry)]
struct Empty {}

#[test]
fn struct_without_fields() {
    let reg = EmptyRegistry::new();
    assert!(reg.load_struct().is_ok());
    assert_eq!(EmptyKey::NAMES.len(), 0);
    assert!("x".parse::<EmptyKey>().is_err());
}

fn concurrent_plain_fields<M: Backend>() {
    const THREADS: u64 = 4;
    const ROUNDS: u64 = if cfg!(miri) { 10 } else { 500 };
    let reg = ConfigRegistry::<M>::default();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let reg = &reg;
            s.spawn(move || {
                for i in 0..ROUNDS {
                    // A counter on a defaulted field: every increment lands exactly once.
                    reg.update_timeout_secs(|n| n + 1);
                    // A CAS loop on the same field, from the default onwards.
                    loop {
                        let current = reg.timeout_secs();
                        if reg.compare_and_swap_timeout_secs(current, current + 1) {
                            break;
                        }
                    }
                    // Disjoint map entries: none is lost.
                    reg.store_routes(format!("t{t}/{i}"), u32::try_from(i).unwrap());
                }
            });
        }
    });
    assert_eq!(reg.timeout_secs(), 30 + 2 * THREADS * ROUNDS);
    let mut entries = 0;
    reg.range_routes(|_, _| {
        entries += 1;
        true
    });
    assert_eq!(u64::try_from(entries).unwrap(), THREADS * ROUNDS);
}

fn reentrant_closures<M: Backend>() {
    let reg = ConfigRegistry::<M>::default();
    reg.store_port(1);
    reg.store_routes("a".to_owned(), 1);
    // Every closure runs outside the backend's locks, so it may write to the registry.
    reg.port_with(|p| reg.store_port(p + 1));
    assert_eq!(reg.port(), Some(2));
    reg.update_port(|p| {
        let _ = reg.timeout_secs();
        p + 1
    });
    let stored = reg.load_or_store_routes_with("b".to_owned(), || {
        reg.store_label("from make".to_owned());
        2
    });
    assert_eq!(stored, LoadOrStore::Stored(2));
    reg.range_routes(|k, v| {
        reg.store_weights(u8::try_from(*v).unwrap(), k.len() as i64);
        true
    });
    assert_eq!(reg.label(), "from make");
    assert_eq!(reg.weights(&2), Some(1));
}

#[test]
fn concurrent_and_reentrant_on_every_backend() {
    concurrent_plain_fields::<SyncMap<ConfigKey, ConfigValue>>();
    concurrent_plain_fields::<MutexMap<ConfigKey, ConfigValue>>();
    concurrent_plain_fields::<RwLockMap<ConfigKey, ConfigValue>>();
    reentrant_closures::<SyncMap<ConfigKey, ConfigValue>>();
    reentrant_closures::<MutexMap<ConfigKey, ConfigValue>>();
    reentrant_closures::<RwLockMap<ConfigKey, ConfigValue>>();
}
