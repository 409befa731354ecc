//! What a registry keeps next to its backend map so that whole-struct and batch writes are
//! atomic for snapshots, and so that changes can be counted, waited for and subscribed to.
//!
//! # The scheme
//!
//! Every write made through a registry takes one writer lock, `writer`. While it holds it, the
//! writer makes a sequence counter `seq` odd, applies its stores to the backend, and makes `seq`
//! even again: two more than before if something changed, as before if nothing did (a write of
//! an equal value, a failed `compare_and_swap`). `version = seq / 2` counts the changes
//! published.
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
//! takes that lock before notifying, so no wake-up is lost. Every change is recorded with its
//! fields' old and new values; the last [`HISTORY`] are kept for `wait_for_change`. Changes bound
//! for subscribers are queued under the writer lock, hence in version order, and delivered by one
//! thread at a time outside every lock: see [`RegistrySync::deliver`].

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, ReentrantMutex};

use super::change::{Change, FieldChange};
use super::schema::RegistryStruct;

/// How many optimistic reads a snapshot tries before it takes the writer lock.
pub const SNAPSHOT_TRIES: u32 = 64;

/// How many of the latest changes a registry keeps for `wait_for_change`.
pub const HISTORY: usize = 64;

type Callback<S> = dyn Fn(&Change<S>) + Send + Sync;

struct Subscriber<S: RegistryStruct> {
    id: u64,
    /// Cleared when the subscription is dropped, so that a delivery already under way (on a
    /// copy of the list) skips it from then on.
    alive: AtomicBool,
    /// The registry's version when it subscribed: it gets the changes after it.
    since: u64,
    callback: Box<Callback<S>>,
}

/// Changes not yet delivered, and who to deliver them to.
struct Delivery<S: RegistryStruct> {
    queue: VecDeque<Arc<Change<S>>>,
    /// Whether a thread is delivering: one at a time, so subscribers see changes in order.
    delivering: bool,
    /// Replaced, never mutated in place, so the deliverer can call it without the lock.
    subscribers: Arc<[Arc<Subscriber<S>>]>,
    next_id: u64,
}

/// The shared half of the subscription machinery, which a [`RegistrySubscription`] refers to
/// weakly so that it can outlive the registry.
struct Subscriptions<S: RegistryStruct> {
    delivery: Mutex<Delivery<S>>,
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

impl<S: RegistryStruct> Unsubscribe for Subscriptions<S> {
    fn unsubscribe(&self, id: u64) {
        let removed = {
            let mut delivery = self.delivery.lock();
            let kept: Arc<[Arc<Subscriber<S>>]> = delivery
                .subscribers
                .iter()
                .filter(|s| {
                    let keep = s.id != id;
                    if !keep {
                        s.alive.store(false, Ordering::Release);
                    }
                    keep
                })
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
pub(crate) struct RegistrySync<S: RegistryStruct> {
    /// Odd while a write is being applied; twice the number of changes published otherwise.
    seq: AtomicU64,
    /// Reentrant: a backend may run the `Drop` of a replaced value during a later operation
    /// (SyncMap's deferred reclamation does), and that `Drop` may write to the registry.
    writer: ReentrantMutex<WriterState<S>>,
    /// Waiters sleep on `changed` with `wait_lock`; `waiters` lets writes skip the wake-up.
    wait_lock: Mutex<()>,
    changed: Condvar,
    waiters: AtomicUsize,
    /// The last [`HISTORY`] changes, oldest first.
    history: Mutex<VecDeque<Arc<Change<S>>>>,
    subscriptions: Arc<Subscriptions<S>>,
}

/// What the thread holding the writer lock keeps; only that thread touches it.
struct WriterState<S: RegistryStruct> {
    /// How many times the owner holds the lock: changes are delivered only once it is free.
    held: Cell<u32>,
    /// Whether a write is being applied: a write made meanwhile on this thread (by a `Drop` the
    /// backend ran) joins it, as part of the same change.
    applying: Cell<bool>,
    /// What writes that joined the one being applied changed.
    joined: RefCell<Vec<FieldChange<S>>>,
}

impl<S: RegistryStruct> fmt::Debug for RegistrySync<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrySync")
            .field("version", &self.version())
            .finish_non_exhaustive()
    }
}

impl<S: RegistryStruct> Default for RegistrySync<S> {
    fn default() -> Self {
        Self {
            seq: AtomicU64::new(0),
            writer: ReentrantMutex::new(WriterState {
                held: Cell::new(0),
                applying: Cell::new(false),
                joined: RefCell::new(Vec::new()),
            }),
            wait_lock: Mutex::new(()),
            changed: Condvar::new(),
            waiters: AtomicUsize::new(0),
            history: Mutex::new(VecDeque::new()),
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

/// What a write reports while it holds the writer lock: the fields it changed, with their old
/// and new values.
pub(crate) struct Changes<S: RegistryStruct> {
    fields: Vec<FieldChange<S>>,
}

impl<S: RegistryStruct> fmt::Debug for Changes<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Changes")
            .field("fields", &self.fields)
            .finish()
    }
}

impl<S: RegistryStruct> Changes<S> {
    /// Records that a field changed.
    #[inline]
    pub(crate) fn record(&mut self, change: FieldChange<S>) {
        self.fields.push(change);
    }
}

/// Counts one hold of the writer lock, for [`WriterState::held`].
struct Held<'a, S: RegistryStruct>(&'a WriterState<S>);

impl<'a, S: RegistryStruct> Held<'a, S> {
    fn new(state: &'a WriterState<S>) -> Self {
        state.held.set(state.held.get() + 1);
        Held(state)
    }

    /// Whether this is the outermost hold.
    fn outermost(&self) -> bool {
        self.0.held.get() == 1
    }
}

impl<S: RegistryStruct> Drop for Held<'_, S> {
    fn drop(&mut self) {
        self.0.held.set(self.0.held.get() - 1);
    }
}

/// Ends a write: makes `seq` even again, wakes waiters and queues the change, even if the write
/// panicked halfway (a half-applied write is still a change, and snapshots must not stall on it).
struct WriteGuard<'a, S: RegistryStruct> {
    sync: &'a RegistrySync<S>,
    state: &'a WriterState<S>,
    start: u64,
    /// The version to publish at instead of the next one (a fleet binding's remote version).
    target: Option<u64>,
    changes: Changes<S>,
    /// Where the change evicted from the history goes, to be dropped after the writer lock: its
    /// values' `Drop` may write to the registry, which must then be a write of its own.
    evicted: &'a mut Option<Arc<Change<S>>>,
}

impl<S: RegistryStruct> Drop for WriteGuard<'_, S> {
    fn drop(&mut self) {
        let (sync, state) = (self.sync, self.state);
        state.applying.set(false);
        let mut fields = std::mem::take(&mut self.changes.fields);
        fields.append(&mut state.joined.borrow_mut());
        let target = self
            .target
            .map(|version| 2 * version)
            .filter(|&seq| seq > self.start);
        if fields.is_empty() && !std::thread::panicking() {
            // Nothing changed: the version stays (or silently takes the fleet's), and a snapshot
            // that saw `start` was right.
            sync.seq
                .store(target.unwrap_or(self.start), Ordering::Release);
            return;
        }
        let seq = target.unwrap_or(self.start + 2);
        let change = Arc::new(Change::new(self.start / 2, seq / 2, fields));
        // Kept before the version moves, so that a waiter that sees the version finds it. The
        // change it evicts leaves with the guard's caller, to be dropped after the writer lock.
        {
            let mut history = sync.history.lock();
            if history.len() == HISTORY {
                *self.evicted = history.pop_front();
            }
            history.push_back(Arc::clone(&change));
        }
        // SeqCst with the `waiters` load: either a waiter sees the new version or this sees the
        // waiter (see `wait_for_change`).
        sync.seq.store(seq, Ordering::SeqCst);
        if sync.waiters.load(Ordering::SeqCst) > 0 {
            drop(sync.wait_lock.lock());
            sync.changed.notify_all();
        }
        if sync.subscriptions.count.load(Ordering::Relaxed) > 0 {
            let subscriptions = &sync.subscriptions;
            let mut delivery = subscriptions.delivery.lock();
            delivery.queue.push_back(change);
            subscriptions.pending.store(true, Ordering::Release);
        }
    }
}

/// Resets `delivering` if a callback panics, so that later changes are still delivered (by the
/// next write).
struct Delivering<'a, S: RegistryStruct> {
    subscriptions: &'a Subscriptions<S>,
    armed: bool,
}

impl<S: RegistryStruct> Drop for Delivering<'_, S> {
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

impl<S: RegistryStruct> RegistrySync<S> {
    /// The number of changes published so far.
    #[inline]
    pub(crate) fn version(&self) -> u64 {
        self.seq.load(Ordering::Acquire) / 2
    }

    /// The changes after version `after` that are still kept (the last [`HISTORY`]), oldest
    /// first, and whether that is all of them.
    pub(crate) fn changes_since(&self, after: u64) -> (Vec<Arc<Change<S>>>, bool) {
        let history = self.history.lock();
        let changes: Vec<_> = history
            .iter()
            .filter(|change| change.version() > after)
            .cloned()
            .collect();
        let complete = changes
            .first()
            .is_none_or(|first| first.previous_version() <= after);
        (changes, complete)
    }

    /// Blocks until the version is greater than `after` and returns it, or returns `None` once
    /// `timeout` has passed without that. It sleeps on a condition variable: no spinning.
    pub(crate) fn wait_for_change(&self, after: u64, timeout: Duration) -> Option<u64> {
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

impl<S: RegistryStruct> RegistrySync<S> {
    /// Runs `read` until it ran without any write overlapping it, and returns what it read with
    /// the version it is the state of. After [`SNAPSHOT_TRIES`] overlapped tries, reads under the
    /// writer lock, so that writers cannot starve it.
    ///
    /// On a thread that is applying a write (in a `Drop` the backend ran), the fallback cannot
    /// wait for that write: it reads the registry as it is.
    pub(crate) fn read<R>(&self, mut read: impl FnMut() -> R) -> (R, u64) {
        // A cache field's writes leave the version as it was, so a read that overlapped one
        // would pass the check below: with cache fields, reads take the lock.
        let tries = if S::CACHES > 0 { 0 } else { SNAPSHOT_TRIES };
        for attempt in 0..tries {
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
        let (result, outermost) = {
            let writer = self.writer.lock();
            let held = Held::new(&writer);
            let outermost = held.outermost();
            loop {
                // Only this thread writes now, and only through a `Drop` that `read` causes;
                // such a write moves `seq`, and the read is done again.
                let before = self.seq.load(Ordering::Acquire);
                let value = read();
                if self.seq.load(Ordering::Acquire) == before || writer.applying.get() {
                    break ((value, before / 2), outermost);
                }
            }
        };
        if outermost {
            self.deliver();
        }
        result
    }

    /// Whether this thread holds the writer lock.
    pub(crate) fn held_by_this_thread(&self) -> bool {
        self.writer.is_owned_by_current_thread()
    }

    /// Applies `write` as one step: under the writer lock, between an odd and an even `seq`.
    ///
    /// `write` reports what it changed through [`Changes`]; it must not run closures of the user
    /// (they may block on another thread's write), and should hand replaced values back in `R`
    /// so that they are dropped after the lock. Subscribers are called before this returns, by
    /// this thread, unless another thread is delivering already (it then delivers this change
    /// too, in order) or this thread holds the writer lock further out.
    pub(crate) fn write<R>(&self, write: impl FnOnce(&mut Changes<S>) -> R) -> R {
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
    pub(crate) fn write_if<C, E, R>(
        &self,
        check: impl FnOnce() -> Result<C, E>,
        write: impl FnOnce(C, &mut Changes<S>) -> R,
    ) -> Result<R, E> {
        self.write_if_at(None, check, write)
    }

    /// [`write_if`](Self::write_if), publishing at version `target` rather than the next one
    /// when `target` is ahead (a fleet binding applying a remote version).
    pub(crate) fn write_if_at<C, E, R>(
        &self,
        target: Option<u64>,
        check: impl FnOnce() -> Result<C, E>,
        write: impl FnOnce(C, &mut Changes<S>) -> R,
    ) -> Result<R, E> {
        // Declared before the lock, so dropped after it.
        let mut evicted = None;
        let (outcome, outermost) = 'locked: {
            let writer = self.writer.lock();
            let held = Held::new(&writer);
            let outermost = held.outermost();
            if writer.applying.get() {
                // A write made by a `Drop` that the write being applied caused: part of it.
                let checked = check()?;
                let mut changes = Changes { fields: Vec::new() };
                let result = write(checked, &mut changes);
                writer.joined.borrow_mut().append(&mut changes.fields);
                return Ok(result);
            }
            let checked = match check() {
                Ok(checked) => checked,
                // Still delivers what a write made by `check` itself queued.
                Err(error) => break 'locked (Err(error), outermost),
            };
            let start = self.seq.load(Ordering::Relaxed);
            self.seq.store(start + 1, Ordering::Relaxed);
            // Orders the odd `seq` before the backend stores below (see the module docs).
            fence(Ordering::Release);
            writer.applying.set(true);
            let mut guard = WriteGuard {
                sync: self,
                state: &writer,
                start,
                target,
                changes: Changes { fields: Vec::new() },
                evicted: &mut evicted,
            };
            let result = write(checked, &mut guard.changes);
            // Publishes: `seq` even again, waiters woken, the change queued if anyone listens.
            drop(guard);
            (Ok(result), outermost)
        };
        // Delivered when the outermost hold ends: never while this thread holds the lock.
        if outermost {
            self.deliver();
        }
        drop(evicted);
        outcome
    }

    /// Calls `callback` for every change published after this call, until the returned handle
    /// is dropped. `read` runs under the writer lock first, so what it reads is exactly the
    /// state at the version the subscription starts from, which is returned with it.
    pub(crate) fn subscribe<R>(
        &self,
        read: impl FnOnce() -> R,
        callback: impl Fn(&Change<S>) + Send + Sync + 'static,
    ) -> (R, u64, RegistrySubscription) {
        let subscriptions = &self.subscriptions;
        let (id, old, read, since) = {
            // Under the writer lock, so that every change after `since` is recorded for it.
            let writer = self.writer.lock();
            let _held = Held::new(&writer);
            let since = self.version();
            let read = read();
            let mut delivery = subscriptions.delivery.lock();
            let id = delivery.next_id;
            delivery.next_id += 1;
            let subscriber = Arc::new(Subscriber {
                id,
                alive: AtomicBool::new(true),
                since,
                callback: Box::new(callback),
            });
            let list: Arc<[Arc<Subscriber<S>>]> = delivery
                .subscribers
                .iter()
                .cloned()
                .chain([subscriber])
                .collect();
            subscriptions.count.fetch_add(1, Ordering::Relaxed);
            let old = std::mem::replace(&mut delivery.subscribers, list);
            (id, old, read, since)
        };
        drop(old);
        let weak: Weak<Subscriptions<S>> = Arc::downgrade(subscriptions);
        let subscription = RegistrySubscription {
            subscriptions: weak,
            id,
        };
        (read, since, subscription)
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
                if subscriber.since < change.version() && subscriber.alive.load(Ordering::Acquire) {
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
