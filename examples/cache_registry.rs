//! A cache as a struct: `#[registry(map)]` fields filled and read by many threads, each entry
//! built at most once per key by `load_or_store_*_with`, plus plain counters beside them.
//!
//! ```text
//! cargo run --example cache_registry
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::thread;

use syncmap::{LoadOrStore, Registry, SyncRegistry};

/// What an expensive lookup returns; shared as `Arc` so that a read is a reference-count bump.
#[derive(Debug, PartialEq)]
struct Profile {
    name: String,
    score: u64,
}

#[derive(SyncRegistry)]
struct Cache {
    /// Profiles by user name.
    #[registry(map)]
    profiles: HashMap<String, Arc<Profile>>,
    /// Square roots, by input, kept in order when rebuilt.
    #[registry(map)]
    roots: BTreeMap<u64, u64>,
    /// Entries built (cache misses).
    #[registry(default)]
    builds: u64,
}

fn profile(cache: &CacheRegistry, user: &str) -> Arc<Profile> {
    // Looked up by `&str`, no `String` built on a hit.
    if let Some(found) = cache.profiles(user) {
        return found;
    }
    let built = cache.load_or_store_profiles_with(user.to_owned(), || {
        Arc::new(Profile {
            name: user.to_owned(),
            score: user.bytes().map(u64::from).sum(),
        })
    });
    if let LoadOrStore::Stored(_) = built {
        cache.update_builds(|n| n + 1);
    }
    built.into_value()
}

fn main() {
    // Every field has a default (empty maps, `builds` at 0), so the cache starts from them.
    let cache: CacheRegistry = Registry::from_defaults().expect("no validators to refuse it");
    let users = ["ada", "grace", "linus", "barbara", "ken"];
    thread::scope(|s| {
        for worker in 0..4u64 {
            let cache = &cache;
            s.spawn(move || {
                for round in 0..1_000u64 {
                    let user = users[usize::try_from((worker + round) % 5).unwrap()];
                    let found = profile(cache, user);
                    assert_eq!(found.name, user);
                    let n = round % 64;
                    let root = cache.load_or_store_roots_with(n * n, || n).into_value();
                    assert_eq!(root, n);
                }
            });
        }
    });
    // Five users: five builds, however many threads raced for each.
    assert_eq!(cache.builds(), 5);
    // One consistent copy of the whole struct, maps included.
    let snapshot = cache.snapshot();
    println!(
        "{} profiles, {} roots, {} builds",
        snapshot.profiles.len(),
        snapshot.roots.len(),
        snapshot.builds
    );
    let mut best = None;
    cache.range_profiles(|_, profile| {
        if best
            .as_ref()
            .is_none_or(|b: &Arc<Profile>| profile.score > b.score)
        {
            best = Some(Arc::clone(profile));
        }
        true
    });
    println!("highest score: {:?}", best.expect("profiles are cached"));
    println!(
        "first roots: {:?}",
        snapshot.roots.iter().take(4).collect::<Vec<_>>()
    );
}
