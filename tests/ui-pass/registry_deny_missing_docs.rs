//! A crate that denies missing docs and missing `Debug` implementations still compiles with a
//! public registry: every generated item is documented and has `Debug`.
#![deny(missing_docs, missing_debug_implementations, warnings)]

use std::collections::BTreeMap;
use syncmap::{Registry, SecretString, SyncRegistry};

/// Settings are valid when there are retries.
fn check_settings(settings: &Settings) -> Result<(), String> {
    if settings.retries == 0 {
        Err("no retries".to_owned())
    } else {
        Ok(())
    }
}

/// Ports below 1024 are refused.
fn check_port(port: &u16) -> Result<(), &'static str> {
    if *port < 1024 {
        Err("privileged port")
    } else {
        Ok(())
    }
}

/// The service's settings.
#[derive(SyncRegistry, Debug)]
#[registry(validate = check_settings)]
pub struct Settings {
    /// The port.
    #[registry(validate = check_port)]
    pub port: u16,
    /// The password, never printed.
    #[registry(secret, default)]
    pub password: SecretString,
    /// Retries before giving up.
    #[registry(default = 3)]
    pub retries: u8,
    /// Per-tenant quotas.
    #[registry(map)]
    pub quotas: BTreeMap<String, u64>,
    /// Not shared.
    #[registry(skip)]
    pub scratch: Vec<u8>,
    /// A renamed flag.
    #[registry(rename = "debug-mode")]
    pub debug: bool,
}

/// A generic one.
#[derive(SyncRegistry, Debug)]
pub struct Holder<T: Clone + Send + Sync + 'static> {
    /// The held value.
    pub value: T,
}

fn main() {
    let settings = SettingsRegistry::new(Settings {
        port: 8080,
        password: SecretString::from("hunter2"),
        retries: 3,
        quotas: BTreeMap::new(),
        scratch: Vec::new(),
        debug: false,
    })
    .unwrap();
    assert!(settings.try_store_port(1).is_err());
    settings.store_port(9090);
    settings
        .update(|s| {
            s.debug = true;
            s.password = SecretString::from("swordfish");
        })
        .unwrap();
    assert!(!format!("{settings:?}").contains("swordfish"));
    assert!(settings.update(|s| s.retries = 0).is_err());
    settings.store_quotas("a".to_owned(), 10);
    assert_eq!(settings.retries(), 3);
    let holder = HolderRegistry::<u8>::new(Holder { value: 0 }).unwrap();
    holder.store_value(1);
    assert_eq!(holder.value(), 1);
}
