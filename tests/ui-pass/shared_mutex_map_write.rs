// The program of tests/ui/shared_hashmap_write.rs (Go's `TestRWMap`), with the plain `HashMap`
// replaced by `syncmap::MutexMap`: every method takes `&self`, so the writer and the reader share
// the map and the program compiles and runs. This is step 2 of the seed, Go's `mutexMap.go`.

use std::thread;

use syncmap::{ConcurrentMap, MutexMap};

fn main() {
    let map = MutexMap::new();
    thread::scope(|s| {
        s.spawn(|| {
            for i in 0..1_000 {
                map.store(i, i);
            }
        });
        s.spawn(|| {
            for i in 0..1_000 {
                // Either absent or the value the writer stored: never a torn read, never a crash.
                if let Some(v) = map.load(&i) {
                    assert_eq!(v, i);
                }
            }
        });
    });
    assert_eq!(map.len(), 1_000);
}
