//! Declares a public map type over [`LockedTable`](super::LockedTable): constructors, `Default`,
//! `Debug`, `FromIterator`, `Extend`, and the `ConcurrentMap` impl forwarded to the table.

/// `lock_map!(MapName, LockType, "doc for the type")` declares `MapName<K, V, S>`.
macro_rules! lock_map {
    ($(#[$doc:meta])* $name:ident, $lock:ident) => {
        $(#[$doc])*
        pub struct $name<K, V, S = $crate::DefaultHashBuilder> {
            table: $crate::locked::LockedTable<
                K,
                V,
                S,
                $crate::reentrance::$lock<$crate::hashed::HashedTable<K, std::sync::Arc<V>, S>>,
            >,
        }

        impl<K, V> $name<K, V, $crate::DefaultHashBuilder> {
            /// An empty map with the default, randomly seeded hasher.
            pub fn new() -> Self {
                Self::with_hasher($crate::DefaultHashBuilder::default())
            }

            /// An empty map with room for `capacity` keys before it reallocates.
            pub fn with_capacity(capacity: usize) -> Self {
                Self::with_capacity_and_hasher(capacity, $crate::DefaultHashBuilder::default())
            }
        }

        impl<K, V, S> $name<K, V, S> {
            /// An empty map that hashes keys with `hasher`.
            pub fn with_hasher(hasher: S) -> Self {
                Self { table: $crate::locked::LockedTable::with_hasher(hasher) }
            }

            /// An empty map with room for `capacity` keys, hashing with `hasher`.
            pub fn with_capacity_and_hasher(capacity: usize, hasher: S) -> Self {
                Self {
                    table: $crate::locked::LockedTable::with_capacity_and_hasher(capacity, hasher),
                }
            }
        }

        impl<K, V, S: Default> Default for $name<K, V, S> {
            fn default() -> Self {
                Self::with_hasher(S::default())
            }
        }

        impl<K: std::fmt::Debug, V: std::fmt::Debug, S> std::fmt::Debug for $name<K, V, S> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.table.fmt(f)
            }
        }

        impl<K, V, S> FromIterator<(K, V)> for $name<K, V, S>
        where
            K: std::hash::Hash + Eq,
            S: std::hash::BuildHasher + Default,
        {
            fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
                let map = Self::default();
                for (key, value) in iter {
                    syncmap_core::ConcurrentMap::store(&map, key, value);
                }
                map
            }
        }

        impl<K, V, S> syncmap_core::ConcurrentMap<K, V> for $name<K, V, S>
        where
            K: std::hash::Hash + Eq,
            S: std::hash::BuildHasher,
        {
            fn load_with<Q, R, F>(&self, key: &Q, f: F) -> Option<R>
            where
                K: std::borrow::Borrow<Q>,
                Q: std::hash::Hash + Eq + ?Sized,
                F: FnOnce(&V) -> R,
            {
                self.table.load_with(key, f)
            }

            fn contains_key<Q>(&self, key: &Q) -> bool
            where
                K: std::borrow::Borrow<Q>,
                Q: std::hash::Hash + Eq + ?Sized,
            {
                self.table.contains_key(key)
            }

            fn store(&self, key: K, value: V) {
                self.table.store(key, value)
            }

            fn load_or_store(&self, key: K, value: V) -> syncmap_core::LoadOrStore<V>
            where
                V: Clone,
            {
                self.table.load_or_store(key, value)
            }

            fn load_or_store_with<F>(&self, key: K, make: F) -> syncmap_core::LoadOrStore<V>
            where
                F: FnOnce() -> V,
                V: Clone,
            {
                self.table.load_or_store_with(key, make)
            }

            fn load_and_delete<Q>(&self, key: &Q) -> Option<V>
            where
                K: std::borrow::Borrow<Q>,
                Q: std::hash::Hash + Eq + ?Sized,
                V: Clone,
            {
                self.table.load_and_delete(key)
            }

            fn delete<Q>(&self, key: &Q) -> bool
            where
                K: std::borrow::Borrow<Q>,
                Q: std::hash::Hash + Eq + ?Sized,
            {
                self.table.delete(key)
            }

            fn swap(&self, key: K, value: V) -> Option<V>
            where
                V: Clone,
            {
                self.table.swap(key, value)
            }

            fn compare_and_swap<Q>(&self, key: &Q, old: &V, new: V) -> bool
            where
                K: std::borrow::Borrow<Q>,
                Q: std::hash::Hash + Eq + ?Sized,
                V: PartialEq,
            {
                self.table.compare_and_swap(key, old, new)
            }

            fn compare_and_delete<Q>(&self, key: &Q, old: &V) -> bool
            where
                K: std::borrow::Borrow<Q>,
                Q: std::hash::Hash + Eq + ?Sized,
                V: PartialEq,
            {
                self.table.compare_and_delete(key, old)
            }

            fn range<F>(&self, f: F)
            where
                F: FnMut(&K, &V) -> bool,
                K: Clone,
                V: Clone,
            {
                self.table.range(f)
            }

            fn clear(&self) {
                self.table.clear()
            }

            fn len(&self) -> usize {
                self.table.len()
            }
        }
    };
}

pub(crate) use lock_map;
