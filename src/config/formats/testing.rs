//! What the tests of every reader share: reading a text that must parse or must fail, and the
//! positions of its nodes and keys.

use std::path::Path;
use std::sync::Arc;

use super::ParseError;
use crate::config::node::{Node, Origin, Value};

/// A reader's `parse`.
pub(super) type Parse = fn(&str, Arc<Path>) -> Result<Node, ParseError>;

/// `text` read by `parse` as the file `file`; the test fails if it does not parse.
pub(super) fn read(parse: Parse, file: &str, text: &str) -> Node {
    parse(text, Arc::from(Path::new(file))).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

/// The error of reading `text`; the test fails if it parses.
pub(super) fn fail(parse: Parse, file: &str, text: &str) -> ParseError {
    match parse(text, Arc::from(Path::new(file))) {
        Ok(node) => panic!("{text:?} parsed: {node:?}"),
        Err(e) => e,
    }
}

/// Asserts that `text` fails at `line`:`column` with a message containing `part`.
#[track_caller]
pub(super) fn fails_at(parse: Parse, file: &str, text: &str, line: u32, column: u32, part: &str) {
    let e = fail(parse, file, text);
    assert_eq!((e.line, e.column), (line, column), "{text:?}: {e}");
    assert!(e.message.contains(part), "{text:?}: {e}");
}

/// The line and column of `node`, which must come from the file `file`.
pub(super) fn at(node: &Node, file: &str) -> (u32, u32) {
    match &node.origin {
        Origin::File { path, line, column } => {
            assert_eq!(**path, *Path::new(file));
            (*line, *column)
        }
        other => panic!("not a file origin: {other:?}"),
    }
}

/// The line and column of the key `key` of the table `node`.
pub(super) fn key_at(node: &Node, key: &str) -> (u32, u32) {
    let Value::Table(entries) = &node.value else {
        panic!("not a table: {node:?}");
    };
    let entry = entries.iter().find(|e| e.key == key).expect(key);
    match &entry.key_origin {
        Origin::File { line, column, .. } => (*line, *column),
        other => panic!("not a file origin: {other:?}"),
    }
}

/// The keys of the table `node`, in order.
#[cfg_attr(not(any(feature = "toml", feature = "yaml")), allow(dead_code))]
pub(super) fn keys(node: &Node) -> Vec<&str> {
    let Value::Table(entries) = &node.value else {
        panic!("not a table: {node:?}");
    };
    entries.iter().map(|e| e.key.as_str()).collect()
}
