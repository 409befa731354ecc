// A `cache` without a capacity, with an unknown key, given twice a key, and on a field that is
// not a map: one error under each offending token, and no cascade at the use below.
use std::collections::HashMap;
use std::time::Duration;

use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
struct Caches {
    #[registry(cache(ttl = Duration::from_secs(1)))]
    no_capacity: HashMap<u32, u32>,
    #[registry(cache(capacity = 10, size = 3))]
    unknown_key: HashMap<u32, u32>,
    #[registry(cache(capacity = 10, capacity = 20))]
    twice: HashMap<u32, u32>,
    #[registry(cache(capacity = 10))]
    not_a_map: Vec<u32>,
}

fn main() {}
