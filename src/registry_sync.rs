//! What a derived registry keeps next to its backend map so that whole-struct and batch updates
//! are atomic for snapshots, and so that changes can be counted, waited for and subscribed to.
//!
//! # The scheme
//!
//! Every write made through a registry's accessors takes one writer lock, `writer`. While it
//! holds it, the writer makes a sequence counter `seq` odd, applies its stores to the backend,
//! and makes `seq` even again: two more than before if something changed, as before if nothing
//! did (a failed `compare_and_swap`). `version = seq / 2` counts the changes published.
//!
//! The lock is reentrant because a backend may run the `Drop` of a value replaced earlier during
//! any later operation (SyncMap's deferred reclamation does), and the trait's contract lets that
//! `Drop` call back into the map: a write it makes on the thread applying a write joins that
//! write, as part of the same change. The lock is never held while a closure of the user runs
//! (update functions, `make`, subscribers), only around backend operations and validators.
//!
//! A field getter reads the backend and nothing else: no lock, no counter. A snapshot reads `seq`,
//! reads every field, and reads `seq` again (seqlock-style); if the two differ, or the first was
//! odd, a write overlapped it and it tries again. After [`SNAPSHOT_TRIES`] tries it takes the
//! writer lock and reads the fields under it, so a stream of writes cannot starve it.
//!
//! Why the fences make this correct for any backend: a writer's stores to the backend are atomic
//! operations (a lock's release or an atomic store) that follow its odd `seq` store and a release
//! fence; a snapshot's reads of the backend are atomic operations followed by an acquire fence
//! and the second `seq` load. If a snapshot read anything a writer stored, the writer's fence
//! synchronizes with the snapshot's fence, so the second load sees the odd value (or a later
//! one) and the snapshot retries. This is the fence-based seqlock of Boehm's "Can seqlocks get
//! along with programming language memory models?" (2012).
//!
//! Waiters sleep on a `parking_lot` condition variable with a lock of their own, `wait_lock`; a
//! write that finds waiters (a Dekker-style `SeqCst` pair: the new `seq`, then the waiter count)
//! takes that lock before notifying, so no wake-up is lost. Changes bound for subscribers are
//! queued under the writer lock, hence in version order, and delivered by one thread at a time
//! outside every lock: see [`RegistrySync::deliver`].

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, ReentrantMutex};

/// How many optimistic reads a snapshot tries before it takes the writer lock.
pub const SNAPSHOT_TRIES: u32 = 64;

/// A change published to a registry: its version and the keys it wrote, in the order written.
///
/// Subscribers get one for every change (see the `subscribe` method of a derived registry). For
/// a whole-struct store, the keys are every plain field's key and the key of every `map` entry
/// stored or removed; for a batch, the keys the batch wrote (a key written twice appears twice).
/// Its `Debug` prints keys through the key enum's `Debug`, which redacts the keys of
/// `#[registry(secret)]` map fields.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use syncmap::{RegistryChange, SyncRegistry};
///
/// #[derive(SyncRegistry)]
/// struct Limits {
///     #[registry(default = 10)]
///     burst: u32,
/// }
///
/// let limits = LimitsRegistry::new();
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&seen);
/// let _subscription = limits.subscribe(move |change: &RegistryChange<LimitsKey>| {
///     log.lock().unwrap().push((change.version(), change.keys().to_vec()));
/// });
/// limits.store_burst(20);
/// assert_eq!(*seen.lock().unwrap(), [(1, vec![LimitsKey::Burst])]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryChange<K> {
    version: u64,
    keys: Vec<K>,
}

impl<K> RegistryChange<K> {
    /// The registry's version once this change was published: the first change is version 1.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The keys the change wrote, in the order written.
    pub fn keys(&self) -> &[K] {
        &self.keys
    }
}

type Callback<K> = dyn Fn(&RegistryChange<K>) + Send + Sync;

struct Subscriber<K> {
    id: u64,
    /// The registry's version when it subscribed: it gets the changes after it.
    since: u64,
    callback: Box<Callback<K>>,
}

/// Changes not yet delivered, and who to deliver them to.
struct Delivery<K> {
    queue: VecDeque<RegistryChange<K>>,
    /// Whether a thread is delivering: one at a time, so subscribers see changes in order.
    delivering: bool,
    /// Replaced, never mutated in place, so the deliverer can call it without the lock.
    subscribers: Arc<[Arc<Subscriber<K>>]>,
    next_id: u64,
}

/// The shared half of the subscription machinery, which a [`RegistrySubscription`] refers to
/// weakly so that it can outlive the registry.
struct Subscriptions<K> {
    delivery: Mutex<Delivery<K>>,
    /// The number of subscribers, read under the writer lock to skip recording keys when nobody
    /// listens. Raised under the writer lock, so a subscriber is counted before any change after
    /// the version it starts from is published.
    count: AtomicUsize,
    /// Whether `queue` may hold changes: lets a write skip the delivery lock when it does not.
    pending: AtomicBool,
}

/// Removes one subscriber; the type-erased face of [`Subscriptions`] a handle keeps.
trait Unsubscribe: Send + Sync {
    fn unsubscribe(&self, id: u64);
}

impl<K: Send> Unsubscribe for Subscriptions<K> {
    fn unsubscribe(&self, id: u64) {
        let removed = {
            let mut delivery = self.delivery.lock();
            let kept: Arc<[Arc<Subscriber<K>>]> = delivery
                .subscribers
                .iter()
                .filter(|s| s.id != id)
                .cloned()
                .collect();
            let removed = kept.len() < delivery.subscribers.len();
            if removed {
                self.count.fetch_sub(1, Ordering::Relaxed);
            }
            // The old list (and with it, perhaps, the callback) is dropped after the lock.
            std::mem::replace(&mut delivery.subscribers, kept)
        };
        drop(removed);
    }
}

/// A subscription to a registry's changes; dropping it unsubscribes.
///
/// After the drop returns, no delivery to its callback starts, except one that another thread
/// had already begun. It holds the registry's subscription list weakly: it may outlive the
/// registry, and does not keep it alive.
#[must_use = "dropping the subscription unsubscribes at once"]
pub struct RegistrySubscription {
    subscriptions: Weak<dyn Unsubscribe>,
    id: u64,
}

impl fmt::Debug for RegistrySubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrySubscription")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Drop for RegistrySubscription {
    fn drop(&mut self) {
        if let Some(subscriptions) = self.subscriptions.upgrade() {
            subscriptions.unsubscribe(self.id);
        }
    }
}

/// The writer lock, version counter, condition variable and subscriptions of one registry.
pub struct RegistrySync<K> {
    /// Odd while a write is being applied; twice the number of changes published otherwise.
    seq: AtomicU64,
    /// Reentrant: a backend may run the `Drop` of a replaced value during a later operation
    /// (SyncMap's deferred reclamation does), and that `Drop` may write to the registry.
    writer: ReentrantMutex<WriterState<K>>,
    /// Waiters sleep on `changed` with `wait_lock`; `waiters` lets writes skip the wake-up.
    wait_lock: Mutex<()>,
    changed: Condvar,
    waiters: AtomicUsize,
    subscriptions: Arc<Subscriptions<K>>,
}

/// What the thread holding the writer lock keeps; only that thread touches it.
struct WriterState<K> {
    /// How many times the owner holds the lock: changes are delivered only once it is free.
    held: Cell<u32>,
    /// Whether a write is being applied: a write made meanwhile on this thread (by a `Drop` the
    /// backend ran) joins it, as part of the same change.
    applying: Cell<bool>,
    /// Whether the write being applied records keys.
    recording: Cell<bool>,
    /// What writes that joined the one being applied changed.
    joined_changed: Cell<bool>,
    joined_keys: RefCell<Vec<K>>,
}

impl<K> fmt::Debug for RegistrySync<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrySync")
            .field("version", &self.version())
            .finish_non_exhaustive()
    }
}

impl<K> Default for RegistrySync<K> {
    fn default() -> Self {
        Self {
            seq: AtomicU64::new(0),
            writer: ReentrantMutex::new(WriterState {
                held: Cell::new(0),
                applying: Cell::new(false),
                recording: Cell::new(false),
                joined_changed: Cell::new(false),
                joined_keys: RefCell::new(Vec::new()),
            }),
            wait_lock: Mutex::new(()),
            changed: Condvar::new(),
            waiters: AtomicUsize::new(0),
            subscriptions: Arc::new(Subscriptions {
                delivery: Mutex::new(Delivery {
                    queue: VecDeque::new(),
                    delivering: false,
                    subscribers: Arc::new([]),
                    next_id: 0,
                }),
                count: AtomicUsize::new(0),
                pending: AtomicBool::new(false),
            }),
        }
    }
}

/// What a write reports while it holds the writer lock: whether it changed anything, and which
/// keys (recorded only when someone subscribes).
pub struct Changes<K> {
    changed: bool,
    record: bool,
    keys: Vec<K>,
}

impl<K> fmt::Debug for Changes<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Changes")
            .field("changed", &self.changed)
            .finish_non_exhaustive()
    }
}

impl<K> Changes<K> {
    /// Records that the key `key()` was written; `key` runs only if someone subscribes.
    #[inline]
    pub fn wrote(&mut self, key: impl FnOnce() -> K) {
        self.changed = true;
        if self.record {
            self.keys.push(key());
        }
    }

    /// [`wrote`](Self::wrote) if `changed`.
    #[inline]
    pub fn wrote_if(&mut self, changed: bool, key: impl FnOnce() -> K) {
        if changed {
            self.wrote(key);
        }
    }

    /// Records a write whose key was cloned beforehand, if [`recording`](Self::recording).
    #[inline]
    pub fn wrote_recorded(&mut self, key: Option<K>) {
        self.changed = true;
        if let (true, Some(key)) = (self.record, key) {
            self.keys.push(key);
        }
    }

    /// Whether keys are recorded (someone subscribes): a write that must give its key away can
    /// then clone it first.
    #[inline]
    pub fn recording(&self) -> bool {
        self.record
    }
}

/// Counts one hold of the writer lock, for [`WriterState::held`].
struct Held<'a, K>(&'a WriterState<K>);

impl<'a, K> Held<'a, K> {
    fn new(state: &'a WriterState<K>) -> Self {
        state.held.set(state.held.get() + 1);
        Held(state)
    }

    /// Whether this is the outermost hold.
    fn outermost(&self) -> bool {
        self.0.held.get() == 1
    }
}

impl<K> Drop for Held<'_, K> {
    fn drop(&mut self) {
        self.0.held.set(self.0.held.get() - 1);
    }
}

/// Ends a write: makes `seq` even again, wakes waiters and queues the change, even if the write
/// panicked halfway (a half-applied write is still a change, and snapshots must not stall on it).
struct WriteGuard<'a, K> {
    sync: &'a RegistrySync<K>,
    state: &'a WriterState<K>,
    start: u64,
    changes: Changes<K>,
}

impl<K> Drop for WriteGuard<'_, K> {
    fn drop(&mut self) {
        let (sync, state) = (self.sync, self.state);
        state.applying.set(false);
        let joined = state.joined_changed.replace(false);
        let mut keys = std::mem::take(&mut self.changes.keys);
        keys.append(&mut state.joined_keys.borrow_mut());
        if !(self.changes.changed || joined || std::thread::panicking()) {
            // Nothing changed: the version stays, and a snapshot that saw `start` was right.
            sync.seq.store(self.start, Ordering::Release);
            return;
        }
        let seq = self.start + 2;
        // SeqCst with the `waiters` load: either a waiter sees the new version or this sees the
        // waiter (see `wait_for_change`).
        sync.seq.store(seq, Ordering::SeqCst);
        if sync.waiters.load(Ordering::SeqCst) > 0 {
            drop(sync.wait_lock.lock());
            sync.changed.notify_all();
        }
        if self.changes.record {
            let subscriptions = &sync.subscriptions;
            let mut delivery = subscriptions.delivery.lock();
            delivery.queue.push_back(RegistryChange {
                version: seq / 2,
                keys,
            });
            subscriptions.pending.store(true, Ordering::Release);
        }
    }
}

/// Resets `delivering` if a callback panics, so that later changes are still delivered (by the
/// next write).
struct Delivering<'a, K> {
    subscriptions: &'a Subscriptions<K>,
    armed: bool,
}

impl<K> Drop for Delivering<'_, K> {
    fn drop(&mut self) {
        if self.armed {
            self.subscriptions.delivery.lock().delivering = false;
        }
    }
}

/// Leaves the waiter count when a waiter is done, however it leaves.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<K> RegistrySync<K> {
    /// The number of changes published so far.
    #[inline]
    pub fn version(&self) -> u64 {
        self.seq.load(Ordering::Acquire) / 2
    }

    /// Blocks until the version is greater than `after` and returns it, or returns `None` once
    /// `timeout` has passed without that. It sleeps on a condition variable: no spinning.
    pub fn wait_for_change(&self, after: u64, timeout: Duration) -> Option<u64> {
        let deadline = Instant::now().checked_add(timeout);
        let mut lock = self.wait_lock.lock();
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.waiters);
        loop {
            let version = self.seq.load(Ordering::SeqCst) / 2;
            if version > after {
                return Some(version);
            }
            match deadline {
                Some(deadline) => {
                    if self.changed.wait_until(&mut lock, deadline).timed_out() {
                        let version = self.version();
                        return (version > after).then_some(version);
                    }
                }
                // A timeout too large for `Instant`: wait without one.
                None => self.changed.wait(&mut lock),
            }
        }
    }
}

impl<K: Send + 'static> RegistrySync<K> {
    /// Runs `read` until it ran without any write overlapping it, and returns what it read with
    /// the version it is the state of. After [`SNAPSHOT_TRIES`] overlapped tries, reads under the
    /// writer lock, so that writers cannot starve it.
    ///
    /// On a thread that is applying a write (in a `Drop` the backend ran), the fallback cannot
    /// wait for that write: it reads the registry as it is.
    pub fn read<R>(&self, mut read: impl FnMut() -> R) -> (R, u64) {
        for attempt in 0..SNAPSHOT_TRIES {
            let before = self.seq.load(Ordering::Acquire);
            if before.is_multiple_of(2) {
                let value = read();
                // Orders the backend reads above before the load below; pairs with the writer's
                // release fence (see the module docs).
                fence(Ordering::Acquire);
                if self.seq.load(Ordering::Relaxed) == before {
                    return (value, before / 2);
                }
            }
            backoff(attempt);
        }
        let result = {
            let writer = self.writer.lock();
            let _held = Held::new(&writer);
            loop {
                // Only this thread writes now, and only through a `Drop` that `read` causes;
                // such a write moves `seq`, and the read is done again.
                let before = self.seq.load(Ordering::Acquire);
                let value = read();
                if self.seq.load(Ordering::Acquire) == before || writer.applying.get() {
                    break (value, before / 2);
                }
            }
        };
        self.deliver();
        result
    }

    /// Applies `write` as one step: under the writer lock, between an odd and an even `seq`.
    ///
    /// `write` reports what it changed through [`Changes`]; it must not run closures of the user
    /// (they may block on another thread's write), and should hand replaced values back in `R`
    /// so that they are dropped after the lock. Subscribers are called before this returns, by
    /// this thread, unless another thread is delivering already (it then delivers this change
    /// too, in order) or this thread holds the writer lock further out.
    pub fn write<R>(&self, write: impl FnOnce(&mut Changes<K>) -> R) -> R {
        let check = || Ok::<(), core::convert::Infallible>(());
        match self.write_if(check, |(), changes| write(changes)) {
            Ok(result) => result,
            Err(never) => match never {},
        }
    }

    /// Like [`write`](Self::write), after `check` accepted the write: `check` runs under the
    /// writer lock but before the write starts (snapshots are not held up by it), so that what it
    /// checked is exactly the state the write applies to. If it fails, nothing is written and its
    /// error is returned; on success, what it returns is handed to `write`.
    pub fn write_if<C, E, R>(
        &self,
        check: impl FnOnce() -> Result<C, E>,
        write: impl FnOnce(C, &mut Changes<K>) -> R,
    ) -> Result<R, E> {
        let outcome = 'locked: {
            let writer = self.writer.lock();
            let held = Held::new(&writer);
            if writer.applying.get() {
                // A write made by a `Drop` that the write being applied caused: part of it.
                let checked = check()?;
                let mut changes = Changes {
                    changed: false,
                    record: writer.recording.get(),
                    keys: Vec::new(),
                };
                let result = write(checked, &mut changes);
                if changes.changed {
                    writer.joined_changed.set(true);
                    writer.joined_keys.borrow_mut().append(&mut changes.keys);
                }
                return Ok(result);
            }
            let checked = match check() {
                Ok(checked) => checked,
                // Still delivers what a write made by `check` itself queued.
                Err(error) => break 'locked Err(error),
            };
            let start = self.seq.load(Ordering::Relaxed);
            self.seq.store(start + 1, Ordering::Relaxed);
            // Orders the odd `seq` before the backend stores below (see the module docs).
            fence(Ordering::Release);
            let record = self.subscriptions.count.load(Ordering::Relaxed) > 0;
            writer.applying.set(true);
            writer.recording.set(record);
            let mut guard = WriteGuard {
                sync: self,
                state: &writer,
                start,
                changes: Changes {
                    changed: false,
                    record,
                    keys: Vec::new(),
                },
            };
            let result = write(checked, &mut guard.changes);
            // Publishes: `seq` even again, waiters woken, the change queued if anyone listens.
            drop(guard);
            if !held.outermost() {
                // Delivered when the outermost hold ends.
                return Ok(result);
            }
            Ok(result)
        };
        self.deliver();
        outcome
    }

    /// Calls `callback` for every change published after this call, until the returned handle
    /// is dropped.
    pub fn subscribe(
        &self,
        callback: impl Fn(&RegistryChange<K>) + Send + Sync + 'static,
    ) -> RegistrySubscription {
        let subscriptions = &self.subscriptions;
        let (id, old) = {
            // Under the writer lock, so that every change after `since` is recorded for it.
            let writer = self.writer.lock();
            let _held = Held::new(&writer);
            let since = self.version();
            let mut delivery = subscriptions.delivery.lock();
            let id = delivery.next_id;
            delivery.next_id += 1;
            let subscriber = Arc::new(Subscriber {
                id,
                since,
                callback: Box::new(callback),
            });
            let list: Arc<[Arc<Subscriber<K>>]> = delivery
                .subscribers
                .iter()
                .cloned()
                .chain([subscriber])
                .collect();
            subscriptions.count.fetch_add(1, Ordering::Relaxed);
            (id, std::mem::replace(&mut delivery.subscribers, list))
        };
        drop(old);
        let weak: Weak<Subscriptions<K>> = Arc::downgrade(subscriptions);
        RegistrySubscription {
            subscriptions: weak,
            id,
        }
    }

    /// Delivers queued changes, oldest first, unless another thread is doing so already; the
    /// callbacks run with no lock held, so they may read, write and (un)subscribe.
    fn deliver(&self) {
        let subscriptions = &*self.subscriptions;
        if !subscriptions.pending.load(Ordering::Acquire) {
            return;
        }
        let mut delivery = subscriptions.delivery.lock();
        if delivery.delivering {
            return;
        }
        delivery.delivering = true;
        let mut unwinding = Delivering {
            subscriptions,
            armed: true,
        };
        loop {
            let Some(change) = delivery.queue.pop_front() else {
                // Cleared under the same lock hold that found the queue empty: a writer that
                // queues a change after this delivers it itself.
                delivery.delivering = false;
                subscriptions.pending.store(false, Ordering::Relaxed);
                unwinding.armed = false;
                return;
            };
            let subscribers = Arc::clone(&delivery.subscribers);
            drop(delivery);
            for subscriber in subscribers.iter() {
                if subscriber.since < change.version {
                    (subscriber.callback)(&change);
                }
            }
            drop(subscribers);
            drop(change);
            delivery = subscriptions.delivery.lock();
        }
    }
}

/// Spins a little, then yields: a snapshot waiting for a write to finish.
fn backoff(attempt: u32) {
    if attempt < 6 {
        for _ in 0..(1u32 << attempt) {
            std::hint::spin_loop();
        }
    } else {
        std::thread::yield_now();
    }
}
