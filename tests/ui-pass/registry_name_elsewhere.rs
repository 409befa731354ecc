// Generated names that exist elsewhere are no collision: a same-named type in another module, an
// outer scope's type shadowed in a function body, a glob import; and `#[registry(name = ...)]`
// moves the generated names away from a type of the same scope.
#![deny(warnings)]

use syncmap::SyncRegistry;

mod elsewhere {
    pub struct ServerConfigKey;
    pub struct ServerConfigValue;
}

#[allow(unused_imports)]
use elsewhere::*;

#[derive(SyncRegistry, Clone, Debug)]
struct ServerConfig {
    port: u16,
}

/// Taken in this scope; the derive below generates `SettingsKey` & co. instead.
struct ClientConfigRegistry;

#[derive(SyncRegistry, Clone, Debug)]
#[registry(name = Settings)]
struct ClientConfig {
    retries: u8,
}

struct OuterConfigKey;

fn main() {
    let _ = (elsewhere::ServerConfigKey, elsewhere::ServerConfigValue);
    let server = ServerConfigRegistry::new(ServerConfig { port: 8080 }).unwrap();
    assert_eq!(server.port(), 8080);
    assert!(matches!(ServerConfigKey::Port, ServerConfigKey::Port));

    let _ = ClientConfigRegistry;
    let client = SettingsRegistry::new(ClientConfig { retries: 3 }).unwrap();
    assert_eq!(client.retries(), 3);
    assert!(matches!(SettingsKey::Retries, SettingsKey::Retries));

    // Shadows the module's `OuterConfigKey` in this block only.
    #[derive(SyncRegistry, Clone, Debug)]
    struct OuterConfig {
        level: u8,
    }
    let _ = crate::OuterConfigKey;
    let outer = OuterConfigRegistry::new(OuterConfig { level: 1 }).unwrap();
    assert_eq!(outer.level(), 1);
}
