// Field attributes are not struct attributes.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
#[registry(skip)]
struct Config {
    port: u16,
}

fn main() {}
