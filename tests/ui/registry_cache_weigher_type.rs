// A weigher of the wrong type: the error is under the weigher, not inside generated code.
use std::collections::HashMap;

use syncmap::SyncRegistry;

fn weigh(value: &String) -> u64 {
    value.len() as u64
}

#[derive(SyncRegistry)]
struct Caches {
    #[registry(cache(capacity = 10, weigher = weigh))]
    blobs: HashMap<u32, String>,
}

fn main() {}
