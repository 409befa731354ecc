//! A crate that depends on `syncmap` under another name (`facade`, see `Cargo.toml`) and derives
//! a registry with `#[registry(crate = "facade")]`. It compiles only if every path the derive
//! generates goes through that attribute: `::syncmap` is not a crate here.

use std::collections::HashMap;

use facade::SyncRegistry;

/// Settings of a service that knows the facade only as `facade`.
#[derive(SyncRegistry, Debug, PartialEq)]
#[registry(crate = "facade")]
pub struct Settings {
    /// The port.
    pub port: u16,
    /// Retries.
    #[registry(default = 3)]
    pub retries: u8,
    /// Routes.
    #[registry(map)]
    pub routes: HashMap<String, u16>,
}

/// A generic one, with the absolute form of the path.
#[derive(SyncRegistry, Debug)]
#[registry(crate = "::facade", name = Slot)]
pub struct GenericSlot<T: Clone> {
    /// The value.
    pub value: T,
}

#[cfg(test)]
mod tests {
    use super::*;
    use facade::{LoadOrStore, MutexMap};

    #[test]
    fn registry_works_through_the_renamed_facade() {
        let settings = SettingsRegistry::new();
        settings.store_port(80);
        assert_eq!(settings.retries(), 3);
        assert_eq!(
            settings.load_or_store_routes("/".to_owned(), 1),
            LoadOrStore::Stored(1)
        );
        assert_eq!(settings.routes("/"), Some(1));
        let rebuilt = settings.load_struct().unwrap();
        assert_eq!(rebuilt.port, 80);

        let on_mutex: SettingsRegistry<MutexMap<SettingsKey, SettingsValue>> =
            SettingsRegistry::from(rebuilt);
        assert_eq!(on_mutex.port(), Some(80));

        let slot = SlotRegistry::<String>::new();
        slot.store_value("x".to_owned());
        assert_eq!(slot.value().as_deref(), Some("x"));
    }
}
