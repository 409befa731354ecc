//! Every generated accessor of `#[derive(SyncRegistry)]`, on the default backend (`SyncMap`), on
//! `MutexMap` and `RwLockMap`: each test is a generic function run once per backend.

use std::collections::{BTreeMap, HashMap};
use std::error::Error;

use syncmap::{
    ConcurrentMap, FieldKind, LoadOrStore, MissingFields, MutexMap, Registry, RegistryStruct,
    RwLockMap, SyncMap, SyncRegistry,
};

#[derive(SyncRegistry, Debug, Clone, PartialEq)]
struct Config {
    /// Port to listen on.
    port: u16,
    #[registry(default = 30)]
    timeout_secs: u64,
    #[registry(default)]
    label: String,
    /// Connections at most, unlimited while unset.
    limit: Option<u32>,
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

/// The entries a registry of [`sample`] holds besides its map entries and `limit`: one per
/// required field.
const REQUIRED_FIELDS: usize = 5;

fn sample() -> Config {
    Config {
        port: 8080,
        timeout_secs: 5,
        label: "edge".to_owned(),
        limit: None,
        routes: HashMap::from([("/".to_owned(), 1), ("/api".to_owned(), 2)]),
        weights: BTreeMap::from([(1, -1), (2, 4)]),
        scratch: vec![9],
        log_level: "info".to_owned(),
        r#type: 3,
    }
}

/// [`sample`] without its map entries.
fn bare() -> Config {
    Config {
        routes: HashMap::new(),
        weights: BTreeMap::new(),
        ..sample()
    }
}

fn registry<M: Backend>(value: Config) -> ConfigRegistry<M> {
    <ConfigRegistry<M> as Registry>::from_struct(value).expect("no validator")
}

fn required_field<M: Backend>() {
    let reg = registry::<M>(sample());
    assert_eq!(reg.port(), 8080);
    assert_eq!(reg.port_with(|p| u32::from(*p) * 10), 80800);
    assert_eq!(reg.swap_port(1), 8080);
    assert_eq!(reg.swap_port(2), 1);
    reg.store_port(3);
    assert_eq!(reg.port(), 3);
    assert!(!reg.compare_and_swap_port(&4, 5));
    assert_eq!(reg.port(), 3, "a failed swap stores nothing");
    assert!(reg.compare_and_swap_port(&3, 5));
    assert_eq!(reg.port(), 5);
    assert_eq!(reg.update_port(|p| p * 2), 10);
    assert_eq!(reg.port(), 10);
    // A field with a default is just as required: it always holds a value.
    assert_eq!(reg.timeout_secs(), 5);
    assert_eq!(reg.timeout_secs_with(|t| t + 1), 6);
    assert!(
        !reg.compare_and_swap_timeout_secs(&30, 40),
        "it holds 5, not its default"
    );
    assert!(reg.compare_and_swap_timeout_secs(&5, 40));
    assert_eq!(reg.swap_timeout_secs(50), 40);
    assert_eq!(reg.update_timeout_secs(|t| t + 5), 55);
    assert_eq!(reg.label(), "edge");
    reg.store_label("x".to_owned());
    assert_eq!(reg.label_with(String::len), 1);
    // A raw identifier keeps `r#` on the getter only.
    assert_eq!(reg.r#type(), 3);
    reg.store_type(4);
    assert_eq!(reg.r#type(), 4);
    assert_eq!(reg.type_with(|t| t + 1), 5);
    // A renamed field's accessors keep the Rust name.
    assert_eq!(reg.log_level(), "info");
    assert_eq!(reg.swap_log_level("debug".to_owned()), "info");
    assert_eq!(reg.snapshot().log_level, "debug");
}

fn optional_field<M: Backend>() {
    let reg = registry::<M>(sample());
    assert_eq!(reg.limit(), None);
    assert_eq!(reg.limit_with(|l| *l + 1), None);
    assert!(!reg.contains_limit());
    assert!(!reg.delete_limit());
    assert_eq!(reg.load_and_delete_limit(), None);
    assert_eq!(reg.swap_limit(1), None);
    assert_eq!(reg.swap_limit(2), Some(1));
    assert!(reg.contains_limit());
    reg.store_limit(3);
    assert_eq!(reg.limit(), Some(3));
    assert_eq!(reg.limit_with(|l| l * 10), Some(30));
    assert_eq!(reg.load_or_store_limit(4), LoadOrStore::Loaded(3));
    assert_eq!(
        reg.load_or_store_limit_with(|| unreachable!("set: not built")),
        LoadOrStore::Loaded(3)
    );
    assert!(!reg.compare_and_swap_limit(&4, 5));
    assert!(reg.compare_and_swap_limit(&3, 5));
    assert_eq!(reg.update_limit(|l| l.map(|l| l * 2)), Some(10));
    assert_eq!(reg.limit(), Some(10));
    assert_eq!(reg.update_limit(|_| None), None, "`None` unsets the field");
    assert!(!reg.contains_limit());
    assert!(
        !reg.compare_and_swap_limit(&10, 1),
        "an unset field never compares equal"
    );
    assert_eq!(
        reg.update_limit(|l| l.map(|l| l + 1)),
        None,
        "update of an unset field that keeps it unset"
    );
    assert_eq!(reg.limit(), None);
    assert_eq!(reg.update_limit(|l| Some(l.map_or(7, |l| l + 1))), Some(7));
    assert_eq!(reg.load_and_delete_limit(), Some(7));
    assert_eq!(reg.load_or_store_limit_with(|| 8), LoadOrStore::Stored(8));
    assert_eq!(reg.load_and_delete_limit(), Some(8));
    assert_eq!(reg.load_or_store_limit(9), LoadOrStore::Stored(9));
    assert_eq!(reg.snapshot().limit, Some(9));
    assert!(reg.delete_limit());
    assert!(!reg.delete_limit());
    assert_eq!(reg.snapshot().limit, None);
}

fn map_fields<M: Backend>() {
    let reg = registry::<M>(bare());
    assert_eq!(reg.routes("/"), None);
    assert!(!reg.contains_routes("/"));
    assert_eq!(reg.routes_len(), 0);
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
        reg.load_or_store_routes_with("/a".to_owned(), || unreachable!("present: not built")),
        LoadOrStore::Loaded(3)
    );
    assert_eq!(
        reg.load_or_store_routes_with("/b".to_owned(), || 4),
        LoadOrStore::Stored(4)
    );
    assert!(!reg.compare_and_swap_routes("/b", &5, 6));
    assert!(reg.compare_and_swap_routes("/b", &4, 6));
    assert!(!reg.compare_and_swap_routes("/missing", &4, 6));
    assert!(
        !reg.contains_routes("/missing"),
        "a failed swap inserts nothing"
    );
    assert_eq!(
        reg.update_routes("/b".to_owned(), |v| v.map(|v| v + 1)),
        Some(7)
    );
    assert_eq!(
        reg.update_routes("/missing".to_owned(), |v| v.map(|v| v + 1)),
        None
    );
    assert!(!reg.contains_routes("/missing"));
    assert_eq!(
        reg.update_routes("/c".to_owned(), |v| Some(v.map_or(1, |v| v + 1))),
        Some(1),
        "update may insert"
    );
    assert_eq!(reg.update_routes("/c".to_owned(), |_| None), None);
    assert!(!reg.contains_routes("/c"), "and remove");
    assert_eq!(reg.routes_len(), 3);
    assert_eq!(reg.load_and_delete_routes("/a"), Some(3));
    assert_eq!(reg.load_and_delete_routes("/a"), None);
    assert!(reg.delete_routes("/"));
    assert!(!reg.delete_routes("/"));
    assert!(reg.delete_routes(&"/b".to_owned()));
    assert_eq!(reg.routes_len(), 0);

    // Entries of two map fields and plain fields share the backend without mixing.
    reg.store_port(1);
    reg.store_weights(1, -5);
    reg.store_weights(2, 5);
    reg.store_routes("1".to_owned(), 100);
    assert_eq!(reg.weights(&1), Some(-5));
    assert_eq!(reg.routes("1"), Some(100));
    assert_eq!(reg.port(), 1);
    let mut weights = Vec::new();
    reg.range_weights(|k, v| {
        weights.push((*k, *v));
        true
    });
    weights.sort_unstable();
    assert_eq!(weights, [(1, -5), (2, 5)]);
    let mut routes = Vec::new();
    reg.range_routes(|k, v| {
        routes.push((k.clone(), *v));
        true
    });
    assert_eq!(routes, [("1".to_owned(), 100)]);
    let mut visited = 0;
    reg.range_weights(|_, _| {
        visited += 1;
        false
    });
    assert_eq!(visited, 1, "returning false stops the walk");
    assert_eq!((reg.routes_len(), reg.weights_len()), (1, 2));
    assert_eq!(reg.backend().len(), REQUIRED_FIELDS + 3);
    let snapshot = reg.snapshot();
    assert_eq!(snapshot.routes, HashMap::from([("1".to_owned(), 100)]));
    assert_eq!(snapshot.weights, BTreeMap::from([(1, -5), (2, 5)]));
}

fn whole_struct<M: Backend>() {
    let reg = registry::<M>(sample());
    assert_eq!(
        reg.snapshot(),
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
    next.limit = Some(4);
    assert_eq!(reg.store_struct(next.clone()).unwrap(), 1);
    assert_eq!(reg.routes("/"), None);
    assert_eq!(reg.weights_len(), 0);
    assert_eq!(reg.limit(), Some(4));
    assert_eq!(
        reg.snapshot(),
        Config {
            scratch: Vec::new(),
            ..next.clone()
        }
    );
    // And unsets optional fields it lacks.
    assert_eq!(
        reg.store_struct(Config {
            limit: None,
            ..next
        })
        .unwrap(),
        2
    );
    assert!(!reg.contains_limit());

    // `update` edits the struct as a whole.
    assert_eq!(
        reg.update(|c| {
            c.port += 1;
            c.routes.insert("/more".to_owned(), 8);
            c.scratch.push(1); // not in the registry: dropped
        })
        .unwrap(),
        3
    );
    assert_eq!((reg.port(), reg.routes("/more")), (2, Some(8)));
    assert!(reg.snapshot().scratch.is_empty());

    // A required field deleted through the backend reads as its default, if it has one.
    assert!(reg.backend().delete(&ConfigKey::TimeoutSecs));
    assert_eq!(reg.timeout_secs(), 30);
    assert_eq!(
        reg.snapshot().timeout_secs,
        30,
        "defaults fill absent fields"
    );
    assert!(
        reg.compare_and_swap_timeout_secs(&30, 31),
        "absent holds the default"
    );
    assert_eq!(reg.timeout_secs(), 31);
    assert!(reg.backend().delete(&ConfigKey::TimeoutSecs));
    assert_eq!(
        reg.swap_timeout_secs(1),
        30,
        "swap on an absent field returns the default"
    );
    assert!(reg.backend().delete(&ConfigKey::TimeoutSecs));
    assert_eq!(
        reg.update_timeout_secs(|t| t + 5),
        35,
        "update starts from the default"
    );

    let new: ConfigRegistry = ConfigRegistry::new(sample()).unwrap();
    assert_eq!(new.port(), 8080);
    assert_eq!(new.routes("/api"), Some(2));
}

fn missing_fields<M: Backend>() {
    // A struct rebuilt from entries names the required fields without a default it lacks.
    let err: MissingFields = Config::from_entries(&mut std::iter::empty()).unwrap_err();
    assert_eq!(err.paths(), ["port", "log-level", "type"]);
    assert_eq!(
        err.to_string(),
        "missing required fields without a default: port, log-level, type"
    );
    let _: &dyn Error = &err;
    let rebuilt = Config::from_entries(
        &mut [
            (ConfigKey::Port, ConfigValue::Port(1)),
            (
                ConfigKey::LogLevel,
                ConfigValue::LogLevel("warn".to_owned()),
            ),
            (ConfigKey::Type, ConfigValue::Type(2)),
            (ConfigKey::Routes("/".to_owned()), ConfigValue::Routes(9)),
            (ConfigKey::Port, ConfigValue::Port(3)),
        ]
        .into_iter(),
    )
    .unwrap();
    assert_eq!(
        rebuilt,
        Config {
            port: 3,
            timeout_secs: 30,
            label: String::new(),
            limit: None,
            routes: HashMap::from([("/".to_owned(), 9)]),
            weights: BTreeMap::new(),
            scratch: Vec::new(),
            log_level: "warn".to_owned(),
            r#type: 2,
        },
        "defaults fill the rest, and a key given twice keeps the last value"
    );

    // A registry never lacks one: a batch that deletes a required field is refused, with or
    // without a default, and so is a value stored under another field's key.
    let reg = registry::<M>(sample());
    let err = reg
        .apply(syncmap::Batch::new().delete(ConfigKey::Port))
        .unwrap_err();
    assert_eq!(err.failures().len(), 1);
    assert_eq!(err.failures()[0].path(), "port");
    assert!(err.to_string().contains("port"), "{err}");
    assert!(
        reg.apply(syncmap::Batch::new().delete(ConfigKey::TimeoutSecs))
            .is_err()
    );
    assert!(
        reg.apply(syncmap::Batch::new().store(ConfigKey::Port, ConfigValue::TimeoutSecs(1)))
            .is_err()
    );
    assert_eq!(
        (reg.port(), reg.timeout_secs(), reg.version()),
        (8080, 5, 0)
    );
}

fn construction_and_debug<M: Backend + std::fmt::Debug>() {
    // `from_struct_in` clears the map it is given.
    let map = M::default();
    map.store(
        ConfigKey::Routes("/stale".to_owned()),
        ConfigValue::Routes(1),
    );
    map.store(ConfigKey::Limit, ConfigValue::Limit(1));
    let mut value = bare();
    value.port = 9;
    let reg = ConfigRegistry::from_struct_in(value, map).unwrap();
    assert_eq!(reg.port(), 9);
    assert_eq!(reg.routes("/stale"), None);
    assert_eq!(reg.limit(), None);
    assert_eq!(reg.version(), 0);
    assert_eq!(reg.backend().len(), REQUIRED_FIELDS);
    reg.store_routes("/".to_owned(), 2);
    let debug = format!("{reg:?}");
    assert_eq!(
        debug,
        "ConfigRegistry { label: \"edge\", log-level: \"info\", port: 9, routes[\"/\"]: 2, \
         timeout_secs: 5, type: 3 }"
    );
    let map = reg.into_backend();
    assert!(matches!(
        map.load(&ConfigKey::Port),
        Some(ConfigValue::Port(9))
    ));
    assert!(matches!(
        map.load(&ConfigKey::Routes("/".to_owned())),
        Some(ConfigValue::Routes(2))
    ));
    assert_eq!(map.len(), REQUIRED_FIELDS + 1);
}

fn run_all<M: Backend + std::fmt::Debug>() {
    required_field::<M>();
    optional_field::<M>();
    map_fields::<M>();
    whole_struct::<M>();
    missing_fields::<M>();
    construction_and_debug::<M>();
}

#[test]
fn default_backend() {
    // `new()` is the default backend; the tests run on its type.
    fn backend_of<M: Backend + std::fmt::Debug>(_: &ConfigRegistry<M>) {
        run_all::<M>();
    }
    let registry: ConfigRegistry<SyncMap<ConfigKey, ConfigValue>> =
        ConfigRegistry::new(sample()).unwrap();
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
fn field_metadata() {
    let fields = ConfigRegistry::<SyncMap<ConfigKey, ConfigValue>>::fields();
    let names: Vec<_> = fields.iter().map(|f| f.name()).collect();
    assert_eq!(
        names,
        [
            "port",
            "timeout_secs",
            "label",
            "limit",
            "routes",
            "weights",
            "log-level",
            "type"
        ],
        "skip fields have no key; rename renames"
    );
    let kinds: Vec<_> = fields.iter().map(|f| f.kind()).collect();
    assert_eq!(
        kinds,
        [
            FieldKind::Required,
            FieldKind::Required,
            FieldKind::Required,
            FieldKind::Optional,
            FieldKind::Map,
            FieldKind::Map,
            FieldKind::Required,
            FieldKind::Required
        ]
    );
    assert_eq!(fields[0].doc(), "Port to listen on.");
    assert_eq!(fields[6].ident(), "log_level");
    assert_eq!(fields[7].ident(), "type", "without `r#`");
    assert_eq!(fields[1].default(), Some("30"));
    assert_eq!(fields[0].default(), None);
    assert!(fields.iter().all(|f| !f.is_secret()));
    let leaves: Vec<_> = ConfigRegistry::<SyncMap<ConfigKey, ConfigValue>>::leaf_fields()
        .iter()
        .map(|leaf| leaf.path().to_owned())
        .collect();
    assert_eq!(leaves, names, "no nested field: the leaves are the fields");

    // Keys print as their variant, values as the bare value.
    assert_eq!(
        format!("{:?}", ConfigKey::Routes("/".to_owned())),
        "Routes(\"/\")"
    );
    assert_eq!(format!("{:?}", ConfigKey::LogLevel), "LogLevel");
    assert_eq!(format!("{:?}", ConfigValue::Port(1)), "1");
    assert_eq!(
        ConfigKey::Routes("/".to_owned()),
        ConfigKey::Routes("/".to_owned())
    );
    assert_ne!(
        ConfigKey::Routes("/".to_owned()),
        ConfigKey::Routes("/a".to_owned())
    );
    assert_ne!(ConfigKey::Port, ConfigKey::Type);
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
    let reg = MixedRegistry::new(Mixed {
        count: 1,
        opaque: Opaque(1),
    })
    .unwrap();
    reg.store_opaque(Opaque(2));
    assert_eq!(reg.opaque_with(|o| o.0), 2);
    assert_eq!(reg.swap_count(3), 1);
    assert_eq!(reg.version(), 2);
    // A write of a value that cannot be compared always counts as a change.
    reg.store_opaque(Opaque(2));
    assert_eq!(reg.version(), 3);
    reg.store_count(3);
    assert_eq!(reg.version(), 3, "one that can be compared does not");
    let snapshot = reg.snapshot();
    assert_eq!((snapshot.count, snapshot.opaque.0), (3, 2));
}

#[test]
#[should_panic(expected = "the required field `port` of a `Config` registry is unset")]
fn a_value_of_another_field_under_a_key_is_reported() {
    let reg = ConfigRegistry::new(sample()).unwrap();
    reg.backend().store(ConfigKey::Port, ConfigValue::Type(1));
    let _ = reg.port();
}

#[test]
#[should_panic(expected = "the required field `port` of a `Config` registry is unset")]
fn a_required_field_deleted_through_the_backend_is_reported() {
    let reg = ConfigRegistry::new(sample()).unwrap();
    assert!(reg.backend().delete(&ConfigKey::Port));
    let _ = reg.port();
}

#[derive(SyncRegistry, Debug, PartialEq, Clone)]
#[registry(name = Renamed)]
struct NamedOtherwise {
    #[registry(default = "x".to_owned())]
    a: String,
}

#[test]
fn name_attribute_renames_generated_types() {
    let reg: RenamedRegistry = RenamedRegistry::from_defaults().unwrap();
    assert_eq!(reg.a(), "x");
    let key: RenamedKey = RenamedKey::A;
    assert_eq!(format!("{key:?}"), "A");
    let _: Option<RenamedValue> = None;
    assert_eq!(reg.snapshot(), NamedOtherwise { a: "x".to_owned() });
    assert_eq!(format!("{reg:?}"), "RenamedRegistry { a: \"x\" }");
}

#[derive(SyncRegistry, Debug, PartialEq, Clone)]
struct Generic<T: Clone, K: std::hash::Hash + Eq + Clone + Ord> {
    value: T,
    #[registry(map)]
    by_key: BTreeMap<K, T>,
    #[registry(default = 1)]
    plain: u8,
}

#[test]
fn generic_struct() {
    let reg = GenericRegistry::<String, u32>::new(Generic {
        value: "v".to_owned(),
        by_key: BTreeMap::new(),
        plain: 1,
    })
    .unwrap();
    reg.store_value("w".to_owned());
    reg.store_by_key(2, "two".to_owned());
    assert_eq!(reg.value(), "w");
    assert_eq!(reg.by_key(&2), Some("two".to_owned()));
    assert_eq!(
        reg.update_by_key(2, |s| s.map(|s| s.to_uppercase())),
        Some("TWO".to_owned())
    );
    let rebuilt = reg.snapshot();
    assert_eq!(rebuilt.by_key, BTreeMap::from([(2, "TWO".to_owned())]));
    assert_eq!(rebuilt.plain, 1);
    assert_eq!(rebuilt.value, "w");
    // The key of a generic struct is matched with a `_` arm for its hidden variant.
    let key: GenericKey<String, u32> = GenericKey::ByKey(2);
    let described = match key {
        GenericKey::Value => "value",
        GenericKey::ByKey(_) => "by_key",
        _ => "plain",
    };
    assert_eq!(described, "by_key");
}

fn concurrent_fields<M: Backend>() {
    const THREADS: u64 = 4;
    const ROUNDS: u64 = if cfg!(miri) { 10 } else { 500 };
    let reg = registry::<M>(Config {
        timeout_secs: 30,
        ..bare()
    });
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let reg = &reg;
            s.spawn(move || {
                for i in 0..ROUNDS {
                    // A counter on a required field: every increment lands exactly once.
                    reg.update_timeout_secs(|n| n + 1);
                    // A CAS loop on the same field.
                    loop {
                        let current = reg.timeout_secs();
                        if reg.compare_and_swap_timeout_secs(&current, current + 1) {
                            break;
                        }
                    }
                    // A counter on an optional field, from unset onwards.
                    reg.update_limit(|n| Some(n.map_or(1, |n| n + 1)));
                    // Disjoint map entries: none is lost.
                    reg.store_routes(format!("t{t}/{i}"), u32::try_from(i).unwrap());
                }
            });
        }
    });
    assert_eq!(reg.timeout_secs(), 30 + 2 * THREADS * ROUNDS);
    assert_eq!(u64::from(reg.limit().unwrap()), THREADS * ROUNDS);
    let mut entries = 0;
    reg.range_routes(|_, _| {
        entries += 1;
        true
    });
    assert_eq!(u64::try_from(entries).unwrap(), THREADS * ROUNDS);
    assert_eq!(
        reg.version(),
        4 * THREADS * ROUNDS,
        "every write changed something: one version each"
    );
}

fn reentrant_closures<M: Backend>() {
    let reg = registry::<M>(bare());
    reg.store_port(1);
    reg.store_routes("a".to_owned(), 1);
    // Every closure runs outside the backend's locks, so it may write to the registry.
    reg.port_with(|p| reg.store_port(p + 1));
    assert_eq!(reg.port(), 2);
    reg.update_port(|p| {
        let _ = reg.timeout_secs();
        p + 1
    });
    assert_eq!(reg.port(), 3);
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
    // `update` runs its closure outside every lock too: it may read the registry.
    reg.update(|c| c.port = reg.port() + 1).unwrap();
    assert_eq!(reg.port(), 4);
    reg.update_limit(|l| {
        reg.routes_with("a", |_| ());
        l.copied()
    });
}

#[test]
fn concurrent_and_reentrant_on_every_backend() {
    concurrent_fields::<SyncMap<ConfigKey, ConfigValue>>();
    concurrent_fields::<MutexMap<ConfigKey, ConfigValue>>();
    concurrent_fields::<RwLockMap<ConfigKey, ConfigValue>>();
    reentrant_closures::<SyncMap<ConfigKey, ConfigValue>>();
    reentrant_closures::<MutexMap<ConfigKey, ConfigValue>>();
    reentrant_closures::<RwLockMap<ConfigKey, ConfigValue>>();
}
