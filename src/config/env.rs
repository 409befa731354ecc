//! The environment layer: one variable per leaf field, named from the field's path.
//!
//! The name is the prefix, `_`, then the path's names in upper case joined by `__`:
//! `APP_DATABASE__POOL_SIZE` for `database.pool_size` under prefix `APP`. A single `_` stays
//! inside a name and a double one separates levels, so names with underscores are never
//! ambiguous. A secret field may instead be given by `NAME_FILE`, the path of a file holding
//! it (Docker and Kubernetes secrets); a trailing newline is dropped. Characters of a renamed
//! key that a variable name cannot hold become `_` (`log-level` -> `LOG_LEVEL`); a field named
//! `a__b` and a nested `a.b` would share a variable, so avoid double underscores in names.

use std::path::Path;
use std::sync::Arc;

use super::de::join;
use super::error::{Problem, ProblemKind};
use super::node::{Entry, Node, Origin, Value};
use crate::registry::FieldInfo;

/// The variable that sets the leaf `info` at `path`: its `#[registry(env = "...")]`, or the
/// name made from the path.
pub(crate) fn leaf_var(info: &FieldInfo, prefix: Option<&str>, path: &str) -> String {
    match info.env() {
        Some(name) => name.to_owned(),
        None => var_name(prefix, path),
    }
}

/// The variable that sets the field at `path` of a struct with `fields`.
pub(crate) fn var_for(fields: &'static [FieldInfo], prefix: Option<&str>, path: &str) -> String {
    let mut leaves = Vec::new();
    crate::registry::leaves(fields, "", &mut leaves);
    match leaves.iter().find(|leaf| leaf.path() == path) {
        Some(leaf) => leaf_var(leaf.info(), prefix, path),
        None => var_name(prefix, path),
    }
}

/// The variable named from `path`: see the module's docs.
pub(crate) fn var_name(prefix: Option<&str>, path: &str) -> String {
    // A renamed key may hold characters a variable name cannot (`log-level`): they become `_`.
    let body: Vec<String> = path
        .split('.')
        .map(|name| {
            name.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect()
        })
        .collect();
    let body = body.join("__");
    match prefix {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}_{body}"),
        _ => body,
    }
}

/// Reads every variable that sets a field of `fields`, as a tree rooted like a file's. With
/// `deny_unknown` and a prefix, a variable with the prefix that sets no field is a problem (a
/// typo such as `APP_PROT`).
pub(crate) fn read(
    fields: &'static [FieldInfo],
    prefix: Option<&str>,
    deny_unknown: bool,
    problems: &mut Vec<Problem>,
) -> Node {
    let mut root = Node::new(Value::Table(Vec::new()), Origin::Default);
    read_into(fields, "", prefix, &mut root, problems);
    if let Some(prefix) = prefix.filter(|prefix| deny_unknown && !prefix.is_empty()) {
        unknown_variables(fields, prefix, problems);
    }
    root
}

fn unknown_variables(fields: &'static [FieldInfo], prefix: &str, problems: &mut Vec<Problem>) {
    let mut leaves = Vec::new();
    crate::registry::leaves(fields, "", &mut leaves);
    let mut known = Vec::new();
    for leaf in &leaves {
        let var = leaf_var(leaf.info(), Some(prefix), leaf.path());
        if leaf.info().is_secret() {
            known.push(format!("{var}_FILE"));
        }
        known.push(var);
    }
    let start = format!("{prefix}_");
    let mut strays: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| name.starts_with(&start) && !known.contains(name))
        .collect();
    strays.sort();
    for var in strays {
        let did_you_mean = super::suggest::closest(&var, known.iter().map(String::as_str));
        problems.push(Problem::new(
            "",
            Some(Origin::Env { var: var.clone() }),
            ProblemKind::UnknownKey {
                key: var,
                did_you_mean,
            },
        ));
    }
}

fn read_into(
    fields: &'static [FieldInfo],
    parent: &str,
    prefix: Option<&str>,
    table: &mut Node,
    problems: &mut Vec<Problem>,
) {
    for info in fields {
        let path = join(parent, info.name());
        if let Some(inner) = info.nested_fields() {
            let mut sub = Node::new(Value::Table(Vec::new()), Origin::Default);
            read_into(inner, &path, prefix, &mut sub, problems);
            if matches!(&sub.value, Value::Table(entries) if !entries.is_empty()) {
                insert(table, info.name(), sub);
            }
            continue;
        }
        let var = leaf_var(info, prefix, &path);
        let direct = variable(&var, &path, problems);
        let from_file = if info.is_secret() {
            secret_file(&var, &path, problems)
        } else {
            None
        };
        let node = match (direct, from_file) {
            (Some(_), Some(_)) => {
                let message = format!("both {var} and {var}_FILE are set; set only one");
                problems.push(Problem::new(
                    path,
                    Some(Origin::Env { var }),
                    ProblemKind::Conflict { message },
                ));
                continue;
            }
            (Some(node), None) | (None, Some(node)) => node,
            (None, None) => continue,
        };
        insert(table, info.name(), node);
    }
}

/// The variable `var` as a text node, if it is set.
fn variable(var: &str, path: &str, problems: &mut Vec<Problem>) -> Option<Node> {
    let origin = Origin::Env {
        var: var.to_owned(),
    };
    match std::env::var(var) {
        Ok(text) => Some(Node::new(Value::String(text), origin)),
        Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(_)) => {
            let message = "the variable is not valid UTF-8".to_owned();
            problems.push(Problem::new(
                path,
                Some(origin),
                ProblemKind::Invalid { message },
            ));
            None
        }
    }
}

/// The content of the file `{var}_FILE` names, if that variable is set.
fn secret_file(var: &str, path: &str, problems: &mut Vec<Problem>) -> Option<Node> {
    let file_var = format!("{var}_FILE");
    let named = variable(&file_var, path, problems)?;
    let Value::String(file) = named.value else {
        return None;
    };
    let file: Arc<Path> = Arc::from(Path::new(&file));
    match std::fs::read_to_string(&file) {
        Ok(text) => {
            let text = text.strip_suffix('\n').unwrap_or(&text);
            let text = text.strip_suffix('\r').unwrap_or(text);
            let origin = Origin::EnvFile {
                var: file_var,
                path: file,
            };
            Some(Node::new(Value::String(text.to_owned()), origin))
        }
        Err(error) => {
            problems.push(Problem::new(
                path,
                Some(Origin::Env { var: file_var }),
                ProblemKind::Io {
                    path: file,
                    message: error.to_string(),
                },
            ));
            None
        }
    }
}

fn insert(table: &mut Node, key: &str, value: Node) {
    if let Value::Table(entries) = &mut table.value {
        entries.push(Entry {
            key: key.to_owned(),
            key_origin: value.origin.clone(),
            value,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::var_name;

    #[test]
    fn names_join_levels_with_double_underscores() {
        assert_eq!(var_name(Some("APP"), "port"), "APP_PORT");
        assert_eq!(
            var_name(Some("APP"), "database.pool_size"),
            "APP_DATABASE__POOL_SIZE"
        );
        assert_eq!(var_name(None, "database.pool_size"), "DATABASE__POOL_SIZE");
        assert_eq!(var_name(Some(""), "a.b.c"), "A__B__C");
        assert_eq!(var_name(Some("APP"), "log-level"), "APP_LOG_LEVEL");
    }
}
