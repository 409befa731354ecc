//! A commented example TOML file, written from the fields' docs, defaults and kinds.

use std::fmt::Write as _;

use super::de::join;
use super::env::leaf_var;
use crate::registry::{FieldInfo, FieldKind};

/// The template of a struct with `fields`, naming environment variables under `prefix`.
pub(crate) fn toml_template(
    name: &str,
    fields: &'static [FieldInfo],
    prefix: Option<&str>,
) -> String {
    let mut out = format!(
        "# Configuration of `{name}`, generated from its fields.\n\
         # Lines starting with `#key =` show a default or an unset field: uncomment to set it.\n"
    );
    write_table(&mut out, fields, "", prefix);
    out
}

fn write_table(out: &mut String, fields: &'static [FieldInfo], parent: &str, prefix: Option<&str>) {
    // TOML wants a table's plain keys before its sub-tables.
    for info in fields
        .iter()
        .filter(|f| !matches!(f.kind(), FieldKind::Map | FieldKind::Nested))
    {
        out.push('\n');
        write_docs(out, info);
        let path = join(parent, info.name());
        let env = leaf_var(info, prefix, &path);
        let key = info.name();
        if info.is_secret() {
            let _ = writeln!(
                out,
                "# Secret: keep it out of this file; set {env}, or {env}_FILE to a file holding it."
            );
            let _ = writeln!(out, "#{key} = \"\"");
            continue;
        }
        let _ = writeln!(out, "# Type: {}. Environment: {env}.", info.type_name());
        match (info.kind(), info.default()) {
            (FieldKind::Optional, _) => {
                let _ = writeln!(out, "# Optional.\n#{key} =");
            }
            (_, Some(default)) => match toml_literal(default) {
                Some(literal) => {
                    let _ = writeln!(out, "#{key} = {literal}");
                }
                None => {
                    let _ = writeln!(out, "# Default (Rust): {default}\n#{key} =");
                }
            },
            (_, None) => {
                let _ = writeln!(out, "# Required: no default; set it.\n#{key} =");
            }
        }
    }
    for info in fields.iter().filter(|f| f.kind() == FieldKind::Map) {
        let path = join(parent, info.name());
        out.push('\n');
        write_docs(out, info);
        let _ = writeln!(
            out,
            "# A table: one key per entry. Type: {}. Environment: {} (`key=value,key=value`).",
            info.type_name(),
            leaf_var(info, prefix, &path)
        );
        let _ = writeln!(out, "#[{path}]");
    }
    for info in fields.iter().filter(|f| f.kind() == FieldKind::Nested) {
        let path = join(parent, info.name());
        out.push('\n');
        write_docs(out, info);
        let _ = writeln!(out, "[{path}]");
        if let Some(inner) = info.nested_fields() {
            write_table(out, inner, &path, prefix);
        }
    }
}

fn write_docs(out: &mut String, info: &FieldInfo) {
    for line in info.doc().lines() {
        let line = line.trim_end();
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            let _ = writeln!(out, "# {}", line.trim_start());
        }
    }
}

/// The TOML form of a default written in Rust, when it is a plain literal: a number, a
/// boolean, or a string (also `"x".to_owned()`, `"x".into()`, `String::from("x")`).
fn toml_literal(rust: &str) -> Option<String> {
    // The derive records the default's tokens, spaced (`"edge" . to_owned ()`): drop the
    // spaces outside string literals first.
    let mut compact = String::new();
    let mut in_string = false;
    let mut escaped = false;
    for c in rust.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if c.is_whitespace() {
            continue;
        }
        compact.push(c);
    }
    let rust = compact.as_str();
    if rust == "true" || rust == "false" {
        return Some(rust.to_owned());
    }
    const SUFFIXES: [&str; 14] = [
        "u128", "usize", "i128", "isize", "u16", "u32", "u64", "i16", "i32", "i64", "f32", "f64",
        "u8", "i8",
    ];
    let number = SUFFIXES
        .iter()
        .find_map(|suffix| rust.strip_suffix(suffix))
        .map_or(rust, |number| number.trim_end_matches('_'));
    if number.starts_with(|c: char| c.is_ascii_digit() || c == '-')
        && number
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '_' | '.' | '-' | 'e' | 'E'))
    {
        return Some(number.to_owned());
    }
    let string = rust
        .strip_prefix("String::from(")
        .and_then(|s| s.strip_suffix(')'))
        .or_else(|| rust.strip_suffix(".to_owned()"))
        .or_else(|| rust.strip_suffix(".to_string()"))
        .or_else(|| rust.strip_suffix(".into()"))
        .unwrap_or(rust)
        .trim();
    let inner = string.strip_prefix('"')?.strip_suffix('"')?;
    // Escapes differ between Rust and TOML: leave such a default to the comment.
    if inner.contains(['\\', '"']) {
        return None;
    }
    Some(format!("\"{inner}\""))
}

#[cfg(test)]
mod tests {
    use super::toml_literal;

    #[test]
    fn rust_literals_become_toml_and_expressions_do_not() {
        assert_eq!(toml_literal("8080").as_deref(), Some("8080"));
        assert_eq!(toml_literal("8080u16").as_deref(), Some("8080"));
        assert_eq!(toml_literal("5_u16").as_deref(), Some("5"));
        assert_eq!(toml_literal("1_000").as_deref(), Some("1_000"));
        assert_eq!(toml_literal("-3").as_deref(), Some("-3"));
        assert_eq!(toml_literal("0.5").as_deref(), Some("0.5"));
        assert_eq!(toml_literal("true").as_deref(), Some("true"));
        assert_eq!(
            toml_literal("\"edge\".to_owned()").as_deref(),
            Some("\"edge\"")
        );
        assert_eq!(
            toml_literal("String::from(\"a b\")").as_deref(),
            Some("\"a b\"")
        );
        assert_eq!(toml_literal("Duration::from_secs(5)"), None);
        assert_eq!(toml_literal("Default::default()"), None);
        assert_eq!(toml_literal("vec![1]"), None);
        assert_eq!(
            toml_literal("\"a b\" . to_owned ()").as_deref(),
            Some("\"a b\"")
        );
        assert_eq!(toml_literal("- 3").as_deref(), Some("-3"));
    }
}
