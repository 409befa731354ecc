//! `Serialize` and `Deserialize` for derived registries (cargo feature `serde`): a registry
//! serializes as its consistent snapshot, and deserializes by building the struct and then the
//! registry from it, so its validators run and a refused value is a deserialization error.
//!
//! The derive cannot see this crate's features, so it always invokes `__registry_serde!`, and
//! the feature decides here what that expands to: the impls, or nothing.

/// Expands to the `serde` impls of one registry type; used by the derive.
#[cfg(feature = "serde")]
#[doc(hidden)]
#[macro_export]
macro_rules! __registry_serde {
    ({$($generics:tt)*} {$registry:ty} {$value:ty} {$($predicates:tt)*}) => {
        #[automatically_derived]
        #[allow(clippy::all, clippy::pedantic, clippy::nursery)]
        impl<$($generics)*> $crate::__private::serde::Serialize for $registry
        where
            $($predicates)*
            for<'__r> $value: $crate::__private::serde::Serialize,
        {
            fn serialize<__S: $crate::__private::serde::Serializer>(
                &self,
                serializer: __S,
            ) -> $crate::__private::Result<__S::Ok, __S::Error> {
                let snapshot = $crate::Registry::snapshot(self);
                $crate::__private::serde::Serialize::serialize(&snapshot, serializer)
            }
        }

        #[automatically_derived]
        #[allow(clippy::all, clippy::pedantic, clippy::nursery)]
        impl<'__de, $($generics)*> $crate::__private::serde::Deserialize<'__de> for $registry
        where
            $($predicates)*
            for<'__r> $value: $crate::__private::serde::Deserialize<'__de>,
            for<'__r> <Self as $crate::Registry>::Map: $crate::__private::Default,
        {
            fn deserialize<__D: $crate::__private::serde::Deserializer<'__de>>(
                deserializer: __D,
            ) -> $crate::__private::Result<Self, __D::Error> {
                let value = <$value as $crate::__private::serde::Deserialize>::deserialize(deserializer)?;
                <Self as $crate::Registry>::from_struct(value)
                    .map_err(<__D::Error as $crate::__private::serde::de::Error>::custom)
            }
        }
    };
}

/// Without the `serde` feature, registries have no `serde` impls.
#[cfg(not(feature = "serde"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __registry_serde {
    ($($tokens:tt)*) => {};
}
