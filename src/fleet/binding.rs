//! [`Fleet`]: a registry bound to a remote store. Writes go to the store first, atomically, and
//! then to the registry at the store's version; a follower thread applies everyone else's.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::codec;
use super::engine::{Engine, EngineError, Expect, RemoteState, Written};
use super::status::{FleetError, SyncStatus};
use crate::config::{ConfigError, ConfigStruct, Problem, ProblemKind};
use crate::registry::{Registry, RegistryStruct};

/// How a binding behaves; [`Default`] is what the module docs describe.
#[derive(Clone, Debug)]
pub struct FleetOptions {
    /// How often the follower checks the remote version even without a notification (lost
    /// notifications are detected within this). Default 1 s.
    pub poll_interval: Duration,
    /// Whether secret fields are written to the store and read from it. Default `false`: they
    /// stay local (their type must then be optional or have a default, for the other instances).
    pub share_secrets: bool,
    /// The first wait before reconnecting after a failure, doubled up to 1 s. Default 50 ms.
    pub reconnect_delay: Duration,
}

impl Default for FleetOptions {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            share_secrets: false,
            reconnect_delay: Duration::from_millis(50),
        }
    }
}

/// What a registry struct must be to be shared: loadable field by field, and serializable.
pub trait FleetStruct: ConfigStruct + Serialize {}

impl<S: ConfigStruct + Serialize> FleetStruct for S {}

struct Shared<R: Registry> {
    registry: Arc<R>,
    engine: Box<dyn Engine>,
    options: FleetOptions,
    /// The epoch the registry's state belongs to; held while applying, so that a write and
    /// the follower apply versions in order.
    applied: Mutex<String>,
    status: Mutex<SyncStatus>,
    status_changed: Condvar,
    /// Problems of the last remote state that could not be applied (malformed values).
    last_error: Mutex<Option<ConfigError>>,
    stop: AtomicBool,
}

/// A registry shared through a remote store. Reads stay on the registry
/// ([`registry`](Self::registry)), local and lock-free; writes go through this handle. Dropping it stops
/// the follower thread; the registry keeps its last values.
pub struct Fleet<R: Registry> {
    shared: Arc<Shared<R>>,
    follower: Option<JoinHandle<()>>,
}

impl<R: Registry> std::fmt::Debug for Fleet<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("status", &*self.shared.status())
            .finish_non_exhaustive()
    }
}

impl<R> Fleet<R>
where
    R: Registry + Send + Sync + 'static,
    R::Struct: FleetStruct,
{
    /// Binds `registry` to the store behind `engine`: if the store holds a state, the registry
    /// takes it (at its version); if not, the registry's state is published as a new epoch.
    /// Then a follower thread keeps the registry up to date.
    ///
    /// # Errors
    ///
    /// The store cannot be reached, or its state cannot be applied (a malformed value, a
    /// validator's refusal).
    pub fn bind(
        registry: Arc<R>,
        engine: impl Engine,
        options: FleetOptions,
    ) -> Result<Self, FleetError> {
        let shared = Arc::new(Shared {
            registry,
            engine: Box::new(engine),
            options,
            applied: Mutex::new(String::new()),
            status: Mutex::new(SyncStatus::Connecting),
            status_changed: Condvar::new(),
            last_error: Mutex::new(None),
            stop: AtomicBool::new(false),
        });
        shared.resync()?;
        let follower = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("syncmap-fleet".to_owned())
                .spawn(move || shared.follow())
                .map_err(|error| FleetError::Engine(EngineError::new(error.to_string())))?
        };
        Ok(Self {
            shared,
            follower: Some(follower),
        })
    }

    /// The local registry: read it as usual, from any thread, without touching the network.
    pub fn registry(&self) -> &Arc<R> {
        &self.shared.registry
    }

    /// Whether the registry follows the store, at which version and since when.
    pub fn sync_status(&self) -> SyncStatus {
        self.shared.status().clone()
    }

    /// Blocks until the status satisfies `done` or `timeout` passes; returns the last status.
    pub fn wait_status(&self, timeout: Duration, done: impl Fn(&SyncStatus) -> bool) -> SyncStatus {
        let status = self.shared.status();
        let (status, _) = self
            .shared
            .status_changed
            .wait_timeout_while(status, timeout, |status| !done(status))
            .unwrap_or_else(PoisonError::into_inner);
        status.clone()
    }

    /// The problems of the last remote state that could not be applied, if the latest could
    /// not (the registry then keeps its last good values).
    pub fn last_error(&self) -> Option<ConfigError> {
        lock(&self.shared.last_error).clone()
    }

    /// Writes the fields of `value` that differ from the registry's, to the store and then to
    /// the registry, as one change at the store's new version, which it returns. Fields other
    /// instances changed meanwhile and `value` does not change are kept.
    ///
    /// # Errors
    ///
    /// [`FleetError::Invalid`] if a validator refuses `value`; [`FleetError::Engine`] if the
    /// store cannot be reached (nothing is buffered: the write is not retried).
    pub fn store_struct(&self, value: R::Struct) -> Result<u64, FleetError> {
        self.shared.write(value, None)
    }

    /// [`store_struct`](Self::store_struct), only if the store is still at version `expected`.
    ///
    /// # Errors
    ///
    /// [`FleetError::Conflict`] if another write came first; otherwise as `store_struct`.
    pub fn store_struct_if(&self, value: R::Struct, expected: u64) -> Result<u64, FleetError> {
        self.shared.write(value, Some(expected))
    }

    /// Edits the registry's struct with `f` and writes the result if no other write came in
    /// between (`f` runs again on the newer state if one did, up to 16 times).
    ///
    /// # Errors
    ///
    /// As [`store_struct_if`](Self::store_struct_if), the last conflict included.
    pub fn update(&self, mut f: impl FnMut(&mut R::Struct)) -> Result<u64, FleetError> {
        let mut last = None;
        for _ in 0..16 {
            let (mut value, version) = self.shared.registry.snapshot_with_version();
            f(&mut value);
            match self.shared.write(value, Some(version)) {
                Err(FleetError::Conflict { expected, found }) => {
                    last = Some(FleetError::Conflict { expected, found });
                    // Catch up with the write that came first before trying again.
                    let _ = self.shared.resync();
                }
                other => return other,
            }
        }
        Err(last.expect("at least one attempt"))
    }
}

impl<R: Registry> Drop for Fleet<R> {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(follower) = self.follower.take() {
            // The follower wakes within its poll interval (or the engine's timeout).
            let _ = follower.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<R: Registry> Shared<R> {
    fn status(&self) -> MutexGuard<'_, SyncStatus> {
        lock(&self.status)
    }

    fn set_status(&self, status: SyncStatus) {
        *self.status() = status;
        self.status_changed.notify_all();
    }

    fn synced(&self, version: u64) {
        self.set_status(SyncStatus::Synced {
            version,
            confirmed: Instant::now(),
        });
    }

    fn stale(&self, reason: String) {
        let mut status = self.status();
        let (since, version) = match &*status {
            SyncStatus::Stale { since, version, .. } => (*since, *version),
            _ => (Instant::now(), self.registry.version()),
        };
        *status = SyncStatus::Stale {
            since,
            version,
            reason,
        };
        drop(status);
        self.status_changed.notify_all();
    }
}

impl<R> Shared<R>
where
    R: Registry,
    R::Struct: FleetStruct,
{
    fn encode_local(&self) -> Result<RemoteState, FleetError> {
        let value = self.registry.snapshot();
        let fields =
            codec::encode(&value, self.options.share_secrets).map_err(FleetError::Encode)?;
        Ok(RemoteState {
            epoch: String::new(),
            version: self.registry.version() + 1,
            fields,
        })
    }

    /// Applies `state` to the registry at its version, if it is newer than what was applied.
    fn apply(&self, applied: &mut String, state: &RemoteState) -> Result<(), FleetError> {
        let local = self.registry.version();
        if *applied == state.epoch && state.version <= local {
            return Ok(());
        }
        let mut value: R::Struct = match codec::decode(&state.fields) {
            Ok(value) => value,
            Err(error) => {
                *lock(&self.last_error) = Some(error.clone());
                return Err(FleetError::Decode(error));
            }
        };
        if !self.options.share_secrets {
            value = keep_local_secrets(&*self.registry, value);
        }
        if let Err(refused) = value.validate() {
            let problems = refused
                .failures()
                .iter()
                .map(|failure| {
                    let message = failure.error().to_string();
                    Problem::new(failure.path(), None, ProblemKind::Validation { message })
                })
                .collect();
            *lock(&self.last_error) = Some(ConfigError::new(problems));
            return Err(FleetError::Invalid(refused));
        }
        crate::registry::store_struct_at(&*self.registry, value, state.version);
        *applied = state.epoch.clone();
        *lock(&self.last_error) = None;
        Ok(())
    }

    fn write(&self, value: R::Struct, expected: Option<u64>) -> Result<u64, FleetError> {
        value.validate().map_err(FleetError::Invalid)?;
        let mut applied = lock(&self.applied);
        let new = codec::encode(&value, self.options.share_secrets).map_err(FleetError::Encode)?;
        let old = codec::encode(&self.registry.snapshot(), self.options.share_secrets)
            .map_err(FleetError::Encode)?;
        let set: Vec<(String, String)> = new
            .iter()
            .filter(|(name, text)| old.get(*name) != Some(*text))
            .map(|(name, text)| (name.clone(), text.clone()))
            .collect();
        let delete: Vec<String> = old
            .keys()
            .filter(|name| !new.contains_key(*name))
            .cloned()
            .collect();
        let local = self.registry.version();
        if set.is_empty() && delete.is_empty() && expected.is_none_or(|v| v == local) {
            return Ok(local);
        }
        let written = self
            .engine
            .write(&applied, expected, &set, &delete)
            .map_err(|error| {
                self.stale(error.to_string());
                FleetError::Engine(error)
            })?;
        match written {
            Written::Applied(state) => {
                let version = state.version;
                self.apply(&mut applied, &state)?;
                self.synced(version);
                Ok(version)
            }
            Written::Refused(Some((epoch, found))) if epoch == *applied => {
                Err(FleetError::Conflict {
                    expected: expected.unwrap_or(local),
                    found,
                })
            }
            Written::Refused(_) => Err(FleetError::EpochChanged),
        }
    }

    /// Reads the whole remote state and applies it; publishes the local state if the store
    /// has none, and repairs a version that went backwards (see the module docs).
    fn resync(&self) -> Result<(), FleetError> {
        let mut applied = lock(&self.applied);
        // A refused replacement means another instance changed the store between the read
        // and the replacement (two instances binding to an empty store at once): read again
        // and take its state.
        let mut attempts = 0;
        let state = loop {
            attempts += 1;
            match self.reconcile(&applied)? {
                Some(state) => break state,
                None if attempts < 8 => continue,
                None => return Err(FleetError::EpochChanged),
            }
        };
        let version = state.version;
        let outcome = self.apply(&mut applied, &state);
        drop(applied);
        match outcome {
            Ok(()) => {
                self.synced(version);
                Ok(())
            }
            Err(error) => {
                self.stale(error.to_string());
                Err(error)
            }
        }
    }

    /// Reads the remote state and decides what the registry should hold, repairing the store
    /// first when the policy says so; `None` if a repair was refused (the store moved).
    fn reconcile(&self, applied: &str) -> Result<Option<RemoteState>, FleetError> {
        let remote = self.engine.read().map_err(FleetError::Engine)?;
        let local = self.registry.version();
        let (expect, state) = match remote {
            // Nothing there: first publication, or the store lost it (restarted empty).
            None => {
                let mut state = self.encode_local()?;
                state.epoch = new_epoch();
                state.version = local + 1;
                (Expect::Absent, state)
            }
            // The same epoch behind us: restored from an older copy. Our state is newer.
            Some(remote) if remote.epoch == applied && remote.version < local => {
                let mut state = self.encode_local()?;
                state.epoch.clone_from(&remote.epoch);
                state.version = local + 1;
                let expect = Expect::At {
                    epoch: remote.epoch,
                    version: remote.version,
                };
                (expect, state)
            }
            // Another epoch whose version is not ahead of ours: move it ahead, keeping its
            // fields, so that versions keep growing here.
            Some(remote) if remote.epoch != applied && remote.version <= local => {
                let expect = Expect::At {
                    epoch: remote.epoch.clone(),
                    version: remote.version,
                };
                let mut state = remote;
                state.version = local + 1;
                (expect, state)
            }
            Some(remote) => return Ok(Some(remote)),
        };
        match self
            .engine
            .replace(&expect, &state)
            .map_err(FleetError::Engine)?
        {
            Written::Applied(state) => Ok(Some(state)),
            Written::Refused(_) => Ok(None),
        }
    }

    /// The follower thread: waits for notifications or the poll interval, checks the version,
    /// resynchronizes when it moved, and reconnects with backoff after failures.
    fn follow(&self) {
        let mut delay = self.options.reconnect_delay;
        let mut broken = false;
        while !self.stop.load(Ordering::SeqCst) {
            // One wait per poll interval: a dropped binding's follower ends within it. (Shorter
            // waits in a loop lost notifications: a read timeout in the middle of the reply
            // stream left the subscribed connection unusable.)
            let waited = self.engine.wait(self.options.poll_interval);
            if self.stop.load(Ordering::SeqCst) {
                return;
            }
            let outcome = match waited {
                Err(error) => Err(FleetError::Engine(error)),
                // After a failure, a full resynchronization; else a version check first.
                Ok(_) if broken => self.resync(),
                Ok(_) => self.check(),
            };
            match outcome {
                Ok(()) => {
                    broken = false;
                    delay = self.options.reconnect_delay;
                }
                Err(error) => {
                    broken = true;
                    self.stale(error.to_string());
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(1));
                }
            }
        }
    }

    fn check(&self) -> Result<(), FleetError> {
        let remote = self.engine.version().map_err(FleetError::Engine)?;
        let applied = lock(&self.applied).clone();
        match remote {
            Some((epoch, version)) if epoch == applied && version == self.registry.version() => {
                self.synced(version);
                Ok(())
            }
            _ => self.resync(),
        }
    }
}

/// `value` with the secret fields of the registry's current state: secrets are not shared.
fn keep_local_secrets<R: Registry>(registry: &R, value: R::Struct) -> R::Struct {
    let is_secret = |key: &<R::Struct as RegistryStruct>::Key| {
        <R::Struct as RegistryStruct>::key_field(key).is_secret()
    };
    let mut entries = Vec::new();
    value.into_entries(&mut |key, value| {
        if !is_secret(&key) {
            entries.push((key, value));
        }
    });
    registry.snapshot().into_entries(&mut |key, value| {
        if is_secret(&key) {
            entries.push((key, value));
        }
    });
    match <R::Struct as RegistryStruct>::from_entries(&mut entries.into_iter()) {
        Ok(value) => value,
        Err(_) => unreachable!("every field of a complete struct is in its entries"),
    }
}

/// A fresh epoch: the time and this process, unique enough among a fleet's publications.
fn new_epoch() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{:x}", std::process::id())
}
