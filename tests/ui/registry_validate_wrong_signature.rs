// A validator must be `fn(&T) -> Result<(), E>`; anything else is reported under its path.
use syncmap::SyncRegistry;

fn returns_bool(limits: &Limits) -> bool {
    limits.min <= limits.max
}

fn takes_value(max: u32) -> Result<(), String> {
    if max > 0 { Ok(()) } else { Err("zero".to_owned()) }
}

#[derive(SyncRegistry)]
#[registry(validate = returns_bool)]
struct Limits {
    min: u32,
    #[registry(validate = takes_value)]
    max: u32,
}

fn main() {}
