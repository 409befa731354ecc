//! A `serde` deserializer over a [`Node`]: a field's type reads its value from the tree, and
//! every error comes back with the path and origin of the innermost value it is about.
//!
//! Values from the environment and from overrides are text: where the type asks for a number
//! or a boolean, the text is parsed; where it asks for a sequence, the text is split on commas;
//! where it asks for a map, it is read as `key=value` pairs separated by commas.

use std::cell::RefCell;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Error as _, Expected, IntoDeserializer, Unexpected, Visitor,
};

use super::error::{Problem, ProblemKind};
use super::node::{Entry, Node, Origin, Value};
use super::suggest::closest;

/// A deserialization error, located at the innermost node it passed through.
#[derive(Debug)]
pub(crate) struct DeError {
    /// The full message, which may quote the value.
    message: String,
    /// The same without the value, for secret fields.
    redacted: String,
    location: Option<(String, Origin)>,
}

impl DeError {
    fn plain(message: String) -> Self {
        Self {
            redacted: "the value was refused by the field's type (not shown: secret field)"
                .to_owned(),
            message,
            location: None,
        }
    }

    /// Turns the error into a problem; `fallback` locates an error no node claimed.
    pub(crate) fn into_problem(self, fallback: (String, Origin), redact: bool) -> Problem {
        let (path, origin) = self.location.unwrap_or(fallback);
        let message = if redact { self.redacted } else { self.message };
        Problem::new(path, Some(origin), ProblemKind::Invalid { message })
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

/// What kind of value `unexpected` is, without the value.
fn kind_of(unexpected: &Unexpected<'_>) -> &'static str {
    match unexpected {
        Unexpected::Bool(_) => "a boolean",
        Unexpected::Unsigned(_) | Unexpected::Signed(_) => "an integer",
        Unexpected::Float(_) => "a float",
        Unexpected::Char(_) => "a character",
        Unexpected::Str(_) => "a string",
        Unexpected::Bytes(_) => "bytes",
        Unexpected::Unit => "null",
        Unexpected::Option => "an optional value",
        Unexpected::NewtypeStruct => "a newtype struct",
        Unexpected::Seq => "an array",
        Unexpected::Map => "a table",
        Unexpected::Enum => "an enum",
        Unexpected::UnitVariant => "a unit variant",
        Unexpected::NewtypeVariant => "a newtype variant",
        Unexpected::TupleVariant => "a tuple variant",
        Unexpected::StructVariant => "a struct variant",
        Unexpected::Other(_) => "another kind of value",
    }
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::plain(msg.to_string())
    }

    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        let found = match unexpected {
            Unexpected::Unit => "null".to_owned(),
            other => other.to_string(),
        };
        Self {
            message: format!("expected {expected}, found {found}"),
            redacted: format!("expected {expected}, found {}", kind_of(&unexpected)),
            location: None,
        }
    }

    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Self {
            message: format!("invalid value {unexpected}, expected {expected}"),
            redacted: format!(
                "invalid value ({}), expected {expected}",
                kind_of(&unexpected)
            ),
            location: None,
        }
    }
}

/// Keys of a table that no field of the struct reading it named; reported after the read.
#[derive(Default)]
pub(crate) struct Unknown {
    pub(crate) problems: RefCell<Vec<Problem>>,
}

/// Reads one node. `path` is the node's path, for errors.
pub(crate) struct NodeDe<'a> {
    node: &'a Node,
    path: String,
    unknown: &'a Unknown,
    /// Read the node as text to parse whatever its origin (a table's key).
    as_text: bool,
}

impl<'a> NodeDe<'a> {
    pub(crate) fn new(node: &'a Node, path: String, unknown: &'a Unknown) -> Self {
        Self {
            node,
            path,
            unknown,
            as_text: false,
        }
    }

    /// Reads a table's key: text that parses into numbers and booleans as environment text does.
    pub(crate) fn key(node: &'a Node, path: String, unknown: &'a Unknown) -> Self {
        Self {
            as_text: true,
            ..Self::new(node, path, unknown)
        }
    }

    /// Locates an error that no inner node claimed at this node.
    fn locate(&self, mut error: DeError) -> DeError {
        if error.location.is_none() {
            error.location = Some((self.path.clone(), self.node.origin.clone()));
        }
        error
    }

    /// The node's text, if it is text from the environment or an override.
    fn text(&self) -> Option<&'a str> {
        match (&self.node.value, &self.node.origin) {
            (Value::String(text), _) if self.as_text => Some(text),
            (
                Value::String(text),
                Origin::Env { .. } | Origin::EnvFile { .. } | Origin::Override { .. },
            ) => Some(text),
            _ => None,
        }
    }

    fn child(&self, node: &'a Node, path: String) -> NodeDe<'a> {
        NodeDe::new(node, path, self.unknown)
    }

    /// Parses the text for a scalar type, or reads the node as it is.
    fn scalar<'de, V: Visitor<'de>>(self, visitor: V, kind: Scalar) -> Result<V::Value, DeError> {
        let Some(text) = self.text() else {
            return de::Deserializer::deserialize_any(self, visitor);
        };
        let text = text.trim();
        let result = match kind {
            Scalar::Bool => match text {
                "true" => visitor.visit_bool(true),
                "false" => visitor.visit_bool(false),
                _ => Err(DeError::invalid_type(
                    Unexpected::Str(text),
                    &"`true` or `false`",
                )),
            },
            Scalar::Integer => match text.parse::<i128>() {
                Ok(n) => visit_integer(visitor, n),
                Err(_) => Err(DeError::invalid_type(Unexpected::Str(text), &"an integer")),
            },
            Scalar::Float => match text.parse::<f64>() {
                Ok(x) => visitor.visit_f64(x),
                Err(_) => Err(DeError::invalid_type(Unexpected::Str(text), &"a number")),
            },
        };
        result.map_err(|e| self.locate(e))
    }
}

#[derive(Clone, Copy)]
enum Scalar {
    Bool,
    Integer,
    Float,
}

fn visit_integer<'de, V: Visitor<'de>>(visitor: V, n: i128) -> Result<V::Value, DeError> {
    if let Ok(n) = i64::try_from(n) {
        visitor.visit_i64(n)
    } else if let Ok(n) = u64::try_from(n) {
        visitor.visit_u64(n)
    } else {
        visitor.visit_i128(n)
    }
}

/// Splits environment text into the nodes of a sequence (comma-separated; empty text is an
/// empty sequence).
fn split_list(text: &str, origin: &Origin) -> Vec<Node> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    text.split(',')
        .map(|item| Node::new(Value::String(item.trim().to_owned()), origin.clone()))
        .collect()
}

/// Reads environment text as a table of `key=value` pairs separated by commas.
pub(crate) fn split_pairs(text: &str, origin: &Origin) -> Result<Vec<Entry>, DeError> {
    let mut entries = Vec::new();
    for pair in text.split(',').filter(|pair| !pair.trim().is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(DeError::plain(
                "expected `key=value` pairs separated by commas".to_owned(),
            ));
        };
        entries.push(Entry {
            key: key.trim().to_owned(),
            key_origin: origin.clone(),
            value: Node::new(Value::String(value.trim().to_owned()), origin.clone()),
        });
    }
    Ok(entries)
}

macro_rules! scalars {
    ($($method:ident => $kind:ident),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
                self.scalar(visitor, Scalar::$kind)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for NodeDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Integer(n) => visit_integer(visitor, *n),
            Value::Float(x) => visitor.visit_f64(*x),
            Value::String(s) => visitor.visit_str(s),
            Value::Seq(items) => visitor.visit_seq(SeqReader {
                items: items.iter().enumerate(),
                de: &self,
            }),
            Value::Table(entries) => visitor.visit_map(TableReader {
                entries: entries.iter(),
                value: None,
                de: &self,
            }),
        };
        result.map_err(|e| self.locate(e))
    }

    scalars! {
        deserialize_bool => Bool,
        deserialize_i8 => Integer, deserialize_i16 => Integer, deserialize_i32 => Integer,
        deserialize_i64 => Integer, deserialize_i128 => Integer,
        deserialize_u8 => Integer, deserialize_u16 => Integer, deserialize_u32 => Integer,
        deserialize_u64 => Integer, deserialize_u128 => Integer,
        deserialize_f32 => Float, deserialize_f64 => Float,
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // Empty text from the environment or an override unsets an optional value.
        let empty_text = self.text().is_some_and(|text| text.trim().is_empty());
        let result = match self.node.value {
            Value::Null => visitor.visit_none(),
            _ if empty_text => visitor.visit_none(),
            _ => return visitor.visit_some(self),
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let Some(text) = self.text() else {
            return self.deserialize_any(visitor);
        };
        let items = split_list(text, &self.node.origin);
        let result = visitor.visit_seq(SeqReader {
            items: items.iter().enumerate(),
            de: &self,
        });
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let Some(text) = self.text() else {
            return self.deserialize_any(visitor);
        };
        let result = split_pairs(text, &self.node.origin).and_then(|entries| {
            visitor.visit_map(TableReader {
                entries: entries.iter(),
                value: None,
                de: &self,
            })
        });
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        // Keys written as `key=value` text are checked as a table's are.
        let pairs = match self.text() {
            Some(text) => split_pairs(text, &self.node.origin).unwrap_or_default(),
            None => Vec::new(),
        };
        let entries = match &self.node.value {
            Value::Table(entries) => entries.as_slice(),
            _ => pairs.as_slice(),
        };
        {
            let mut unknown = self.unknown.problems.borrow_mut();
            for entry in entries.iter().filter(|e| !fields.contains(&e.key.as_str())) {
                unknown.push(Problem::new(
                    join(&self.path, &entry.key),
                    Some(entry.key_origin.clone()),
                    ProblemKind::UnknownKey {
                        key: entry.key.clone(),
                        did_you_mean: closest(&entry.key, fields.iter().copied()),
                    },
                ));
            }
        }
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let result = match &self.node.value {
            Value::String(variant) => {
                let variant: de::value::StrDeserializer<'_, DeError> =
                    variant.as_str().into_deserializer();
                visitor.visit_enum(variant)
            }
            Value::Table(entries) if entries.len() == 1 => visitor.visit_enum(VariantReader {
                entry: &entries[0],
                de: &self,
            }),
            _ => Err(DeError::invalid_type(
                unexpected(&self.node.value),
                &"a variant name, or a table with one key (the variant) holding its fields",
            )),
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct identifier
    }
}

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Integer(_) => Unexpected::Other("an integer"),
        Value::Float(x) => Unexpected::Float(*x),
        Value::String(s) => Unexpected::Str(s),
        Value::Seq(_) => Unexpected::Seq,
        Value::Table(_) => Unexpected::Map,
    }
}

/// `parent.key`, or `key` at the root.
pub(crate) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

struct SeqReader<'a, 'b, I> {
    items: I,
    de: &'b NodeDe<'a>,
}

impl<'de, 'a, I: Iterator<Item = (usize, &'a Node)>> de::SeqAccess<'de> for SeqReader<'a, '_, I> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some((index, node)) => {
                let path = format!("{}[{index}]", self.de.path);
                seed.deserialize(self.de.child(node, path)).map(Some)
            }
            None => Ok(None),
        }
    }
}

struct TableReader<'a, 'b, I> {
    entries: I,
    value: Option<&'a Entry>,
    de: &'b NodeDe<'a>,
}

impl<'de, 'a, I: Iterator<Item = &'a Entry>> de::MapAccess<'de> for TableReader<'a, '_, I> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(entry);
        // A key is text: numbers and booleans in keys parse as they do from the environment.
        let key = Node::new(Value::String(entry.key.clone()), entry.key_origin.clone());
        let path = join(&self.de.path, &entry.key);
        seed.deserialize(NodeDe::key(&key, path.clone(), self.de.unknown))
            .map(Some)
            .map_err(|mut e| {
                e.location = Some((path, entry.key_origin.clone()));
                e
            })
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, DeError> {
        let entry = self
            .value
            .take()
            .expect("serde asks for a key before its value");
        let path = join(&self.de.path, &entry.key);
        seed.deserialize(self.de.child(&entry.value, path))
    }
}

struct VariantReader<'a, 'b> {
    entry: &'a Entry,
    de: &'b NodeDe<'a>,
}

impl<'de, 'a, 'b> de::EnumAccess<'de> for VariantReader<'a, 'b> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), DeError> {
        let name: de::value::StrDeserializer<'_, DeError> =
            self.entry.key.as_str().into_deserializer();
        Ok((seed.deserialize(name)?, self))
    }
}

impl<'de> de::VariantAccess<'de> for VariantReader<'_, '_> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(self.inner())
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_seq(self.inner(), visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_struct(self.inner(), "", fields, visitor)
    }
}

impl<'a> VariantReader<'a, '_> {
    fn inner(&self) -> NodeDe<'a> {
        self.de
            .child(&self.entry.value, join(&self.de.path, &self.entry.key))
    }
}
