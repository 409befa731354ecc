//! One registry for a fleet (cargo feature `fleet`, engine `redis`): a remote store holds the
//! shared truth, and each instance's registry is its local, lock-free read path.
//!
//! ```text
//! instance A                        store (Redis)                      instance B
//! fleet.update(|c| ..) ── script ─▶ hash: fields + __version ── PUBLISH ─▶ follower thread
//!   registry at version v ◀─ state ─┘                                   registry at version v
//! ```
//!
//! # What runs where
//!
//! - **Reads** are the registry's own (`fleet.registry().port()`): local, lock-free, never on
//!   the network.
//! - **Writes** ([`Fleet::store_struct`], [`Fleet::store_struct_if`], [`Fleet::update`]) run on
//!   the caller's thread: the fields that differ from the registry's are sent to the store as
//!   one atomic step (checked against the epoch, and against a version when given), which
//!   returns the whole state after it; the registry then publishes it **at the store's
//!   version**, so the local version is the fleet version. A write while the store is
//!   unreachable fails after the engine's timeout with [`FleetError::Engine`]; nothing is
//!   buffered or retried, so nothing is applied twice. Writes made directly on the registry
//!   (its own `store_*` accessors) stay local: write through the [`Fleet`].
//! - **One follower thread** per binding waits for the store's notifications (Redis pub/sub),
//!   and every [`poll_interval`](FleetOptions::poll_interval) checks the version anyway, since
//!   notifications can be lost. A newer version is read whole and applied as one change with
//!   the changed fields only (subscribers and waiters fire as for a local write). After any
//!   failure it reconnects with backoff and resynchronizes fully. No async runtime is involved.
//!
//! # Faults and their policy
//!
//! - **Store unreachable**: [`Fleet::sync_status`] turns [`Stale`](SyncStatus::Stale) (since
//!   when, at which version, why); reads go on with the last state.
//! - **Store restarted empty** (no persistence): the first instance to notice publishes its
//!   own state as a new epoch (only if the hash is still absent, atomically); the others adopt it.
//! - **Version gone backwards in the same epoch** (restored from an older copy): the instance
//!   that notices republishes its newer state above its own version.
//! - **Another epoch whose version is not ahead** of the local one: the instance moves it
//!   ahead (same fields) before adopting it, so that a registry's versions only grow.
//! - **Malformed value** written by another client: the state is not applied, the registry
//!   keeps its last good values, the status is stale with the reason, and
//!   [`Fleet::last_error`] has every problem with its field.
//!
//! # Encoding (format 1)
//!
//! Each leaf field and each map entry is one field of the hash: `port`, `database.pool.size`,
//! `routes["/api"]` (the key as a JSON string). Values are the JSON of the field's
//! `Serialize`, read back field by field as the `config` loader reads files (so the struct
//! needs `Serialize`, and its fields `Deserialize`; serde names must be the registry's). Fields
//! the store lacks take their defaults; fields it has that the struct lacks are ignored (a
//! newer instance may know more). Secret fields are never sent unless
//! [`FleetOptions::share_secrets`] is set (their type must then serialize).
//!
//! # A second engine: etcd
//!
//! [`Engine`] is the whole contract. On etcd: the registry is the key range `PREFIX/`, one key
//! per field (`PREFIX/f/port`), plus `PREFIX/epoch`; the fleet version is the range's
//! `mod_revision` high-water mark (etcd's revision is already global and monotonic). `write` and
//! `replace` are one `Txn` (compare `PREFIX/epoch` value and, when expected, the max
//! `mod_revision` of the range; then puts and deletes; the response's header revision is the
//! new version); `read` is a range get at one revision; `wait` is a `Watch` on the prefix from
//! the last applied revision + 1, which cannot lose events until compaction: a watch cancelled
//! with `compact_revision` means events were compacted away, and the follower resynchronizes
//! with a full read, as after a Redis reconnect.

mod binding;
mod codec;
mod engine;
#[cfg(feature = "redis")]
mod redis_engine;
mod status;

pub use self::binding::{Fleet, FleetOptions, FleetStruct};
pub use self::codec::FORMAT;
pub use self::engine::{Engine, EngineError, Expect, RemoteState, Written};
#[cfg(feature = "redis")]
pub use self::redis_engine::RedisEngine;
pub use self::status::{FleetError, SyncStatus};
