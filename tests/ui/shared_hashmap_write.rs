// Step 1 of the seed, Go's `TestRWMap`: one goroutine writes a plain map while another reads it.
// Go compiles that program and the runtime kills it with
//
//     fatal error: concurrent map read and map write
//
// (and only when the race happens to be detected on that run). Rust refuses to compile the same
// program: a `HashMap` borrowed mutably by the writer thread cannot be borrowed by the reader
// thread at the same time. The fix is a map made for sharing, such as `syncmap::MutexMap`; see
// tests/ui-pass/shared_mutex_map_write.rs for this program compiling and running with one.

use std::collections::HashMap;
use std::thread;

fn main() {
    let mut map = HashMap::new();
    thread::scope(|s| {
        // The writer, like TestRWMap's `go func() { for { m[i] = i } }()`.
        s.spawn(|| {
            for i in 0..1_000 {
                map.insert(i, i);
            }
        });
        // The reader, like TestRWMap's `for { _ = m[i] }`.
        s.spawn(|| {
            for i in 0..1_000 {
                let _ = map.get(&i);
            }
        });
    });
}
