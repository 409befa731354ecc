//! The [`Registry`] trait: every whole-registry operation, written once for every derived
//! registry. The derive implements only its two required methods.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use syncmap_core::ConcurrentMap;

use super::batch::Batch;
use super::change::Change;
use super::error::{MissingFields, ValidationError};
use super::field_info::{FieldInfo, FieldKind, LeafField, leaves};
use super::place::RegistryCore;
use super::schema::{Defaults, RegistryStruct};
use super::sync::RegistrySubscription;

/// The changes published after a version, as [`Registry::changes_since`] and
/// [`Registry::wait_for_change`] return them.
#[derive(Debug)]
pub struct ChangesSince<S: RegistryStruct> {
    version: u64,
    changes: Vec<Arc<Change<S>>>,
    complete: bool,
}

impl<S: RegistryStruct> ChangesSince<S> {
    /// The registry's version when they were read.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The changes, oldest first: all of them if [`complete`](Self::complete), else the latest
    /// ones the registry still keeps.
    pub fn changes(&self) -> &[Arc<Change<S>>] {
        &self.changes
    }

    /// Whether every change after the version asked for is here (a registry keeps the last
    /// [`HISTORY`](crate::registry::HISTORY); read a snapshot when this is `false`).
    pub fn complete(&self) -> bool {
        self.complete
    }

    /// Whether the field at `path` changed in any of them.
    pub fn changed(&self, path: &str) -> bool {
        self.changes.iter().any(|change| change.changed(path))
    }
}

/// A registry derived with `#[derive(SyncRegistry)]`: the operations on the registry as a
/// whole, for any struct and any backend map.
///
/// Field accessors are inherent methods of the generated type; everything else is here, so a
/// field may have any name (`version`, `update`, `new`, `snapshot`...). When a field's accessor
/// shadows one of these methods, call the trait's: `Registry::version(&config)`.
///
/// Generic code over any registry is written against this trait:
///
/// ```
/// use syncmap::{Registry, SyncRegistry};
///
/// /// Prints every leaf field's path and whether it changed since `version`.
/// fn audit<R: Registry>(registry: &R, version: u64) -> Vec<String> {
///     let since = registry.changes_since(version);
///     R::leaf_fields()
///         .iter()
///         .map(|leaf| format!("{}: {}", leaf.path(), since.changed(leaf.path())))
///         .collect()
/// }
///
/// #[derive(SyncRegistry, Clone, Debug, PartialEq)]
/// struct Limits {
///     burst: u32,
///     #[registry(default = 60)]
///     window_secs: u64,
/// }
///
/// let limits = LimitsRegistry::new(Limits { burst: 10, window_secs: 60 }).unwrap();
/// limits.store_burst(20);
/// assert_eq!(audit(&limits, 0), ["burst: true", "window_secs: false"]);
/// ```
pub trait Registry: Sized + Send + Sync {
    /// The struct the registry holds.
    type Struct: RegistryStruct<Key = Self::Key, Value = Self::Value>;
    /// The key enum of the struct.
    type Key: Clone + Eq + std::hash::Hash + std::fmt::Debug + Send + Sync + 'static;
    /// The value enum of the struct.
    type Value: Clone + std::fmt::Debug + Send + Sync + 'static;
    /// The backend map.
    type Map: ConcurrentMap<Self::Key, Self::Value>;

    /// The registry's state; implemented by the derive.
    #[doc(hidden)]
    fn core(&self) -> &RegistryCore<Self::Struct, Self::Map>;

    /// A registry around a state; implemented by the derive.
    #[doc(hidden)]
    fn from_core(core: RegistryCore<Self::Struct, Self::Map>) -> Self;

    /// The registry's state, giving the registry up; implemented by the derive.
    #[doc(hidden)]
    fn into_core(self) -> RegistryCore<Self::Struct, Self::Map>;

    /// A registry holding `value` in `map` (cleared first), at version 0.
    ///
    /// # Errors
    ///
    /// The validators' failures, if `value` is invalid.
    fn from_struct_in(value: Self::Struct, map: Self::Map) -> Result<Self, ValidationError> {
        value.validate()?;
        map.clear();
        value.into_entries(&mut |key, value| map.store(key, value));
        Ok(Self::from_core(RegistryCore::new(map)))
    }

    /// A registry holding `value` in a new backend map, at version 0.
    ///
    /// # Errors
    ///
    /// The validators' failures, if `value` is invalid.
    fn from_struct(value: Self::Struct) -> Result<Self, ValidationError>
    where
        Self::Map: Default,
    {
        Self::from_struct_in(value, Self::Map::default())
    }

    /// A registry holding every field's default, for a struct where every field has one.
    ///
    /// # Errors
    ///
    /// The validators' failures, if the defaults are invalid.
    fn from_defaults() -> Result<Self, ValidationError>
    where
        Self::Struct: Defaults,
        Self::Map: Default,
    {
        Self::from_struct(Self::Struct::defaults())
    }

    /// The struct as of one instant: every write (a whole struct, a batch, one field) is in it
    /// entirely or not at all.
    fn snapshot(&self) -> Self::Struct {
        self.snapshot_with_version().0
    }

    /// [`snapshot`](Self::snapshot) with the version it is the state of.
    fn snapshot_with_version(&self) -> (Self::Struct, u64) {
        let core = self.core();
        let (entries, version) = core.sync.read(|| collect_entries(core));
        (rebuild::<Self::Struct>(entries), version)
    }

    /// Stores `value` as one change: only the fields that differ from the current ones are
    /// written and reported. Returns the version after it (unchanged if nothing changed).
    ///
    /// # Errors
    ///
    /// The validators' failures; nothing is written then.
    fn store_struct(&self, value: Self::Struct) -> Result<u64, ValidationError> {
        value.validate()?;
        Ok(store_entries(self.core(), value, None, None).unwrap_or_else(|version| version))
    }

    /// Edits the struct with `f` and stores the result as one change, as
    /// [`store_struct`](Self::store_struct) would. If another write comes between the read and
    /// the store, `f` runs again on the newer struct. `f` runs outside every lock; it must not
    /// write to the registry itself (nor drop a value whose `Drop` does), since that write would
    /// make it run again, without end.
    ///
    /// # Errors
    ///
    /// The validators' failures on the edited struct; nothing is written then.
    fn update(&self, mut f: impl FnMut(&mut Self::Struct)) -> Result<u64, ValidationError> {
        let core = self.core();
        loop {
            // The cache fields' write count beside the version: their writes publish none.
            let ((entries, cache_writes), version) = core
                .sync
                .read(|| (collect_entries(core), core.caches.writes()));
            let mut value = rebuild::<Self::Struct>(entries);
            f(&mut value);
            value.validate()?;
            if let Ok(version) = store_entries(core, value, Some((version, cache_writes)), None) {
                return Ok(version);
            }
        }
    }

    /// Applies the batch's writes as one change, after validating the struct they would leave.
    /// A key written more than once counts once, with its last write.
    ///
    /// # Errors
    ///
    /// The validators' failures, a value stored under another field's key, or a delete of a
    /// required field; nothing is written then.
    fn apply(&self, batch: Batch<Self::Struct>) -> Result<u64, ValidationError> {
        let core = self.core();
        // The last write of each key, in the order of the first: a key written twice is one
        // change, and writes that cancel out are none.
        let mut writes: Vec<(Self::Key, Option<Self::Value>)> = Vec::with_capacity(batch.len());
        for (key, value) in batch.writes {
            match writes.iter_mut().find(|(queued, _)| *queued == key) {
                Some(queued) => queued.1 = value,
                None => writes.push((key, value)),
            }
        }
        let mut refused = ValidationError::default();
        for (key, value) in &writes {
            let mut path = String::new();
            Self::Struct::write_key_path(key, &mut path);
            match value {
                Some(value) if !Self::Struct::entry_matches(key, value) => {
                    refused.push(path, "the value is of another field than its key");
                }
                None if Self::Struct::key_field(key).kind() == FieldKind::Required => {
                    refused.push(path, "a required field cannot be deleted");
                }
                _ => {}
            }
        }
        refused.into_result()?;
        let result = core.sync.write_if(
            move || {
                let mut entries = collect_entries(core);
                for (key, value) in &writes {
                    entries.retain(|(stored, _)| stored != key);
                    if let Some(value) = value {
                        entries.push((key.clone(), value.clone()));
                    }
                }
                match Self::Struct::from_entries(&mut entries.into_iter()) {
                    Ok(value) => value.validate()?,
                    Err(missing) => return Err(ValidationError::new("", missing)),
                }
                Ok(writes)
            },
            |writes, changes| {
                let mut tx = super::place::root_tx(core, changes);
                let replaced: Vec<_> = writes
                    .into_iter()
                    .filter_map(|(key, value)| match value {
                        Some(value) => super::place::Tx::store(&mut tx, key, value),
                        None => super::place::Tx::delete(&mut tx, &key),
                    })
                    .collect();
                replaced
            },
        );
        core.after_write();
        result.map(|replaced| {
            drop(replaced);
            core.sync.version()
        })
    }

    /// The number of changes published so far.
    fn version(&self) -> u64 {
        self.core().sync.version()
    }

    /// The changes published after version `after` that the registry still keeps.
    fn changes_since(&self, after: u64) -> ChangesSince<Self::Struct> {
        let core = self.core();
        let version = core.sync.version();
        let (changes, complete) = core.sync.changes_since(after);
        ChangesSince {
            version,
            changes,
            complete,
        }
    }

    /// Blocks (no spinning) until the version exceeds `after`, then returns what changed since
    /// `after`; `None` if `timeout` passed first.
    fn wait_for_change(&self, after: u64, timeout: Duration) -> Option<ChangesSince<Self::Struct>> {
        self.core().sync.wait_for_change(after, timeout)?;
        Some(self.changes_since(after))
    }

    /// Calls `callback` for every change published from now on, once each, in version order,
    /// outside every lock (it may read and write the registry), until the returned handle is
    /// dropped.
    fn subscribe(
        &self,
        callback: impl Fn(&Change<Self::Struct>) + Send + Sync + 'static,
    ) -> RegistrySubscription {
        self.core().sync.subscribe(|| (), callback).2
    }

    /// Like [`subscribe`](Self::subscribe), and returns the struct and the version the
    /// subscription starts from: the callback then sees every later change exactly once, with
    /// no gap and no overlap with the snapshot.
    fn subscribe_from_current(
        &self,
        callback: impl Fn(&Change<Self::Struct>) + Send + Sync + 'static,
    ) -> (Self::Struct, u64, RegistrySubscription) {
        let core = self.core();
        let (entries, version, subscription) =
            core.sync.subscribe(|| collect_entries(core), callback);
        (rebuild::<Self::Struct>(entries), version, subscription)
    }

    /// The backend map. Writes made through it bypass the registry: no version, no event, no
    /// validation, and a required field deleted there makes its getter panic.
    fn backend(&self) -> &Self::Map {
        &self.core().map
    }

    /// The backend map, giving the registry up.
    fn into_backend(self) -> Self::Map {
        self.into_core().map
    }

    /// Every field of the struct, as declared (nested fields as one entry each; see
    /// [`leaf_fields`](Self::leaf_fields)).
    fn fields() -> &'static [FieldInfo] {
        Self::Struct::FIELDS
    }

    /// Every leaf field, depth first, with its dotted path (`database.pool_size`).
    fn leaf_fields() -> Vec<LeafField> {
        let mut out = Vec::new();
        leaves(Self::Struct::FIELDS, "", &mut out);
        out
    }
}

/// Every live entry of the backend (a cache field's expired entries are not).
fn collect_entries<S: RegistryStruct, M: ConcurrentMap<S::Key, S::Value>>(
    core: &RegistryCore<S, M>,
) -> Vec<(S::Key, S::Value)> {
    let mut entries = Vec::with_capacity(core.map.len());
    super::place::Holds::range(core, |key, value| {
        entries.push((key.clone(), value.clone()));
        true
    });
    entries
}

/// The struct rebuilt from a registry's entries, which always hold every required field.
fn rebuild<S: RegistryStruct>(entries: Vec<(S::Key, S::Value)>) -> S {
    S::from_entries(&mut entries.into_iter()).unwrap_or_else(|missing: MissingFields| {
        panic!(
            "a `{}` registry lacks {missing}: entries were deleted through the backend map, \
             around the registry",
            S::NAME
        )
    })
}

/// Stores `value` as [`Registry::store_struct`] does, published at version `version` (or the
/// next one, if the registry is already there): a fleet binding makes the local version the
/// fleet's. Validators are the caller's to run.
#[cfg(feature = "fleet")]
pub(crate) fn store_struct_at<R: Registry>(registry: &R, value: R::Struct, version: u64) -> u64 {
    store_entries(registry.core(), value, None, Some(version)).unwrap_or_else(|version| version)
}

/// Writes the entries of `value` that differ from the stored ones, and deletes stored entries
/// it does not have, as one change. With `expected`, does so only if the version and the cache
/// fields' write count are still those; otherwise returns `Err(version now)`.
fn store_entries<S: RegistryStruct, M: ConcurrentMap<S::Key, S::Value>>(
    core: &RegistryCore<S, M>,
    value: S,
    expected: Option<(u64, u64)>,
    target: Option<u64>,
) -> Result<u64, u64> {
    let mut entries = Vec::new();
    value.into_entries(&mut |key, value| entries.push((key, value)));
    let result = core.sync.write_if_at(
        target,
        || match expected {
            Some(expected) if (core.sync.version(), core.caches.writes()) != expected => {
                Err(core.sync.version())
            }
            _ => Ok(()),
        },
        |(), changes| {
            let keys: HashSet<&S::Key> = entries.iter().map(|(key, _)| key).collect();
            let mut stale = Vec::new();
            core.map.range(|key, _| {
                if !keys.contains(key) {
                    stale.push(key.clone());
                }
                true
            });
            drop(keys);
            let mut tx = super::place::root_tx(core, changes);
            let mut replaced = Vec::new();
            for key in stale {
                replaced.extend(super::place::Tx::delete(&mut tx, &key));
            }
            for (key, value) in entries {
                replaced.extend(super::place::Tx::store(&mut tx, key, value));
            }
            replaced
        },
    );
    core.after_write();
    result.map(|replaced| {
        drop(replaced);
        core.sync.version()
    })
}
