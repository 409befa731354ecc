//! The wire encoding: a struct into one string per leaf field and map entry, and back.
//!
//! Format 1: a field's name is its path (`port`, `database.pool.size`); a map entry's is the map's
//! path followed by the entry's key as a JSON string in brackets (`routes["/api"]`, also for
//! integer keys: `limits["5"]`). A value is the JSON text of the field's `Serialize`. An unset
//! optional field and an absent map entry have no field. Secret fields are left out unless the
//! binding shares them.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value as Json;

use crate::config::{ConfigError, ConfigStruct, Entry, Node, Origin, Problem, ProblemKind, Value};
use crate::registry::{FieldInfo, FieldKind, RegistryStruct};

/// The version of the encoding, stored with the state.
pub const FORMAT: &str = "1";

/// The fields of `value`.
pub(crate) fn encode<S: RegistryStruct + Serialize>(
    value: &S,
    share_secrets: bool,
) -> Result<BTreeMap<String, String>, String> {
    let json = serde_json::to_value(value).map_err(|error| error.to_string())?;
    let mut out = BTreeMap::new();
    flatten(S::FIELDS, &json, "", share_secrets, &mut out);
    Ok(out)
}

fn flatten(
    fields: &'static [FieldInfo],
    json: &Json,
    prefix: &str,
    share_secrets: bool,
    out: &mut BTreeMap<String, String>,
) {
    for info in fields {
        let path = join(prefix, info.name());
        let Some(value) = json.get(info.name()) else {
            continue;
        };
        if info.is_secret() && !share_secrets {
            continue;
        }
        match info.kind() {
            FieldKind::Nested => {
                if let Some(inner) = info.nested_fields() {
                    flatten(inner, value, &path, share_secrets, out);
                }
            }
            FieldKind::Map => {
                if let Json::Object(entries) = value {
                    for (key, entry) in entries {
                        let key = Json::String(key.clone());
                        out.insert(format!("{path}[{key}]"), entry.to_string());
                    }
                }
            }
            FieldKind::Optional if value.is_null() => {}
            FieldKind::Required | FieldKind::Optional => {
                out.insert(path, value.to_string());
            }
        }
    }
}

/// The struct the remote `fields` describe; fields it lacks take their defaults.
pub(crate) fn decode<S: ConfigStruct>(fields: &BTreeMap<String, String>) -> Result<S, ConfigError> {
    let mut root = Node::new(Value::Table(Vec::new()), Origin::Default);
    let mut problems = Vec::new();
    for (name, text) in fields {
        let origin = Origin::Remote {
            field: name.clone(),
        };
        let (path, key) = match name.split_once('[') {
            Some((path, rest)) => match rest
                .strip_suffix(']')
                .and_then(|key| serde_json::from_str::<String>(key).ok())
            {
                Some(key) => (path, Some(key)),
                None => {
                    problems.push(problem(name, origin, "not a field name of format 1"));
                    continue;
                }
            },
            None => (name.as_str(), None),
        };
        let value = match serde_json::from_str::<Json>(text) {
            Ok(value) => to_node(value, &origin),
            Err(error) => {
                let message = format!("not JSON: {error}");
                problems.push(problem(name, origin, &message));
                continue;
            }
        };
        let mut keys: Vec<&str> = path.split('.').collect();
        if let Some(key) = &key {
            keys.push(key);
        }
        insert(&mut root, &keys, value, &origin);
    }
    if !problems.is_empty() {
        return Err(ConfigError::new(problems));
    }
    crate::config::read_tree::<S>(&root).map_err(ConfigError::new)
}

fn problem(name: &str, origin: Origin, message: &str) -> Problem {
    Problem::new(
        name,
        Some(origin),
        ProblemKind::Invalid {
            message: message.to_owned(),
        },
    )
}

/// Puts `value` at `keys` under `node`, making tables on the way.
fn insert(node: &mut Node, keys: &[&str], value: Node, origin: &Origin) {
    let Some((first, rest)) = keys.split_first() else {
        return;
    };
    let Value::Table(entries) = &mut node.value else {
        return;
    };
    let index = match entries.iter().position(|entry| entry.key == *first) {
        Some(index) => index,
        None => {
            entries.push(Entry {
                key: (*first).to_owned(),
                key_origin: origin.clone(),
                value: Node::new(Value::Table(Vec::new()), origin.clone()),
            });
            entries.len() - 1
        }
    };
    if rest.is_empty() {
        entries[index].value = value;
    } else {
        insert(&mut entries[index].value, rest, value, origin);
    }
}

fn to_node(json: Json, origin: &Origin) -> Node {
    let value = match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(b),
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Value::Integer(i.into()),
            (None, Some(u), _) => Value::Integer(u.into()),
            (None, None, Some(x)) => Value::Float(x),
            (None, None, None) => Value::Null,
        },
        Json::String(s) => Value::String(s),
        Json::Array(items) => Value::Seq(items.into_iter().map(|j| to_node(j, origin)).collect()),
        Json::Object(entries) => Value::Table(
            entries
                .into_iter()
                .map(|(key, value)| Entry {
                    key,
                    key_origin: origin.clone(),
                    value: to_node(value, origin),
                })
                .collect(),
        ),
    };
    Node::new(value, origin.clone())
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}
