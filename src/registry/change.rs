//! Change events: the fields a write changed, each with its old and new value.

use std::fmt;

use super::schema::RegistryStruct;

/// One field (or map entry) that a write changed: its key, and its value before and after
/// (`None` where it was or became unset: an optional field, a map entry).
///
/// Its `Debug` prints values through the value enum's `Debug`, which never shows a secret.
pub struct FieldChange<S: RegistryStruct> {
    key: S::Key,
    old: Option<S::Value>,
    new: Option<S::Value>,
}

impl<S: RegistryStruct> FieldChange<S> {
    pub(crate) fn new(key: S::Key, old: Option<S::Value>, new: Option<S::Value>) -> Self {
        Self { key, old, new }
    }

    /// The key that changed (for a nested field, the outer key wrapping the inner one).
    pub fn key(&self) -> &S::Key {
        &self.key
    }

    /// The dotted path of the field: `database.pool_size`, or `routes["/"]` for a map entry.
    pub fn path(&self) -> String {
        let mut path = String::new();
        S::write_key_path(&self.key, &mut path);
        path
    }

    /// The value before the change, if it was set.
    pub fn old(&self) -> Option<&S::Value> {
        self.old.as_ref()
    }

    /// The value after the change, if it is set.
    pub fn new_value(&self) -> Option<&S::Value> {
        self.new.as_ref()
    }

    /// Whether the field's value is a secret (its values print as `<redacted>`).
    pub fn is_secret(&self) -> bool {
        S::key_field(&self.key).is_secret()
    }
}

impl<S: RegistryStruct> Clone for FieldChange<S> {
    fn clone(&self) -> Self {
        Self {
            key: self.key.clone(),
            old: self.old.clone(),
            new: self.new.clone(),
        }
    }
}

impl<S: RegistryStruct> fmt::Debug for FieldChange<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldChange")
            .field("path", &self.path())
            .field("old", &self.old)
            .field("new", &self.new)
            .finish()
    }
}

/// A change published to a registry: its version, and every field it changed, once each, in
/// the order written.
pub struct Change<S: RegistryStruct> {
    previous: u64,
    version: u64,
    fields: Vec<FieldChange<S>>,
}

impl<S: RegistryStruct> Change<S> {
    pub(crate) fn new(previous: u64, version: u64, fields: Vec<FieldChange<S>>) -> Self {
        Self {
            previous,
            version,
            fields,
        }
    }

    /// The version this change was applied to: `version() - 1`, except where a fleet binding
    /// published a remote change whose version skipped over others' (the local version follows
    /// the fleet's).
    pub fn previous_version(&self) -> u64 {
        self.previous
    }

    /// The registry's version once this change was published: the first change is version 1.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The fields that changed.
    pub fn fields(&self) -> &[FieldChange<S>] {
        &self.fields
    }

    /// The change of the field at `path` (see [`FieldChange::path`]), if it changed.
    pub fn field(&self, path: &str) -> Option<&FieldChange<S>> {
        self.fields.iter().find(|change| change.path() == path)
    }

    /// Whether the field at `path` changed.
    pub fn changed(&self, path: &str) -> bool {
        self.field(path).is_some()
    }
}

impl<S: RegistryStruct> Clone for Change<S> {
    fn clone(&self) -> Self {
        Self {
            previous: self.previous,
            version: self.version,
            fields: self.fields.clone(),
        }
    }
}

impl<S: RegistryStruct> fmt::Debug for Change<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Change")
            .field("version", &self.version)
            .field("fields", &self.fields)
            .finish()
    }
}
