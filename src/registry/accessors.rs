//! The bodies of the generated field accessors, written once: the derive emits one-line methods
//! that call these with the field's number.
//!
//! Reads go straight to the backend (no lock). Every write is one change under the registry's
//! writer lock: it compares the new value with the old, so a write that changes nothing publishes
//! nothing. `update_*` runs the user's function outside every lock and commits only if no write
//! was published since the value it saw was read (the registry's version is unchanged), retrying
//! otherwise: a version, unlike a comparison of values, also settles values that are not equal to
//! themselves (a NaN). The maker of `load_or_store_*_with` also runs outside every lock.

use std::borrow::Borrow;
use std::convert::Infallible;
use std::hash::Hash;
use std::marker::PhantomData;

use syncmap_core::LoadOrStore;

use super::error::BoxError;
use super::place::Holds;
use super::query::EntryQuery;
use super::schema::{FieldAt, MapFieldAt, RegistryStruct};
use crate::cache::LoadError;

/// The accessors of the required field number `I` of `S`.
#[doc(hidden)]
#[allow(missing_debug_implementations)] // never instantiated
pub struct Required<S, const I: usize>(PhantomData<S>);

/// The accessors of the optional (`Option<T>`) field number `I` of `S`.
#[doc(hidden)]
#[allow(missing_debug_implementations)] // never instantiated
pub struct Optional<S, const I: usize>(PhantomData<S>);

/// The accessors of the `map` field number `I` of `S`.
#[doc(hidden)]
#[allow(missing_debug_implementations)] // never instantiated
pub struct MapField<S, const I: usize>(PhantomData<S>);

/// Reached only when a required field's key was deleted through the backend map.
#[cold]
fn unset_required<S: RegistryStruct>(key: &S::Key) -> ! {
    let mut path = String::new();
    S::write_key_path(key, &mut path);
    panic!(
        "the required field `{path}` of a `{}` registry is unset or holds another field's value: \
         its entry was written through the backend map, around the registry",
        S::NAME
    )
}

/// The stored value of field `I`, cloned.
#[inline]
fn load_field<S: FieldAt<I>, H: Holds<S>, const I: usize>(held: &H) -> Option<S::Type> {
    held.load_with(&S::key(), |value| S::unwrap_ref(value).cloned())
        .flatten()
}

impl<S: FieldAt<I>, const I: usize> Required<S, I> {
    /// The field's value.
    #[inline]
    pub fn get<H: Holds<S>>(held: &H) -> S::Type {
        load_field::<S, H, I>(held)
            .or_else(S::default_value)
            .unwrap_or_else(|| unset_required::<S>(&S::key()))
    }

    /// `f` of the field's value, read in place.
    pub fn get_with<H: Holds<S>, R>(held: &H, f: impl FnOnce(&S::Type) -> R) -> R {
        let mut f = Some(f);
        let read = held
            .load_with(&S::key(), |value| {
                S::unwrap_ref(value).map(|v| (f.take().expect("called once"))(v))
            })
            .flatten();
        match (read, f) {
            (Some(result), _) => result,
            (None, Some(f)) => f(&Self::get(held)),
            (None, None) => unreachable!("the read ran `f` and returned its result"),
        }
    }

    /// Stores `value`.
    pub fn store<H: Holds<S>>(held: &H, value: S::Type) {
        let replaced = held.write(|tx| tx.store(S::key(), S::wrap(value)));
        drop(replaced);
    }

    /// Stores `value` and returns the value it replaced.
    pub fn swap<H: Holds<S>>(held: &H, value: S::Type) -> S::Type {
        let replaced = held.write(|tx| tx.store(S::key(), S::wrap(value)));
        replaced
            .and_then(S::unwrap)
            .or_else(S::default_value)
            .unwrap_or_else(|| unset_required::<S>(&S::key()))
    }

    /// Stores `new` if the field holds `old`.
    pub fn compare_and_swap<H: Holds<S>>(held: &H, old: &S::Type, new: S::Type) -> bool
    where
        S::Type: PartialEq,
    {
        held.write(|tx| {
            let current = tx
                .load(&S::key())
                .and_then(S::unwrap)
                .or_else(S::default_value);
            if current.as_ref() == Some(old) {
                (true, tx.store(S::key(), S::wrap(new)))
            } else {
                (false, None)
            }
        })
        .0
    }

    /// Replaces the value with `f(value)`, retrying if another write came between; returns the
    /// new value. `f` runs outside every lock and may run more than once.
    pub fn update<H: Holds<S>>(held: &H, mut f: impl FnMut(&S::Type) -> S::Type) -> S::Type {
        loop {
            let seen = held.generation();
            let current = Self::get(held);
            let new = f(&current);
            let committed = held.write(|tx| {
                if held.generation() != seen {
                    return (false, None);
                }
                (true, tx.store(S::key(), S::wrap(new.clone())))
            });
            if committed.0 {
                return new;
            }
        }
    }
}

impl<S: FieldAt<I>, const I: usize> Optional<S, I> {
    /// The field's value, if set.
    #[inline]
    pub fn get<H: Holds<S>>(held: &H) -> Option<S::Type> {
        load_field::<S, H, I>(held)
    }

    /// `f` of the field's value read in place, if set.
    pub fn get_with<H: Holds<S>, R>(held: &H, f: impl FnOnce(&S::Type) -> R) -> Option<R> {
        held.load_with(&S::key(), |value| S::unwrap_ref(value).map(f))
            .flatten()
    }

    /// Whether the field is set.
    pub fn is_set<H: Holds<S>>(held: &H) -> bool {
        held.load_with(&S::key(), |_| ()).is_some()
    }

    /// Sets the field to `value`.
    pub fn store<H: Holds<S>>(held: &H, value: S::Type) {
        let replaced = held.write(|tx| tx.store(S::key(), S::wrap(value)));
        drop(replaced);
    }

    /// Sets the field to `value` and returns its previous value.
    pub fn swap<H: Holds<S>>(held: &H, value: S::Type) -> Option<S::Type> {
        held.write(|tx| tx.store(S::key(), S::wrap(value)))
            .and_then(S::unwrap)
    }

    /// Unsets the field and returns its value.
    pub fn load_and_delete<H: Holds<S>>(held: &H) -> Option<S::Type> {
        held.write(|tx| tx.delete(&S::key())).and_then(S::unwrap)
    }

    /// Unsets the field; whether it was set.
    pub fn delete<H: Holds<S>>(held: &H) -> bool {
        Self::load_and_delete(held).is_some()
    }

    /// The field's value if set; otherwise sets it to `value`.
    pub fn load_or_store<H: Holds<S>>(held: &H, value: S::Type) -> LoadOrStore<S::Type> {
        held.write(|tx| match tx.load(&S::key()).and_then(S::unwrap) {
            Some(current) => LoadOrStore::Loaded(current),
            None => {
                tx.store(S::key(), S::wrap(value.clone()));
                LoadOrStore::Stored(value)
            }
        })
    }

    /// The field's value if set; otherwise sets it to `make()`. `make` runs outside every lock,
    /// only when the field was unset; if another write sets it meanwhile, that value is returned
    /// and `make`'s is dropped.
    pub fn load_or_store_with<H: Holds<S>>(
        held: &H,
        make: impl FnOnce() -> S::Type,
    ) -> LoadOrStore<S::Type> {
        if let Some(current) = Self::get(held) {
            return LoadOrStore::Loaded(current);
        }
        Self::load_or_store(held, make())
    }

    /// Sets the field to `new` if it holds `old`.
    pub fn compare_and_swap<H: Holds<S>>(held: &H, old: &S::Type, new: S::Type) -> bool
    where
        S::Type: PartialEq,
    {
        held.write(|tx| {
            let current = tx.load(&S::key()).and_then(S::unwrap);
            if current.as_ref() == Some(old) {
                (true, tx.store(S::key(), S::wrap(new)))
            } else {
                (false, None)
            }
        })
        .0
    }

    /// Replaces the field's state with `f(state)` (`None` unsets it), retrying if another write
    /// came between; returns the new state. `f` runs outside every lock and may run more than
    /// once.
    pub fn update<H: Holds<S>>(
        held: &H,
        mut f: impl FnMut(Option<&S::Type>) -> Option<S::Type>,
    ) -> Option<S::Type> {
        loop {
            let seen = held.generation();
            let current = Self::get(held);
            let new = f(current.as_ref());
            let committed = held.write(|tx| {
                if held.generation() != seen {
                    return (false, None);
                }
                let replaced = match &new {
                    Some(new) => tx.store(S::key(), S::wrap(new.clone())),
                    None => tx.delete(&S::key()),
                };
                (true, replaced)
            });
            if committed.0 {
                return new;
            }
        }
    }
}

impl<S: MapFieldAt<I>, const I: usize> MapField<S, I> {
    /// The entry's value, looked up by any borrowed form of the key.
    pub fn get<H: Holds<S>, Q>(held: &H, key: &Q) -> Option<S::MapValue>
    where
        S::MapKey: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        Self::get_with(held, key, Clone::clone)
    }

    /// `f` of the entry's value read in place.
    pub fn get_with<H: Holds<S>, Q, R>(
        held: &H,
        key: &Q,
        f: impl FnOnce(&S::MapValue) -> R,
    ) -> Option<R>
    where
        S::MapKey: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let query = EntryQuery::<S, I, Q>::new(key);
        held.query_with(&query, |value| S::unwrap_ref(value).map(f))
            .flatten()
    }

    /// Whether the entry exists.
    pub fn contains<H: Holds<S>, Q>(held: &H, key: &Q) -> bool
    where
        S::MapKey: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        Self::get_with(held, key, |_| ()).is_some()
    }

    /// Stores the entry.
    pub fn store<H: Holds<S>>(held: &H, key: S::MapKey, value: S::MapValue) {
        let replaced = held.write(|tx| tx.store(S::wrap_key(key), S::wrap(value)));
        drop(replaced);
    }

    /// Stores the entry and returns the value it replaced.
    pub fn swap<H: Holds<S>>(held: &H, key: S::MapKey, value: S::MapValue) -> Option<S::MapValue> {
        held.write(|tx| tx.store(S::wrap_key(key), S::wrap(value)))
            .and_then(S::unwrap)
    }

    /// Removes the entry and returns its value.
    pub fn load_and_delete<H: Holds<S>, Q>(held: &H, key: &Q) -> Option<S::MapValue>
    where
        S::MapKey: Borrow<Q>,
        Q: Hash + Eq + ToOwned + ?Sized,
        Q::Owned: Into<S::MapKey>,
    {
        if !Self::contains(held, key) {
            return None;
        }
        let key = S::wrap_key(key.to_owned().into());
        held.write(|tx| tx.delete(&key)).and_then(S::unwrap)
    }

    /// Removes the entry; whether it existed.
    pub fn delete<H: Holds<S>, Q>(held: &H, key: &Q) -> bool
    where
        S::MapKey: Borrow<Q>,
        Q: Hash + Eq + ToOwned + ?Sized,
        Q::Owned: Into<S::MapKey>,
    {
        Self::load_and_delete(held, key).is_some()
    }

    /// The entry's value if it exists; otherwise stores `value`.
    pub fn load_or_store<H: Holds<S>>(
        held: &H,
        key: S::MapKey,
        value: S::MapValue,
    ) -> LoadOrStore<S::MapValue> {
        let key = S::wrap_key(key);
        held.write(|tx| match tx.load(&key).and_then(S::unwrap) {
            Some(current) => LoadOrStore::Loaded(current),
            None => {
                tx.store(key, S::wrap(value.clone()));
                LoadOrStore::Stored(value)
            }
        })
    }

    /// The entry's value if it exists; otherwise stores `make()`, which runs outside every lock.
    pub fn load_or_store_with<H: Holds<S>>(
        held: &H,
        key: S::MapKey,
        make: impl FnOnce() -> S::MapValue,
    ) -> LoadOrStore<S::MapValue> {
        if let Some(current) = Self::get(held, &key) {
            return LoadOrStore::Loaded(current);
        }
        Self::load_or_store(held, key, make())
    }

    /// Stores `new` if the entry holds `old`.
    pub fn compare_and_swap<H: Holds<S>, Q>(
        held: &H,
        key: &Q,
        old: &S::MapValue,
        new: S::MapValue,
    ) -> bool
    where
        S::MapKey: Borrow<Q>,
        Q: Hash + Eq + ToOwned + ?Sized,
        Q::Owned: Into<S::MapKey>,
        S::MapValue: PartialEq,
    {
        if Self::get_with(held, key, |current| current == old) != Some(true) {
            return false;
        }
        let key = S::wrap_key(key.to_owned().into());
        held.write(|tx| {
            let current = tx.load(&key).and_then(S::unwrap);
            if current.as_ref() == Some(old) {
                (true, tx.store(key, S::wrap(new)))
            } else {
                (false, None)
            }
        })
        .0
    }

    /// Replaces the entry with `f(entry)` (`None` removes it), retrying if another write came
    /// between; returns the new value. `f` runs outside every lock and may run more than once.
    pub fn update<H: Holds<S>>(
        held: &H,
        key: S::MapKey,
        mut f: impl FnMut(Option<&S::MapValue>) -> Option<S::MapValue>,
    ) -> Option<S::MapValue> {
        let key = S::wrap_key(key);
        loop {
            let seen = held.generation();
            let current = held
                .load_with(&key, |value| S::unwrap_ref(value).cloned())
                .flatten();
            let new = f(current.as_ref());
            let committed = held.write(|tx| {
                if held.generation() != seen {
                    return (false, None);
                }
                let replaced = match &new {
                    Some(new) => tx.store(key.clone(), S::wrap(new.clone())),
                    None => tx.delete(&key),
                };
                (true, replaced)
            });
            if committed.0 {
                return new;
            }
        }
    }

    /// Calls `f` on each entry until it returns `false` (as the backend's `range`: not a
    /// snapshot).
    pub fn range<H: Holds<S>>(held: &H, mut f: impl FnMut(&S::MapKey, &S::MapValue) -> bool) {
        held.range(
            |key, value| match (S::unwrap_key_ref(key), S::unwrap_ref(value)) {
                (Some(key), Some(value)) => f(key, value),
                _ => true,
            },
        );
    }

    /// The live entry under `key`, else `load(&key)`, stored: one load per key at a time,
    /// however many threads ask (a cache field's `get_or_load_*`).
    ///
    /// # Errors
    ///
    /// The loader panicked (in another thread, or a fallible loader of another caller failed),
    /// or asked for `key` itself.
    pub fn get_or_load<H: Holds<S>>(
        held: &H,
        key: S::MapKey,
        load: impl FnOnce(&S::MapKey) -> S::MapValue,
    ) -> Result<S::MapValue, LoadError> {
        Self::try_get_or_load(held, key, |key| Ok::<_, Infallible>(load(key)))
    }

    /// [`get_or_load`](Self::get_or_load) with a loader that may fail: its error goes to every
    /// caller waiting for it, and is not cached.
    ///
    /// # Errors
    ///
    /// The loader's error, its panic, or its asking for `key` itself.
    pub fn try_get_or_load<H: Holds<S>, E: Into<BoxError>>(
        held: &H,
        key: S::MapKey,
        load: impl FnOnce(&S::MapKey) -> Result<S::MapValue, E>,
    ) -> Result<S::MapValue, LoadError> {
        if let Some(value) = Self::get(held, &key) {
            return Ok(value);
        }
        let mut load = Some(load);
        let loaded = held.load_once(S::wrap_key(key.clone()), &mut || {
            let load = load.take().expect("a flight runs its loader once");
            load(&key).map(S::wrap).map_err(Into::into)
        })?;
        Ok(S::unwrap(loaded)
            .unwrap_or_else(|| unreachable!("a key's load yields a value of its own field")))
    }

    /// The number of entries (a walk over the backend).
    pub fn len<H: Holds<S>>(held: &H) -> usize {
        let mut count = 0;
        Self::range(held, |_, _| {
            count += 1;
            true
        });
        count
    }
}

/// Runs a field validator on `value` alone, for `try_store_*`.
#[doc(hidden)]
pub fn validate_field<T>(
    path: &str,
    value: &T,
    check: impl FnOnce(&T, &mut super::error::ValidationError, &str),
) -> Result<(), super::error::ValidationError> {
    let mut errors = super::error::ValidationError::default();
    check(value, &mut errors, path);
    errors.into_result()
}
