// `skip` and `map` are flags: they take no value.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
struct Config {
    #[registry(skip = true)]
    cache: Vec<u8>,
    #[registry(map = "yes")]
    routes: std::collections::HashMap<String, u16>,
}

fn main() {}
