// A validator path that names nothing is reported under the path, once.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
#[registry(validate = check_limits)]
struct Limits {
    min: u32,
    #[registry(validate = no_such_check)]
    max: u32,
}

fn main() {}
