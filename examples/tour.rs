//! A tour of the `ConcurrentMap` vocabulary, run on every map of the crate.
//!
//! ```text
//! cargo run --release --example tour
//! ```
//!
//! [`tour`] is written once against the trait; `main` hands it each map in turn. Every line shows
//! the Rust call, what it returned, and the Go `sync.Map` method it corresponds to.

use std::fmt::Debug;
use std::thread;
use std::time::Instant;

use syncmap::{ConcurrentMap, MutexMap, RwLockMap, SyncMap};

/// Threads in the concurrent part of the tour.
const THREADS: u64 = 4;
/// Increments each thread makes in the concurrent part.
const INCREMENTS_PER_THREAD: u64 = 1_000;
/// Shared counters the increments are spread over.
const COUNTERS: u64 = 8;
/// Width of the printed call column.
const CALL: usize = 42;
/// Width of the printed result column.
const RESULT: usize = 12;

fn main() {
    tour("MutexMap", &MutexMap::new());
    println!();
    tour("RwLockMap", &RwLockMap::new());
    println!();

    let sync_map = SyncMap::new();
    tour("SyncMap", &sync_map);
    // The read/dirty machinery behind the tour: new keys went to `dirty`, misses promoted it.
    let stats = sync_map.stats();
    println!(
        "  SyncMap internals: {} promotions of dirty to read, {} rebuilds of dirty, \
         {} misses since the last promotion",
        stats.promotions, stats.dirty_rebuilds, stats.misses
    );
}

/// Prints one step: the call, its result, and the Go method it mirrors, in aligned columns.
fn show(call: &str, result: impl Debug, go: &str) {
    let result = format!("{result:?}");
    println!("  {call:<CALL$} {result:<RESULT$} {go}");
}

/// Prints a step that returns nothing.
fn did(call: &str, go: &str) {
    let nothing = "";
    println!("  {call:<CALL$} {nothing:<RESULT$} {go}");
}

/// Runs the whole vocabulary on `map`, then a short multi-threaded part, printing each step.
///
/// Written against the trait only: the same function drives every map.
fn tour<M: ConcurrentMap<String, u64> + Sync>(name: &str, map: &M) {
    let start = Instant::now();
    println!("== {name} ==");
    let (call, returned, go) = ("call", "returned", "Go sync.Map");
    println!("  {call:<CALL$} {returned:<RESULT$} {go}");

    map.store("apple".to_owned(), 3);
    did(r#"store("apple", 3)"#, "Store");
    // Keys are `String`s; lookups take `&str` through `Borrow`.
    show(r#"load("apple")"#, map.load("apple"), "Load");
    show(r#"load("banana")"#, map.load("banana"), "Load");
    show(
        r#"load_with("apple", |v| v * 100)"#,
        map.load_with("apple", |v| v * 100),
        "-",
    );
    show(
        r#"load_or_store("apple", 9)"#,
        map.load_or_store("apple".to_owned(), 9),
        "LoadOrStore",
    );
    show(
        r#"load_or_store("banana", 5)"#,
        map.load_or_store("banana".to_owned(), 5),
        "LoadOrStore",
    );
    show(
        r#"swap("apple", 4)"#,
        map.swap("apple".to_owned(), 4),
        "Swap",
    );
    show(
        r#"compare_and_swap("apple", &3, 10)"#,
        map.compare_and_swap("apple", &3, 10),
        "CompareAndSwap",
    );
    show(
        r#"compare_and_swap("apple", &4, 10)"#,
        map.compare_and_swap("apple", &4, 10),
        "CompareAndSwap",
    );
    show(
        r#"compare_and_delete("banana", &6)"#,
        map.compare_and_delete("banana", &6),
        "CompareAndDelete",
    );
    show(
        r#"compare_and_delete("banana", &5)"#,
        map.compare_and_delete("banana", &5),
        "CompareAndDelete",
    );
    show(
        r#"load_and_delete("apple")"#,
        map.load_and_delete("apple"),
        "LoadAndDelete",
    );
    show(r#"delete("apple")"#, map.delete("apple"), "Delete");
    show(
        r#"update("cherry", |n| n + 1)"#,
        map.update("cherry", |n| n + 1),
        "- (absent)",
    );
    let add_one = |n: Option<&u64>| Some(n.copied().unwrap_or(0) + 1);
    show(
        r#"compute("cherry", add_one)"#,
        map.compute("cherry".to_owned(), add_one),
        "-",
    );
    show(
        r#"update("cherry", |n| n + 1)"#,
        map.update("cherry", |n| n + 1),
        "-",
    );
    for (fruit, count) in [("date", 7), ("elderberry", 1)] {
        map.store(fruit.to_owned(), count);
    }
    did(r#"store("date", 7), store("elderberry", 1)"#, "Store");
    show("len()", map.len(), "- (Go has no Len)");
    did("range(|k, v| ...) visits", "Range");
    println!("    {}", sorted_entries(map));

    // Concurrent part: every method takes `&self`, so scoped threads share the map directly.
    // Each thread increments shared counters and races the others to claim a "leader" key.
    let winners = thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                s.spawn(move || {
                    let claim = map.load_or_store("leader".to_owned(), t);
                    for i in 0..INCREMENTS_PER_THREAD {
                        map.compute(format!("counter-{}", i % COUNTERS), add_one);
                    }
                    claim.is_stored()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("tour thread panicked"))
            .filter(|&stored| stored)
            .count()
    });
    let mut total = 0;
    map.range(|key, value| {
        if key.starts_with("counter-") {
            total += value;
        }
        true
    });
    // The contract makes both outcomes exact on every map: compute never loses an increment,
    // and load_or_store on an absent key stores exactly once however many threads race.
    assert_eq!(
        total,
        THREADS * INCREMENTS_PER_THREAD,
        "{name} lost an increment"
    );
    assert_eq!(winners, 1, "{name}: load_or_store stored more than once");
    println!(
        "  {THREADS} threads x {INCREMENTS_PER_THREAD} compute(+1) over {COUNTERS} counters: \
         total {total}"
    );
    println!(
        "  {THREADS} threads race load_or_store(\"leader\", t): {winners} stored, {} loaded; \
         leader is thread {:?}",
        THREADS as usize - winners,
        map.load("leader").expect("the leader key was stored"),
    );
    map.clear();
    show("clear(); len()", map.len(), "Clear");
    println!("  ({name} tour took {:.2?})", start.elapsed());
}

/// The map's entries as `key=value`, sorted by key: `range` visits keys in no particular order.
fn sorted_entries<M: ConcurrentMap<String, u64>>(map: &M) -> String {
    let mut entries = Vec::new();
    map.range(|key, value| {
        entries.push(format!("{key}={value}"));
        true
    });
    entries.sort();
    entries.join(", ")
}
