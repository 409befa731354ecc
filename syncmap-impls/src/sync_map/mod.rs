//! [`SyncMap`]: Go's `sync.Map` (the read/dirty design of Go 1.9 to 1.23), ported to Rust with
//! memory reclaimed safely and no garbage collector.

mod compaction;
mod concurrent_map_impl;
mod entry;
mod entry_table;
mod new_keys;
mod offered;
mod planted;
mod prefetch;
mod read_only;
mod reclaim;
mod slow_path;
mod small_index;
mod stats;
mod sync;
#[cfg(test)]
mod tests;

use std::fmt;
use std::marker::PhantomData;

use self::entry::EntryPtr;
use self::read_only::{ReadOnly, Table};
use self::reclaim::{Guard, Reclaimer};
use self::stats::Counters;
pub use self::stats::SyncMapStats;
use self::sync::{AtomicPtr, Mutex, Ordering};
use crate::DefaultHashBuilder;

/// Go's `sync.Map`: a concurrent map whose reads of stable keys take no lock at all.
///
/// # The design, in the seed's three points
///
/// 1. **Space for time.** Two maps hold the entries: `read`, which readers use without any lock,
///    and `dirty`, behind the mutex `mu`, which also holds the newest keys. Both point at the
///    same entries, so a value updated through one is seen through the other. A lookup that
///    misses `read` while `read` is *amended* (`dirty` has keys `read` lacks) locks and looks in
///    `dirty`, counting a *miss* (unless `read`'s summary of new keys rules the key out, below);
///    once misses reach `len(dirty)`, `dirty` is promoted to be the new `read` in one pointer
///    swap, with no copying, and there is no `dirty` until the next new key, which rebuilds it
///    by copying `read`.
/// 2. **Lazy deletion.** Deleting a key only sets its entry's pointer to nil, in place. When
///    `dirty` is rebuilt, deleted entries are marked *expunged* and left out, so they disappear
///    from the map at the next promotion. A store to an expunged entry must lock and put it back
///    into `dirty` first. Here, when many entries of `read` are expunged (at least 64, and at
///    least one in eight), the rebuild also publishes a `read` without them, and they leave the map at once: under
///    steady churn Go's `read` carries up to two cycles of deleted keys, which lookups still
///    walk into.
/// 3. **Read first.** Loads, and stores, deletes and compare-and-swaps of keys already in
///    `read`, are served from `read` with atomic operations on the entry, without the lock.
///
/// An entry's pointer moves between three states:
///
/// ```text
///                 store, swap, compare_and_swap (lock-free)
///                ┌───────┐
///                ▼       │
///              value ────┘
///               │  ▲
///   delete,     │  │ store, load_or_store, swap (lock-free: the entry is in dirty,
///   l_and_d,    ▼  │ or there is no dirty)
///   c_and_d    nil ─────────────────────────────► expunged
///                ▲   dirty rebuilt from read        │
///                │   (under mu)                     │
///                └──────────────────────────────────┘
///                  unexpunge: a store takes mu, puts the entry
///                  back into dirty, then stores its value
/// ```
///
/// [`SyncMap::stats`] shows the machinery at work: misses, promotions, rebuilds, the sizes of
/// `read` and `dirty`, and whether `read` is amended.
///
/// # When to choose `SyncMap`
///
/// As Go's documentation says, it is made for two cases:
///
/// - **keys written once and read many times**, as in caches that only grow, registries and
///   configuration: reads cost a hash lookup and a few uncontended atomic loads, and never write
///   to shared memory, so they scale with cores;
/// - **threads that work on disjoint sets of keys**: updates of existing keys are lock-free.
///
/// Choose [`MutexMap`](crate::MutexMap) (or a sharded map) instead when new keys keep arriving
/// and old ones keep leaving: every new key takes the lock and may copy the whole of `read`
/// into a new `dirty`, and churn keeps the map in its slow, amended state. The adversarial
/// workloads of Go's benchmark suite show this cost.
///
/// The same holds, to a lesser degree, for a map larger than the CPU's caches under a steady
/// trickle of churn. In conc-map-bench's ReadHeavy mix (49,152 `u64` keys, 98 % reads, 1 %
/// inserts, 1 % removes; 2 cores, 2026-11-30) `SyncMap` ran 27.7 million operations per second
/// on 1 thread against `MutexMap`'s 35.2 and dashmap's 45.8, and 37.4 on 2 threads against
/// 27.2 and 51.2. Two costs of the design add up there:
///
/// - **reads of the newest keys lock**: a key stored since the last promotion is only in
///   `dirty` until `len(dirty)` such misses promote it. About 5 % of that mix's operations
///   were such reads, and they took 13 % of its time (perf, 1 thread);
/// - **a present key is one pointer further away**: `read`'s table holds pointers to entries,
///   which `dirty` shares and stores update in place, so a read of a present key loads the
///   table's slot and then the entry, two dependent cache misses in a large map, where a map
///   that keeps values in its table (dashmap's shards) loads the slot only. In the same
///   operations `SyncMap` had about 3.7 times dashmap's last-level cache misses (cachegrind, a
///   1 MiB last-level cache).
///
/// # Examples
///
/// ```
/// use std::thread;
/// use syncmap_core::{ConcurrentMap, LoadOrStore};
/// use syncmap_impls::SyncMap;
///
/// let routes: SyncMap<String, u16> = SyncMap::new();
/// routes.store("/".to_owned(), 200);
/// thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| {
///             for _ in 0..100 {
///                 assert_eq!(routes.load("/"), Some(200)); // lock-free once promoted
///             }
///         });
///     }
/// });
/// assert_eq!(routes.load_or_store("/health".to_owned(), 204), LoadOrStore::Stored(204));
/// assert!(routes.compare_and_swap("/health", &204, 200));
/// assert_eq!(routes.len(), 2);
/// ```
///
/// # Memory without a garbage collector
///
/// Readers hold no lock, so a writer cannot free what it unlinks (a replaced value, a deleted
/// value, an old `read` map) while a reader might still be reading it. Every operation runs
/// inside a guard of a per-map epoch scheme, and unlinked objects are retired, then freed once
/// every guard that might see them has ended.
///
/// The scheme was chosen by measurement. On a 2-core x86-64 machine (hits of 1023 `u64` keys,
/// 1 thread, the same foldhash hasher) a plain `HashMap` lookup costs 1.4 ns; papaya 7.6 ns;
/// one `crossbeam-epoch` pin plus lookup 7.9 ns; one `arc-swap` load plus lookup 12.9 ns; two
/// `arc-swap` loads (the `read` map, then the value: the naive port) 25 ns, which only ties Go
/// 1.19. Side by side here, a `seize` guard (papaya's collector) and a `crossbeam-epoch` pin
/// each added about 6 ns to a lookup: one pays a locked instruction to pin, the other an atomic
/// swap to unpin. So `SyncMap` carries its own scheme (see the `reclaim` module's source):
/// entering and leaving a guard are two plain stores to the thread's own cache line plus a
/// compiler fence, because the store-load fence the reader would need is issued instead by the
/// thread that frees memory, through Linux's `membarrier(2)` (other platforms, and Miri, use
/// ordinary fences on both sides). In the same side-by-side run a `SyncMap` hit then cost
/// 0.7-0.8x a papaya hit and 2.5-3x a plain `HashMap` hit; `syncmap-bench` has the
/// whole-workload figures against Go and the Rust peers.
///
/// Each thread retires into its own bag, without locks or shared writes; when it has retired 128
/// objects since it last collected and its last guard ends, it advances the epoch and frees what
/// no guard can see, from its own bag and from the bags of every thread outside a guard, idle
/// and exited threads included. A deleted value's `Drop` therefore runs within a few hundred
/// retiring operations (stores that replace a value, deletes) on any thread after the delete,
/// even if the deleting thread never touches the map again; not at the next promotion; and
/// everything left is freed when the map drops. Guards end, and
/// retirements happen, only after `mu` is unlocked, so the `Drop` of a value never runs under the
/// lock. A `range` keeps its guard for the whole walk: what is retired meanwhile is freed after.
///
/// # Differences from Go's `sync.Map`
///
/// - `amended` is an atomic flag inside `read` instead of a field of an immutable `readOnly`
///   that is replaced to set it; the behaviour is the same.
/// - Methods whose comparisons or clones would run under `mu` in Go (`compare_and_swap` and
///   friends on a key found in `dirty`) take a reference to the entry under the lock and finish
///   after releasing it, so `PartialEq` and `Clone` of values never run under the lock. A key's
///   `Eq` does (the lookups in `dirty`); if it calls back into the map and the call needs `mu`,
///   it panics instead of deadlocking. A key's `Hash` runs once per operation, before the lock.
/// - **Entries own their keys.** Go's `read` and `dirty` are two maps of keys to entries; here
///   an entry holds its key and the key's hash, and `read` and `dirty` are tables of entry
///   pointers. Rebuilding `dirty` copies pointers: it never clones a key (Go copies the keys,
///   and an early port cloned every `String` key of `read`), so `K: Clone` is not needed.
/// - **Misses that cannot be in `dirty` take no lock.** Go locks for every miss while `read` is
///   amended. Here each `read` carries a summary of the hashes `dirty` gained since it was
///   published (a one-hash Bloom filter, 4 bits per key of `read`; see the `new_keys` module for
///   why such a miss is linearizable), and a lookup whose hash is not in it returns at once,
///   counting no miss. Misses of keys `dirty` may hold lock and count as in Go, so promotion
///   still follows the lookups that `read` could not serve.
/// - **Small maps skip the hash table.** A `read` of at most 16 keys (a registry's backend
///   holds one key per field) also carries a perfect-hash index of them, built when it is
///   published: a lookup reads one slot, with no probe (see the `small_index` module). A
///   registry field read went from 88 to 74 instructions, and from par with
///   `ArcSwap<Config>` to 10 to 20 % faster.
/// - `load_and_delete` removes the key from `dirty`, as Go does since issue 40999 was fixed, and
///   so does a successful `compare_and_delete` of a key only `dirty` holds (which Go 1.20 to 1.23
///   leave there): churn with one long-lived key cannot grow the map without bound.
/// - [`len`](syncmap_core::ConcurrentMap::len) exists: it counts the present entries of `dirty` (or of `read`
///   when there is no `dirty`) under the lock. It is exact when no other thread writes; under
///   concurrent lock-free writes to keys already present it may count a key deleted or revived
///   during the count either way. It costs O(n).
/// - `clear` (Go 1.23) swaps in an empty `read` and drops `dirty` under the lock; a lock-free
///   store that loaded the old `read` just before may land in the discarded entries, which
///   linearizes it before the clear.
/// - `range` promotes `dirty` first when `read` is amended, as Go does, then walks `read` with
///   no lock: each key at most once, every key present throughout, none never stored.
pub struct SyncMap<K, V, S = DefaultHashBuilder> {
    /// The current `read` map; never null. Replaced by promotion, by a rebuild of `dirty` that
    /// compacts it, and by `clear`, then retired.
    read: AtomicPtr<ReadOnly<K, V>>,
    /// `dirty` and `misses`, guarded by `mu`.
    mu: Mutex<DirtyState<K, V>>,
    /// Hashes every key, once per operation; the tables keep only the stored hashes. Kept
    /// outside `read`, so that a lookup hashes while it loads `read`, not after.
    hasher: S,
    counters: Counters,
    reclaimer: Reclaimer,
    /// The map owns `ReadOnly`s through `read` (for `Send`/`Sync` and drop checking).
    _owns_read: PhantomData<Box<ReadOnly<K, V>>>,
}

/// What `mu` guards.
struct DirtyState<K, V> {
    /// The newest entries; when it exists it holds every key present in the map.
    dirty: Option<Table<K, V>>,
    /// Lookups that missed `read` since the last promotion.
    misses: usize,
    /// The entries the last rebuild of `dirty` expunged and left in `read` (Go's lazy path): at
    /// the next promotion, those still expunged leave the map with the old `read` and are
    /// retired. Empty after a rebuild that compacted `read`, which retires them at once.
    expunged: Vec<EntryPtr<K, V>>,
}

impl<K, V> SyncMap<K, V, DefaultHashBuilder> {
    /// An empty map with the default, randomly seeded hasher.
    ///
    /// ```
    /// use syncmap_core::ConcurrentMap;
    /// use syncmap_impls::SyncMap;
    ///
    /// let map: SyncMap<u64, &str> = SyncMap::new();
    /// assert!(map.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::with_hasher(DefaultHashBuilder::default())
    }
}

impl<K, V, S> SyncMap<K, V, S> {
    /// An empty map that hashes its keys with `hasher`.
    ///
    /// ```
    /// use std::collections::hash_map::RandomState;
    /// use syncmap_core::ConcurrentMap;
    /// use syncmap_impls::SyncMap;
    ///
    /// let map = SyncMap::with_hasher(RandomState::new());
    /// map.store("key", "value");
    /// assert_eq!(map.load("key"), Some("value"));
    /// ```
    pub fn with_hasher(hasher: S) -> Self {
        let read = ReadOnly::new(Table::new());
        Self {
            read: AtomicPtr::new(Box::into_raw(Box::new(read))),
            mu: Mutex::new(DirtyState {
                dirty: None,
                misses: 0,
                expunged: Vec::new(),
            }),
            hasher,
            counters: Counters::default(),
            reclaimer: Reclaimer::new(),
            _owns_read: PhantomData,
        }
    }
}

impl<K, V, S> SyncMap<K, V, S> {
    /// The current `read` map, valid while `guard` lives.
    #[inline]
    fn load_read<'g>(&'g self, guard: &'g Guard<'_>) -> &'g ReadOnly<K, V> {
        let read = guard.protect(&self.read);
        // SAFETY: `read` is never null (set in `with_hasher`, replaced only by valid boxes), and
        // a replaced `read` is retired, not freed, so it outlives `guard`, which loaded it.
        unsafe { &*read }
    }

    /// Statistics of the read/dirty machinery; see [`SyncMapStats`].
    pub fn stats(&self) -> SyncMapStats {
        let guard = self.reclaimer.enter();
        let state = self.mu.lock();
        let read = self.load_read(&guard);
        let stats = SyncMapStats {
            misses: state.misses,
            promotions: self.counters.promotions(),
            dirty_rebuilds: self.counters.dirty_rebuilds(),
            read_compactions: self.counters.read_compactions(),
            read_len: read.m.len(),
            dirty_len: state.dirty.as_ref().map(Table::len),
            expunged: read
                .m
                .entries()
                .filter(|e| e.get(&guard).is_expunged())
                .count(),
            amended: read.amended(),
        };
        drop(state);
        drop(guard);
        stats
    }
}

impl<K, V, S: Default> Default for SyncMap<K, V, S> {
    fn default() -> Self {
        Self::with_hasher(S::default())
    }
}

impl<K, V, S> Drop for SyncMap<K, V, S> {
    fn drop(&mut self) {
        // `&mut self`: no other thread can race this load (loom's atomics have no `get_mut`).
        let read = self.read.load(Ordering::Relaxed);
        // SAFETY: `&mut self` means no operation is running, so no guard can reach the current
        // `read`; it is the live box, never retired. Retired objects are freed when
        // `self.reclaimer` drops, after this.
        let read = unsafe { Box::from_raw(read) };
        let guard = self.reclaimer.enter();
        let mut state = self.mu.lock();
        let mut entries: Vec<OwnedEntry<K, V>> = live_entries(&read, &state, &guard)
            .into_iter()
            .map(OwnedEntry)
            .collect();
        let dirty = state.dirty.take();
        drop(state);
        drop(guard);
        // The tables hold pointers only. Entries are freed from the end of a vector, each with a
        // later one on its way into the cache (see the `prefetch` module); if one's `Drop` (a
        // key's or a value's) panics, the vector, unwinding, still frees the rest.
        drop(dirty);
        drop(read);
        prefetch::drop_from_back(&mut entries, |entry| entry.0.address());
    }
}

/// An entry the dropping map frees.
struct OwnedEntry<K, V>(EntryPtr<K, V>);

impl<K, V> Drop for OwnedEntry<K, V> {
    fn drop(&mut self) {
        // SAFETY: `SyncMap::drop` wraps each entry of `live_entries` (every entry of the map,
        // once) and, with `&mut` access to the map, no thread can reach them.
        unsafe { self.0.free() };
    }
}

/// Every entry the map owns, each once: those of `dirty` and the expunged ones of `read` (which
/// `dirty` lacks) when there is a `dirty`, else those of `read`. Only under `mu`.
fn live_entries<K, V>(
    read: &ReadOnly<K, V>,
    state: &DirtyState<K, V>,
    guard: &Guard<'_>,
) -> Vec<EntryPtr<K, V>> {
    match &state.dirty {
        Some(dirty) => {
            // An expunged entry that a store revived is back in `dirty`: count it there only.
            let still_expunged = state
                .expunged
                .iter()
                .copied()
                .filter(|entry| entry.get(guard).is_expunged());
            dirty.entries().chain(still_expunged).collect()
        }
        None => read.m.entries().collect(),
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for SyncMap<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// The present entries of `read`, formatted as a map.
        struct Present<'a, 'g, K, V>(&'a ReadOnly<K, V>, &'a Guard<'g>);
        impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for Present<'_, '_, K, V> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let entries = self.0.m.entries().map(|entry| entry.get(self.1));
                let present = entries.filter_map(|e| Some((e.key(), e.load(self.1)?)));
                f.debug_map().entries(present).finish()
            }
        }
        // Formatting must not lock (it runs user code) nor promote (it must not write), so it
        // shows `read` and whether `dirty` holds more.
        let guard = self.reclaimer.enter();
        let read = self.load_read(&guard);
        f.debug_struct("SyncMap")
            .field("read", &Present(read, &guard))
            .field("amended", &read.amended())
            .finish()
    }
}
