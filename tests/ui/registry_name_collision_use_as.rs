// A `use` that renames something to a generated name collides as much as a definition does.
use syncmap::SyncRegistry;

mod elsewhere {
    pub struct Registry;
}

use elsewhere::Registry as ServerConfigRegistry;

#[derive(SyncRegistry)]
struct ServerConfig {
    port: u16,
}

fn main() {
    let _ = ServerConfigRegistry;
}
