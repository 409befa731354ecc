// `max_conn` and `max__conn` would both be the key variant `MaxConn`.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
struct Config {
    max_conn: u32,
    max__conn: u32,
}

fn main() {}
