//! # syncmap
//!
//! Go's `sync.Map`, brought to Rust and taken further.
//!
//! - [`ConcurrentMap`]: one trait in Go's vocabulary (`load`, `store`, `load_or_store`,
//!   `load_and_delete`, `delete`, `swap`, `compare_and_swap`, `compare_and_delete`, `range`,
//!   `clear`, plus `len` and friends) with a documented contract, so code is written once and
//!   the map chosen by a type parameter.
//! - [`MutexMap`] and [`RwLockMap`]: one `HashMap` behind one lock, the seed's `mutexMap.go`.
//! - [`SyncMap`]: Go's `sync.Map`, the read/dirty design, whose reads of stable keys take no
//!   lock; its docs teach the design.
//!
//! ```
//! use syncmap::{ConcurrentMap, MutexMap};
//! use std::thread;
//!
//! let map = MutexMap::new();
//! thread::scope(|s| {
//!     for t in 0..4u64 {
//!         let map = &map;
//!         s.spawn(move || {
//!             for i in 0..100 {
//!                 map.store(t * 100 + i, i);
//!             }
//!         });
//!     }
//! });
//! assert_eq!(map.len(), 400);
//! ```

#![deny(missing_docs, missing_debug_implementations, unsafe_op_in_unsafe_fn)]
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

pub use syncmap_core::{ConcurrentMap, LoadOrStore};
pub use syncmap_impls::{DefaultHashBuilder, MutexMap, RwLockMap, SyncMap, SyncMapStats};

/// Derives a typed, thread-safe registry from a struct with named fields, over any
/// [`ConcurrentMap`].
///
/// # What is generated
///
/// For `#[derive(SyncRegistry)] struct ServerConfig { .. }` (names from the struct, or from
/// `#[registry(name = ...)]`):
///
/// | item | what it is |
/// | --- | --- |
/// | `ServerConfigKey` | an enum, one variant per field (`timeout_secs` becomes `TimeoutSecs`); a `map` field's variant carries the entry's key. `Clone`, `Eq`, `Hash`, `Debug`, `FromStr`. |
/// | `ServerConfigValue` | an enum, one variant per field holding its value (a `map` field's: one entry's value). `Clone` and `Debug`; `PartialEq` when every stored type is. |
/// | `ServerConfigRegistry<M = SyncMap<ServerConfigKey, ServerConfigValue>>` | the registry: one backend map `M`, any `ConcurrentMap<ServerConfigKey, ServerConfigValue>`, holding every field. [`SyncMap`] by default: a registry's keys are few and read far more often than written, the case where its reads take no lock. |
/// | `ServerConfigKeyError` | the error of parsing a key from a name (`std::error::Error`). |
/// | `ServerConfigMissingFields` | the error of rebuilding the struct while fields without a default are unset; it names them. |
/// | `ServerConfigBatch` | the writes of one `update` batch: `store_port(v)`, `delete_port()`, `store_routes(k, v)`, `delete_routes(k)`, ... |
///
/// The registry has `new()` (default backend), `Default` and `with_map(m)` (any backend),
/// `From<ServerConfig>` (`TryFrom` when a validator exists), `map()` and `into_map()` (the
/// backend), and `Debug`. Every method takes `&self`. For the struct as a whole:
///
/// | method | what it does |
/// | --- | --- |
/// | `snapshot()` | rebuilds the struct as one consistent state, with its version: `Result<(ServerConfig, u64), ServerConfigMissingFields>` |
/// | `load_struct()` | the same without the version |
/// | `store_struct(s)` | stores every field as one change |
/// | `update(\|batch\| ..)` | applies the stores and deletes queued on a `ServerConfigBatch` as one change |
/// | `version()` | the number of changes published so far |
/// | `wait_for_change(after, timeout)` | blocks (no spinning) until the version exceeds `after`: `Option<u64>` |
/// | `subscribe(callback)` | calls `callback(&RegistryChange)` (version and keys written) for every later change, until the returned [`RegistrySubscription`] is dropped |
///
/// With a validator (`validate` below), `store_struct` and `update` return
/// `Result<(), Box<dyn Error + Send + Sync>>`.
///
/// # Consistency
///
/// Every write through the registry takes one registry-wide writer lock and brackets its
/// backend stores with a sequence counter made odd, then even (a seqlock). A field getter only
/// reads the backend: no lock, no counter, as fast as before. A snapshot reads the counter, the
/// fields, and the counter again, and retries if a write overlapped it (after a bounded number of
/// tries it reads under the writer lock, so writers cannot starve it). So:
///
/// - a snapshot is the state between two changes: a `store_struct`, an `update` batch or a single
///   accessor's write is in it entirely or not at all;
/// - single-field getters see each field's newest value, and may see part of a batch that is
///   being applied;
/// - writes are totally ordered; `version()` counts those that changed something;
/// - subscribers get each change once, in version order, outside every lock (a callback may
///   write to the registry); a write may return before its callbacks ran when another thread is
///   delivering earlier changes;
/// - writes through `map()` bypass all of this.
///
/// User closures (update functions, `make`, batches, subscribers) run outside the writer lock;
/// validators run under it (they may read the registry, not write it), and so may the `Drop` of
/// a replaced value (a write it makes joins the change being applied).
///
/// For each plain field `port: T`, accessors named after the backend's methods:
///
/// | accessor | backend method | without a default | with a default |
/// | --- | --- | --- | --- |
/// | `port()` | `load` | `Option<T>` | `T` (the default when unset) |
/// | `port_with(f)` | `load_with` | `Option<R>` | `R` |
/// | `contains_port()` | `contains_key` | `bool` | `bool` (whether set) |
/// | `store_port(v)` | `store` | | |
/// | `swap_port(v)` | `swap` | `Option<T>` | `T` |
/// | `delete_port()` | `delete` | `bool` | `bool` (resets to the default) |
/// | `load_and_delete_port()` | `load_and_delete` | `Option<T>` | `T` |
/// | `load_or_store_port(v)`, `load_or_store_port_with(f)` | `load_or_store(_with)` | `LoadOrStore<T>` | `LoadOrStore<T>` |
/// | `compare_and_swap_port(old, new)` | `compare_and_swap` | `bool` | `bool` (unset counts as the default) |
/// | `compare_and_delete_port(old)` | `compare_and_delete` | `bool` | `bool` |
/// | `update_port(f)` | `update` / `compute` | `Option<T>` | `T` |
///
/// For each `#[registry(map)] routes: HashMap<K, V>` (or `BTreeMap<K, V>`): `routes(&q)`,
/// `routes_with(&q, f)`, `contains_routes(&q)`, `delete_routes(&q)`,
/// `load_and_delete_routes(&q)`, `compare_and_swap_routes(&q, old, new)`,
/// `compare_and_delete_routes(&q, old)` and `update_routes(&q, f)` look an entry up by any
/// borrowed form `&Q` of `K` (a `String` key by `&str`, without allocating); `store_routes(k, v)`,
/// `swap_routes(k, v)`, `load_or_store_routes(k, v)` and `load_or_store_routes_with(k, f)` take
/// the owned key; `range_routes(f)` walks the field's entries. All entries live in the one
/// backend map, next to the plain fields.
///
/// Each accessor carries the field's doc comment, and every generated item is documented, so a
/// crate with `#![deny(missing_docs)]` compiles.
///
/// `compare_and_swap_*`, `compare_and_delete_*` and `update_*` exist when the value enum is
/// `PartialEq`, that is when every stored type is `PartialEq`: the backend compares whole
/// values. Their `old` is taken by value, as the value enum is built from it. A struct with one
/// field that is not `PartialEq` still gets every other accessor.
///
/// # Attributes
///
/// | attribute | on | effect |
/// | --- | --- | --- |
/// | `#[registry(default = EXPR)]` | field | reads of the unset field return `EXPR` (evaluated at each such read, so keep it cheap); `load_struct` uses it |
/// | `#[registry(default)]` | field | the same with `Default::default()` |
/// | `#[registry(skip)]` | field | not in the registry; `load_struct` fills it with `Default::default()` |
/// | `#[registry(rename = "...")]` | field | the key's name in `NAMES`, `name()`, `FromStr` and errors (the accessors keep the field's name) |
/// | `#[registry(map)]` | field | a `HashMap<K, V>` or `BTreeMap<K, V>` (written as such) stored entry by entry |
/// | `#[registry(name = Base)]` | struct | generated names `BaseKey`, `BaseValue`, `BaseRegistry`, `BaseKeyError`, `BaseMissingFields` |
/// | `#[registry(crate = "path")]` | struct | where generated code finds this crate, when it is renamed in `Cargo.toml` (default `::syncmap`) |
/// | `#[registry(validate = path)]` | struct | `fn(&ServerConfig) -> Result<(), E>`, run before a `store_struct` or an `update` batch is published (on the struct the batch would leave); on error nothing is written and the error is returned, boxed. `E: Into<Box<dyn Error + Send + Sync>>`. Single-field writes are not checked by it. |
/// | `#[registry(validate = path)]` | plain field | `fn(&T) -> Result<(), E>` (or `fn(&U)` where `T: Borrow<U>`, such as `&str` for a `String`): adds `try_store_port(v)`, and checks the field's value in `store_struct` and in batches. The other accessors do not check it. |
/// | `#[registry(secret)]` | field | prints as `"<redacted>"` in every generated `Debug` (value enum, registry, batch, and for a `map` field its keys too); the type need not be `Debug` |
///
/// `skip` cannot be combined with `default`, `map`, `rename`, `validate` or `secret`, nor `map`
/// with `default` or `validate`.
///
/// # Requirements
///
/// Every stored type (a plain field's type, a `map` field's key and value types) must be
/// `Clone + Send + Sync + 'static`, and a `map` field's key `Hash + Eq`; the compiler says so under
/// the field's type. Generic structs work: their type parameters are required to be
/// `Send + Sync + 'static` by the registry's impls, and the key and value enums of a generic
/// struct carry a hidden variant that can never exist (match them with a `_` arm). Lifetime
/// parameters are refused.
///
/// # Examples
///
/// ```
/// use std::collections::HashMap;
/// use syncmap::{LoadOrStore, SyncRegistry};
///
/// #[derive(SyncRegistry, Debug, PartialEq)]
/// struct ServerConfig {
///     /// Port to listen on.
///     port: u16,
///     #[registry(default = 30)]
///     timeout_secs: u64,
///     #[registry(map)]
///     routes: HashMap<String, String>,
///     #[registry(rename = "log-level")]
///     log_level: String,
/// }
///
/// let config = ServerConfigRegistry::new();
/// assert_eq!(config.port(), None);
/// assert_eq!(config.timeout_secs(), 30); // the default, while unset
/// config.store_port(8080);
/// assert!(config.compare_and_swap_port(8080, 8081));
/// assert_eq!(config.update_timeout_secs(|t| t * 2), 60);
/// config.store_routes("/".to_owned(), "index".to_owned());
/// assert_eq!(config.routes("/"), Some("index".to_owned())); // looked up by &str
/// assert_eq!(
///     config.load_or_store_routes("/".to_owned(), "other".to_owned()),
///     LoadOrStore::Loaded("index".to_owned())
/// );
///
/// // `log_level` is unset and has no default: the struct cannot be rebuilt yet.
/// let err = config.load_struct().unwrap_err();
/// assert_eq!(err.fields(), ["log-level"]);
/// config.store_log_level("info".to_owned());
/// let rebuilt = config.load_struct().unwrap();
/// assert_eq!(rebuilt.port, 8081);
/// assert_eq!(rebuilt.routes["/"], "index");
/// ```
///
/// Metadata, for configuration files and admin endpoints:
///
/// ```
/// use syncmap::SyncRegistry;
///
/// #[derive(SyncRegistry)]
/// struct Limits {
///     #[registry(rename = "max-connections")]
///     max_connections: u32,
///     #[registry(default = 10)]
///     burst: u32,
/// }
///
/// assert_eq!(LimitsKey::NAMES, ["max-connections", "burst"]);
/// assert_eq!(LimitsKey::PLAIN_KEYS, [LimitsKey::MaxConnections, LimitsKey::Burst]);
/// let key: LimitsKey = "burst".parse().unwrap();
/// assert_eq!(key.name(), "burst");
/// assert!("max_connections".parse::<LimitsKey>().is_err()); // renamed
///
/// // Apply `name=value` settings to a live registry.
/// let limits = LimitsRegistry::new();
/// for line in ["max-connections=100", "burst=20"] {
///     let (name, value) = line.split_once('=').unwrap();
///     let value: u32 = value.parse().unwrap();
///     match name.parse::<LimitsKey>().unwrap() {
///         LimitsKey::MaxConnections => limits.store_max_connections(value),
///         LimitsKey::Burst => limits.store_burst(value),
///     }
/// }
/// assert_eq!((limits.max_connections(), limits.burst()), (Some(100), 20));
/// ```
///
/// The backend is a type parameter; everything else stays the same:
///
/// ```
/// use std::sync::Arc;
/// use std::thread;
/// use syncmap::{MutexMap, SyncRegistry};
///
/// #[derive(SyncRegistry)]
/// struct Stats {
///     #[registry(default)]
///     requests: u64,
/// }
///
/// type Backend = MutexMap<StatsKey, StatsValue>;
/// let stats = Arc::new(StatsRegistry::<Backend>::default());
/// thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| {
///             for _ in 0..100 {
///                 stats.update_requests(|n| n + 1);
///             }
///         });
///     }
/// });
/// assert_eq!(stats.requests(), 400);
/// ```
///
/// Batches, validation, secrets, snapshots and change notification:
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use syncmap::{RegistryChange, SyncRegistry};
///
/// fn check_pool(pool: &Pool) -> Result<(), String> {
///     if pool.min <= pool.max { Ok(()) } else { Err(format!("min {} > max {}", pool.min, pool.max)) }
/// }
///
/// fn check_host(host: &str) -> Result<(), &'static str> {
///     if host.is_empty() { Err("empty host") } else { Ok(()) }
/// }
///
/// #[derive(SyncRegistry, Debug, Clone, PartialEq)]
/// #[registry(validate = check_pool)]
/// struct Pool {
///     min: u32,
///     max: u32,
///     #[registry(validate = check_host)]
///     host: String,
///     #[registry(secret, default)]
///     password: String,
/// }
///
/// let pool: PoolRegistry = PoolRegistry::try_from(Pool {
///     min: 1,
///     max: 4,
///     host: "db".to_owned(),
///     password: "hunter2".to_owned(),
/// })
/// .unwrap();
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&seen);
/// let _subscription = pool.subscribe(move |change: &RegistryChange<PoolKey>| {
///     log.lock().unwrap().push(change.keys().to_vec());
/// });
///
/// // A batch is validated as a whole, then published as one change.
/// let err = pool.update(|b| { b.store_min(8); }).unwrap_err();
/// assert_eq!(err.to_string(), "min 8 > max 4");
/// pool.update(|b| { b.store_min(8).store_max(16); }).unwrap();
/// assert_eq!(*seen.lock().unwrap(), [vec![PoolKey::Min, PoolKey::Max]]);
///
/// // A snapshot is never torn, and carries its version.
/// let (snapshot, version) = pool.snapshot().unwrap();
/// assert_eq!((snapshot.min, snapshot.max, version), (8, 16, pool.version()));
/// assert_eq!(pool.wait_for_change(version, Duration::from_millis(1)), None);
///
/// assert!(pool.try_store_host(String::new()).is_err());
/// assert!(!format!("{pool:?}").contains("hunter2"));
/// ```
///
/// Generic structs:
///
/// ```
/// use syncmap::SyncRegistry;
///
/// #[derive(SyncRegistry)]
/// struct Slot<T: Clone> {
///     current: T,
///     #[registry(default)]
///     generation: u64,
/// }
///
/// let slot = SlotRegistry::<String>::new();
/// slot.store_current("first".to_owned());
/// assert_eq!(slot.current().as_deref(), Some("first"));
/// assert_eq!(slot.generation(), 0);
/// ```
#[cfg(feature = "derive")]
pub use syncmap_derive::SyncRegistry;

pub use crate::__private::{RegistryChange, RegistrySubscription};

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

/// The README's code blocks, run as doctests so that the README cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
