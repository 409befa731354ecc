// A `map` field with no entries rebuilds as an empty map; a default has nothing to do.
use std::collections::HashMap;
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
struct Config {
    #[registry(map, default)]
    routes: HashMap<String, u16>,
}

fn main() {}
