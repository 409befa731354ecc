// `env` names an environment variable, and belongs on a leaf field.
use syncmap::SyncRegistry;

#[derive(SyncRegistry, Clone, Debug)]
struct Inner {
    size: u32,
}

#[derive(SyncRegistry, Clone, Debug)]
struct Outer {
    #[registry(env = "NOT A NAME")]
    port: u16,
    #[registry(nested, env = "INNER")]
    inner: Inner,
}

fn main() {}
