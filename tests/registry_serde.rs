//! Feature `serde`: a registry serializes as its snapshot and deserializes through its
//! validators; the maps serialize as maps. Run with `cargo test --features serde`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use syncmap::{ExposeSecret, MutexMap, Registry, SecretString, SyncMap, SyncRegistry};

#[derive(SyncRegistry, Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Pool {
    #[registry(default = 8)]
    size: u32,
}

#[derive(SyncRegistry, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[registry(validate = |c: &Service| if c.port == 0 { Err("port 0") } else { Ok(()) })]
struct Service {
    port: u16,
    tls_cert: Option<String>,
    #[registry(map)]
    routes: HashMap<String, u16>,
    #[registry(nested)]
    pool: Pool,
}

const JSON: &str = r#"{"port":8080,"tls_cert":null,"routes":{"/":200},"pool":{"size":16}}"#;

#[test]
fn a_registry_serializes_as_its_snapshot_and_back() {
    let registry: ServiceRegistry = serde_json::from_str(JSON).unwrap();
    assert_eq!(registry.pool().size(), 16);
    registry.store_port(9090);
    let json = serde_json::to_value(&registry).unwrap();
    assert_eq!(json["port"], 9090);
    assert_eq!(json["routes"]["/"], 200);
    let on_mutex: ServiceRegistry<MutexMap<ServiceKey, ServiceValue>> =
        serde_json::from_value(json).unwrap();
    assert_eq!(on_mutex.snapshot(), registry.snapshot());
}

#[test]
fn deserializing_runs_the_validators() {
    let refused = serde_json::from_str::<ServiceRegistry>(&JSON.replace("8080", "0")).unwrap_err();
    assert!(refused.to_string().contains("port 0"), "{refused}");
}

#[derive(SyncRegistry, Clone, Debug, Deserialize)]
struct Credentials {
    user: String,
    #[registry(secret)]
    password: SecretString,
}

#[test]
fn secrets_deserialize_and_still_never_print() {
    let registry: CredentialsRegistry =
        serde_json::from_str(r#"{"user":"admin","password":"s3cret"}"#).unwrap();
    assert_eq!(
        registry.password_with(|p| p.expose_secret().to_owned()),
        "s3cret"
    );
    assert!(!format!("{registry:?}").contains("s3cret"));
}

#[test]
fn maps_serialize_as_maps() {
    let map: SyncMap<String, u32> = serde_json::from_str(r#"{"a":1}"#).unwrap();
    assert_eq!(serde_json::to_string(&map).unwrap(), r#"{"a":1}"#);
}
