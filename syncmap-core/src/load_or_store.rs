//! The outcome of [`ConcurrentMap::load_or_store`](crate::ConcurrentMap::load_or_store).

/// What [`load_or_store`](crate::ConcurrentMap::load_or_store) and
/// [`load_or_store_with`](crate::ConcurrentMap::load_or_store_with) did.
///
/// Go's `LoadOrStore` returns `(actual any, loaded bool)`. In Rust the flag and the value travel
/// together: `Loaded(v)` is Go's `(v, true)`, `Stored(v)` is Go's `(v, false)`.
///
/// # Examples
///
/// ```
/// use syncmap_core::LoadOrStore;
///
/// let first: LoadOrStore<u32> = LoadOrStore::Stored(7);
/// assert!(!first.is_loaded());
/// assert_eq!(first.into_value(), 7);
///
/// let second = LoadOrStore::Loaded(7);
/// assert_eq!(second.loaded(), Some(7));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use = "load_or_store tells whether the value was stored; ignore it explicitly with `let _ =`"]
pub enum LoadOrStore<V> {
    /// The key was present: this is the value found, and the offered value was not stored.
    Loaded(V),
    /// The key was absent: the offered value was stored, and this is (a clone of) it.
    Stored(V),
}

impl<V> LoadOrStore<V> {
    /// `true` when the key was already present (Go's `loaded`).
    pub fn is_loaded(&self) -> bool {
        matches!(self, Self::Loaded(_))
    }

    /// `true` when the offered value was stored.
    pub fn is_stored(&self) -> bool {
        matches!(self, Self::Stored(_))
    }

    /// The value now in the map for the key, whichever way it got there (Go's `actual`).
    pub fn into_value(self) -> V {
        match self {
            Self::Loaded(v) | Self::Stored(v) => v,
        }
    }

    /// A reference to the value now in the map for the key.
    pub fn value(&self) -> &V {
        match self {
            Self::Loaded(v) | Self::Stored(v) => v,
        }
    }

    /// The value found, if the key was present.
    pub fn loaded(self) -> Option<V> {
        match self {
            Self::Loaded(v) => Some(v),
            Self::Stored(_) => None,
        }
    }

    /// Maps the carried value, keeping whether it was loaded or stored.
    pub fn map<U>(self, f: impl FnOnce(V) -> U) -> LoadOrStore<U> {
        match self {
            Self::Loaded(v) => LoadOrStore::Loaded(f(v)),
            Self::Stored(v) => LoadOrStore::Stored(f(v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LoadOrStore;

    #[test]
    fn each_accessor_tells_the_two_outcomes_apart() {
        let (loaded, stored) = (LoadOrStore::Loaded(1), LoadOrStore::Stored(2));
        assert!(loaded.is_loaded() && !loaded.is_stored());
        assert!(stored.is_stored() && !stored.is_loaded());
        assert_eq!((loaded.loaded(), stored.loaded()), (Some(1), None));
        assert_eq!((*loaded.value(), stored.into_value()), (1, 2));
        assert_eq!(loaded.map(|v| v * 10), LoadOrStore::Loaded(10));
        assert_eq!(stored.map(|v| v * 10), LoadOrStore::Stored(20));
    }
}
