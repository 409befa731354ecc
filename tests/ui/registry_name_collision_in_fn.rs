// The collision is found in a function body too (a doctest's code is wrapped in `fn main`).
use syncmap::SyncRegistry;

fn main() {
    enum ServerConfigValue {}

    #[derive(SyncRegistry)]
    struct ServerConfig {
        port: u16,
    }

    let _: Option<ServerConfigValue> = None;
}
