// Values are handed out by clone, so every stored type must be Clone.
use syncmap::SyncRegistry;

struct Handle;

#[derive(SyncRegistry)]
struct Config {
    handle: Handle,
}

fn main() {}
