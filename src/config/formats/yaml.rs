//! YAML 1.2, one document, read from `saphyr-parser`'s events (each with its span) and
//! resolved with the YAML 1.2 core schema.
//!
//! - Plain scalars resolve as the core schema says: `null`, `Null`, `NULL`, `~` and nothing are
//!   null; `true`/`True`/`TRUE` and the `false`s are booleans; `12`, `-3`, `0o17`, `0x1F` are
//!   integers; `1.5`, `1e3`, `.inf`, `-.inf`, `.nan` are floats; anything else is a string.
//!   As in YAML 1.2 (not 1.1), `yes`, `on` and `1_000` are strings and `0755` is the decimal 755.
//!   Quoted and block scalars are strings.
//! - Tags: the core schema's (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!seq`,
//!   `!!map`) and the non-specific `!` are honoured; any other tag is an error.
//! - Keys are scalars and become their text (`1: a` has the key `"1"`, `true: b` the key
//!   `"true"`); a sequence, mapping or alias as a key is an error, and so is the merge key `<<`,
//!   which YAML 1.2 does not have.
//! - Anchors and aliases are resolved: an alias is a copy of its anchor's node, whose own origin
//!   is the alias's place and whose contents keep the places they are written at. An alias inside
//!   its own anchor (a cycle) is an error, and so are aliases that copy more than
//!   [`MAX_ALIASED_NODES`] nodes in all (a "billion laughs" file) or nest deeper than
//!   [`MAX_DEPTH`].
//! - A file with no document (empty, or comments only), or whose document is empty, is an empty
//!   table; a second document is an error.

use std::collections::HashMap;
use std::collections::hash_map;
use std::path::Path;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, StrInput, Tag};

use super::{MAX_DEPTH, ParseError, check_root, file_origin, to_u32};
use crate::config::node::{Entry, Node, Origin, Value};

/// How many nodes aliases may copy in one file, in all.
const MAX_ALIASED_NODES: usize = 100_000;

/// The prefix the parser expands the `!!` of a core schema tag to.
const CORE_SCHEMA: &str = "tag:yaml.org,2002:";

/// Reads `text` as a YAML stream of at most one document whose root is a mapping.
pub(super) fn parse(text: &str, path: Arc<Path>) -> Result<Node, ParseError> {
    let mut reader = Reader {
        parser: Parser::new_from_str(text),
        path,
        anchors: HashMap::new(),
        aliased: 0,
        depth: 0,
    };
    let empty = |reader: &Reader<'_>| Node::new(Value::Table(Vec::new()), reader.origin_at(1, 1));
    let (event, _) = reader.next()?;
    debug_assert_eq!(event, Event::StreamStart);
    let root = match reader.next()? {
        (Event::StreamEnd, _) => return Ok(empty(&reader)),
        (Event::DocumentStart(_), _) => match reader.next()? {
            (Event::Scalar(text, ScalarStyle::Plain, 0, None), _) if text.is_empty() => {
                empty(&reader)
            }
            (event, span) => reader.node(event, span)?,
        },
        (_, span) => return Err(error_at(span, "expected a YAML document".to_owned())),
    };
    loop {
        match reader.next()? {
            (Event::DocumentEnd, _) => {}
            (Event::StreamEnd, _) => break,
            (_, span) => {
                return Err(error_at(
                    span,
                    "a second YAML document starts here: a configuration file holds one \
                     document (split the others into files of their own)"
                        .to_owned(),
                ));
            }
        }
    }
    check_root(root, "a YAML mapping")
}

/// A node with an anchor, kept for its aliases.
struct Anchored {
    /// The node.
    node: Node,
    /// How many nodes it holds, itself included.
    size: usize,
    /// How deep its collections nest (0 for a scalar).
    height: usize,
}

/// The state of one parse.
struct Reader<'a> {
    /// The event parser.
    parser: Parser<'a, StrInput<'a>>,
    /// The file, for origins.
    path: Arc<Path>,
    /// Finished anchored nodes by the parser's anchor id (a redefined anchor gets a new id).
    anchors: HashMap<usize, Anchored>,
    /// How many nodes aliases have copied so far.
    aliased: usize,
    /// How many sequences and mappings enclose the node being read.
    depth: usize,
}

/// The error at the start of `span`.
fn error_at(span: Span, message: String) -> ParseError {
    let (line, column) = position(span);
    ParseError {
        message,
        line,
        column,
    }
}

/// The 1-based line and column where `span` starts (the parser's columns are 0-based characters
/// and count no byte-order mark).
fn position(span: Span) -> (u32, u32) {
    (
        to_u32(span.start.line().max(1)),
        to_u32(span.start.col() + 1),
    )
}

/// The parser's error, without the character it quotes in one of its messages.
fn scan_error(e: &ScanError) -> ParseError {
    let info = e.info();
    let message = if info.starts_with("unexpected character") {
        "unexpected character".to_owned()
    } else {
        info.to_owned()
    };
    ParseError {
        message,
        line: to_u32(e.marker().line().max(1)),
        column: to_u32(e.marker().col() + 1),
    }
}

/// How many nodes `node` holds, itself included, and how deep its collections nest.
fn measure(node: &Node) -> (usize, usize) {
    let children: Box<dyn Iterator<Item = &Node>> = match &node.value {
        Value::Seq(items) => Box::new(items.iter()),
        Value::Table(entries) => Box::new(entries.iter().map(|e| &e.value)),
        _ => return (1, 0),
    };
    let (mut size, mut height) = (1, 0);
    for child in children {
        let (child_size, child_height) = measure(child);
        size += child_size;
        height = height.max(child_height);
    }
    (size, height + 1)
}

impl<'a> Reader<'a> {
    /// The next event.
    fn next(&mut self) -> Result<(Event<'a>, Span), ParseError> {
        match self.parser.next_event() {
            Some(Ok(event)) => Ok(event),
            Some(Err(e)) => Err(scan_error(&e)),
            // The parser ends its events with `StreamEnd`, after which nothing is asked.
            None => Err(ParseError {
                message: "unexpected end of the YAML stream".to_owned(),
                line: 1,
                column: 1,
            }),
        }
    }

    /// The origin of what starts at `line`:`column`.
    fn origin_at(&self, line: u32, column: u32) -> Origin {
        file_origin(&self.path, line, column)
    }

    /// The origin of what starts where `span` does.
    fn origin(&self, span: Span) -> Origin {
        let (line, column) = position(span);
        self.origin_at(line, column)
    }

    /// Reads the node that `event` (at `span`) starts.
    fn node(&mut self, event: Event<'a>, span: Span) -> Result<Node, ParseError> {
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = scalar(&text, style, tag.as_deref()).map_err(|m| error_at(span, m))?;
                (Node::new(value, self.origin(span)), anchor)
            }
            Event::SequenceStart(anchor, tag) => {
                check_collection_tag(tag.as_deref(), "seq", span)?;
                self.enter(span)?;
                let mut items = Vec::new();
                loop {
                    match self.next()? {
                        (Event::SequenceEnd, _) => break,
                        (event, span) => items.push(self.node(event, span)?),
                    }
                }
                self.depth -= 1;
                (Node::new(Value::Seq(items), self.origin(span)), anchor)
            }
            Event::MappingStart(anchor, tag) => {
                check_collection_tag(tag.as_deref(), "map", span)?;
                self.enter(span)?;
                let entries = self.mapping()?;
                self.depth -= 1;
                (Node::new(Value::Table(entries), self.origin(span)), anchor)
            }
            Event::Alias(id) => return self.alias(id, span),
            _ => {
                return Err(error_at(
                    span,
                    "expected a value (a scalar, sequence or mapping)".to_owned(),
                ));
            }
        };
        if anchor != 0 {
            let (size, height) = measure(&node);
            self.anchors.insert(
                anchor,
                Anchored {
                    node: node.clone(),
                    size,
                    height,
                },
            );
        }
        Ok(node)
    }

    /// Enters a sequence or mapping that starts at `span`.
    fn enter(&mut self, span: Span) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(error_at(
                span,
                format!("sequences and mappings nest deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    /// Reads a mapping's entries, up to its end.
    fn mapping(&mut self) -> Result<Vec<Entry>, ParseError> {
        let mut entries: Vec<Entry> = Vec::new();
        // Key -> where it is first written, for duplicates.
        let mut seen: HashMap<String, (u32, u32)> = HashMap::new();
        loop {
            let (event, key_span) = self.next()?;
            let key = match event {
                Event::MappingEnd => return Ok(entries),
                Event::Scalar(text, style, _, _) => {
                    if style == ScalarStyle::Plain && text == "<<" {
                        return Err(error_at(
                            key_span,
                            "merge keys (`<<`) are not YAML 1.2 and are not supported: write the \
                             entries out, or alias a whole mapping"
                                .to_owned(),
                        ));
                    }
                    text.into_owned()
                }
                Event::Alias(_) => {
                    return Err(error_at(
                        key_span,
                        "an alias cannot be a key: write the key out".to_owned(),
                    ));
                }
                Event::SequenceStart(..) | Event::MappingStart(..) => {
                    return Err(error_at(
                        key_span,
                        "a key must be a scalar (a string, number or boolean), not a sequence or \
                         mapping"
                            .to_owned(),
                    ));
                }
                _ => return Err(error_at(key_span, "expected a key".to_owned())),
            };
            match seen.entry(key.clone()) {
                hash_map::Entry::Occupied(first) => {
                    let (line, column) = *first.get();
                    return Err(error_at(
                        key_span,
                        format!(
                            "duplicate key: the same key is written before in this mapping, at \
                             line {line}, column {column}"
                        ),
                    ));
                }
                hash_map::Entry::Vacant(slot) => {
                    slot.insert(position(key_span));
                }
            }
            let (event, span) = self.next()?;
            let value = self.node(event, span)?;
            entries.push(Entry {
                key,
                key_origin: self.origin(key_span),
                value,
            });
        }
    }

    /// A copy of the node anchored as `id`, for an alias at `span`.
    fn alias(&mut self, id: usize, span: Span) -> Result<Node, ParseError> {
        let Some(anchored) = self.anchors.get(&id) else {
            // The parser knows the anchor (it refuses unknown ones), so its node is not finished:
            // the alias is inside it.
            return Err(error_at(
                span,
                "an alias inside the node its anchor names (a cycle)".to_owned(),
            ));
        };
        self.aliased += anchored.size;
        if self.aliased > MAX_ALIASED_NODES {
            return Err(error_at(
                span,
                format!(
                    "aliases copy more than {MAX_ALIASED_NODES} nodes in all (a file that \
                     expands without bound?)"
                ),
            ));
        }
        if self.depth + anchored.height > MAX_DEPTH {
            return Err(error_at(
                span,
                format!(
                    "with this alias, sequences and mappings nest deeper than {MAX_DEPTH} levels"
                ),
            ));
        }
        let mut node = anchored.node.clone();
        node.origin = self.origin(span);
        Ok(node)
    }
}

/// Checks the tag of a sequence (`kind` `"seq"`) or mapping (`"map"`).
fn check_collection_tag(tag: Option<&Tag>, kind: &str, span: Span) -> Result<(), ParseError> {
    match tag {
        None => Ok(()),
        Some(tag) if is_non_specific(tag) => Ok(()),
        Some(tag) if core_tag(tag) == Some(kind) => Ok(()),
        Some(_) => Err(error_at(span, unsupported_tag())),
    }
}

/// Whether `tag` is the non-specific `!` (the parser gives it as the suffix `!`).
fn is_non_specific(tag: &Tag) -> bool {
    tag.handle.is_empty() && tag.suffix == "!"
}

/// The name of a core schema tag (`"str"` for `!!str` or `!<tag:yaml.org,2002:str>`).
fn core_tag(tag: &Tag) -> Option<&str> {
    if tag.handle == CORE_SCHEMA {
        Some(&tag.suffix)
    } else if tag.handle.is_empty() {
        tag.suffix.strip_prefix(CORE_SCHEMA)
    } else {
        None
    }
}

/// The message for a tag this reader does not know.
fn unsupported_tag() -> String {
    "unsupported tag: only the core schema's `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, \
     `!!seq` and `!!map` (and the non-specific `!`) are accepted"
        .to_owned()
}

/// Resolves a scalar as the core schema says; the error is a message.
fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    let wanted = match tag {
        None if style == ScalarStyle::Plain => return resolve_plain(text),
        None => return Ok(Value::String(text.to_string())),
        Some(tag) if is_non_specific(tag) => return Ok(Value::String(text.to_string())),
        Some(tag) => core_tag(tag).ok_or_else(unsupported_tag)?,
    };
    let value = match wanted {
        "str" => return Ok(Value::String(text.to_string())),
        "null" => null(text),
        "bool" => boolean(text),
        "int" => integer(text)?,
        "float" => float(text)?.or_else(|| {
            // `!!float 1` is the float 1.
            match integer(text) {
                Ok(Some(Value::Integer(i))) => Some(Value::Float(i as f64)),
                _ => None,
            }
        }),
        _ => return Err(unsupported_tag()),
    };
    value.ok_or_else(|| format!("expected {} for the tag `!!{wanted}`", kind_of_tag(wanted)))
}

/// What a core schema tag's scalar must be, for messages.
fn kind_of_tag(suffix: &str) -> &'static str {
    match suffix {
        "null" => "null (`null`, `~` or nothing)",
        "bool" => "a boolean (`true` or `false`)",
        "int" => "an integer",
        _ => "a number",
    }
}

/// A plain scalar without a tag; an error if it is a number out of range.
fn resolve_plain(text: &str) -> Result<Value, String> {
    if let Some(value) = null(text).or_else(|| boolean(text)) {
        return Ok(value);
    }
    if let Some(value) = integer(text)? {
        return Ok(value);
    }
    Ok(float(text)?.unwrap_or_else(|| Value::String(text.to_owned())))
}

/// `null`, `Null`, `NULL`, `~` or nothing.
fn null(text: &str) -> Option<Value> {
    matches!(text, "" | "~" | "null" | "Null" | "NULL").then_some(Value::Null)
}

/// `true`, `True`, `TRUE` and the `false`s.
fn boolean(text: &str) -> Option<Value> {
    match text {
        "true" | "True" | "TRUE" => Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => Some(Value::Bool(false)),
        _ => None,
    }
}

/// `[-+]?[0-9]+`, `0o[0-7]+` or `0x[0-9a-fA-F]+`: `Ok(None)` if `text` is not one, an error if
/// it is one beyond `i128`.
fn integer(text: &str) -> Result<Option<Value>, String> {
    let (digits, radix) = if let Some(octal) = text.strip_prefix("0o") {
        (octal, 8)
    } else if let Some(hex) = text.strip_prefix("0x") {
        (hex, 16)
    } else {
        let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
        if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(None);
        }
        return match text.parse::<i128>() {
            Ok(i) => Ok(Some(Value::Integer(i))),
            Err(_) => Err(out_of_range()),
        };
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Ok(None);
    }
    match i128::from_str_radix(digits, radix) {
        Ok(i) => Ok(Some(Value::Integer(i))),
        Err(_) => Err(out_of_range()),
    }
}

/// The message for an integer beyond `i128`.
fn out_of_range() -> String {
    "integer out of range: it must fit in 128 bits (-2^127 to 2^127 - 1)".to_owned()
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?.inf` or `.nan` (each in three
/// cases): `Ok(None)` if `text` is not one, an error if it is one beyond `f64`.
fn float(text: &str) -> Result<Option<Value>, String> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let negative = text.starts_with('-');
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        let inf = if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        return Ok(Some(Value::Float(inf)));
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Ok(Some(Value::Float(f64::NAN)));
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(e) => (&unsigned[..e], Some(&unsigned[e + 1..])),
        None => (unsigned, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        // `.5`, `1.`, `1.5`, but not `.`
        Some(frac) => all_digits(int) && all_digits(frac) && !(int.is_empty() && frac.is_empty()),
        None => !int.is_empty() && all_digits(int),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    if !mantissa_ok || !exponent_ok {
        return Ok(None);
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(Some(Value::Float(f))),
        _ => Err("float out of range: it is beyond the largest 64-bit float".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_ALIASED_NODES, parse};
    use crate::config::formats::ParseError;
    use crate::config::formats::testing::{self, key_at, keys};
    use crate::config::node::{Node, Value};

    const FILE: &str = "conf/app.yaml";

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
        read(&format!("v: {text}")).get("v").unwrap().value.clone()
    }

    #[test]
    fn every_scalar_kind() {
        for null in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(value(null), Value::Null, "{null:?}");
        }
        for (text, b) in [
            ("true", true),
            ("True", true),
            ("TRUE", true),
            ("false", false),
        ] {
            assert_eq!(value(text), Value::Bool(b));
        }
        assert_eq!(value("FALSE"), Value::Bool(false));
        assert_eq!(value("42"), Value::Integer(42));
        assert_eq!(value("-17"), Value::Integer(-17));
        assert_eq!(value("+17"), Value::Integer(17));
        assert_eq!(value("0o17"), Value::Integer(0o17));
        assert_eq!(value("0x1F"), Value::Integer(0x1F));
        assert_eq!(value("1.5"), Value::Float(1.5));
        assert_eq!(value("-.5"), Value::Float(-0.5));
        assert_eq!(value("1."), Value::Float(1.0));
        assert_eq!(value("1e3"), Value::Float(1000.0));
        assert_eq!(value("2.5E-1"), Value::Float(0.25));
        assert_eq!(value(".inf"), Value::Float(f64::INFINITY));
        assert_eq!(value("-.Inf"), Value::Float(f64::NEG_INFINITY));
        assert!(matches!(value(".NaN"), Value::Float(f) if f.is_nan()));
        assert_eq!(value("hello world"), Value::String("hello world".into()));
        // YAML 1.1's booleans, octals and separators are strings in YAML 1.2.
        for text in [
            "yes", "no", "on", "off", "0755", "1_000", "0x", "0o8", "1e", ".", "-",
        ] {
            let expected = if text == "0755" {
                Value::Integer(755)
            } else {
                Value::String(text.into())
            };
            assert_eq!(value(&format!("'{text}'")), Value::String(text.into()));
            if text != "-" {
                assert_eq!(value(text), expected, "{text}");
            }
        }
        // Quoted and block scalars are strings.
        assert_eq!(value("'42'"), Value::String("42".into()));
        assert_eq!(value("\"true\""), Value::String("true".into()));
        assert_eq!(value("\"a\\tb\\u00e9\""), Value::String("a\tbé".into()));
        assert_eq!(
            value("|\n  line one\n  line two\n"),
            Value::String("line one\nline two\n".into())
        );
        assert_eq!(
            value(">-\n  folded\n  text\n"),
            Value::String("folded text".into())
        );
    }

    #[test]
    fn tags() {
        assert_eq!(value("!!str 42"), Value::String("42".into()));
        assert_eq!(value("!!int \"42\""), Value::Integer(42));
        assert_eq!(value("!!float 1"), Value::Float(1.0));
        assert_eq!(value("!!float '2.5'"), Value::Float(2.5));
        assert_eq!(value("!!bool 'true'"), Value::Bool(true));
        assert_eq!(value("!!null ''"), Value::Null);
        assert_eq!(value("! 42"), Value::String("42".into()));
        assert_eq!(value("!<tag:yaml.org,2002:int> '7'"), Value::Integer(7));
        let Value::Seq(items) = value("!!seq [1]") else {
            panic!()
        };
        assert_eq!(items[0].value, Value::Integer(1));
        assert_eq!(
            read("v: !!map {a: 1}")
                .get("v")
                .unwrap()
                .get("a")
                .unwrap()
                .value,
            Value::Integer(1)
        );
        fails_at(
            "v: !!int abc",
            1,
            4,
            "expected an integer for the tag `!!int`",
        );
        fails_at("v: !!bool yes", 1, 4, "expected a boolean");
        fails_at("v: !secret hunter2", 1, 4, "unsupported tag");
        fails_at("v: !!binary aGk=", 1, 4, "unsupported tag");
        fails_at("v: !!map [1]", 1, 4, "unsupported tag");
        fails_at("v: !custom {a: 1}", 1, 4, "unsupported tag");
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
        assert_eq!(
            value("0xffffffffffffffffffff"),
            Value::Integer(0xffff_ffff_ffff_ffff_ffff)
        );
        fails_at(
            "a: 1\nv: 170141183460469231731687303715884105728",
            2,
            4,
            "integer out of range",
        );
        fails_at(
            "v: 0x80000000000000000000000000000000",
            1,
            4,
            "integer out of range",
        );
        fails_at("v: [1, 1e400]", 1, 8, "float out of range");
        // Quoted, it is a string.
        assert_eq!(
            value("'170141183460469231731687303715884105728'"),
            Value::String("170141183460469231731687303715884105728".into())
        );
    }

    #[test]
    fn nested_tables_and_arrays_with_positions() {
        let text = "\
title: app
server:
  host: localhost
  ports: [80, 443]
  tls: {on: true, cert: \"/etc/c.pem\"}
  users:
    - name: a
      roles:
        - admin
    - name: b
empty: []
";
        let root = read(text);
        assert_eq!(at(&root), (1, 1));
        assert_eq!(keys(&root), ["title", "server", "empty"]);
        assert_eq!(key_at(&root, "title"), (1, 1));
        assert_eq!(at(root.get("title").unwrap()), (1, 8));
        let server = root.get("server").unwrap();
        assert_eq!(key_at(&root, "server"), (2, 1));
        assert_eq!(at(server), (3, 3));
        assert_eq!(keys(server), ["host", "ports", "tls", "users"]);
        assert_eq!(key_at(server, "host"), (3, 3));
        assert_eq!(at(server.get("host").unwrap()), (3, 9));
        let Value::Seq(ports) = &server.get("ports").unwrap().value else {
            panic!()
        };
        assert_eq!(ports[1].value, Value::Integer(443));
        assert_eq!((at(&ports[0]), at(&ports[1])), ((4, 11), (4, 15)));
        let tls = server.get("tls").unwrap();
        assert_eq!(at(tls), (5, 8));
        // `on` is a string key (YAML 1.2); `true` a boolean.
        assert_eq!(key_at(tls, "on"), (5, 9));
        assert_eq!(tls.get("on").unwrap().value, Value::Bool(true));
        assert_eq!(at(tls.get("cert").unwrap()), (5, 25));
        let users = server.get("users").unwrap();
        assert_eq!(at(users), (7, 5));
        let Value::Seq(users) = &users.value else {
            panic!()
        };
        assert_eq!(at(&users[0]), (7, 7));
        assert_eq!(key_at(&users[0], "roles"), (8, 7));
        let Value::Seq(roles) = &users[0].get("roles").unwrap().value else {
            panic!()
        };
        assert_eq!(roles[0].value, Value::String("admin".into()));
        assert_eq!(at(&roles[0]), (9, 11));
        assert_eq!(at(users[1].get("name").unwrap()), (10, 13));
        assert_eq!(root.get("empty").unwrap().value, Value::Seq(vec![]));
        assert_eq!(at(root.get("empty").unwrap()), (11, 8));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "ключ: значение\nemoji: {\"😀\": 1, ß: é, k: [日本, 2]}\n";
        let root = read(text);
        assert_eq!(at(root.get("ключ").unwrap()), (1, 7));
        let emoji = root.get("emoji").unwrap();
        assert_eq!(key_at(emoji, "😀"), (2, 9));
        assert_eq!(at(emoji.get("😀").unwrap()), (2, 14));
        assert_eq!(key_at(emoji, "ß"), (2, 17));
        assert_eq!(at(emoji.get("ß").unwrap()), (2, 20));
        let Value::Seq(k) = &emoji.get("k").unwrap().value else {
            panic!()
        };
        assert_eq!((at(&k[0]), at(&k[1])), ((2, 27), (2, 31)));
        // A byte-order mark counts no column; CRLF line ends.
        let root = read("\u{feff}é: 1\r\nb: 2\r\n");
        assert_eq!(key_at(&root, "é"), (1, 1));
        assert_eq!(at(root.get("é").unwrap()), (1, 4));
        assert_eq!(at(root.get("b").unwrap()), (2, 4));
        // A missing value is null, where the value would start.
        let root = read("a:\nb: 2");
        assert_eq!(root.get("a").unwrap().value, Value::Null);
    }

    #[test]
    fn keys_are_their_text() {
        let root = read("1: a\ntrue: b\n1.5: c\n~: d\n\"quoted key\": e\n'0x10': f\n");
        assert_eq!(keys(&root), ["1", "true", "1.5", "~", "quoted key", "0x10"]);
        assert_eq!(key_at(&root, "quoted key"), (5, 1));
        fails_at("? [a, b]\n: 1\n", 1, 3, "a key must be a scalar");
        fails_at("{a: 1}: 2\n", 1, 1, "a key must be a scalar");
        fails_at("a: &k key\n*k : 2\n", 2, 1, "an alias cannot be a key");
        fails_at("base: &b {a: 1}\nv:\n  <<: *b\n", 3, 3, "merge keys (`<<`)");
        // A quoted `<<` is an ordinary key.
        assert_eq!(keys(&read("'<<': 1")), ["<<"]);
    }

    #[test]
    fn anchors_and_aliases_are_resolved() {
        let text = "\
defaults: &defaults
  pool: 4
  hosts: [a, b]
primary: *defaults
port: &port 8080
other_port: *port
";
        let root = read(text);
        let defaults = root.get("defaults").unwrap();
        let primary = root.get("primary").unwrap();
        assert_eq!(primary.value, defaults.value);
        // The copy starts at the alias; what it holds keeps the places it is written at.
        // A node starts at its properties (`&defaults`).
        assert_eq!(at(defaults), (1, 11));
        assert_eq!(at(primary), (4, 10));
        assert_eq!(at(primary.get("pool").unwrap()), (2, 9));
        assert_eq!(root.get("other_port").unwrap().value, Value::Integer(8080));
        assert_eq!(at(root.get("other_port").unwrap()), (6, 13));
        assert_eq!(at(root.get("port").unwrap()), (5, 7));
        // A redefined anchor: aliases after it see the new node.
        let root = read("a: &x 1\nb: &x 2\nc: *x\n");
        assert_eq!(root.get("c").unwrap().value, Value::Integer(2));
        // Unknown anchors and cycles.
        fails_at("a: *nope\n", 1, 4, "unknown anchor");
        fails_at("a: &x\n  b: *x\n", 2, 6, "a cycle");
        fails_at("a: &x [1, *x]\n", 1, 11, "a cycle");
    }

    #[test]
    fn aliases_cannot_explode() {
        // Each level holds ten aliases of the one before: 10^9 nodes if expanded.
        let mut text = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            let aliases = vec![format!("*l{prev}"); 10].join(", ");
            text.push_str(&format!("l{i}: &l{i} [{aliases}]\n"));
        }
        let e = fail(&text);
        assert!(
            e.message
                .contains(&format!("more than {MAX_ALIASED_NODES} nodes")),
            "{e}"
        );
        // Aliases of aliases that nest deeper than the limit.
        let mut text = String::from("l0: &l0 [x]\n");
        for i in 1..200 {
            text.push_str(&format!("l{i}: &l{i} [*l{}]\n", i - 1));
        }
        let e = fail(&text);
        assert!(e.message.contains("nest deeper than 128"), "{e}");
        assert_eq!(e.line, 128);
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("a: {}{}", "[".repeat(200), "]".repeat(200));
        let e = fail(&deep);
        assert!(e.message.contains("nest"), "{e}");
        let ok = format!("a: {}{}", "[".repeat(100), "]".repeat(100));
        read(&ok);
    }

    #[test]
    fn syntax_errors_say_where() {
        fails_at(
            "a: 1\nb: [1, 2\n",
            3,
            1,
            "flow sequence, expected ',' or ']'",
        );
        fails_at("a: 1\n  b: 2\n", 2, 4, "mapping values are not allowed");
        fails_at(
            "a: \"unterminated\n",
            1,
            4,
            "found unexpected end of stream",
        );
        fails_at("a:\n\t- 1\n", 2, 2, "tab");
        fails_at(
            "a: {b: 1\n",
            2,
            1,
            "flow mapping, did not find expected ',' or '}'",
        );
        // The parser places this one after the `- `.
        fails_at("a: 1\n- 2\n", 2, 3, "did not find expected key");
        fails_at("a: 'é€😀' x: 1\n", 1, 10, "invalid trailing content");
        // The parser places this one at the string's start.
        fails_at("a: \"\\q\"\n", 1, 4, "unknown escape");
    }

    #[test]
    fn messages_do_not_quote_the_text() {
        for text in [
            "password: \"hunter2",
            "password: hunter2: x",
            "hunter2: 1\nhunter2: 2",
            "password: *hunter2",
            "password: \"hunter2\\q\"",
            "password: !hunter2 x",
            "password: `hunter2",
            "- hunter2",
        ] {
            let e = fail(text);
            assert!(!e.message.contains("hunter2"), "{text:?}: {e}");
        }
    }

    #[test]
    fn duplicate_keys_fail_at_the_second() {
        fails_at(
            "a: 1\nb: 2\na: 3\n",
            3,
            1,
            "duplicate key: the same key is written before in this mapping, at line 1, column 1",
        );
        fails_at("t: {x: 1, x: 2}\n", 1, 11, "duplicate key");
        fails_at("t:\n  x: 1\n  'x': 2\n", 3, 3, "duplicate key");
        // Keys are compared by text: `1` and `'1'` are the same key.
        fails_at("1: a\n'1': b\n", 2, 1, "duplicate key");
        // The same key in different mappings is fine.
        let root = read("a: {a: 1}\nb: {a: 2}\n");
        assert_eq!(
            root.get("b").unwrap().get("a").unwrap().value,
            Value::Integer(2)
        );
    }

    #[test]
    fn one_document_whose_root_is_a_mapping() {
        fails_at(
            "- 1\n- 2\n",
            1,
            1,
            "must be a table (a YAML mapping), not an array",
        );
        fails_at("just text\n", 1, 1, "not a string");
        fails_at("---\n42\n", 1, 1, "not an integer");
        fails_at("~\n", 1, 1, "not null");
        fails_at("a: 1\n---\nb: 2\n", 2, 1, "a second YAML document");
        fails_at("a: 1\n...\n---\nb: 2\n", 3, 1, "a second YAML document");
        // No document, or an empty one, is an empty table.
        for empty in ["", "# nothing set\n", "---\n", "---\n...\n", "\u{feff}"] {
            let root = read(empty);
            assert_eq!(root.value, Value::Table(vec![]), "{empty:?}");
            assert_eq!(at(&root), (1, 1));
        }
        // Explicit document markers and directives are fine.
        let root = read("%YAML 1.2\n---\na: 1\n...\n");
        assert_eq!(at(root.get("a").unwrap()), (3, 4));
    }
}
