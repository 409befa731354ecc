//! `Serialize` and `Deserialize` for derived registries (cargo feature `serde`): a registry
//! serializes as its consistent snapshot, and deserializes by building the struct and then the
//! registry from it, so its validators run and a refused value is a deserialization error.
//!
//! The derive cannot see this crate's features, so it always invokes `__registry_serde!`, and
//! the feature decides here what that expands to: the impls, or nothing. The impls are
//! automatic: a crate that writes its own `Serialize` for a registry type conflicts with them
//! once anything in the build enables `syncmap/serde`.

/// Expands to the `serde` impls of one registry type; used by the derive.
#[cfg(feature = "serde")]
#[doc(hidden)]
#[macro_export]
macro_rules! __registry_serde {
    (
        {$($generics:tt)*} {$registry:ty} {$value:ty} {$($predicates:tt)*}
        {$ser:ident $de:ident $de_lt:lifetime}
    ) => {
        #[automatically_derived]
        #[allow(deprecated, clippy::all, clippy::pedantic, clippy::nursery)]
        impl<$($generics)*> $crate::__private::serde::Serialize for $registry
        where
            $($predicates)*
            for<'__r> $value: $crate::__private::serde::Serialize,
        {
            fn serialize<$ser: $crate::__private::serde::Serializer>(
                &self,
                serializer: $ser,
            ) -> $crate::__private::Result<$ser::Ok, $ser::Error> {
                let snapshot = $crate::Registry::snapshot(self);
                $crate::__private::serde::Serialize::serialize(&snapshot, serializer)
            }
        }

        #[automatically_derived]
        #[allow(deprecated, clippy::all, clippy::pedantic, clippy::nursery)]
        impl<$de_lt, $($generics)*> $crate::__private::serde::Deserialize<$de_lt> for $registry
        where
            $($predicates)*
            for<'__r> $value: $crate::__private::serde::Deserialize<$de_lt>,
            for<'__r> <Self as $crate::Registry>::Map: $crate::__private::Default,
        {
            fn deserialize<$de: $crate::__private::serde::Deserializer<$de_lt>>(
                deserializer: $de,
            ) -> $crate::__private::Result<Self, $de::Error> {
                let value = <$value as $crate::__private::serde::Deserialize>::deserialize(deserializer)?;
                <Self as $crate::Registry>::from_struct(value)
                    .map_err(<$de::Error as $crate::__private::serde::de::Error>::custom)
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
