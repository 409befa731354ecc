//! Reading a struct's fields out of the merged tree, one field at a time: each field's type
//! deserializes its own value, so one load reports every bad field at once, and fields that no
//! source sets take their `#[registry(default)]` from the registry itself (declared once).

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::de::{DeError, NodeDe, Unknown, join, split_pairs};
use super::error::{Problem, ProblemKind};
use super::node::{Node, Origin, Value};
use super::provenance::Provenance;
use super::suggest::closest;
use crate::registry::{FieldAt, MapFieldAt, NestAt, RegistryStruct};

/// A registry struct whose fields can all be read from configuration sources: every field's
/// type (a `map` field's key and value) is `Deserialize`, and every nested struct is itself a
/// `ConfigStruct`. Implemented by `#[derive(SyncRegistry)]` when the facade's `config` feature
/// is on; the struct itself need not implement `Deserialize`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be loaded from configuration sources",
    note = "every field's type must implement `serde::Deserialize` (a `map` field's key and \
            value too), and every `nested` struct must be loadable itself"
)]
pub trait ConfigStruct: RegistryStruct {
    /// Reads every field through `loader`. Generated.
    #[doc(hidden)]
    fn load_fields(loader: &mut FieldLoader<'_, Self>);
}

/// How a field of each kind is read; implemented here for every struct, used by the generated
/// [`ConfigStruct`] impls.
#[doc(hidden)]
pub trait Loadable<Kind, const I: usize>: RegistryStruct {
    /// Reads field `I`.
    fn load(loader: &mut FieldLoader<'_, Self>);
}

/// The field kinds, as types for [`Loadable`].
#[doc(hidden)]
#[allow(missing_debug_implementations)]
pub mod kind {
    /// A required field.
    pub enum Required {}
    /// An `Option<T>` field.
    pub enum Optional {}
    /// A `map` field.
    pub enum Map {}
    /// A `nested` field.
    pub enum Nested {}
}

/// The environment variable that sets a field's path, if the load reads the environment.
pub(crate) type EnvName = Box<dyn Fn(&str) -> Option<String>>;

/// What a load collects besides the values.
pub(crate) struct LoadState {
    pub(crate) problems: Vec<Problem>,
    pub(crate) provenance: Provenance,
    pub(crate) unknown: Unknown,
    pub(crate) deny_unknown: bool,
    /// The environment variable that sets a path, if the environment is read (for "missing"
    /// hints).
    pub(crate) env_name: EnvName,
}

/// Reads the fields of one struct of the tree (the root, or a nested struct) into entries.
#[doc(hidden)]
pub struct FieldLoader<'a, S: RegistryStruct> {
    table: Option<&'a Node>,
    prefix: String,
    state: &'a mut LoadState,
    sink: &'a mut dyn FnMut(S::Key, S::Value),
}

impl<S: RegistryStruct> std::fmt::Debug for FieldLoader<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldLoader")
            .field("struct", &S::NAME)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// Reads the whole struct `S` from `tree`; problems go to `state`.
pub(crate) fn read_struct<S: ConfigStruct>(tree: &Node, state: &mut LoadState) -> Option<S> {
    let mut entries = Vec::new();
    let mut sink = |key, value| entries.push((key, value));
    read_fields::<S>(Some(tree), String::new(), state, &mut sink);
    if state.deny_unknown {
        let unknown = state.unknown.problems.take();
        // A value type with `deny_unknown_fields` reports the same key itself: keep one.
        let reported = |problem: &Problem| {
            unknown.iter().any(|u| u.path() == problem.path())
                && matches!(problem.kind(), ProblemKind::Invalid { .. })
        };
        state.problems.retain(|problem| !reported(problem));
        state.problems.extend(unknown);
    }
    if !state.problems.is_empty() {
        return None;
    }
    match S::from_entries(&mut entries.into_iter()) {
        Ok(value) => Some(value),
        // Every absent required field without a default was reported above; this is a
        // safety net for a struct whose `from_entries` disagrees.
        Err(missing) => {
            for path in missing.paths() {
                let env_var = (state.env_name)(path);
                state.problems.push(Problem::new(
                    path.clone(),
                    None,
                    ProblemKind::Missing { env_var },
                ));
            }
            None
        }
    }
}

/// Reads `S` from a tree that is not a file: unknown keys are ignored (a newer instance may
/// know more fields), every field's problems are returned at once.
#[cfg(feature = "fleet")]
pub(crate) fn read_tree<S: ConfigStruct>(tree: &Node) -> Result<S, Vec<Problem>> {
    let mut state = LoadState {
        problems: Vec::new(),
        provenance: Provenance::default(),
        unknown: Unknown::default(),
        deny_unknown: false,
        env_name: Box::new(|_| None),
    };
    match read_struct::<S>(tree, &mut state) {
        Some(value) => Ok(value),
        None => Err(state.problems),
    }
}

fn read_fields<S: ConfigStruct>(
    table: Option<&Node>,
    prefix: String,
    state: &mut LoadState,
    sink: &mut dyn FnMut(S::Key, S::Value),
) {
    let mut loader = FieldLoader::<S> {
        table,
        prefix,
        state,
        sink,
    };
    S::load_fields(&mut loader);
    loader.report_unknown_keys();
}

impl<'a, S: RegistryStruct> FieldLoader<'a, S> {
    /// The path of field `index`, the node that sets it if any, and whether it is secret.
    fn field(&self, index: usize) -> (String, Option<&'a Node>, bool) {
        let info = &S::FIELDS[index];
        let node = self.table.and_then(|table| table.get(info.name()));
        (join(&self.prefix, info.name()), node, info.is_secret())
    }

    /// Deserializes `node` as `T`, recording a failure.
    fn read<T: DeserializeOwned>(&mut self, node: &Node, path: &str, secret: bool) -> Option<T> {
        let de = NodeDe::new(node, path.to_owned(), &self.state.unknown);
        match T::deserialize(de) {
            Ok(value) => Some(value),
            Err(error) => {
                let fallback = (path.to_owned(), node.origin.clone());
                self.state
                    .problems
                    .push(error.into_problem(fallback, secret));
                None
            }
        }
    }

    fn report_unknown_keys(&mut self) {
        let Some(Node {
            value: Value::Table(entries),
            ..
        }) = self.table
        else {
            return;
        };
        if !self.state.deny_unknown {
            return;
        }
        for entry in entries {
            if S::FIELDS.iter().any(|info| info.name() == entry.key) {
                continue;
            }
            let did_you_mean = closest(&entry.key, S::FIELDS.iter().map(|info| info.name()));
            self.state.problems.push(Problem::new(
                join(&self.prefix, &entry.key),
                Some(entry.key_origin.clone()),
                ProblemKind::UnknownKey {
                    key: entry.key.clone(),
                    did_you_mean,
                },
            ));
        }
    }

    fn missing(&mut self, path: String) {
        let env_var = (self.state.env_name)(&path);
        self.state
            .problems
            .push(Problem::new(path, None, ProblemKind::Missing { env_var }));
    }
}

impl<S: FieldAt<I>, const I: usize> Loadable<kind::Required, I> for S
where
    S::Type: DeserializeOwned,
{
    fn load(loader: &mut FieldLoader<'_, Self>) {
        let (path, node, secret) = loader.field(I);
        match node {
            Some(node) => {
                if let Some(value) = loader.read::<S::Type>(node, &path, secret) {
                    (loader.sink)(S::key(), S::wrap(value));
                    loader.state.provenance.record(path, node.origin.clone());
                }
            }
            None if S::default_value().is_some() => {
                loader.state.provenance.record(path, Origin::Default);
            }
            None => loader.missing(path),
        }
    }
}

impl<S: FieldAt<I>, const I: usize> Loadable<kind::Optional, I> for S
where
    S::Type: DeserializeOwned,
{
    fn load(loader: &mut FieldLoader<'_, Self>) {
        let (path, node, secret) = loader.field(I);
        let Some(node) = node else {
            loader.state.provenance.record(path, Origin::Default);
            return;
        };
        if let Some(value) = loader.read::<Option<S::Type>>(node, &path, secret) {
            if let Some(value) = value {
                (loader.sink)(S::key(), S::wrap(value));
            }
            loader.state.provenance.record(path, node.origin.clone());
        }
    }
}

impl<S: MapFieldAt<I>, const I: usize> Loadable<kind::Map, I> for S
where
    S::MapKey: DeserializeOwned,
    S::MapValue: DeserializeOwned,
{
    fn load(loader: &mut FieldLoader<'_, Self>) {
        let (path, node, secret) = loader.field(I);
        let Some(node) = node else {
            loader.state.provenance.record(path, Origin::Default);
            return;
        };
        let split;
        let entries = match &node.value {
            Value::Table(entries) => entries,
            Value::String(text) if !matches!(node.origin, Origin::File { .. }) => {
                match split_pairs(text, &node.origin) {
                    Ok(entries) => {
                        split = entries;
                        &split
                    }
                    Err(error) => {
                        let fallback = (path, node.origin.clone());
                        loader
                            .state
                            .problems
                            .push(error.into_problem(fallback, secret));
                        return;
                    }
                }
            }
            other => {
                let message = format!("expected a table (a map field), found {}", other.kind());
                loader.state.problems.push(Problem::new(
                    path,
                    Some(node.origin.clone()),
                    ProblemKind::Invalid { message },
                ));
                return;
            }
        };
        loader
            .state
            .provenance
            .record(path.clone(), node.origin.clone());
        for entry in entries {
            // Until the key parses, the path shows it as written (never a secret map's).
            let raw_path = if secret {
                format!("{path}[<redacted>]")
            } else {
                format!("{path}[{:?}]", entry.key)
            };
            let key_node = Node::new(Value::String(entry.key.clone()), entry.key_origin.clone());
            let key_de = NodeDe::key(&key_node, raw_path.clone(), &loader.state.unknown);
            let key = match S::MapKey::deserialize(key_de) {
                Ok(key) => S::wrap_key(key),
                Err(error) => {
                    let fallback = (raw_path, entry.key_origin.clone());
                    let problem = DeError::into_problem(error, fallback, secret);
                    loader.state.problems.push(problem);
                    continue;
                }
            };
            // Then it is the registry's own path of the entry, as change events write it.
            let mut key_path = String::new();
            S::write_key_path(&key, &mut key_path);
            let key_path = join(&loader.prefix, &key_path);
            if let Some(value) = loader.read::<S::MapValue>(&entry.value, &key_path, secret) {
                // A secret map's entries share one redacted path: its field's source stands.
                if !secret {
                    loader
                        .state
                        .provenance
                        .record(key_path, entry.value.origin.clone());
                }
                (loader.sink)(key, S::wrap(value));
            }
        }
    }
}

impl<S: NestAt<I>, const I: usize> Loadable<kind::Nested, I> for S
where
    S::Inner: ConfigStruct,
{
    fn load(loader: &mut FieldLoader<'_, Self>) {
        let (path, node, _) = loader.field(I);
        if let Some(node) = node
            && !matches!(node.value, Value::Table(_))
        {
            let message = format!(
                "expected a table (the nested struct `{}`), found {}",
                <S::Inner as RegistryStruct>::NAME,
                node.kind()
            );
            loader.state.problems.push(Problem::new(
                path,
                Some(node.origin.clone()),
                ProblemKind::Invalid { message },
            ));
            return;
        }
        let outer = &mut *loader.sink;
        let mut sink = |key, value| outer(S::wrap_key(key), S::wrap(value));
        read_fields::<S::Inner>(node, path, loader.state, &mut sink);
    }
}
