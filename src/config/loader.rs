//! [`Loader`]: the layers of a configuration, read in order and merged, then read field by
//! field into a registry's struct.

use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::env;
use super::error::{ConfigError, Problem, ProblemKind};
use super::fields::{ConfigStruct, LoadState, read_struct};
use super::formats::{self, Format};
use super::node::{Entry, Node, Origin, Value, merge};
use super::provenance::Provenance;
use super::template;
use crate::registry::{Change, Registry, RegistryStruct};

/// Loads a registry's struct from layered sources. Later layers win, field by field:
///
/// 1. the struct's `#[registry(default = ...)]`s (`None` for an absent `Option`, empty for an
///    absent map) — declared once, in the struct, never as serde defaults;
/// 2. files, in the order added (TOML, JSON or YAML, by extension; features `toml`, `json`,
///    `yaml`); tables merge key by key, anything else replaces;
/// 3. environment variables, if a prefix is set ([`env_prefix`](Self::env_prefix));
/// 4. overrides given in code ([`set`](Self::set)), for command-line flags.
///
/// A load reads every layer, then every field, and either builds the struct (running its
/// validators) or returns every problem at once, each with the field path and where its value
/// came from. Keys that name no field are errors unless
/// [`allow_unknown_keys`](Self::allow_unknown_keys) is called.
///
/// ```
/// use syncmap::SyncRegistry;
/// use syncmap::config::{Loader, Origin};
///
/// #[derive(SyncRegistry, Clone, Debug, PartialEq)]
/// struct Server {
///     #[registry(default = 8080)]
///     port: u16,
///     workers: u32,
/// }
///
/// let (config, provenance) = Loader::<ServerRegistry>::new()
///     .set("workers", "4")
///     .load()
///     .unwrap();
/// assert_eq!((config.port(), config.workers()), (8080, 4));
/// assert_eq!(provenance.get("port"), Some(&Origin::Default));
///
/// let error = Loader::<ServerRegistry>::new().set("port", "http").load().unwrap_err();
/// assert_eq!(error.problems().len(), 2); // `port` does not parse, `workers` is missing
/// ```
pub struct Loader<R> {
    files: Vec<(PathBuf, bool)>,
    env_prefix: Option<String>,
    overrides: Vec<(String, String, String)>,
    deny_unknown: bool,
    debounce: Duration,
    _registry: PhantomData<fn() -> R>,
}

impl<R> std::fmt::Debug for Loader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loader")
            .field("files", &self.files)
            .field("env_prefix", &self.env_prefix)
            .field("overrides", &self.overrides.len())
            .field("deny_unknown", &self.deny_unknown)
            .finish()
    }
}

impl<R> Default for Loader<R> {
    fn default() -> Self {
        Self {
            files: Vec::new(),
            env_prefix: None,
            overrides: Vec::new(),
            deny_unknown: true,
            debounce: Duration::from_millis(100),
            _registry: PhantomData,
        }
    }
}

/// The outcome of a [`Loader::reload`] that succeeded.
#[derive(Debug)]
#[non_exhaustive]
pub struct Reload<S: RegistryStruct> {
    /// The registry's version after the reload (unchanged if nothing changed).
    pub version: u64,
    /// The fields that changed, with old and new values, as one change; `None` if none did.
    pub change: Option<Arc<Change<S>>>,
    /// The sources of the values now published.
    pub provenance: Provenance,
}

impl<R: Registry> Loader<R>
where
    R::Struct: ConfigStruct,
{
    /// A loader with no files, no environment and no overrides: defaults only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file that must exist.
    #[must_use]
    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.files.push((path.into(), true));
        self
    }

    /// Adds a file that is skipped while it does not exist (a local override file).
    #[must_use]
    pub fn optional_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.files.push((path.into(), false));
        self
    }

    /// Reads environment variables named `{prefix}_{PATH}`: see [`env_var`](Self::env_var).
    #[must_use]
    pub fn env_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.env_prefix = Some(prefix.into());
        self
    }

    /// Reads environment variables named from the paths without a prefix (`DATABASE__URL`),
    /// or as the fields' `#[registry(env = "...")]` say.
    #[must_use]
    pub fn env(self) -> Self {
        self.env_prefix(String::new())
    }

    /// Sets the field at `path` (`database.pool_size`) to `value`, read as environment text is
    /// (parsed into the field's type), above every other layer. A map field takes
    /// `key=value,key=value`; a list takes `a,b,c`.
    #[must_use]
    pub fn set(self, path: impl Into<String>, value: impl ToString) -> Self {
        let path = path.into();
        let label = path.clone();
        self.set_labeled(path, value, label)
    }

    /// [`set`](Self::set), with the label that provenance and errors show (`--port`).
    #[must_use]
    pub fn set_labeled(
        mut self,
        path: impl Into<String>,
        value: impl ToString,
        label: impl Into<String>,
    ) -> Self {
        self.overrides
            .push((path.into(), value.to_string(), label.into()));
        self
    }

    /// Ignores keys that name no field instead of refusing them.
    #[must_use]
    pub fn allow_unknown_keys(mut self) -> Self {
        self.deny_unknown = false;
        self
    }

    /// How long a [watcher](Self::watch) waits after a file event for the burst to end before
    /// it reloads (100 ms unless set).
    #[must_use]
    pub fn debounce(mut self, quiet: Duration) -> Self {
        self.debounce = quiet;
        self
    }

    #[cfg_attr(not(feature = "watch"), allow(dead_code))]
    pub(crate) fn debounce_time(&self) -> Duration {
        self.debounce
    }

    /// The files, in layer order.
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|(path, _)| path.as_path())
    }

    /// Every file the layers read: the loader's files and the files that `NAME_FILE` variables
    /// of secret fields name (read now, from the environment).
    #[cfg_attr(not(feature = "watch"), allow(dead_code))]
    pub(crate) fn watched_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = self.files().map(Path::to_path_buf).collect();
        if let Some(prefix) = self.env_prefix.as_deref() {
            let mut leaves = Vec::new();
            crate::registry::leaves(<R::Struct as RegistryStruct>::FIELDS, "", &mut leaves);
            for leaf in leaves.iter().filter(|leaf| leaf.info().is_secret()) {
                let var = env::leaf_var(leaf.info(), Some(prefix), leaf.path());
                if let Some(path) = std::env::var_os(format!("{var}_FILE")) {
                    files.push(PathBuf::from(path));
                }
            }
        }
        files
    }

    /// The environment variable that sets the field at `path`: `APP_DATABASE__POOL_SIZE` for
    /// `database.pool_size` under prefix `APP` (levels joined by `__`, so a `_` inside a name is
    /// never ambiguous). A secret field can also be read from the file `{NAME}_FILE` names.
    pub fn env_var(&self, path: &str) -> String {
        let fields = <R::Struct as RegistryStruct>::FIELDS;
        env::var_for(fields, self.env_prefix.as_deref(), path)
    }

    /// A commented example TOML file for the struct: each field's doc, type, environment
    /// variable and default (commented out), required fields left to fill, secret fields blank
    /// with the variables that set them.
    ///
    /// ```
    /// use syncmap::SyncRegistry;
    /// use syncmap::config::Loader;
    ///
    /// #[derive(SyncRegistry, Clone, Debug)]
    /// struct Server {
    ///     /// Port to listen on.
    ///     #[registry(default = 8080)]
    ///     port: u16,
    /// }
    ///
    /// let template = Loader::<ServerRegistry>::new().env_prefix("APP").template();
    /// assert!(template.contains("# Port to listen on.\n# Type: u16. Environment: APP_PORT.\n#port = 8080\n"));
    /// ```
    pub fn template(&self) -> String {
        let name = <R::Struct as RegistryStruct>::NAME;
        let fields = <R::Struct as RegistryStruct>::FIELDS;
        template::toml_template(name, fields, self.env_prefix.as_deref())
    }

    /// Reads every layer and builds the struct, validated.
    ///
    /// # Errors
    ///
    /// Every problem of the attempt: unreadable files, syntax errors, values the fields' types
    /// refuse, unknown keys, missing required fields, validators' refusals.
    pub fn load_struct(&self) -> Result<(R::Struct, Provenance), ConfigError> {
        let prefix = self.env_prefix.clone();
        let mut state = LoadState {
            problems: Vec::new(),
            provenance: Provenance::default(),
            unknown: Default::default(),
            deny_unknown: self.deny_unknown,
            env_name: Box::new(move |path| {
                let fields = <R::Struct as RegistryStruct>::FIELDS;
                prefix
                    .as_deref()
                    .map(|prefix| env::var_for(fields, Some(prefix), path))
            }),
        };
        let mut source_problems = Vec::new();
        let tree = self.merged(&mut source_problems);
        let value = read_struct::<R::Struct>(&tree, &mut state);
        if !source_problems.is_empty() {
            // The fields are read anyway, so that one load still shows every problem; but a
            // field that an unreadable source may have set is not reported missing.
            let unreadable = source_problems.iter().any(|problem| {
                matches!(
                    problem.kind(),
                    ProblemKind::Io { .. } | ProblemKind::Syntax { .. }
                )
            });
            let field_problems = state.problems.into_iter().filter(|problem| {
                !(unreadable && matches!(problem.kind(), ProblemKind::Missing { .. }))
            });
            source_problems.extend(field_problems);
            return Err(ConfigError::new(source_problems));
        }
        let Some(value) = value else {
            return Err(ConfigError::new(state.problems));
        };
        if let Err(refused) = value.validate() {
            let problems = refused
                .failures()
                .iter()
                .map(|failure| {
                    let origin = state.provenance.get(failure.path()).cloned();
                    let message = failure.error().to_string();
                    Problem::new(failure.path(), origin, ProblemKind::Validation { message })
                })
                .collect();
            return Err(ConfigError::new(problems));
        }
        Ok((value, state.provenance))
    }

    /// Loads the struct and builds a registry over the default backend.
    ///
    /// # Errors
    ///
    /// As [`load_struct`](Self::load_struct).
    pub fn load(&self) -> Result<(R, Provenance), ConfigError>
    where
        R::Map: Default,
    {
        let (value, provenance) = self.load_struct()?;
        // Validated above; a validator that changes its mind is reported as such.
        let registry = R::from_struct(value).map_err(|refused| {
            let message = refused.to_string();
            ConfigError::new(vec![Problem::new(
                "",
                None,
                ProblemKind::Validation { message },
            )])
        })?;
        Ok((registry, provenance))
    }

    /// Loads the struct again and publishes, as one change, only the fields that differ from
    /// `registry`'s; on any problem, publishes nothing and the registry keeps its values.
    ///
    /// The sources are the truth: a field written at run time (through an accessor) and set
    /// by a source differently is set back. `change` is the change published at the returned
    /// version; if another thread writes the registry during the reload and this reload
    /// changes nothing, that other change may be reported instead.
    ///
    /// # Errors
    ///
    /// As [`load_struct`](Self::load_struct).
    pub fn reload(&self, registry: &R) -> Result<Reload<R::Struct>, ConfigError> {
        let (value, provenance) = self.load_struct()?;
        let before = registry.version();
        let version = registry.store_struct(value).map_err(|refused| {
            let message = refused.to_string();
            ConfigError::new(vec![Problem::new(
                "",
                None,
                ProblemKind::Validation { message },
            )])
        })?;
        let change = if version > before {
            registry
                .changes_since(version - 1)
                .changes()
                .iter()
                .find(|change| change.version() == version)
                .cloned()
        } else {
            None
        };
        Ok(Reload {
            version,
            change,
            provenance,
        })
    }

    /// Every layer above the defaults, merged.
    fn merged(&self, problems: &mut Vec<Problem>) -> Node {
        let mut tree = Node::new(Value::Table(Vec::new()), Origin::Default);
        for (path, required) in &self.files {
            if let Some(file) = read_file(path, *required, problems) {
                merge(&mut tree, file);
            }
        }
        if self.env_prefix.is_some() {
            let fields = <R::Struct as RegistryStruct>::FIELDS;
            merge(
                &mut tree,
                env::read(
                    fields,
                    self.env_prefix.as_deref(),
                    self.deny_unknown,
                    problems,
                ),
            );
        }
        for (path, value, label) in &self.overrides {
            let origin = Origin::Override {
                label: label.clone(),
            };
            merge(&mut tree, override_tree(path, value, origin));
        }
        tree
    }
}

/// The tree of one file; `None` (with a problem, unless optional and absent) if unreadable.
fn read_file(path: &Path, required: bool, problems: &mut Vec<Problem>) -> Option<Node> {
    let shared: Arc<Path> = Arc::from(path);
    let io = |message: String| {
        Problem::new(
            "",
            None,
            ProblemKind::Io {
                path: shared.clone(),
                message,
            },
        )
    };
    let Some(format) = Format::from_path(path) else {
        problems.push(io(
            "unknown format: expected the extension .toml, .json, .yaml or .yml, with the \
             syncmap feature of that name enabled"
                .to_owned(),
        ));
        return None;
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if !required && error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => {
            problems.push(io(error.to_string()));
            return None;
        }
    };
    match formats::parse(format, &text, shared.clone()) {
        Ok(tree) => Some(tree),
        Err(error) => {
            let origin = Origin::File {
                path: shared,
                line: error.line,
                column: error.column,
            };
            problems.push(Problem::new(
                "",
                Some(origin),
                ProblemKind::Syntax {
                    format: format.name(),
                    message: error.message,
                },
            ));
            None
        }
    }
}

/// A tree that sets the dotted `path` to the text `value`.
fn override_tree(path: &str, value: &str, origin: Origin) -> Node {
    let mut node = Node::new(Value::String(value.to_owned()), origin.clone());
    for key in path.rsplit('.') {
        node = Node::new(
            Value::Table(vec![Entry {
                key: key.to_owned(),
                key_origin: origin.clone(),
                value: node,
            }]),
            origin.clone(),
        );
    }
    node
}
