//! Where a registry's fields are kept: a root registry owns its backend map and its writer
//! lock ([`RegistryCore`]); a nested registry ([`Nested`]) borrows its outer registry's and
//! wraps its keys and values into the outer enums.
//!
//! The generated registry type is generic over the place `P: Holds<S>`, so one set of accessors
//! serves the root registry and every nested view of it, at any depth.

use std::fmt;
use std::marker::PhantomData;

use syncmap_core::ConcurrentMap;

use super::change::FieldChange;
use super::query::{KeyQuery, NestedQuery};
use super::schema::{NestAt, RegistryStruct};
use super::sync::RegistrySync;

/// The writes of one change, applied under the writer lock. Each write compares the new value
/// with the old one and records the field only if it changed.
#[doc(hidden)]
pub trait Tx<S: RegistryStruct> {
    /// The value stored under `key`.
    fn load(&self, key: &S::Key) -> Option<S::Value>;
    /// Stores `value` under `key` and returns the value it replaced.
    fn store(&mut self, key: S::Key, value: S::Value) -> Option<S::Value>;
    /// Removes `key` and returns its value.
    fn delete(&mut self, key: &S::Key) -> Option<S::Value>;
}

/// Read and write access to the fields of `S`, wherever they are kept.
#[doc(hidden)]
pub trait Holds<S: RegistryStruct> {
    /// Calls `f` with the value stored under `key`, in place.
    fn load_with<R>(&self, key: &S::Key, f: impl FnOnce(&S::Value) -> R) -> Option<R>;
    /// Calls `f` with the value of the key `query` names, in place.
    fn query_with<R>(
        &self,
        query: &dyn KeyQuery<S::Key>,
        f: impl FnOnce(&S::Value) -> R,
    ) -> Option<R>;
    /// Applies `write` as one change.
    fn write<R>(&self, write: impl FnOnce(&mut dyn Tx<S>) -> R) -> R;
    /// Calls `f` on every entry until it returns `false`.
    fn range(&self, f: impl FnMut(&S::Key, &S::Value) -> bool);
    /// The root registry's version; inside [`write`](Self::write), the version before the write.
    fn version(&self) -> u64;
}

/// A root registry's state: the backend map and its writer lock, version and subscribers.
pub struct RegistryCore<S: RegistryStruct, M> {
    pub(crate) map: M,
    pub(crate) sync: RegistrySync<S>,
}

impl<S: RegistryStruct, M> RegistryCore<S, M> {
    /// An empty core over `map`; the registry stores its struct into it next.
    pub(crate) fn new(map: M) -> Self {
        Self {
            map,
            sync: RegistrySync::default(),
        }
    }
}

impl<S: RegistryStruct, M> fmt::Debug for RegistryCore<S, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryCore")
            .field("sync", &self.sync)
            .finish_non_exhaustive()
    }
}

/// The writes of one change to `map`, recorded in `changes`.
pub(crate) fn root_tx<'a, S: RegistryStruct, M: ConcurrentMap<S::Key, S::Value>>(
    map: &'a M,
    changes: &'a mut super::sync::Changes<S>,
) -> impl Tx<S> + 'a {
    RootTx { map, changes }
}

/// The writes of one change to a backend map.
struct RootTx<'a, S: RegistryStruct, M> {
    map: &'a M,
    changes: &'a mut super::sync::Changes<S>,
}

impl<S: RegistryStruct, M: ConcurrentMap<S::Key, S::Value>> Tx<S> for RootTx<'_, S, M> {
    fn load(&self, key: &S::Key) -> Option<S::Value> {
        self.map.load::<S::Key>(key)
    }

    fn store(&mut self, key: S::Key, value: S::Value) -> Option<S::Value> {
        let old = self.map.load::<S::Key>(&key);
        if let Some(old) = &old
            && S::value_eq(old, &value) == Some(true)
        {
            return Some(value);
        }
        self.map.store(key.clone(), value.clone());
        self.changes
            .record(FieldChange::new(key, old.clone(), Some(value)));
        old
    }

    fn delete(&mut self, key: &S::Key) -> Option<S::Value> {
        let old = self.map.load_and_delete::<S::Key>(key)?;
        self.changes
            .record(FieldChange::new(key.clone(), Some(old.clone()), None));
        Some(old)
    }
}

impl<S: RegistryStruct, M: ConcurrentMap<S::Key, S::Value>> Holds<S> for RegistryCore<S, M> {
    #[inline]
    fn load_with<R>(&self, key: &S::Key, f: impl FnOnce(&S::Value) -> R) -> Option<R> {
        // `Q` named: inferred, it would be the key's `Borrow<dyn KeyQuery>` (a bound in scope wins
        // over the blanket `Borrow<Self>`), hashing every stored-key lookup through `dyn Hasher`.
        self.map.load_with::<S::Key, R, _>(key, f)
    }

    #[inline]
    fn query_with<R>(
        &self,
        query: &dyn KeyQuery<S::Key>,
        f: impl FnOnce(&S::Value) -> R,
    ) -> Option<R> {
        match query.stored_key() {
            Some(key) => self.map.load_with::<S::Key, R, _>(key, f),
            None => self.map.load_with(query, f),
        }
    }

    fn write<R>(&self, write: impl FnOnce(&mut dyn Tx<S>) -> R) -> R {
        self.sync.write(|changes| {
            let mut tx = RootTx {
                map: &self.map,
                changes,
            };
            write(&mut tx)
        })
    }

    fn range(&self, f: impl FnMut(&S::Key, &S::Value) -> bool) {
        self.map.range(f);
    }

    #[inline]
    fn version(&self) -> u64 {
        self.sync.version()
    }
}

impl<S: RegistryStruct, H: Holds<S>> Holds<S> for &H {
    #[inline]
    fn load_with<R>(&self, key: &S::Key, f: impl FnOnce(&S::Value) -> R) -> Option<R> {
        (**self).load_with(key, f)
    }

    #[inline]
    fn query_with<R>(
        &self,
        query: &dyn KeyQuery<S::Key>,
        f: impl FnOnce(&S::Value) -> R,
    ) -> Option<R> {
        (**self).query_with(query, f)
    }

    fn write<R>(&self, write: impl FnOnce(&mut dyn Tx<S>) -> R) -> R {
        (**self).write(write)
    }

    fn range(&self, f: impl FnMut(&S::Key, &S::Value) -> bool) {
        (**self).range(f);
    }

    #[inline]
    fn version(&self) -> u64 {
        (**self).version()
    }
}

/// The place of the struct nested at field `I` of `O`: the outer registry's place `P`, seen
/// through the field's key and value variants. `config.database()` returns the nested struct's
/// registry type over this place.
pub struct Nested<O, P, const I: usize> {
    outer: P,
    _outer: PhantomData<fn() -> O>,
}

impl<O, P, const I: usize> Nested<O, P, I> {
    /// The view of field `I` of the registry kept by `outer`.
    #[doc(hidden)]
    pub fn new(outer: P) -> Self {
        Self {
            outer,
            _outer: PhantomData,
        }
    }
}

impl<O, P, const I: usize> fmt::Debug for Nested<O, P, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Nested")
            .field("field", &I)
            .finish_non_exhaustive()
    }
}

/// The writes of one change to a nested struct, as writes of the outer one.
struct NestedTx<'t, O: NestAt<I>, const I: usize> {
    outer: &'t mut dyn Tx<O>,
}

impl<O: NestAt<I>, const I: usize> Tx<O::Inner> for NestedTx<'_, O, I> {
    fn load(
        &self,
        key: &<O::Inner as RegistryStruct>::Key,
    ) -> Option<<O::Inner as RegistryStruct>::Value> {
        self.outer
            .load(&O::wrap_key(key.clone()))
            .and_then(O::unwrap)
    }

    fn store(
        &mut self,
        key: <O::Inner as RegistryStruct>::Key,
        value: <O::Inner as RegistryStruct>::Value,
    ) -> Option<<O::Inner as RegistryStruct>::Value> {
        self.outer
            .store(O::wrap_key(key), O::wrap(value))
            .and_then(O::unwrap)
    }

    fn delete(
        &mut self,
        key: &<O::Inner as RegistryStruct>::Key,
    ) -> Option<<O::Inner as RegistryStruct>::Value> {
        self.outer
            .delete(&O::wrap_key(key.clone()))
            .and_then(O::unwrap)
    }
}

impl<O, P, const I: usize> Holds<O::Inner> for Nested<O, P, I>
where
    O: NestAt<I>,
    P: Holds<O>,
{
    #[inline]
    fn load_with<R>(
        &self,
        key: &<O::Inner as RegistryStruct>::Key,
        f: impl FnOnce(&<O::Inner as RegistryStruct>::Value) -> R,
    ) -> Option<R> {
        self.outer
            .load_with(&O::wrap_key(key.clone()), |value| {
                O::unwrap_ref(value).map(f)
            })
            .flatten()
    }

    fn query_with<R>(
        &self,
        query: &dyn KeyQuery<<O::Inner as RegistryStruct>::Key>,
        f: impl FnOnce(&<O::Inner as RegistryStruct>::Value) -> R,
    ) -> Option<R> {
        let query = NestedQuery::<O, I>::new(query);
        self.outer
            .query_with(&query, |value| O::unwrap_ref(value).map(f))
            .flatten()
    }

    fn write<R>(&self, write: impl FnOnce(&mut dyn Tx<O::Inner>) -> R) -> R {
        self.outer.write(|outer| {
            let mut tx = NestedTx::<O, I> { outer };
            write(&mut tx)
        })
    }

    fn range(
        &self,
        mut f: impl FnMut(
            &<O::Inner as RegistryStruct>::Key,
            &<O::Inner as RegistryStruct>::Value,
        ) -> bool,
    ) {
        self.outer.range(
            |key, value| match (O::unwrap_key_ref(key), O::unwrap_ref(value)) {
                (Some(key), Some(value)) => f(key, value),
                _ => true,
            },
        );
    }

    #[inline]
    fn version(&self) -> u64 {
        self.outer.version()
    }
}
