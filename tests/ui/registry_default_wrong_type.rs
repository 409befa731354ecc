// The default expression is checked against the field's type, under the expression.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
struct Config {
    #[registry(default = "thirty")]
    timeout_secs: u64,
}

fn main() {}
