// Accessor names must not clash: `store_port` is both a field's getter and `port`'s setter, and a
// field named `map` would shadow the registry's `map()`.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
struct Config {
    port: u16,
    store_port: bool,
    map: String,
}

fn main() {}
