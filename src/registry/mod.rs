//! The registry runtime: everything a derived registry does beyond its typed accessors,
//! written once against [`RegistryStruct`] and [`Registry`].
//!
//! | file | concern |
//! | --- | --- |
//! | `schema` | the traits the derive implements for the struct: keys, values, entries, fields |
//! | `field_info` | static metadata of each field |
//! | `registry_trait` | [`Registry`]: build, snapshot, store, update, batches, versions, waits, subscriptions |
//! | `place` | where fields are kept: a root registry's map and lock, or a nested view of it |
//! | `accessors` | the bodies of the generated field accessors |
//! | `query` | lookups of `map` entries by a borrowed key, nested or not |
//! | `sync` | the writer lock, the seqlock, versions, waiters, subscribers |
//! | `change` | change events with old and new values |
//! | `batch` | batches of keyed writes |
//! | `error` | missing fields and validation failures |
//! | `secret` | secret fields |
//! | `serde_support` | (feature `serde`) registries serialize as their snapshot |
//! | `config_support` | (feature `config`) structs load from configuration sources |
//! | `compare` | change detection without requiring `PartialEq` |
//! | `debug` | the registries' `Debug` |

pub(crate) mod accessors;
mod batch;
mod change;
pub(crate) mod compare;
mod config_support;
pub(crate) mod debug;
mod error;
mod field_info;
mod place;
pub(crate) mod query;
mod registry_trait;
mod schema;
mod secret;
mod serde_support;
mod sync;

pub use batch::Batch;
pub use change::{Change, FieldChange};
#[doc(hidden)]
pub use error::run_validator;
pub use error::{BoxError, Invalid, MissingFields, ValidationError};
#[cfg(feature = "config")]
pub(crate) use field_info::leaves;
pub use field_info::{FieldInfo, FieldKind, LeafField};
#[doc(hidden)]
pub use place::{EvictionListener, Holds, Tx};
pub use place::{Nested, RegistryCore};
#[cfg(feature = "fleet")]
pub(crate) use registry_trait::store_struct_at;
pub use registry_trait::{ChangesSince, Registry};
pub use schema::{Defaults, FieldAt, MapFieldAt, NestAt, RegistryStruct};
pub use secret::SecretValue;
pub use sync::{HISTORY, RegistrySubscription, SNAPSHOT_TRIES};
