//! A crate that denies missing docs and missing `Debug` implementations still compiles with a
//! public registry: every generated item is documented and has `Debug`.
#![deny(missing_docs, missing_debug_implementations, warnings)]

use std::collections::BTreeMap;
use syncmap::SyncRegistry;

/// The service's settings.
#[derive(SyncRegistry, Debug)]
pub struct Settings {
    /// The port.
    pub port: u16,
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
    settings.store_port(1);
    settings.store_quotas("a".to_owned(), 10);
    assert_eq!(settings.retries(), 3);
    let holder = HolderRegistry::<u8>::new();
    holder.store_value(1);
    assert_eq!(holder.value(), Some(1));
}
