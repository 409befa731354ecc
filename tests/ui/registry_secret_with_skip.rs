// A skipped field is never printed by generated code, so `secret` on it means nothing; neither
// does `validate` (it is never written), nor `validate` on a `map` field.
use std::collections::HashMap;
use syncmap::SyncRegistry;

fn check(_: &String) -> Result<(), String> {
    Ok(())
}

#[derive(SyncRegistry)]
struct Config {
    #[registry(skip, secret)]
    password: String,
    #[registry(skip, validate = check)]
    scratch: String,
    #[registry(map, validate = check)]
    routes: HashMap<String, String>,
    #[registry(secret = "yes")]
    token: String,
}

fn main() {}
