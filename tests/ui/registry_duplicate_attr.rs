// The same key twice is an error under the second one, on fields and on the struct.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
#[registry(name = First, name = Second)]
struct Config {
    #[registry(rename = "a", rename = "b")]
    port: u16,
    #[registry(map)]
    #[registry(map)]
    routes: std::collections::HashMap<String, u16>,
}

fn main() {}
