//! Which entry leaves a full cache, and when an expired one is reclaimed: S3-FIFO (Yang et al.,
//! "FIFO queues are all you need for cache eviction", SOSP 2023) and a deadline heap.
//!
//! # Eviction
//!
//! A new entry goes to the *small* queue, or to the *main* queue if its key is in the *ghost*
//! queue (keys recently evicted from the small queue). When the cache is over capacity, the
//! small queue is evicted from while it holds at least a tenth of the weight: its oldest entry
//! moves to the main queue if it was read since it came in, else it is evicted and its key's hash
//! remembered as a ghost. Otherwise the main queue's oldest entry is evicted, unless it was read
//! since the policy last looked, in which case it goes round again with one read less.
//!
//! One-off keys (a scan) pass through the small queue without displacing the main one: this is
//! what makes S3-FIFO resist scans where CLOCK and LRU do not. A hit only sets a small counter
//! in the entry, and only while it is below 3, so the read path never takes a lock and hot
//! entries' reads write nothing shared.
//!
//! Queues hold records of insertions (key and insertion id). An entry replaced or removed leaves
//! its record behind; records are checked against the entry's current id when they come up and
//! skipped if stale, and the queues are compacted when stale records outnumber live ones.
//!
//! ## Chosen by measurement
//!
//! `cache-bench --suite hit-ratio` (2,000,000 requests, Zipf over 1,000,000 keys; hit ratio %),
//! this policy against CLOCK with the same two-bit counter (every entry admitted straight to the
//! main queue, i.e. the small queue and the ghosts removed) and moka's W-TinyLFU, one run:
//!
//! | trace | capacity | S3-FIFO (this) | CLOCK | moka |
//! | --- | --- | ---: | ---: | ---: |
//! | zipf s=0.80 | 1% | 33.16 | 25.04 | 31.60 |
//! | zipf s=0.80 | 10% | 53.15 | 49.98 | 52.67 |
//! | zipf s=0.99 | 1% | 63.96 | 58.45 | 63.58 |
//! | zipf s=0.99 | 10% | 77.36 | 76.38 | 76.89 |
//! | zipf s=1.20 | 1% | 89.72 | 88.21 | 89.72 |
//! | zipf s=1.20 | 10% | 93.46 | 93.46 | 93.46 |
//! | zipf s=0.99 + scans | 1% | 47.86 | 42.05 | 46.66 |
//! | zipf s=0.99 + scans | 10% | 60.88 | 58.80 | 60.78 |
//!
//! CLOCK loses up to 8 points, most at small capacities and under scans, and falls below moka;
//! S3-FIFO is at or above moka on every trace, at the same read-path cost (one counter byte).
//!
//! What it costs: the main queue's second chances. A workload whose hits far outnumber its
//! inserts (a cache sized right, 95% hits) makes each eviction pass over the entries read since
//! the last pass, one metadata lookup in the backend map each; that, not the read path, bounds
//! the read-heavy throughput in `bench-reports/cache.md`.
//!
//! # Expiry
//!
//! An entry that can expire has a record in a heap ordered by deadline. Each write pops the
//! records that are due (a bounded number, so the cost is amortised over writes) and reclaims
//! their entries if they are still due: an entry read since (time to idle) goes back in with its
//! new deadline. No background thread is needed; [`CacheField::purge_expired`] reclaims all that
//! are due at once.
//!
//! [`CacheField::purge_expired`]: super::CacheField::purge_expired

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::hash::{BuildHasher, Hash};

use syncmap_impls::DefaultHashBuilder;

use super::entry::{EntryMeta, NEVER};

/// The share of the weight the small queue may hold before it is evicted from (S3-FIFO's 10%).
const SMALL_SHARE: u64 = 10;

/// Reads the metadata of the entry stored under a key.
pub(crate) trait Lookup<K> {
    /// `f` of the entry under `key`, if there is one.
    fn with_meta<R>(&self, key: &K, f: impl FnOnce(&EntryMeta) -> R) -> Option<R>;
}

struct Record<K> {
    key: K,
    id: u64,
}

struct Deadline<K> {
    at: u64,
    record: Record<K>,
}

impl<K> PartialEq for Deadline<K> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.record.id) == (other.at, other.record.id)
    }
}

impl<K> Eq for Deadline<K> {}

impl<K> PartialOrd for Deadline<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K> Ord for Deadline<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.record.id).cmp(&(other.at, other.record.id))
    }
}

/// The eviction and expiry state of one cache field. Used under the registry's writer lock.
pub(crate) struct Policy<K> {
    capacity: u64,
    small: VecDeque<Record<K>>,
    main: VecDeque<Record<K>>,
    small_weight: u64,
    main_weight: u64,
    live: u64,
    ghost: VecDeque<u64>,
    /// Keyed by hashes already: foldhash, not SipHash, since every insert and eviction looks
    /// here (SipHash showed in the profile of a miss-heavy run).
    ghost_counts: HashMap<u64, u32, DefaultHashBuilder>,
    hasher: DefaultHashBuilder,
    deadlines: BinaryHeap<Reverse<Deadline<K>>>,
    next_id: u64,
}

impl<K: Clone + Hash + Eq> Policy<K> {
    pub(crate) fn new(capacity: u64) -> Self {
        Self {
            capacity,
            small: VecDeque::new(),
            main: VecDeque::new(),
            small_weight: 0,
            main_weight: 0,
            live: 0,
            ghost: VecDeque::new(),
            ghost_counts: HashMap::default(),
            hasher: DefaultHashBuilder::default(),
            deadlines: BinaryHeap::new(),
            next_id: 1,
        }
    }

    pub(crate) fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Changes the capacity; the caller evicts down to it with [`victim`](Self::victim).
    pub(crate) fn set_capacity(&mut self, capacity: u64) {
        self.capacity = capacity;
    }

    /// The weight of the entries held (expired ones not yet reclaimed included).
    pub(crate) fn weight(&self) -> u64 {
        self.small_weight + self.main_weight
    }

    /// The number of entries held (expired ones not yet reclaimed included).
    pub(crate) fn entry_count(&self) -> u64 {
        self.live
    }

    /// The id of the next insertion.
    pub(crate) fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Whether `key` was evicted from the small queue lately (it then goes to the main queue);
    /// it is a ghost no more.
    pub(crate) fn take_ghost(&mut self, key: &K) -> bool {
        let hash = self.ghost_hash(key);
        if !self.ghost_counts.contains_key(&hash) {
            return false;
        }
        self.drop_ghost(hash);
        true
    }

    /// Takes in the entry just stored under `key`, its metadata stamped.
    pub(crate) fn admit(&mut self, key: K, tti: Option<u64>, entries: &impl Lookup<K>) {
        let Some((id, weight, deadline, in_main)) = entries.with_meta(&key, |meta| {
            (meta.id(), meta.weight(), meta.deadline(tti), meta.in_main())
        }) else {
            return;
        };
        if deadline != NEVER {
            self.deadlines.push(Reverse(Deadline {
                at: deadline,
                record: Record {
                    key: key.clone(),
                    id,
                },
            }));
        }
        if in_main {
            self.main_weight += weight;
            self.main.push_back(Record { key, id });
        } else {
            self.small_weight += weight;
            self.small.push_back(Record { key, id });
        }
        self.live += 1;
    }

    /// Accounts for an entry that left the map (its records become stale).
    pub(crate) fn forget(&mut self, meta: &EntryMeta) {
        let weight = meta.weight();
        if meta.in_main() {
            self.main_weight -= weight;
        } else {
            self.small_weight -= weight;
        }
        self.live -= 1;
    }

    /// The key of the next entry to evict, while the cache is over capacity. The caller removes
    /// it from the map and calls [`forget`](Self::forget).
    pub(crate) fn victim(&mut self, entries: &impl Lookup<K>) -> Option<K> {
        while self.weight() > self.capacity {
            let from_small =
                self.small_weight * SMALL_SHARE >= self.capacity || self.main.is_empty();
            let record = if from_small {
                self.small.pop_front()
            } else {
                self.main.pop_front()
            }?;
            // `None`: a stale record; `Some(frequency)` of the live entry otherwise.
            let frequency = entries.with_meta(&record.key, |meta| {
                (meta.id() == record.id).then(|| meta.frequency())
            });
            let Some(Some(frequency)) = frequency else {
                continue;
            };
            match (from_small, frequency) {
                (true, 0) => {
                    self.remember_ghost(&record.key);
                    return Some(record.key);
                }
                (true, _) => {
                    entries.with_meta(&record.key, |meta| {
                        meta.set_in_main();
                        meta.set_frequency(0);
                        let weight = meta.weight();
                        self.small_weight -= weight;
                        self.main_weight += weight;
                    });
                    self.main.push_back(record);
                }
                (false, 0) => return Some(record.key),
                (false, frequency) => {
                    entries.with_meta(&record.key, |meta| meta.set_frequency(frequency - 1));
                    self.main.push_back(record);
                }
            }
        }
        self.compact(entries);
        None
    }

    /// The key of an entry due at `now`, among at most `budget` deadline records looked at; the
    /// caller removes it and calls [`forget`](Self::forget).
    pub(crate) fn expired(
        &mut self,
        now: u64,
        tti: Option<u64>,
        budget: &mut usize,
        entries: &impl Lookup<K>,
    ) -> Option<K> {
        while *budget > 0 {
            let Reverse(due) = self.deadlines.peek()?;
            if due.at > now {
                return None;
            }
            *budget -= 1;
            let Reverse(due) = self.deadlines.pop()?;
            let deadline = entries.with_meta(&due.record.key, |meta| {
                (meta.id() == due.record.id).then(|| meta.deadline(tti))
            });
            match deadline {
                Some(Some(at)) if at <= now => return Some(due.record.key),
                // Read since (time to idle): due later.
                Some(Some(at)) => self.deadlines.push(Reverse(Deadline { at, ..due })),
                _ => {}
            }
        }
        None
    }

    /// Drops stale records once they outnumber live entries, so churn cannot grow the queues.
    fn compact(&mut self, entries: &impl Lookup<K>) {
        let records = self.small.len() + self.main.len();
        if (records as u64) <= 2 * self.live + 64 {
            return;
        }
        let live = |record: &Record<K>| {
            entries
                .with_meta(&record.key, |meta| meta.id() == record.id)
                .unwrap_or(false)
        };
        self.small.retain(live);
        self.main.retain(live);
        if self.deadlines.len() as u64 > 2 * self.live + 64 {
            self.deadlines.retain(|Reverse(due)| live(&due.record));
        }
    }

    fn ghost_hash(&self, key: &K) -> u64 {
        self.hasher.hash_one(key)
    }

    fn remember_ghost(&mut self, key: &K) {
        let hash = self.ghost_hash(key);
        self.ghost.push_back(hash);
        *self.ghost_counts.entry(hash).or_insert(0) += 1;
        // As many ghosts as live entries: enough to recognise a key evicted one cache ago.
        while self.ghost.len() as u64 > self.live.max(1) {
            if let Some(old) = self.ghost.pop_front() {
                self.drop_ghost(old);
            }
        }
    }

    fn drop_ghost(&mut self, hash: u64) {
        if let Some(count) = self.ghost_counts.get_mut(&hash) {
            *count -= 1;
            if *count == 0 {
                self.ghost_counts.remove(&hash);
            }
        }
    }
}
