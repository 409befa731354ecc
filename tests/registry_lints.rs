//! Generated code is clean under the strictest lints a user may set: `cargo clippy` runs over
//! this file with `-D warnings` in CI, so any lint the expansion trips fails the build.
#![deny(warnings, missing_docs)]
#![deny(clippy::all, clippy::pedantic, clippy::nursery)]

use std::collections::HashMap;
use std::fmt::Debug;
use std::time::Duration;

use syncmap::{Registry, SecretString, SyncRegistry};

/// A generic struct with bounds both inline and in a where clause, a deprecated field, a
/// secret, an optional field, a map, a cache (named like a keyword) and a nested struct.
#[derive(SyncRegistry, Clone, Debug)]
pub struct Service<T: Clone + Send + Sync + 'static, U>
where
    U: Clone + Debug + Send + Sync + 'static,
{
    /// A generic value.
    pub value: T,
    /// Another.
    pub other: Option<U>,
    /// Deprecated, still stored.
    #[deprecated = "use `value`"]
    pub legacy: u32,
    /// A secret.
    #[registry(secret)]
    pub token: SecretString,
    /// Entries.
    #[registry(map)]
    pub entries: HashMap<String, u64>,
    /// A cache with every setting.
    #[registry(cache(
        capacity = 64,
        ttl = Duration::from_secs(60),
        tti = Duration::from_secs(10),
        weigher = |key: &String, _: &u64| u64::try_from(key.len()).unwrap_or(u64::MAX),
        expire_after = |_: &String, seconds: &u64| Some(Duration::from_secs(*seconds))
    ))]
    pub r#type: HashMap<String, u64>,
    /// Nested.
    #[registry(nested)]
    pub limits: Limits,
}

/// Nested limits.
#[derive(SyncRegistry, Clone, Debug, PartialEq, Eq)]
#[registry(validate = |limits: &Limits| if limits.burst == 0 { Err("burst is zero") } else { Ok(()) })]
pub struct Limits {
    /// Requests per burst.
    #[registry(default = 10)]
    pub burst: u32,
    /// A cache inside a nested struct.
    #[registry(cache(capacity = 8))]
    pub seen: HashMap<u32, u32>,
}

#[test]
fn strict_lints_accept_the_expansion() {
    #[allow(deprecated)]
    let service = Service::<u8, String> {
        value: 1,
        other: None,
        legacy: 2,
        token: SecretString::from("t"),
        entries: HashMap::new(),
        r#type: HashMap::new(),
        limits: Limits {
            burst: 10,
            seen: HashMap::new(),
        },
    };
    let registry = ServiceRegistry::new(service).unwrap();
    registry.store_other("x".to_owned());
    assert_eq!(registry.other().as_deref(), Some("x"));
    assert_eq!(registry.limits().burst(), 10);
    assert!(registry.update(|s| s.limits.burst = 0).is_err());
    assert_eq!(Registry::version(&registry), 1);
    let loaded = registry.get_or_load_type("k".to_owned(), |_| 30);
    assert_eq!(loaded.ok(), Some(30));
    assert_eq!(registry.type_cache().stats().loads, 1);
    registry.limits().store_seen(1, 2);
    assert_eq!(registry.limits().seen(&1), Some(2));
}
