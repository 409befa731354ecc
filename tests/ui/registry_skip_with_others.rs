// A skipped field is not in the registry, so a default, `map` or `rename` on it means nothing.
use std::collections::HashMap;
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
struct Config {
    port: u16,
    #[registry(skip, default = 1)]
    retries: u8,
    #[registry(skip, map)]
    routes: HashMap<String, u16>,
    #[registry(rename = "x", skip)]
    scratch: Vec<u8>,
}

fn main() {}
