//! Memory reclamation for [`SyncMap`](super::SyncMap): when may a replaced value, a deleted
//! value or an old `read` map be freed, now that there is no garbage collector to ask?
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
//!   read after the unlink. No lock, no shared write.
//! - Collecting (when a thread's bag holds [`Reclaimer::COLLECT_AT`] objects and its last guard
//!   ends): advance the epoch, issue the *heavy* fence, read every slot, and free the objects
//!   tagged before the oldest epoch still announced.
//!
//! Why it is safe: a reader that can still reach an object loaded its pointer before the unlink;
//! it announced its epoch before that load, and the tag was read after the unlink, so the
//! announced epoch is at most the tag and the object is kept. A reader whose announcement the
//! collector does not see (it announced after the heavy fence) loads pointers after the fence,
//! hence after the unlink, and cannot reach the object at all.
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
