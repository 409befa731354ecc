// A `nested` field's type must derive `SyncRegistry` too: the error is under the type.
use syncmap::SyncRegistry;

#[derive(Clone)]
struct Plain {
    size: u32,
}

#[derive(SyncRegistry)]
struct Outer {
    #[registry(nested)]
    inner: Plain,
}

fn main() {}
