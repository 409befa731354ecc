// Accessor names must not clash: `store_port` is both a field's getter and `port`'s setter. The
// one error is under the field; the rest of the registry is generated, so the code that uses it
// adds no error of its own. (A field named `map` is fine: whole-registry operations live on the
// `Registry` trait.)
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
struct Config {
    port: u16,
    store_port: bool,
    map: String,
}

fn main() {
    let config = ConfigRegistry::new(Config {
        port: 1,
        store_port: false,
        map: String::new(),
    })
    .unwrap();
    config.store_map("m".to_owned());
    let _ = (config.port(), config.map());
}
