//! [`Offered`]: the key and value a store or load-or-store brings to a locked section.

use super::entry::EntryPtr;
use super::reclaim::Guard;

/// The key and value offered to a locked section: a key that the lock-free look did not find
/// in `read` is most likely new, so its entry (which owns the key) is allocated before taking
/// `mu`, keeping allocation out of the critical section that every writer of a new key waits
/// for.
///
/// An offer still held when a locked section unwinds (a key's `Eq` panicked under `mu`) is
/// freed by `Drop`, not leaked; it is declared before the lock guard, so that runs after `mu`
/// is released.
pub(super) struct Offered<K, V>(Option<Offer<K, V>>);

enum Offer<K, V> {
    /// The key was found in `read` (expunged, or in a `read` replaced since): the value goes
    /// into its entry if the current `read` still has it, else into a new one.
    Parts(K, V),
    /// The key was missing from `read`: a new entry, not yet published.
    NewEntry(EntryPtr<K, V>),
}

impl<K, V> Offered<K, V> {
    /// An offer for a key found in `read`.
    pub(super) fn parts(key: K, value: V) -> Self {
        Self(Some(Offer::Parts(key, value)))
    }

    /// An offer for a key missing from `read`, whose hash is `hash`: a new entry.
    pub(super) fn for_key_missing_from_read(hash: u64, key: K, value: V) -> Self {
        Self(Some(Offer::NewEntry(EntryPtr::new(hash, key, value))))
    }

    /// `true` if the offer is a new entry, that is the key was missing from `read`.
    pub(super) fn is_new_entry(&self) -> bool {
        matches!(self.0, Some(Offer::NewEntry(_)))
    }

    /// The offered key.
    pub(super) fn key<'a>(&'a self, guard: &'a Guard<'_>) -> &'a K {
        match self.0.as_ref().expect("an offer is consumed once") {
            Offer::Parts(key, _) => key,
            Offer::NewEntry(entry) => entry.get(guard).key(),
        }
    }

    /// The key and value, for a key that turned out to be present after all.
    pub(super) fn into_parts(mut self) -> (K, V) {
        match self.0.take().expect("an offer is consumed once") {
            Offer::Parts(key, value) => (key, value),
            // SAFETY: an offered entry is published only by `into_entry`, which takes it.
            Offer::NewEntry(entry) => unsafe { entry.into_parts() },
        }
    }

    /// An entry to publish for a new key, whose hash is `hash`.
    pub(super) fn into_entry(mut self, hash: u64) -> EntryPtr<K, V> {
        match self.0.take().expect("an offer is consumed once") {
            Offer::Parts(key, value) => EntryPtr::new(hash, key, value),
            Offer::NewEntry(entry) => entry,
        }
    }
}

impl<K, V> Drop for Offered<K, V> {
    fn drop(&mut self) {
        if let Some(Offer::NewEntry(entry)) = self.0.take() {
            // SAFETY: never published: publishing goes through `into_entry`, which takes it.
            drop(unsafe { entry.into_parts() });
        }
    }
}
