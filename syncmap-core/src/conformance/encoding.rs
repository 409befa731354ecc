//! How the kit's abstract keys (names from `KEYS`) and values (small numbers) become the key and
//! value types of a concrete map, so one differential engine drives plain and counted types.

use std::borrow::{Borrow, Cow};

use super::{KitKey, KitValue};

/// Turns an [`Op`](super::Op)'s names and numbers into map keys and values, and back.
pub(crate) trait Encoding {
    /// The map's key type; looked up by `&str` to exercise `Borrow`.
    type K: KitKey + Borrow<str>;
    /// The map's value type.
    type V: KitValue;

    /// The key named `name`.
    fn key(&self, name: &'static str) -> Self::K;
    /// What to look the key named `name` up by: what `key(name)` borrows as.
    fn lookup(&self, name: &'static str) -> Cow<'static, str> {
        Cow::Borrowed(name)
    }
    /// The value numbered `number`.
    fn value(&self, number: u32) -> Self::V;
    /// The number of `value`.
    fn number(value: &Self::V) -> u32;
}

/// `String` keys and `u32` values: the types of the public differential API.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Plain;

impl Encoding for Plain {
    type K = String;
    type V = u32;

    fn key(&self, name: &'static str) -> String {
        name.to_owned()
    }

    fn value(&self, number: u32) -> u32 {
        number
    }

    fn number(value: &u32) -> u32 {
        *value
    }
}
