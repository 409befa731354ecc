//! Bélády's optimal policy: the best hit ratio any cache of a given capacity could reach on a
//! trace, given the whole future. It is the reference column of the hit-ratio table, so that
//! "40 %" can be read as "near the best possible" or "far from it".

use std::collections::BTreeSet;

use foldhash::{HashMap, HashMapExt};

/// Hits of the optimal cache of `capacity` entries on `keys`: on a miss, evict the entry whose
/// next use is farthest away, or bypass the newcomer if its own next use is farther still (the
/// bound is for caches that may refuse an insert, as moka's admission does).
///
/// ```
/// use syncmap_bench::cache::belady::optimal_hits;
///
/// // a b c a b c with room for 2: keep a and b, bypass c — hits on a and b.
/// assert_eq!(optimal_hits(&[1, 2, 3, 1, 2, 3], 2), 2);
/// assert_eq!(optimal_hits(&[7; 10], 1), 9);
/// ```
pub fn optimal_hits(keys: &[u64], capacity: usize) -> u64 {
    // next_use[i]: the index of the next request for keys[i], or usize::MAX if none.
    let mut next_use = vec![usize::MAX; keys.len()];
    let mut later: HashMap<u64, usize> = HashMap::with_capacity(keys.len().min(1 << 22));
    for (i, &key) in keys.iter().enumerate().rev() {
        if let Some(j) = later.insert(key, i) {
            next_use[i] = j;
        }
    }
    drop(later);

    // The cached keys ordered by their next use; a cached key requested at i sits at (i, key).
    let mut cached: BTreeSet<(usize, u64)> = BTreeSet::new();
    let mut hits = 0;
    for (i, &key) in keys.iter().enumerate() {
        if cached.remove(&(i, key)) {
            hits += 1;
        }
        let next = next_use[i];
        // A key never requested again is worth nothing in the cache; dropping it early only
        // frees room.
        if next == usize::MAX || capacity == 0 {
            continue;
        }
        if cached.len() >= capacity {
            match cached.last() {
                Some(&(farthest, _)) if farthest > next => {
                    cached.pop_last();
                }
                _ => continue,
            }
        }
        cached.insert((next, key));
    }
    hits
}
