// A `secret` field whose type would print its value is refused under the type: the struct's own
// `#[derive(Debug)]` would show it otherwise.
use syncmap::SyncRegistry;

#[derive(SyncRegistry, Debug)]
struct Credentials {
    user: String,
    #[registry(secret)]
    password: String,
}

fn main() {}
