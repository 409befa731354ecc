//! The traits `#[derive(SyncRegistry)]` implements for the struct itself: how it splits into
//! keyed entries and is rebuilt from them, and how each field maps to a key and a value.
//!
//! These are the whole interface between generated code and the library: everything a registry
//! does beyond typed accessors is written once against them.

use std::borrow::Borrow;
use std::fmt::Debug;
use std::hash::Hash;

use super::error::{MissingFields, ValidationError};
use super::field_info::FieldInfo;
use super::place::Holds;
use super::query::KeyQuery;

/// A struct that derives `SyncRegistry`: its key and value enums, its fields' metadata, and how
/// it is split into entries and rebuilt from them.
///
/// Implemented by the derive; generic code reads it through [`Registry::Struct`](crate::Registry).
pub trait RegistryStruct: Sized + 'static {
    /// The key enum: one variant per field, carrying the entry's key for a `map` field and the
    /// inner key for a `nested` one.
    type Key: Clone
        + Eq
        + Hash
        + Debug
        + Send
        + Sync
        + 'static
        + for<'q> Borrow<dyn KeyQuery<Self::Key> + 'q>;
    /// The value enum: one variant per field, holding one value (one entry's for a `map` field,
    /// one inner value for a `nested` one).
    type Value: Clone + Debug + Send + Sync + 'static;
    /// The generated registry type over the place `P`: a [`Nested`](crate::registry::Nested)
    /// view, for a nested field's accessor (root registries are named by their own type).
    type Registry<P: Holds<Self>>;

    /// The struct's name.
    const NAME: &'static str;
    /// One entry per field, skipped fields excepted, in declaration order.
    const FIELDS: &'static [FieldInfo];

    /// Hands every entry of `self` to `sink`: one per required or set optional field, one per
    /// map entry, and the entries of nested structs under their field's key.
    fn into_entries(self, sink: &mut dyn FnMut(Self::Key, Self::Value));

    /// Rebuilds the struct from entries (any order; a key given twice keeps the last value).
    /// Unset optional fields are `None`, absent map fields empty, absent required fields their
    /// default; a required field without a default that is absent is an error naming it.
    ///
    /// # Errors
    ///
    /// [`MissingFields`] naming every absent required field without a default.
    fn from_entries(
        entries: &mut dyn Iterator<Item = (Self::Key, Self::Value)>,
    ) -> Result<Self, MissingFields>;

    /// Whether `value` is a value of the field `key` names (the key and value enums' variants
    /// agree, at every level of nesting).
    fn entry_matches(key: &Self::Key, value: &Self::Value) -> bool;

    /// Whether two values of one field are equal: `Some(equal)` where the field's type can be
    /// compared (`PartialEq`, or a secret's [`SecretValue`](crate::SecretValue)), `None` where
    /// it cannot (such a write always counts as a change).
    fn value_eq(a: &Self::Value, b: &Self::Value) -> Option<bool>;

    /// Runs every validator of the struct, nested ones included: field validators first, then
    /// the struct's own.
    ///
    /// # Errors
    ///
    /// Every failure, each with the path of the field it is about.
    fn validate(&self) -> Result<(), ValidationError>;

    /// Appends the dotted path of `key` (`database.pool_size`, or `routes["/"]` for a map entry,
    /// its key redacted for a secret field) to `out`.
    fn write_key_path(key: &Self::Key, out: &mut String);

    /// The metadata of the leaf field that `key` belongs to.
    fn key_field(key: &Self::Key) -> &'static FieldInfo;

    /// The number of cache fields, nested ones included: each has a slot, numbered in
    /// declaration order, depth first.
    const CACHES: usize = 0;

    /// The slot of the cache field that `key` belongs to, if it belongs to one.
    #[inline]
    fn cache_slot(key: &Self::Key) -> Option<usize> {
        let _ = key;
        None
    }

    /// The slot and entry metadata of a cache field's value, if `value` is one.
    #[inline]
    fn cache_meta(value: &Self::Value) -> Option<(usize, &crate::cache::EntryMeta)> {
        let _ = value;
        None
    }

    /// The settings of the cache field at `slot`.
    fn cache_config(slot: usize) -> Option<crate::cache::CacheConfig<Self>> {
        let _ = slot;
        None
    }

    /// The registry type over `place`; used by the generated accessor of a nested field.
    #[doc(hidden)]
    fn registry_at<P: Holds<Self>>(place: P) -> Self::Registry<P>;
}

/// A struct whose every field has a value without being given one: a default, `None`, an empty
/// map, or a nested struct that is itself `Defaults`. Implemented by the derive.
pub trait Defaults: RegistryStruct {
    /// The struct with every field at its default.
    fn defaults() -> Self;
}

/// Field number `I` of a struct, a required or optional one: its key, and its value in and out
/// of the value enum. Implemented by the derive, read by the generated accessors.
pub trait FieldAt<const I: usize>: RegistryStruct {
    /// The type stored: the field's type, or `T` for an `Option<T>` field.
    type Type: Clone + Send + Sync + 'static;
    /// The field's key.
    fn key() -> Self::Key;
    /// A value as the value enum.
    fn wrap(value: Self::Type) -> Self::Value;
    /// The value in the value enum, if it is this field's.
    fn unwrap(value: Self::Value) -> Option<Self::Type>;
    /// The value in the value enum, by reference, if it is this field's.
    fn unwrap_ref(value: &Self::Value) -> Option<&Self::Type>;
    /// The field's declared default, if it has one.
    fn default_value() -> Option<Self::Type>;
    /// Runs the field's `#[registry(validate = ...)]` on `value`, recording a failure under
    /// `path`; does nothing for a field without one.
    fn check(value: &Self::Type, errors: &mut ValidationError, path: &str) {
        let _ = (value, errors, path);
    }
}

/// Field number `I` of a struct, a `map` field: its entries' keys and values in and out of the
/// key and value enums. Implemented by the derive.
pub trait MapFieldAt<const I: usize>: RegistryStruct {
    /// The map's key type.
    type MapKey: Clone + Eq + Hash + Send + Sync + 'static;
    /// The map's value type.
    type MapValue: Clone + Send + Sync + 'static;
    /// An entry's key as the key enum.
    fn wrap_key(key: Self::MapKey) -> Self::Key;
    /// The entry key inside a key enum, if it is this field's.
    fn unwrap_key_ref(key: &Self::Key) -> Option<&Self::MapKey>;
    /// An entry's value as the value enum.
    fn wrap(value: Self::MapValue) -> Self::Value;
    /// The entry value in the value enum, if it is this field's.
    fn unwrap(value: Self::Value) -> Option<Self::MapValue>;
    /// The entry value in the value enum, by reference, if it is this field's.
    fn unwrap_ref(value: &Self::Value) -> Option<&Self::MapValue>;
    /// The field's slot among the struct's cache fields, if it is a `cache` field.
    const CACHE_SLOT: Option<usize> = None;
}

/// Field number `I` of a struct, a `nested` field: the inner struct's keys and values inside the
/// outer struct's. Implemented by the derive.
pub trait NestAt<const I: usize>: RegistryStruct {
    /// The nested struct.
    type Inner: RegistryStruct;
    /// An inner key as an outer key.
    fn wrap_key(key: <Self::Inner as RegistryStruct>::Key) -> Self::Key;
    /// The inner key inside an outer key, if it is this field's.
    fn unwrap_key_ref(key: &Self::Key) -> Option<&<Self::Inner as RegistryStruct>::Key>;
    /// An inner value as an outer value.
    fn wrap(value: <Self::Inner as RegistryStruct>::Value) -> Self::Value;
    /// The inner value inside an outer value, if it is this field's.
    fn unwrap(value: Self::Value) -> Option<<Self::Inner as RegistryStruct>::Value>;
    /// The inner value inside an outer value, by reference, if it is this field's.
    fn unwrap_ref(value: &Self::Value) -> Option<&<Self::Inner as RegistryStruct>::Value>;
    /// The slot of the inner struct's first cache field among the outer struct's.
    const CACHE_OFFSET: usize = 0;
}
