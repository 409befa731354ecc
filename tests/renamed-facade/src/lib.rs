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
    use facade::{LoadOrStore, MutexMap, Registry};

    fn settings() -> Settings {
        Settings {
            port: 8080,
            retries: 3,
            routes: HashMap::new(),
        }
    }

    #[test]
    fn registry_works_through_the_renamed_facade() {
        let settings = SettingsRegistry::new(settings()).unwrap();
        settings.store_port(80);
        assert_eq!(settings.port(), 80);
        assert_eq!(settings.retries(), 3);
        assert_eq!(
            settings.load_or_store_routes("/".to_owned(), 1),
            LoadOrStore::Stored(1)
        );
        assert_eq!(settings.routes("/"), Some(1));
        assert_eq!(settings.version(), 2);
        let rebuilt = settings.snapshot();
        assert_eq!(rebuilt.port, 80);
        assert_eq!(rebuilt.routes, HashMap::from([("/".to_owned(), 1)]));

        let on_mutex: SettingsRegistry<MutexMap<SettingsKey, SettingsValue>> =
            Registry::from_struct_in(rebuilt, MutexMap::new()).unwrap();
        assert_eq!(on_mutex.port(), 80);
        on_mutex.update(|s| s.retries = 5).unwrap();
        assert_eq!(on_mutex.retries(), 5);

        let slot = SlotRegistry::<String>::new(GenericSlot {
            value: "a".to_owned(),
        })
        .unwrap();
        slot.store_value("x".to_owned());
        assert_eq!(slot.value(), "x");
        assert_eq!(slot.snapshot().value, "x");
    }
}
