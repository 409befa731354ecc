// A type of the user's already has a generated name: one error, under the struct, that names
// the fix; no E0428 and no cascade from the generated code.
use syncmap::SyncRegistry;

pub struct ServerConfigKey;

#[derive(SyncRegistry)]
struct ServerConfig {
    port: u16,
}

fn main() {
    // The user's type is untouched: the derive emitted nothing of that name.
    let _ = ServerConfigKey;
}
