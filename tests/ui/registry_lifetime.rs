// Registry values are shared between threads and must be 'static: no lifetime parameters.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
struct Config<'a> {
    name: &'a str,
}

fn main() {}
