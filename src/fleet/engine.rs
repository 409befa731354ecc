//! [`Engine`]: what a remote store must do for a fleet binding. Small on purpose, so that a
//! second store (etcd) can follow without touching the binding; the module docs map it onto
//! both Redis and etcd.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// The remote state of one registry: every field's encoded value, at a version, in an epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteState {
    /// Changes whenever the key space is created anew (first publication, or republished after
    /// the store lost it): versions of two epochs are not comparable.
    pub epoch: String,
    /// The fleet version: one more for every write.
    pub version: u64,
    /// The encoded value of every field and map entry, by path (see the module docs).
    pub fields: BTreeMap<String, String>,
}

/// What a state-replacing write expects to find, so that two instances cannot both apply one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The key space does not exist.
    Absent,
    /// The key space is at this epoch and version.
    At {
        /// The epoch.
        epoch: String,
        /// The version.
        version: u64,
    },
}

/// The outcome of a conditional write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Written {
    /// Applied: the whole state right after it, read in the same atomic step.
    Applied(RemoteState),
    /// Refused: the store was not as expected; here is its epoch and version (`None` if the key
    /// space does not exist).
    Refused(Option<(String, u64)>),
}

/// A failure to talk to the store: the network, the server, or the protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineError {
    message: String,
}

impl EngineError {
    /// An error saying `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EngineError {}

/// A remote store holding one registry's state. Every method is one atomic step on the store;
/// methods are called from the caller's thread (writes) and from the binding's follower thread
/// (everything else), and may block on the network up to the engine's own timeouts.
pub trait Engine: Send + Sync + 'static {
    /// The whole state, or `None` if the key space does not exist.
    ///
    /// # Errors
    ///
    /// The store cannot be reached or answered nonsense.
    fn read(&self) -> Result<Option<RemoteState>, EngineError>;

    /// The epoch and version only: the cheap check of the follower's periodic poll.
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read).
    fn version(&self) -> Result<Option<(String, u64)>, EngineError>;

    /// Atomically: if the store is at `epoch` (and at version `expected`, when given), sets the
    /// fields of `set`, deletes those of `delete`, adds one to the version, notifies followers,
    /// and returns the state after it.
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read); the write may or may not have been applied.
    fn write(
        &self,
        epoch: &str,
        expected: Option<u64>,
        set: &[(String, String)],
        delete: &[String],
    ) -> Result<Written, EngineError>;

    /// Atomically: if the store is as `expect`s, replaces the whole state with `state`
    /// (publication, republication after a loss, repair of a version that went backwards) and
    /// notifies followers.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write).
    fn replace(&self, expect: &Expect, state: &RemoteState) -> Result<Written, EngineError>;

    /// Blocks until a change notification arrives (`Ok(true)`) or `timeout` passes
    /// (`Ok(false)`). Notifications may be lost: the follower polls the version anyway.
    ///
    /// # Errors
    ///
    /// The notification channel broke; the follower reconnects and resynchronizes.
    fn wait(&self, timeout: Duration) -> Result<bool, EngineError>;
}
