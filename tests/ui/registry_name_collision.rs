// A type of the user's already has a generated name: the error names the fix.
use syncmap::SyncRegistry;

pub struct ServerConfigKey;

#[derive(SyncRegistry)]
struct ServerConfig {
    port: u16,
}

fn main() {}
