//! Readers of configuration files: each format (a cargo feature of its own) into the tree of
//! [`Node`]s, with the line and column where every value and every key starts.
//!
//! What every reader guarantees:
//!
//! - the root is a table; a file whose root is anything else is an error at 1:1;
//! - every [`Node`] and every entry's `key_origin` is an `Origin::File` with the 1-based line
//!   and 1-based column (counted in characters, a leading byte-order mark not counted) of its
//!   first character;
//! - a key written twice in one table is an error at the second;
//! - integers are `i128`; one beyond that range is an error, not a float or a wrapped value;
//! - an error's message says what was expected and never quotes the file's text, which may
//!   hold secrets.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use super::node::Node;
#[cfg(any(feature = "toml", feature = "json", feature = "yaml"))]
use super::node::Origin;
#[cfg(any(feature = "json", feature = "yaml"))]
use super::node::Value;

#[cfg(feature = "json")]
mod json;
#[cfg(all(test, any(feature = "toml", feature = "json", feature = "yaml")))]
mod testing;
#[cfg(feature = "toml")]
mod toml;
#[cfg(feature = "yaml")]
mod yaml;

/// A file format the loader can read, one per enabled cargo feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Format {
    /// TOML (feature `toml`), `.toml`.
    #[cfg(feature = "toml")]
    Toml,
    /// JSON (feature `json`), `.json`.
    #[cfg(feature = "json")]
    Json,
    /// YAML (feature `yaml`), `.yaml` or `.yml`.
    #[cfg(feature = "yaml")]
    Yaml,
}

impl Format {
    /// The format a file's extension names (ASCII case ignored), if its feature is enabled.
    pub(crate) fn from_path(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            #[cfg(feature = "toml")]
            "toml" => Some(Format::Toml),
            #[cfg(feature = "json")]
            "json" => Some(Format::Json),
            #[cfg(feature = "yaml")]
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }

    /// The format's name for messages: `"TOML"`, `"JSON"`, `"YAML"`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "toml")]
            Format::Toml => "TOML",
            #[cfg(feature = "json")]
            Format::Json => "JSON",
            #[cfg(feature = "yaml")]
            Format::Yaml => "YAML",
        }
    }
}

/// A file that could not be read as its format: where, and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParseError {
    /// What is wrong, such as ``"expected `,` or `}` after an object's value"``; never quotes
    /// the file's text.
    pub(crate) message: String,
    /// 1-based line of the error.
    pub(crate) line: u32,
    /// 1-based column of the error, counted in characters.
    pub(crate) column: u32,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Reads `text`, the contents of the file at `path`, as `format` into a table [`Node`] whose
/// origins name `path`.
#[cfg_attr(
    not(any(feature = "toml", feature = "json", feature = "yaml")),
    allow(unused_variables)
)]
pub(crate) fn parse(format: Format, text: &str, path: Arc<Path>) -> Result<Node, ParseError> {
    match format {
        #[cfg(feature = "toml")]
        Format::Toml => toml::parse(text, path),
        #[cfg(feature = "json")]
        Format::Json => json::parse(text, path),
        #[cfg(feature = "yaml")]
        Format::Yaml => yaml::parse(text, path),
    }
}

/// The byte-order mark, which an editor does not show and no column counts.
#[cfg(any(feature = "toml", feature = "json"))]
const BOM: char = '\u{feff}';

/// How deep arrays and tables may nest in a file; deeper is an error rather than a stack
/// overflow in the readers (which recurse) or when the tree is dropped.
#[cfg(any(feature = "json", feature = "yaml"))]
const MAX_DEPTH: usize = 128;

/// The 1-based line and column of byte offsets into a text, for the readers whose parser gives
/// byte offsets.
#[cfg(any(feature = "toml", feature = "json"))]
#[derive(Debug)]
struct Lines<'a> {
    /// The text.
    text: &'a str,
    /// The byte offset where each line starts; the first is 0.
    starts: Vec<usize>,
}

#[cfg(any(feature = "toml", feature = "json"))]
impl<'a> Lines<'a> {
    /// Indexes the lines of `text` (lines end at `\n`; a `\r` before it ends no column count
    /// that matters, being last on its line).
    fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { text, starts }
    }

    /// The 1-based line and column (in characters) of byte `offset`; an offset at the end of the
    /// text is just past its last character.
    fn position(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let index = self.starts.partition_point(|&start| start <= offset) - 1;
        let start = self.starts[index];
        // Count the characters before `offset` on its line by their first bytes, which holds
        // even for an offset that is not on a character boundary.
        let mut column = self.text.as_bytes()[start..offset]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count();
        if index == 0 && offset > 0 && self.text.starts_with(BOM) {
            column -= 1;
        }
        (to_u32(index + 1), to_u32(column + 1))
    }
}

/// `n` as a `u32`, saturating (a line or column past four billion is not worth an error).
#[cfg(any(feature = "toml", feature = "json", feature = "yaml"))]
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The origin of what starts at `line`:`column` of `path`.
#[cfg(any(feature = "toml", feature = "json", feature = "yaml"))]
fn file_origin(path: &Arc<Path>, line: u32, column: u32) -> Origin {
    Origin::File {
        path: Arc::clone(path),
        line,
        column,
    }
}

/// The error for a file whose root (read as `root`) is not a table (a TOML document's always
/// is).
#[cfg(any(feature = "json", feature = "yaml"))]
fn check_root(root: Node, what_table_is_called: &str) -> Result<Node, ParseError> {
    match root.value {
        Value::Table(_) => Ok(root),
        ref other => Err(ParseError {
            message: format!(
                "the root of a configuration file must be a table ({what_table_is_called}), \
                 not {}",
                other.kind()
            ),
            line: 1,
            column: 1,
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::Format;

    #[test]
    fn formats_by_extension() {
        let of = |p: &str| Format::from_path(Path::new(p));
        assert_eq!(of("conf/app.conf"), None);
        assert_eq!(of("conf/toml"), None);
        assert_eq!(of("conf/.json"), None);
        #[cfg(feature = "toml")]
        {
            assert_eq!(of("conf/app.toml"), Some(Format::Toml));
            assert_eq!(of("APP.TOML"), Some(Format::Toml));
            assert_eq!(Format::Toml.name(), "TOML");
        }
        #[cfg(not(feature = "toml"))]
        assert_eq!(of("conf/app.toml"), None);
        #[cfg(feature = "json")]
        {
            assert_eq!(of("conf/app.json"), Some(Format::Json));
            assert_eq!(Format::Json.name(), "JSON");
        }
        #[cfg(not(feature = "json"))]
        assert_eq!(of("conf/app.json"), None);
        #[cfg(feature = "yaml")]
        {
            assert_eq!(of("conf/app.yaml"), Some(Format::Yaml));
            assert_eq!(of("conf/app.Yml"), Some(Format::Yaml));
            assert_eq!(Format::Yaml.name(), "YAML");
        }
        #[cfg(not(feature = "yaml"))]
        assert_eq!(of("conf/app.yml"), None);
    }

    /// `parse` reads each format into the same tree, with origins naming the file.
    #[cfg(all(feature = "toml", feature = "json", feature = "yaml"))]
    #[test]
    fn every_format_reads_into_the_same_tree() {
        use std::sync::Arc;

        use super::parse;
        use crate::config::node::{Origin, Value};

        let texts = [
            (Format::Toml, "a.toml", "[server]\nport = 8080\n"),
            (Format::Json, "a.json", "{\"server\":\n  {\"port\": 8080}}"),
            (Format::Yaml, "a.yml", "server:\n  port: 8080\n"),
        ];
        for (format, name, text) in texts {
            let path: Arc<Path> = Arc::from(Path::new(name));
            let root = parse(format, text, path.clone()).unwrap();
            let port = root.get("server").and_then(|s| s.get("port")).unwrap();
            assert_eq!(port.value, Value::Integer(8080), "{}", format.name());
            let Origin::File { path: p, line, .. } = &port.origin else {
                panic!()
            };
            assert_eq!((p, *line), (&path, 2), "{}", format.name());
            // An empty file is an empty table, but JSON needs its `{}`.
            let empty = parse(format, "", path).map(|node| node.value);
            match format {
                Format::Json => assert_eq!(
                    empty.unwrap_err().message,
                    "the file is empty: expected a JSON object"
                ),
                _ => assert_eq!(empty, Ok(Value::Table(vec![])), "{}", format.name()),
            }
        }
    }

    #[cfg(any(feature = "toml", feature = "json"))]
    #[test]
    fn positions_count_characters_and_skip_a_bom() {
        use super::Lines;

        let text = "ab\né€x\n\n";
        let lines = Lines::new(text);
        assert_eq!(lines.position(0), (1, 1));
        assert_eq!(lines.position(2), (1, 3));
        assert_eq!(lines.position(3), (2, 1));
        // `é` and `€` are 2 and 3 bytes; `x` is the third character of line 2.
        assert_eq!(lines.position(3 + 2 + 3), (2, 3));
        assert_eq!(lines.position(text.len() - 1), (3, 1));
        assert_eq!(lines.position(text.len()), (4, 1));

        let text = "\u{feff}a = 1";
        let lines = Lines::new(text);
        assert_eq!(lines.position(3), (1, 1));
        assert_eq!(lines.position(7), (1, 5));
    }
}
