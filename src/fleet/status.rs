//! Where a binding stands, and what its writes can fail with.

use std::fmt;
use std::time::Instant;

use super::engine::EngineError;
use crate::config::ConfigError;
use crate::registry::ValidationError;

/// Whether a bound registry follows the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncStatus {
    /// Binding, before the first state was read.
    Connecting,
    /// The registry holds the store's state at `version`, as checked at `confirmed`.
    Synced {
        /// The fleet version, which is also the registry's.
        version: u64,
        /// When the store last confirmed it.
        confirmed: Instant,
    },
    /// The registry may be behind: the store could not be reached, or its latest state could
    /// not be applied, since `since`. Reads go on, on the last good state.
    Stale {
        /// When it became stale.
        since: Instant,
        /// The version the registry holds.
        version: u64,
        /// Why.
        reason: String,
    },
}

impl SyncStatus {
    /// Whether the registry is known to hold the store's latest state.
    pub fn is_synced(&self) -> bool {
        matches!(self, SyncStatus::Synced { .. })
    }

    /// Whether the registry may be behind the store.
    pub fn is_stale(&self) -> bool {
        matches!(self, SyncStatus::Stale { .. })
    }
}

/// Why a write through a [`Fleet`](super::Fleet) (or a binding) failed; nothing was applied to
/// the registry, and nothing is buffered.
#[derive(Debug)]
#[non_exhaustive]
pub enum FleetError {
    /// A validator refused the value.
    Invalid(ValidationError),
    /// The store is not at the version the write expected.
    Conflict {
        /// The version the write expected.
        expected: u64,
        /// The version the store is at.
        found: u64,
    },
    /// The store's state was replaced (a new epoch) since the registry last read it; the
    /// follower resynchronizes, then the write can be made again.
    EpochChanged,
    /// The store cannot be reached or failed. A write that failed this way may still have
    /// been applied by the store (a timeout after sending it): the follower then brings it in.
    Engine(EngineError),
    /// The value cannot be encoded (its `Serialize` failed).
    Encode(String),
    /// The store's state holds values the struct cannot read; the registry keeps its values.
    Decode(ConfigError),
}

impl fmt::Display for FleetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FleetError::Invalid(error) => write!(f, "refused: {error}"),
            FleetError::Conflict { expected, found } => write!(
                f,
                "conflict: the write expected version {expected}, the store is at {found}"
            ),
            FleetError::EpochChanged => f.write_str(
                "the store's state was replaced since it was last read; retry after the resync",
            ),
            FleetError::Engine(error) => write!(f, "the store failed: {error}"),
            FleetError::Encode(error) => write!(f, "cannot encode the value: {error}"),
            FleetError::Decode(error) => write!(f, "the store's state cannot be read: {error}"),
        }
    }
}

impl std::error::Error for FleetError {}
