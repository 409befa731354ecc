//! What the kit needs from the map under test: a way to build one for any key and value type.

use core::fmt::Debug;
use core::hash::Hash;

use crate::ConcurrentMap;

/// The bounds the kit needs of the keys it puts into a map; implemented for every such type.
///
/// `Clone` because [`ConcurrentMap::range`] requires it, `Debug` to print failing cases,
/// `Send + Sync + 'static` to share maps across the kit's threads.
pub trait KitKey: Hash + Eq + Clone + Debug + Send + Sync + 'static {}

impl<T: Hash + Eq + Clone + Debug + Send + Sync + 'static> KitKey for T {}

/// The bounds the kit needs of the values it puts into a map; implemented for every such type.
///
/// `PartialEq` because [`ConcurrentMap::compare_and_swap`] requires it; the rest as for
/// [`KitKey`].
pub trait KitValue: Clone + PartialEq + Debug + Send + Sync + 'static {}

impl<T: Clone + PartialEq + Debug + Send + Sync + 'static> KitValue for T {}

/// A family of maps: how to build an empty map for whatever key and value types a check picks.
///
/// The kit instantiates maps of several types (string keys looked up by `&str`, integer keys,
/// keys and values that count their own clones and drops), so it asks for a type constructor
/// rather than one map type. Implement it on a unit struct:
///
/// ```
/// use syncmap_core::conformance::{KitKey, KitValue, MapFamily};
/// use syncmap_impls::MutexMap;
///
/// /// `MutexMap` with its default hasher, for the conformance kit.
/// struct MutexMapFamily;
///
/// impl MapFamily for MutexMapFamily {
///     type Map<K: KitKey, V: KitValue> = MutexMap<K, V>;
///
///     fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V> {
///         MutexMap::new()
///     }
/// }
///
/// let map = MutexMapFamily::new_map::<String, u32>();
/// # let _ = map;
/// ```
///
/// The `'static` bound lets the kit build maps on a watchdog thread that it can abandon when a
/// check deadlocks; a family is a marker type, so it costs nothing.
pub trait MapFamily: 'static {
    /// The map of this family for keys `K` and values `V`.
    type Map<K: KitKey, V: KitValue>: ConcurrentMap<K, V> + Send + Sync;

    /// A new, empty map. Each test case calls it afresh.
    fn new_map<K: KitKey, V: KitValue>() -> Self::Map<K, V>;
}
