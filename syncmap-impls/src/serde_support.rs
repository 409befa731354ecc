//! `Serialize` and `Deserialize` for the three maps (cargo feature `serde`), as dashmap and
//! papaya offer: a map serializes as a map of its entries, and deserializes into a new map.
//!
//! Serializing walks the map with `range`, so it is exactly the state of one instant only for
//! `MutexMap` and `RwLockMap` (whose `range` is a snapshot); a `SyncMap` being written meanwhile
//! serializes each key at most once, as `range` promises. Entries are collected first, so the
//! serializer is told the exact length (formats such as bincode need it).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use syncmap_core::ConcurrentMap;

use crate::{MutexMap, RwLockMap, SyncMap};

/// Serializes every entry of `map` as a map.
fn serialize_entries<M, K, V, Ser>(map: &M, serializer: Ser) -> Result<Ser::Ok, Ser::Error>
where
    M: ConcurrentMap<K, V>,
    K: Serialize + Clone,
    V: Serialize + Clone,
    Ser: Serializer,
{
    let mut entries = Vec::new();
    map.range(|key, value| {
        entries.push((key.clone(), value.clone()));
        true
    });
    let mut out = serializer.serialize_map(Some(entries.len()))?;
    for (key, value) in &entries {
        out.serialize_entry(key, value)?;
    }
    out.end()
}

/// What [`EntriesVisitor`] builds: a map of `K` to `V`, of type `M`.
type Building<M, K, V> = PhantomData<fn() -> (M, K, V)>;

/// Reads a serialized map into a new, default map; a key given twice keeps its last value.
struct EntriesVisitor<M, K, V>(Building<M, K, V>);

impl<'de, M, K, V> Visitor<'de> for EntriesVisitor<M, K, V>
where
    M: ConcurrentMap<K, V> + Default,
    K: Deserialize<'de>,
    V: Deserialize<'de>,
{
    type Value = M;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<M, A::Error> {
        let map = M::default();
        while let Some((key, value)) = access.next_entry()? {
            map.store(key, value);
        }
        Ok(map)
    }
}

macro_rules! serde_for {
    ($($map:ident),*) => {$(
        impl<K, V, S> Serialize for $map<K, V, S>
        where
            Self: ConcurrentMap<K, V>,
            K: Serialize + Clone,
            V: Serialize + Clone,
        {
            fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
                serialize_entries(self, serializer)
            }
        }

        impl<'de, K, V, S> Deserialize<'de> for $map<K, V, S>
        where
            Self: ConcurrentMap<K, V> + Default,
            K: Deserialize<'de>,
            V: Deserialize<'de>,
        {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_map(EntriesVisitor(PhantomData))
            }
        }
    )*};
}

serde_for!(MutexMap, RwLockMap, SyncMap);

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use syncmap_core::ConcurrentMap;

    use crate::{MutexMap, RwLockMap, SyncMap};

    fn round_trip<M>()
    where
        M: ConcurrentMap<String, u32>
            + Default
            + serde::Serialize
            + for<'de> serde::Deserialize<'de>,
    {
        let map = M::default();
        map.store("a".to_owned(), 1);
        map.store("b".to_owned(), 2);
        let json = serde_json::to_string(&map).unwrap();
        let as_std: BTreeMap<String, u32> = serde_json::from_str(&json).unwrap();
        assert_eq!(
            as_std,
            BTreeMap::from([("a".to_owned(), 1), ("b".to_owned(), 2)])
        );
        let back: M = serde_json::from_str(r#"{"x": 7, "y": 8, "x": 9}"#).unwrap();
        assert_eq!(
            (back.load("x"), back.load("y"), back.len()),
            (Some(9), Some(8), 2)
        );
        assert!(serde_json::from_str::<M>(r#"{"x": "not a number"}"#).is_err());
        assert!(serde_json::from_str::<M>("[1, 2]").is_err());
    }

    #[test]
    fn maps_round_trip_through_json() {
        round_trip::<MutexMap<String, u32>>();
        round_trip::<RwLockMap<String, u32>>();
        round_trip::<SyncMap<String, u32>>();
    }
}
