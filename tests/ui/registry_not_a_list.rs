// `#[registry]` and `#[registry = ...]` say nothing; the attribute takes a list.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
#[registry]
struct Config {
    #[registry = "map"]
    port: u16,
}

fn main() {}
