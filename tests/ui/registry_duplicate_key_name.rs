// Two fields may not answer to the same key name.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
struct Config {
    port: u16,
    #[registry(rename = "port")]
    admin_port: u16,
}

fn main() {}
