//! A crate that denies missing docs and missing `Debug` implementations still compiles with a
//! public registry: every generated item is documented and has `Debug`.
#![deny(missing_docs, missing_debug_implementations, warnings)]

use std::collections::BTreeMap;
use syncmap::SyncRegistry;

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
    pub password: String,
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
pub struct Holder<T: Clone> {
    /// The held value.
    pub value: T,
}

fn main() {
    let settings = SettingsRegistry::new();
    assert!(settings.try_store_port(1).is_err());
    settings.store_port(8080);
    settings
        .update(|batch| {
            batch.store_debug(true).store_password("secret".to_owned());
        })
        .unwrap();
    assert!(!format!("{settings:?}").contains("secret"));
    settings.store_quotas("a".to_owned(), 10);
    assert_eq!(settings.retries(), 3);
    let holder = HolderRegistry::<u8>::new();
    holder.store_value(1);
    assert_eq!(holder.value(), Some(1));
}
