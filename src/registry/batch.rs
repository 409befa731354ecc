//! A batch: writes of keyed entries applied together as one change.

use std::fmt;

use super::schema::RegistryStruct;

/// Stores and deletes of entries, applied together as one change by
/// [`Registry::apply`](crate::Registry::apply).
///
/// A batch names entries by the key and value enums; to change fields by name, use
/// [`Registry::update`](crate::Registry::update), which edits the struct itself.
pub struct Batch<S: RegistryStruct> {
    pub(crate) writes: Vec<(S::Key, Option<S::Value>)>,
}

impl<S: RegistryStruct> Batch<S> {
    /// An empty batch.
    pub fn new() -> Self {
        Self { writes: Vec::new() }
    }

    /// Queues a store of `value` under `key`.
    #[must_use]
    pub fn store(mut self, key: S::Key, value: S::Value) -> Self {
        self.writes.push((key, Some(value)));
        self
    }

    /// Queues a delete of `key` (an optional field or a map entry: deleting a required field
    /// makes [`Registry::apply`](crate::Registry::apply) refuse the batch).
    #[must_use]
    pub fn delete(mut self, key: S::Key) -> Self {
        self.writes.push((key, None));
        self
    }

    /// The number of queued writes.
    pub fn len(&self) -> usize {
        self.writes.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }
}

impl<S: RegistryStruct> Default for Batch<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: RegistryStruct> fmt::Debug for Batch<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.writes.iter().map(|(key, value)| {
                let mut path = String::new();
                S::write_key_path(key, &mut path);
                (path, value)
            }))
            .finish()
    }
}
