//! The tree every source is read into before a registry is built from it: values with the
//! place each came from, so that an error or a provenance query can say where.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// Where a value of a configuration came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// A position in a file: 1-based line and column (in characters) of the value's first
    /// character.
    File {
        /// The file, as given to the loader.
        path: Arc<Path>,
        /// 1-based line.
        line: u32,
        /// 1-based column, counted in characters.
        column: u32,
    },
    /// An environment variable, by name.
    Env {
        /// The variable's name, such as `APP_DATABASE__POOL_SIZE`.
        var: String,
    },
    /// A file named by a `NAME_FILE` environment variable (a Docker or Kubernetes secret).
    EnvFile {
        /// The variable's name, such as `APP_PASSWORD_FILE`.
        var: String,
        /// The file it named.
        path: Arc<Path>,
    },
    /// An override given in code, with the label the caller gave it (a flag's name, say).
    Override {
        /// The caller's label, such as `--port`.
        label: String,
    },
    /// The field's `#[registry(default = ...)]`, or `None`/empty for an absent optional or map
    /// field.
    Default,
    /// A field of a fleet's remote store (feature `fleet`), by its name there.
    Remote {
        /// The field's name in the remote store, such as `database.pool.size`.
        field: String,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line, column } => {
                write!(f, "{}:{line}:{column}", path.display())
            }
            Origin::Env { var } => write!(f, "environment variable {var}"),
            Origin::EnvFile { var, path } => {
                write!(f, "file {} (named by {var})", path.display())
            }
            Origin::Override { label } => write!(f, "override {label}"),
            Origin::Default => f.write_str("default"),
            Origin::Remote { field } => write!(f, "remote field {field}"),
        }
    }
}

/// A value read from a source, with its origin.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    /// The value.
    pub(crate) value: Value,
    /// Where it was read.
    pub(crate) origin: Origin,
}

/// The shapes a configuration value takes in every format.
#[derive(Clone, Debug, PartialEq)]
// Only the file formats and the fleet's decoder build some of the shapes.
#[cfg_attr(
    not(any(
        feature = "toml",
        feature = "json",
        feature = "yaml",
        feature = "fleet"
    )),
    allow(dead_code)
)]
pub(crate) enum Value {
    /// JSON's `null`, YAML's `~`; TOML has none.
    #[cfg_attr(
        not(any(feature = "json", feature = "yaml", feature = "fleet")),
        allow(dead_code)
    )]
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer (every format's integers fit).
    Integer(i128),
    /// A floating-point number.
    Float(f64),
    /// A string; also TOML's dates and times, as written. Environment variables and overrides
    /// are strings that a field's type parses (`"8080"` for a `u16`).
    String(String),
    /// An array.
    Seq(Vec<Node>),
    /// A table (TOML), object (JSON) or mapping (YAML), in source order.
    Table(Table),
}

/// A table's entries in source order; a key appears once.
pub(crate) type Table = Vec<Entry>;

/// One entry of a table.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    /// The key, as written (YAML's non-string keys as their text).
    pub(crate) key: String,
    /// Where the key is written, for errors about the key itself (an unknown key).
    pub(crate) key_origin: Origin,
    /// The value.
    pub(crate) value: Node,
}

impl Node {
    /// A node at `origin`.
    pub(crate) fn new(value: Value, origin: Origin) -> Self {
        Self { value, origin }
    }

    /// The entry of this table named `key`, if this is a table and has one.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Table(table) => table.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }

    /// What kind of value this is, for messages ("a string", "a table").
    pub(crate) fn kind(&self) -> &'static str {
        self.value.kind()
    }
}

impl Value {
    /// What kind of value this is, for messages ("a string", "a table").
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a float",
            Value::String(_) => "a string",
            Value::Seq(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// Merges `upper` over `lower`: tables merge key by key, recursively; anything else in `upper`
/// replaces what `lower` had (arrays are replaced, not appended).
pub(crate) fn merge(lower: &mut Node, upper: Node) {
    match (&mut lower.value, upper.value) {
        (Value::Table(lower_table), Value::Table(upper_table)) => {
            for entry in upper_table {
                match lower_table.iter_mut().find(|e| e.key == entry.key) {
                    Some(existing) => merge(&mut existing.value, entry.value),
                    None => lower_table.push(entry),
                }
            }
        }
        (_, value) => {
            lower.value = value;
            lower.origin = upper.origin;
        }
    }
}
