//! JSON (RFC 8259), strictly: a small recursive-descent parser of this crate's own, because the
//! maintained JSON parsers either keep no positions (`serde_json`) or read a looser language
//! (`jsonc-parser` reads JSONC/JSON5, and even with its extensions off it takes any Unicode
//! whitespace and raw control characters in strings).
//!
//! Strict means: whitespace is space, tab, line feed and carriage return only; no comments,
//! trailing commas, single quotes, `NaN` or leading zeros; control characters in strings must be
//! escaped; a `\u` escape of a surrogate must be half of a pair. A leading byte-order mark is
//! skipped (RFC 8259 lets a parser ignore it). Numbers without a fraction or exponent are
//! integers (`i128`); the others are `f64`, and one too large for it is an error.

use std::collections::HashMap;
use std::collections::hash_map;
use std::path::Path;
use std::sync::Arc;

use super::{BOM, Lines, MAX_DEPTH, ParseError, check_root, file_origin};
use crate::config::node::{Entry, Node, Origin, Value};

/// Reads `text` as a JSON document whose root is an object.
pub(super) fn parse(text: &str, path: Arc<Path>) -> Result<Node, ParseError> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        text,
        pos: if text.starts_with(BOM) {
            BOM.len_utf8()
        } else {
            0
        },
        lines: Lines::new(text),
        path,
        depth: 0,
    };
    parser.skip_whitespace();
    if parser.pos == parser.bytes.len() {
        return Err(parser.error_at(
            parser.pos,
            "the file is empty: expected a JSON object".to_owned(),
        ));
    }
    let root = parser.value()?;
    parser.skip_whitespace();
    if parser.pos != parser.bytes.len() {
        return Err(parser.error_at(
            parser.pos,
            "expected the end of the file after the JSON value".to_owned(),
        ));
    }
    check_root(root, "a JSON object")
}

/// The state of one parse.
struct Parser<'a> {
    /// The text, as bytes.
    bytes: &'a [u8],
    /// The text.
    text: &'a str,
    /// The byte offset of the next byte to read.
    pos: usize,
    /// Line starts, for positions.
    lines: Lines<'a>,
    /// The file, for origins.
    path: Arc<Path>,
    /// How many arrays and objects enclose the value being read.
    depth: usize,
}

impl Parser<'_> {
    /// The next byte, if any.
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips JSON's four whitespace characters.
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

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

    /// "line L, column C" of byte `offset`, for messages that point back.
    fn place(&self, offset: usize) -> String {
        let (line, column) = self.lines.position(offset);
        format!("line {line}, column {column}")
    }

    /// Reads a value starting at the current byte (whitespace already skipped).
    fn value(&mut self) -> Result<Node, ParseError> {
        let start = self.pos;
        let value = match self.peek() {
            Some(b'{') => self.object()?,
            Some(b'[') => self.array()?,
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => {
                return Err(self.error_at(
                    start,
                    "expected a value (an object, array, string, number, `true`, `false` or \
                     `null`)"
                        .to_owned(),
                ));
            }
            None => {
                return Err(self.error_at(
                    start,
                    "unexpected end of the file: expected a value".to_owned(),
                ));
            }
        };
        Ok(Node::new(value, self.origin(start)))
    }

    /// Reads `true`, `false` or `null`.
    fn literal(&mut self, word: &str, value: Value) -> Result<Value, ParseError> {
        let end = self.pos + word.len();
        let followed_by_word_char = self
            .bytes
            .get(end)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
        if self.bytes.get(self.pos..end) == Some(word.as_bytes()) && !followed_by_word_char {
            self.pos = end;
            Ok(value)
        } else {
            Err(self.error_at(
                self.pos,
                "expected a value (an object, array, string, number, `true`, `false` or `null`; \
                 words are not quoted strings in JSON)"
                    .to_owned(),
            ))
        }
    }

    /// Enters an array or object opened at `start`.
    fn enter(&mut self, start: usize) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_at(
                start,
                format!("arrays and objects nest deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    /// Reads an object; the current byte is its `{`.
    fn object(&mut self) -> Result<Value, ParseError> {
        let open = self.pos;
        self.enter(open)?;
        self.pos += 1;
        let mut entries: Vec<Entry> = Vec::new();
        // Key -> byte offset of its first occurrence, for duplicates.
        let mut seen: HashMap<String, usize> = HashMap::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Value::Table(entries));
        }
        loop {
            let key_start = self.pos;
            match self.peek() {
                Some(b'"') => {}
                Some(b'}') => {
                    return Err(self.error_at(
                        key_start,
                        "expected a key (a string in double quotes): JSON allows no comma after \
                         the last entry"
                            .to_owned(),
                    ));
                }
                Some(_) => {
                    return Err(self.error_at(
                        key_start,
                        "expected a key (a string in double quotes)".to_owned(),
                    ));
                }
                None => return Err(self.unclosed(open, "object", "a key")),
            }
            let key = self.string()?;
            match seen.entry(key.clone()) {
                hash_map::Entry::Occupied(first) => {
                    let message = format!(
                        "duplicate key: the same key is written before in this object, at {}",
                        self.place(*first.get())
                    );
                    return Err(self.error_at(key_start, message));
                }
                hash_map::Entry::Vacant(slot) => {
                    slot.insert(key_start);
                }
            }
            self.skip_whitespace();
            match self.peek() {
                Some(b':') => self.pos += 1,
                Some(_) => {
                    return Err(
                        self.error_at(self.pos, "expected `:` after an object's key".to_owned())
                    );
                }
                None => return Err(self.unclosed(open, "object", "`:`")),
            }
            self.skip_whitespace();
            let value = self.value()?;
            entries.push(Entry {
                key,
                key_origin: self.origin(key_start),
                value,
            });
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_whitespace();
                }
                Some(b'}') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(Value::Table(entries));
                }
                Some(_) => {
                    return Err(self.error_at(
                        self.pos,
                        "expected `,` or `}` after an object's value".to_owned(),
                    ));
                }
                None => return Err(self.unclosed(open, "object", "`,` or `}`")),
            }
        }
    }

    /// Reads an array; the current byte is its `[`.
    fn array(&mut self) -> Result<Value, ParseError> {
        let open = self.pos;
        self.enter(open)?;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Value::Seq(items));
        }
        loop {
            match self.peek() {
                Some(b']') => {
                    return Err(self.error_at(
                        self.pos,
                        "expected a value: JSON allows no comma after the last element".to_owned(),
                    ));
                }
                None => return Err(self.unclosed(open, "array", "a value")),
                Some(_) => {}
            }
            items.push(self.value()?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_whitespace();
                }
                Some(b']') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(Value::Seq(items));
                }
                Some(_) => {
                    return Err(self.error_at(
                        self.pos,
                        "expected `,` or `]` after an array's element".to_owned(),
                    ));
                }
                None => return Err(self.unclosed(open, "array", "`,` or `]`")),
            }
        }
    }

    /// The error for the end of the file inside the array or object opened at `open`.
    fn unclosed(&self, open: usize, what: &str, expected: &str) -> ParseError {
        let message = format!(
            "unexpected end of the file: expected {expected} (the {what} opened at {} is not \
             closed)",
            self.place(open)
        );
        self.error_at(self.pos, message)
    }

    /// Reads a string; the current byte is its opening `"`.
    fn string(&mut self) -> Result<String, ParseError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut run_start = self.pos;
        loop {
            let Some(b) = self.peek() else {
                let message = format!(
                    "unexpected end of the file: the string opened at {} is not closed",
                    self.place(open)
                );
                return Err(self.error_at(self.pos, message));
            };
            match b {
                b'"' => {
                    out.push_str(&self.text[run_start..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(&self.text[run_start..self.pos]);
                    out.push(self.escape(open)?);
                    run_start = self.pos;
                }
                0x00..=0x1F => {
                    return Err(self.error_at(
                        self.pos,
                        "control character in a string: JSON strings must escape U+0000 to \
                         U+001F (a line break is `\\n`, a tab `\\t`)"
                            .to_owned(),
                    ));
                }
                // Any other byte, ASCII or part of a multi-byte character, is copied as it is
                // (the text is valid UTF-8, and runs end only at ASCII bytes).
                _ => self.pos += 1,
            }
        }
    }

    /// Reads an escape in the string opened at `open`; the current byte is its `\`.
    fn escape(&mut self, open: usize) -> Result<char, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let simple = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                return self.unicode_escape(start);
            }
            None => {
                let message = format!(
                    "unexpected end of the file: the string opened at {} is not closed",
                    self.place(open)
                );
                return Err(self.error_at(self.pos, message));
            }
            Some(_) => {
                return Err(self.error_at(
                    start,
                    "invalid escape: expected one of `\\\"` `\\\\` `\\/` `\\b` `\\f` `\\n` `\\r` \
                     `\\t` `\\uXXXX`"
                        .to_owned(),
                ));
            }
        };
        self.pos += 1;
        Ok(simple)
    }

    /// Reads the rest of a `\u` escape that started at `start` (the current byte is just after
    /// the `u`), and the low half that must follow a high surrogate.
    fn unicode_escape(&mut self, start: usize) -> Result<char, ParseError> {
        let high = self.hex4(start)?;
        let code = match high {
            0xD800..=0xDBFF => {
                let low_start = self.pos;
                if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return Err(self.error_at(
                        start,
                        "unpaired surrogate: a `\\u` escape of U+D800 to U+DBFF must be \
                         followed by one of U+DC00 to U+DFFF"
                            .to_owned(),
                    ));
                }
                self.pos += 2;
                let low = self.hex4(low_start)?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(self.error_at(
                        start,
                        "unpaired surrogate: a `\\u` escape of U+D800 to U+DBFF must be \
                         followed by one of U+DC00 to U+DFFF"
                            .to_owned(),
                    ));
                }
                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            }
            0xDC00..=0xDFFF => {
                return Err(self.error_at(
                    start,
                    "unpaired surrogate: a `\\u` escape of U+DC00 to U+DFFF must follow one of \
                     U+D800 to U+DBFF"
                        .to_owned(),
                ));
            }
            code => code,
        };
        // Every value left is a scalar value: surrogates were paired or refused above.
        char::from_u32(code).ok_or_else(|| {
            self.error_at(
                start,
                "invalid `\\u` escape: not a Unicode scalar value".to_owned(),
            )
        })
    }

    /// Reads the four hex digits of a `\u` escape that started at `start`.
    fn hex4(&mut self, start: usize) -> Result<u32, ParseError> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self.peek().and_then(|b| char::from(b).to_digit(16));
            let Some(digit) = digit else {
                return Err(self.error_at(
                    start,
                    "invalid escape: `\\u` must be followed by four hex digits".to_owned(),
                ));
            };
            code = code * 16 + digit;
            self.pos += 1;
        }
        Ok(code)
    }

    /// Skips ASCII digits, returning how many.
    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Reads a number; the current byte is its `-` or first digit.
    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        match self.digits() {
            0 => {
                return Err(self.error_at(
                    self.pos,
                    "expected a digit after `-` (JSON has no `Infinity`)".to_owned(),
                ));
            }
            1 => {}
            _ if self.bytes[int_start] == b'0' => {
                return Err(self.error_at(
                    int_start,
                    "leading zero in a number: JSON numbers do not start with `0` unless they \
                     are 0 or 0.something"
                        .to_owned(),
                ));
            }
            _ => {}
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error_at(
                    self.pos,
                    "expected a digit after the decimal point".to_owned(),
                ));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            integer = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error_at(self.pos, "expected a digit in the exponent".to_owned()));
            }
        }
        let written = &self.text[start..self.pos];
        if integer {
            written.parse::<i128>().map(Value::Integer).map_err(|_| {
                self.error_at(
                    start,
                    "integer out of range: it must fit in 128 bits (-2^127 to 2^127 - 1)"
                        .to_owned(),
                )
            })
        } else {
            match written.parse::<f64>() {
                Ok(float) if float.is_finite() => Ok(Value::Float(float)),
                _ => Err(self.error_at(
                    start,
                    "number out of range: it is beyond the largest 64-bit float".to_owned(),
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use crate::config::formats::ParseError;
    use crate::config::formats::testing::{self, key_at};
    use crate::config::node::{Node, Value};

    const FILE: &str = "conf/app.json";

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
        read(&format!("{{\"v\": {text}}}"))
            .get("v")
            .unwrap()
            .value
            .clone()
    }

    #[test]
    fn every_scalar_kind() {
        assert_eq!(value("null"), Value::Null);
        assert_eq!(value("true"), Value::Bool(true));
        assert_eq!(value("false"), Value::Bool(false));
        assert_eq!(value("0"), Value::Integer(0));
        assert_eq!(value("-0"), Value::Integer(0));
        assert_eq!(value("42"), Value::Integer(42));
        assert_eq!(value("-17"), Value::Integer(-17));
        assert_eq!(value("1.5"), Value::Float(1.5));
        assert_eq!(value("-0.25"), Value::Float(-0.25));
        assert_eq!(value("1e3"), Value::Float(1000.0));
        assert_eq!(value("2E-2"), Value::Float(0.02));
        assert_eq!(value("1.5e+2"), Value::Float(150.0));
        assert_eq!(value("0.0"), Value::Float(0.0));
        assert_eq!(value("1e-400"), Value::Float(0.0));
        assert_eq!(value("\"hi\""), Value::String("hi".into()));
        assert_eq!(value("\"\""), Value::String(String::new()));
        assert_eq!(value("\"héllo €\""), Value::String("héllo €".into()));
    }

    #[test]
    fn integers_use_all_128_bits_and_no_more() {
        assert_eq!(
            value("170141183460469231731687303715884105727"),
            Value::Integer(i128::MAX)
        );
        assert_eq!(
            value("-170141183460469231731687303715884105728"),
            Value::Integer(i128::MIN)
        );
        assert_eq!(value("18446744073709551616"), Value::Integer(1 << 64));
        fails_at(
            "{\"v\": 170141183460469231731687303715884105728}",
            1,
            7,
            "integer out of range",
        );
        fails_at(
            "{\"v\": -170141183460469231731687303715884105729}",
            1,
            7,
            "integer out of range",
        );
        fails_at("{\"v\": 1e400}", 1, 7, "number out of range");
        fails_at("{\"v\": -1e400}", 1, 7, "number out of range");
    }

    #[test]
    fn escapes_and_surrogates() {
        assert_eq!(
            value(r#""\" \\ \/ \b \f \n \r \t""#),
            Value::String("\" \\ / \u{8} \u{c} \n \r \t".into())
        );
        assert_eq!(
            value(r#""\u0041\u00e9\u20AC""#),
            Value::String("Aé€".into())
        );
        assert_eq!(value(r#""\u0000""#), Value::String("\0".into()));
        // U+1F600 as a surrogate pair, upper and lower case hex, and mixed with text.
        assert_eq!(value(r#""a\uD83D\uDE00b""#), Value::String("a😀b".into()));
        assert_eq!(value(r#""\ud83d\ude00""#), Value::String("😀".into()));
        assert_eq!(
            value(r#""\uDBFF\uDFFF""#),
            Value::String("\u{10FFFF}".into())
        );
        assert_eq!(
            value(r#""\uD800\uDC00""#),
            Value::String("\u{10000}".into())
        );
        assert_eq!(value(r#""\uFFFF""#), Value::String("\u{FFFF}".into()));

        fails_at(r#"{"v": "ab\x"}"#, 1, 10, "invalid escape");
        fails_at(r#"{"v": "\'"}"#, 1, 8, "invalid escape");
        fails_at(r#"{"v": "\u12"}"#, 1, 8, "four hex digits");
        fails_at(r#"{"v": "\u12G4"}"#, 1, 8, "four hex digits");
        fails_at(r#"{"v": "\uD83D"}"#, 1, 8, "unpaired surrogate");
        fails_at(r#"{"v": "\uD83Dx"}"#, 1, 8, "unpaired surrogate");
        fails_at(r#"{"v": "\uD83D\u0041"}"#, 1, 8, "unpaired surrogate");
        fails_at(r#"{"v": "\uD83D\uD83D"}"#, 1, 8, "unpaired surrogate");
        fails_at(r#"{"v": "x\uDE00"}"#, 1, 9, "unpaired surrogate");
        fails_at(r#"{"v": "\uD83D\u12"}"#, 1, 14, "four hex digits");
        fails_at("{\"v\": \"a\tb\"}", 1, 9, "control character");
        fails_at("{\"v\": \"a\nb\"}", 1, 9, "control character");
        fails_at("{\"v\": \"\u{1}\"}", 1, 8, "control character");
        fails_at("{\"v\": \"é\\", 1, 10, "not closed");
        fails_at(
            "{\"v\": \"abc",
            1,
            11,
            "the string opened at line 1, column 7",
        );
        // DEL and non-ASCII are allowed unescaped.
        assert_eq!(
            value("\"\u{7f}\u{80}\""),
            Value::String("\u{7f}\u{80}".into())
        );
    }

    #[test]
    fn numbers_are_strict() {
        fails_at("{\"v\": 01}", 1, 7, "leading zero");
        fails_at("{\"v\": -01}", 1, 8, "leading zero");
        fails_at("{\"v\": 00}", 1, 7, "leading zero");
        fails_at("{\"v\": -}", 1, 8, "expected a digit after `-`");
        fails_at("{\"v\": -Infinity}", 1, 8, "expected a digit after `-`");
        fails_at("{\"v\": +1}", 1, 7, "expected a value");
        fails_at("{\"v\": .5}", 1, 7, "expected a value");
        fails_at("{\"v\": 1.}", 1, 9, "after the decimal point");
        fails_at("{\"v\": 1.e3}", 1, 9, "after the decimal point");
        fails_at("{\"v\": 1e}", 1, 9, "exponent");
        fails_at("{\"v\": 1e+}", 1, 10, "exponent");
        fails_at("{\"v\": 0x10}", 1, 8, "expected `,` or `}`");
        fails_at("{\"v\": NaN}", 1, 7, "expected a value");
        fails_at("{\"v\": 1_000}", 1, 8, "expected `,` or `}`");
    }

    #[test]
    fn nested_tables_and_arrays_with_positions() {
        let text = "{\n  \"server\": {\n    \"host\": \"localhost\",\n    \"ports\": [80, 443],\n    \"tls\": {\"on\": true}\n  },\n  \"tags\": [\"a\", {\"b\": null}, []]\n}\n";
        let root = read(text);
        assert_eq!(at(&root), (1, 1));
        let server = root.get("server").unwrap();
        assert_eq!(at(server), (2, 13));
        assert_eq!(key_at(&root, "server"), (2, 3));
        let host = server.get("host").unwrap();
        assert_eq!(host.value, Value::String("localhost".into()));
        assert_eq!(at(host), (3, 13));
        assert_eq!(key_at(server, "host"), (3, 5));
        let ports = server.get("ports").unwrap();
        assert_eq!(at(ports), (4, 14));
        let Value::Seq(items) = &ports.value else {
            panic!()
        };
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].value, Value::Integer(80));
        assert_eq!(at(&items[0]), (4, 15));
        assert_eq!(at(&items[1]), (4, 19));
        let tls = server.get("tls").unwrap();
        assert_eq!(at(tls), (5, 12));
        assert_eq!(key_at(tls, "on"), (5, 13));
        assert_eq!(at(tls.get("on").unwrap()), (5, 19));
        let Value::Seq(tags) = &root.get("tags").unwrap().value else {
            panic!()
        };
        assert_eq!(at(&tags[1]), (7, 17));
        assert_eq!(at(tags[1].get("b").unwrap()), (7, 23));
        assert_eq!(tags[2].value, Value::Seq(vec![]));
        assert_eq!(at(&tags[2]), (7, 30));

        // Entries stay in source order.
        let Value::Table(entries) = &root.value else {
            panic!()
        };
        let keys: Vec<_> = entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["server", "tags"]);
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        // `é` is 2 bytes, `€` 3, `😀` 4 (and a surrogate pair when escaped): one column each.
        let text = "{\"é€😀\": \"ß\", \"k\": 1,\n \"\\uD83D\\uDE00\": [\"日本\", 2]}";
        let root = read(text);
        assert_eq!(key_at(&root, "é€😀"), (1, 2));
        assert_eq!(at(root.get("é€😀").unwrap()), (1, 9));
        assert_eq!(key_at(&root, "k"), (1, 14));
        assert_eq!(at(root.get("k").unwrap()), (1, 19));
        assert_eq!(key_at(&root, "😀"), (2, 2));
        let Value::Seq(items) = &root.get("😀").unwrap().value else {
            panic!()
        };
        assert_eq!(at(&items[0]), (2, 19));
        assert_eq!(at(&items[1]), (2, 25));

        // A byte-order mark is skipped and counts no column.
        let root = read("\u{feff}{\"a\": 1}");
        assert_eq!(at(&root), (1, 1));
        assert_eq!(at(root.get("a").unwrap()), (1, 7));
        // CRLF line ends.
        let root = read("{\r\n\"a\":\r\n  1\r\n}\r\n");
        assert_eq!(key_at(&root, "a"), (2, 1));
        assert_eq!(at(root.get("a").unwrap()), (3, 3));
    }

    #[test]
    fn syntax_errors_say_where() {
        fails_at("{\"a\": 1,}", 1, 9, "no comma after the last entry");
        fails_at("{\"a\": [1, 2,]}", 1, 13, "no comma after the last element");
        fails_at("{\"a\": 1 \"b\": 2}", 1, 9, "expected `,` or `}`");
        fails_at("{\"a\": [1 2]}", 1, 10, "expected `,` or `]`");
        fails_at("{\"a\" 1}", 1, 6, "expected `:`");
        fails_at("{a: 1}", 1, 2, "expected a key");
        fails_at("{'a': 1}", 1, 2, "expected a key");
        fails_at("{\"a\": 'x'}", 1, 7, "expected a value");
        fails_at("{\"a\": tru}", 1, 7, "expected a value");
        fails_at("{\"a\": truex}", 1, 7, "expected a value");
        fails_at("{\"a\": nul}", 1, 7, "expected a value");
        fails_at("{\"a\": }", 1, 7, "expected a value");
        fails_at("{\"a\": 1} {}", 1, 10, "end of the file");
        fails_at("{\"a\": 1}\n// note", 2, 1, "end of the file");
        fails_at("{\n  // comment\n  \"a\": 1\n}", 2, 3, "expected a key");
        fails_at(
            "{\"a\":\n  [1,\n   2",
            3,
            5,
            "the array opened at line 2, column 3",
        );
        fails_at("{\"a\": 1", 1, 8, "the object opened at line 1, column 1");
        fails_at("{\"a\"", 1, 5, "expected `:`");
        fails_at("{", 1, 2, "expected a key");
        fails_at("", 1, 1, "empty");
        fails_at("  \n ", 2, 2, "empty");
        // Only JSON's four whitespace characters: not a vertical tab, form feed or NBSP.
        fails_at("{\"a\":\u{b}1}", 1, 6, "expected a value");
        fails_at("{\"a\":\u{c}1}", 1, 6, "expected a value");
        fails_at("{\"a\":\u{a0}1}", 1, 6, "expected a value");
        // After multi-byte characters on the same line.
        fails_at(
            "{\"ключ\": \"значение\" \"x\": 1}",
            1,
            21,
            "expected `,` or `}`",
        );
    }

    #[test]
    fn messages_do_not_quote_the_text() {
        for text in [
            "{\"password\": hunter2}",
            "{\"password\": \"hunter2\" \"x\": 1}",
            "{\"hunter2\": 1, \"hunter2\": 2}",
            "{\"password\": \"hunter2\\q\"}",
            "{\"password\": 1} hunter2",
            "[\"hunter2\"]",
        ] {
            let e = fail(text);
            assert!(!e.message.contains("hunter2"), "{text:?}: {e}");
        }
    }

    #[test]
    fn duplicate_keys_fail_at_the_second() {
        fails_at(
            "{\n  \"a\": 1,\n  \"b\": 2,\n  \"a\": 3\n}",
            4,
            3,
            "duplicate key: the same key is written before in this object, at line 2, column 3",
        );
        // Keys are compared after unescaping.
        fails_at("{\"é\": 1, \"\\u00e9\": 2}", 1, 10, "duplicate key");
        // The same key in different objects is fine.
        let root = read("{\"a\": {\"a\": 1}, \"b\": {\"a\": 2}}");
        assert_eq!(
            root.get("b").unwrap().get("a").unwrap().value,
            Value::Integer(2)
        );
    }

    #[test]
    fn the_root_must_be_an_object() {
        fails_at(
            "[1, 2]",
            1,
            1,
            "must be a table (a JSON object), not an array",
        );
        fails_at("\n\n  \"text\"", 1, 1, "not a string");
        fails_at("42", 1, 1, "not an integer");
        fails_at("null", 1, 1, "not null");
        // A syntax error comes first, at its place.
        fails_at("[1,", 1, 4, "the array opened at line 1, column 1");
        let root = read("{}");
        assert_eq!(root.value, Value::Table(vec![]));
        let root = read(" \n {}\n");
        assert_eq!(at(&root), (2, 2));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(200), "]".repeat(200));
        fails_at(&deep, 1, 7 + 127, "nest deeper than 128");
        let ok = format!("{{\"a\": {}{}}}", "[".repeat(127), "]".repeat(127));
        read(&ok);
    }
}
