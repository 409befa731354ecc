//! Memory reclamation for [`SyncMap`](super::SyncMap): when may a replaced value, a deleted
//! value, an entry that left the map (with its key) or an old `read` map be freed, now that
//! there is no garbage collector to ask? Most are boxes; an entry, and the first value that
//! lives inside its allocation, are retired with a free function of their own
//! ([`Guard::retire_with`](epoch::Guard::retire_with)). (A first value whose type has no drop
//! glue is not retired at all: it gives up its share of the entry's allocation at its unlink,
//! and the entry's own retirement covers its readers; see `entry/block.rs`.)
//!
//! Readers never lock, so a writer that unlinks an object cannot know on its own whether a
//! reader is still looking at it. Every operation therefore runs inside a [`Guard`], and unlinked
//! objects are [retired](Guard::retire) rather than freed: they are freed once every guard that
//! could have seen them has ended.
//!
//! # The scheme: epochs with asymmetric fences
//!
//! - A global `epoch` counter (per map) starts at 1.
//! - Entering: a thread writes the current epoch into its own [`Slot`](slots::Slot) (0 means "no
//!   guard"), then a *light* fence ([`barrier`]). Leaving: it writes 0. Both are plain stores to a
//!   cache line no other reader writes; a nested guard (its slot already announced) does nothing.
//! - Retiring: the unlinked object goes into the retiring thread's own bag, tagged with the epoch
//!   read after the unlink. No lock, no shared write: the thread only checks that no collector
//!   holds its bag (a load from its own slot).
//! - Collecting (when a thread has retired [`Reclaimer::COLLECT_AT`] objects since it last
//!   collected, and its last guard ends): claim every bag whose owner is outside a guard and
//!   that no other collector holds, advance the epoch, issue the *heavy* fence, read every slot,
//!   and from each claimed bag whose owner still holds no guard free the objects tagged before
//!   the oldest epoch still announced.
//!
//! Any thread's collection frees what every thread outside a guard retired: an idle thread's
//! bag, and an exited thread's (its number goes back to the allocator, its slot and bag stay in
//! the map). So what an idle or exited thread retired is freed by the next collection on any
//! thread, within [`Reclaimer::COLLECT_AT`] retirements of that thread. A thread that keeps
//! working is caught between its operations by other threads' collections, and collects its own
//! bag whenever it retires enough. A thread that stays inside one guard keeps its bag until it
//! leaves, but such a guard holds back every free anyway (its epoch is the oldest).
//!
//! Why freeing is safe: a reader that can still reach an object loaded its pointer before the
//! unlink; it announced its epoch before that load, and the tag was read after the unlink, so the
//! announced epoch is at most the tag and the object is kept. A reader whose announcement the
//! collector does not see (it announced after the heavy fence) loads pointers after the fence,
//! hence after the unlink, and cannot reach the object at all. Nothing here depends on which
//! thread retired the object: the tag is a reading of the one global epoch and the oldest epoch
//! covers every slot, so a collector frees another thread's object under exactly the bound it
//! applies to its own. The second case needs the unlink to precede the fence, which holds because
//! the object was in the bag before the collector claimed it (the handshake below).
//!
//! Why sharing the bags is safe: the bag is a plain `Vec`, so its owner and a collector must
//! never touch it at once. They use the same asymmetric handshake as readers and collectors. The
//! owner pushes only inside a guard, so after *announce, light fence*, and then loads the claim
//! flag; a collector *claims, heavy fence*, then loads the owner's epoch. At least one sees the
//! other's write: a collector that reads 0 may use the bag, since the owner's next push will see
//! the claim and wait for its release; a collector that reads an epoch leaves the bag alone. The 0
//! it reads is the one the owner's last guard stored, with release, after its last push (an older
//! 0 would mean the owner pushed without seeing the claim), so that push happens before the
//! collector's moves.
//! Claims exclude each other by a compare-and-swap, and are released (release/acquire) before the
//! freed objects' `Drop` runs, which may re-enter the map and push.
//!
//! The cost of sharing: the read path is unchanged (the end of a guard compares the thread's own
//! count of retirements with its threshold, where it used to compare its bag's length); each
//! retirement loads the claim flag from the thread's own slot; each collection adds a
//! compare-and-swap and a release per idle slot. Slots announced when the collector claims are
//! skipped, so that a busy owner's pushes rarely wait through the collector's fence.
//!
//! # Why not an off-the-shelf collector
//!
//! The read path is the product. Measured side by side here, a `crossbeam-epoch` pin and a
//! `seize` guard each added about 6 ns to a hash lookup: crossbeam pays a fence (a locked
//! instruction) to pin, seize an atomic swap to unpin. The scheme above reads with two plain
//! stores and a compiler fence, by moving the fence to the collector through Linux's
//! `membarrier`. It is also per map (values need not be `'static`, and everything is freed when
//! the map drops), and Miri checks it with real fences in place of `membarrier`.

#[cfg(not(loom))]
mod barrier;
#[cfg(not(loom))]
mod epoch;
#[cfg(loom)]
mod model;
mod retired;
#[cfg(not(loom))]
mod slots;
#[cfg(not(loom))]
mod thread_id;

#[cfg(not(loom))]
pub(super) use self::epoch::{Guard, Reclaimer};
#[cfg(loom)]
pub(super) use self::model::{Guard, Reclaimer};
