// `#[registry(name = ...)]` that makes a generated name the struct's own.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
#[registry(name = Server)]
struct ServerKey {
    port: u16,
}

fn main() {}
