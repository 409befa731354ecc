// `validate` takes a path or a closure; anything else is refused under the value.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
#[registry(validate = 42)]
struct Limits {
    max: u32,
}

fn main() {}
