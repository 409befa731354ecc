// `map` needs a `HashMap<K, V>` or `BTreeMap<K, V>` written as such; the error is under the field's
// type. A type alias is not looked through: the macro sees only the tokens.
use std::collections::HashMap;
use syncmap::SyncRegistry;

type Routes = HashMap<String, u16>;

#[derive(SyncRegistry)]
struct Config {
    #[registry(map)]
    hosts: Vec<String>,
    #[registry(map)]
    routes: Routes,
}

fn main() {}
