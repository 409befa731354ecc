//! Configuration from layered sources (cargo feature `config`): a registry's struct loaded
//! from its defaults, files, environment variables and overrides, with every problem of a load
//! reported at once and the source of every value kept.
//!
//! | file | concern |
//! | --- | --- |
//! | `loader` | [`Loader`]: the layers, their order, load and reload |
//! | `node` | the tree every source is read into, with origins |
//! | `formats` | TOML, JSON and YAML files into trees (features `toml`, `json`, `yaml`) |
//! | `env` | environment variables named from field paths, `_FILE` secrets |
//! | `fields` | reading each field of the struct from the merged tree |
//! | `de` | the `serde` deserializer over a tree, with located errors |
//! | `error` | [`ConfigError`] and its [`Problem`]s |
//! | `provenance` | [`Provenance`]: the source of every field's value |
//! | `suggest` | "did you mean" for unknown keys |
//! | `template` | a commented example TOML file from the fields' docs and defaults |
//! | `watch` | (feature `watch`) reloading when the files change |

mod de;
mod env;
mod error;
mod fields;
mod formats;
mod loader;
mod node;
mod provenance;
mod suggest;
mod template;
#[cfg(feature = "watch")]
mod watch;

pub use self::error::{ConfigError, Problem, ProblemKind};
pub use self::fields::ConfigStruct;
#[cfg(feature = "fleet")]
pub(crate) use self::fields::read_tree;
#[doc(hidden)]
pub use self::fields::{FieldLoader, Loadable, kind};
pub use self::loader::{Loader, Reload};
pub use self::node::Origin;
#[cfg(feature = "fleet")]
pub(crate) use self::node::{Entry, Node, Value};
pub use self::provenance::Provenance;
#[cfg(feature = "watch")]
pub use self::watch::{NextReport, ReloadReport, Trigger, WatchError, Watcher};
