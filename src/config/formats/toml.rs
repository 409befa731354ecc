//! TOML, read by the `toml` crate's parser into its spanned tree ([`DeTable`]), then converted.
//!
//! Where things start: a value at its first character (a string at its opening quote, an inline
//! table at `{`); a table from a `[header]` or `[[header]]` at the header's `[`, an array of
//! tables at its first header; a table made implicitly by a dotted key or header (`a` in `a.b = 1`
//! or `[a.b]`) at that key's first mention; the root at 1:1. Entries are in the order their keys
//! are first written. Dates and times are strings, exactly as written.

use std::path::Path;
use std::sync::Arc;

use toml::de::{DeTable, DeValue};

use super::{Lines, ParseError, file_origin};
use crate::config::node::{Entry, Node, Origin, Value};

/// Reads `text` as a TOML document.
pub(super) fn parse(text: &str, path: Arc<Path>) -> Result<Node, ParseError> {
    let reader = Reader {
        text,
        lines: Lines::new(text),
        path,
    };
    let root = DeTable::parse(text).map_err(|e| {
        // The parser's message is its description and what it expected, never the text; its
        // `Display` would quote the line, so it is not used.
        reader.error_at(
            e.span().map_or(0, |span| span.start),
            e.message().to_owned(),
        )
    })?;
    let table = reader.table(root.into_inner())?;
    // The document's span is empty (0..0): the root starts at 1:1.
    Ok(Node::new(Value::Table(table), reader.origin(0)))
}

/// What a conversion needs of the document.
struct Reader<'a> {
    /// The text, for dates and times as written.
    text: &'a str,
    /// Line starts, for positions.
    lines: Lines<'a>,
    /// The file, for origins.
    path: Arc<Path>,
}

impl Reader<'_> {
    /// The origin of what starts at byte `offset`.
    fn origin(&self, offset: usize) -> Origin {
        let (line, column) = self.lines.position(offset);
        file_origin(&self.path, line, column)
    }

    /// An error at byte `offset`.
    fn error_at(&self, offset: usize, message: String) -> ParseError {
        let (line, column) = self.lines.position(offset);
        ParseError {
            message,
            line,
            column,
        }
    }

    /// Converts a table, its entries sorted by where their keys are first written.
    fn table(&self, table: DeTable<'_>) -> Result<Vec<Entry>, ParseError> {
        let mut entries = table
            .into_iter()
            .map(|(key, value)| {
                let key_start = key.span().start;
                let entry = Entry {
                    key: key.into_inner().into_owned(),
                    key_origin: self.origin(key_start),
                    value: self.node(value.span(), value.into_inner())?,
                };
                Ok((key_start, entry))
            })
            .collect::<Result<Vec<_>, ParseError>>()?;
        entries.sort_by_key(|&(start, _)| start);
        Ok(entries.into_iter().map(|(_, entry)| entry).collect())
    }

    /// Converts a value that spans `span` of the text.
    fn node(&self, span: std::ops::Range<usize>, value: DeValue<'_>) -> Result<Node, ParseError> {
        let value = match value {
            DeValue::String(s) => Value::String(s.into_owned()),
            DeValue::Integer(int) => match i128::from_str_radix(int.as_str(), int.radix()) {
                Ok(int) => Value::Integer(int),
                Err(_) => {
                    return Err(self.error_at(
                        span.start,
                        "integer out of range: it must fit in 128 bits (-2^127 to 2^127 - 1)"
                            .to_owned(),
                    ));
                }
            },
            DeValue::Float(float) => match float.as_str().parse::<f64>() {
                Ok(f) if f.is_finite() || float.as_str().contains("inf") || f.is_nan() => {
                    Value::Float(f)
                }
                _ => {
                    return Err(self.error_at(
                        span.start,
                        "float out of range: it is beyond the largest 64-bit float".to_owned(),
                    ));
                }
            },
            DeValue::Boolean(b) => Value::Bool(b),
            // As written (`1979-05-27T07:32:00Z`, `07:32:00`): the parser has checked it.
            DeValue::Datetime(_) => Value::String(self.text[span.clone()].to_owned()),
            DeValue::Array(array) => Value::Seq(
                array
                    .into_iter()
                    .map(|item| self.node(item.span(), item.into_inner()))
                    .collect::<Result<_, _>>()?,
            ),
            DeValue::Table(table) => Value::Table(self.table(table)?),
        };
        Ok(Node::new(value, self.origin(span.start)))
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use crate::config::formats::ParseError;
    use crate::config::formats::testing::{self, key_at, keys};
    use crate::config::node::{Node, Value};

    const FILE: &str = "conf/app.toml";

    fn read(text: &str) -> Node {
        testing::read(parse, FILE, text)
    }

    fn fail(text: &str) -> ParseError {
        testing::fail(parse, FILE, text)
    }

    #[track_caller]
    fn fails_at(text: &str, line: u32, column: u32, part: &str) {
        testing::fails_at(parse, FILE, text, line, column, part);
    }

    fn at(node: &Node) -> (u32, u32) {
        testing::at(node, FILE)
    }

    fn value(text: &str) -> Value {
        read(&format!("v = {text}")).get("v").unwrap().value.clone()
    }

    #[test]
    fn every_scalar_kind() {
        assert_eq!(value("true"), Value::Bool(true));
        assert_eq!(value("false"), Value::Bool(false));
        assert_eq!(value("42"), Value::Integer(42));
        assert_eq!(value("-17"), Value::Integer(-17));
        assert_eq!(value("+17"), Value::Integer(17));
        assert_eq!(value("1_000_000"), Value::Integer(1_000_000));
        assert_eq!(value("0xDEAD_beef"), Value::Integer(0xDEAD_BEEF));
        assert_eq!(value("0o755"), Value::Integer(0o755));
        assert_eq!(value("0b1010"), Value::Integer(10));
        assert_eq!(value("1.5"), Value::Float(1.5));
        assert_eq!(value("-2e-3"), Value::Float(-0.002));
        assert_eq!(value("6.626_070e-34"), Value::Float(6.626_070e-34));
        assert_eq!(value("inf"), Value::Float(f64::INFINITY));
        assert_eq!(value("-inf"), Value::Float(f64::NEG_INFINITY));
        assert!(matches!(value("nan"), Value::Float(f) if f.is_nan()));
        assert!(matches!(value("-nan"), Value::Float(f) if f.is_nan()));
        assert_eq!(value("\"hi\\tthere\""), Value::String("hi\tthere".into()));
        assert_eq!(value("'C:\\path'"), Value::String("C:\\path".into()));
        assert_eq!(
            value("\"\"\"\nline one\nline two\"\"\""),
            Value::String("line one\nline two".into())
        );
        assert_eq!(value("'''raw\\n'''"), Value::String("raw\\n".into()));
        assert_eq!(value("\"\\u00e9\\U0001F600\""), Value::String("é😀".into()));
    }

    #[test]
    fn dates_and_times_are_strings_as_written() {
        for written in [
            "1979-05-27T07:32:00Z",
            "1979-05-27 07:32:00Z",
            "1979-05-27t07:32:00z",
            "1979-05-27T00:32:00.999999-07:00",
            "1979-05-27T07:32:00",
            "1979-05-27",
            "07:32:00",
            "00:32:00.5",
        ] {
            assert_eq!(value(written), Value::String(written.into()), "{written}");
        }
        let root = read("a = [1979-05-27, 07:32:00]\nb = { at = 1979-05-27T07:32:00Z }");
        let Value::Seq(items) = &root.get("a").unwrap().value else {
            panic!()
        };
        assert_eq!(items[1].value, Value::String("07:32:00".into()));
        assert_eq!(at(&items[1]), (1, 18));
        let at_value = root.get("b").unwrap().get("at").unwrap();
        assert_eq!(at_value.value, Value::String("1979-05-27T07:32:00Z".into()));
        assert_eq!(at(at_value), (2, 12));
    }

    #[test]
    fn integers_use_all_128_bits_and_no_more() {
        assert_eq!(
            value("170141183460469231731687303715884105727"),
            Value::Integer(i128::MAX)
        );
        assert_eq!(
            value("-170_141_183_460_469_231_731_687_303_715_884_105_728"),
            Value::Integer(i128::MIN)
        );
        assert_eq!(
            value("0xffff_ffff_ffff_ffff_ffff"),
            Value::Integer(0xffff_ffff_ffff_ffff_ffff)
        );
        fails_at(
            "a = 1\nv = 170141183460469231731687303715884105728",
            2,
            5,
            "integer out of range",
        );
        fails_at(
            "v = 0x8000_0000_0000_0000_0000_0000_0000_0000",
            1,
            5,
            "integer out of range",
        );
        fails_at("v = 1e400", 1, 5, "float out of range");
    }

    #[test]
    fn nested_tables_and_arrays_with_positions() {
        let text = "\
title = \"app\"

[server]
host = \"localhost\"
ports = [80, 443]
tls.on = true

[server.limits]
max = 10

[[users]]
name = \"a\"

[[users]]
name = \"b\"
roles = [\"x\", { id = 1 }]
";
        let root = read(text);
        assert_eq!(at(&root), (1, 1));
        assert_eq!(keys(&root), ["title", "server", "users"]);
        assert_eq!(key_at(&root, "title"), (1, 1));
        assert_eq!(at(root.get("title").unwrap()), (1, 9));

        let server = root.get("server").unwrap();
        assert_eq!(at(server), (3, 1));
        assert_eq!(key_at(&root, "server"), (3, 2));
        assert_eq!(keys(server), ["host", "ports", "tls", "limits"]);
        assert_eq!(key_at(server, "host"), (4, 1));
        assert_eq!(at(server.get("host").unwrap()), (4, 8));
        let ports = server.get("ports").unwrap();
        assert_eq!(at(ports), (5, 9));
        let Value::Seq(items) = &ports.value else {
            panic!()
        };
        assert_eq!(items[0].value, Value::Integer(80));
        assert_eq!((at(&items[0]), at(&items[1])), ((5, 10), (5, 14)));
        // A table made by a dotted key starts at the key.
        let tls = server.get("tls").unwrap();
        assert_eq!(at(tls), (6, 1));
        assert_eq!(key_at(tls, "on"), (6, 5));
        assert_eq!(at(tls.get("on").unwrap()), (6, 10));
        let limits = server.get("limits").unwrap();
        assert_eq!(at(limits), (8, 1));
        assert_eq!(key_at(server, "limits"), (8, 9));
        assert_eq!(limits.get("max").unwrap().value, Value::Integer(10));

        let users = root.get("users").unwrap();
        assert_eq!(at(users), (11, 1));
        assert_eq!(key_at(&root, "users"), (11, 3));
        let Value::Seq(users) = &users.value else {
            panic!()
        };
        assert_eq!(users.len(), 2);
        assert_eq!(at(&users[0]), (11, 1));
        assert_eq!(at(&users[1]), (14, 1));
        assert_eq!(
            users[1].get("name").unwrap().value,
            Value::String("b".into())
        );
        let Value::Seq(roles) = &users[1].get("roles").unwrap().value else {
            panic!()
        };
        assert_eq!(at(&roles[1]), (16, 15));
        assert_eq!(key_at(&roles[1], "id"), (16, 17));
        assert_eq!(at(roles[1].get("id").unwrap()), (16, 22));
    }

    #[test]
    fn implicit_tables_start_at_their_first_mention() {
        let root = read("[a.b.c]\nx = 1\n[a]\ny = 2\n");
        let a = root.get("a").unwrap();
        assert_eq!(at(a), (3, 1));
        assert_eq!(keys(a), ["b", "y"]);
        let b = a.get("b").unwrap();
        assert_eq!(at(b), (1, 4));
        assert_eq!(at(b.get("c").unwrap()), (1, 1));
        assert_eq!(key_at(b, "c"), (1, 6));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "\"ключ\" = \"значение\"; \n";
        // Not TOML (the `;`); the error is after the 2-byte Cyrillic characters.
        fails_at(text, 1, 20, "expected newline, `#`");
        let text = "name = \"日本語\" # €\nemoji = { \"😀\" = 1, \"ß\" = 'é' }\n";
        let root = read(text);
        let emoji = root.get("emoji").unwrap();
        assert_eq!(at(emoji), (2, 9));
        assert_eq!(key_at(emoji, "😀"), (2, 11));
        assert_eq!(at(emoji.get("😀").unwrap()), (2, 17));
        assert_eq!(key_at(emoji, "ß"), (2, 20));
        assert_eq!(at(emoji.get("ß").unwrap()), (2, 26));
        // A byte-order mark counts no column; CRLF line ends.
        let root = read("\u{feff}a = 1\r\nb = 2\r\n");
        assert_eq!(key_at(&root, "a"), (1, 1));
        assert_eq!(at(root.get("a").unwrap()), (1, 5));
        assert_eq!(at(root.get("b").unwrap()), (2, 5));
    }

    #[test]
    fn syntax_errors_say_where() {
        fails_at("a = 1\nb = \n", 2, 5, "string values must be quoted");
        fails_at("a = 1\nb = [1, 2\n", 2, 10, "unclosed array, expected `]`");
        fails_at(
            "a = 1\n[server\nx = 1\n",
            2,
            8,
            "unclosed table, expected `]`",
        );
        fails_at(
            "a = \"unterminated\n",
            1,
            18,
            "invalid basic string, expected `\"`",
        );
        fails_at("a = 1 b = 2\n", 1, 9, "expected newline, `#`");
        fails_at("é = 1\n", 1, 1, "invalid unquoted key");
        fails_at("v = \"\\q\"", 1, 7, "missing escaped value");
        // After multi-byte characters on the same line.
        fails_at("k = 'é€😀' x\n", 1, 11, "expected newline, `#`");
    }

    #[test]
    fn messages_do_not_quote_the_text() {
        for text in [
            "password = hunter2",
            "password = \"hunter2",
            "password = 'hunter2' hunter2",
            "hunter2 = 1\nhunter2 = 2",
            "[hunter2]\n[hunter2]",
            "password = \"hunter2\\q\"",
        ] {
            let e = fail(text);
            assert!(!e.message.contains("hunter2"), "{text:?}: {e}");
        }
    }

    #[test]
    fn duplicate_keys_fail_at_the_second() {
        fails_at("a = 1\nb = 2\na = 3\n", 3, 1, "duplicate key");
        fails_at("[t]\nx = 1\n[t]\ny = 2\n", 3, 2, "duplicate key");
        fails_at("t = { x = 1, x = 2 }\n", 1, 14, "duplicate key");
        fails_at("a.b = 1\na.b = 2\n", 2, 3, "duplicate key");
        fails_at("[t]\nx = 1\nx = 2\n", 3, 1, "duplicate key");
    }

    #[test]
    fn the_root_is_always_a_table() {
        let root = read("");
        assert_eq!(root.value, Value::Table(vec![]));
        assert_eq!(at(&root), (1, 1));
        let root = read("# only a comment\n\n");
        assert_eq!(root.value, Value::Table(vec![]));
        // A bare value is not a TOML document.
        fails_at("42\n", 1, 3, "key with no value, expected `=`");
    }
}
