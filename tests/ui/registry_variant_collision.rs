// `max_conn` and `max__conn` would both be the key variant `MaxConn`: one error under the second
// field, and the registry is still generated for the code that uses it.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
struct Config {
    max_conn: u32,
    max__conn: u32,
}

fn main() {
    let config = ConfigRegistry::new(Config {
        max_conn: 1,
        max__conn: 2,
    })
    .unwrap();
    config.store_max_conn(3);
    let _ = config.max__conn();
}
