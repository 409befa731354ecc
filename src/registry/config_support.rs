//! The `ConfigStruct` impl of a derived struct (cargo feature `config`): the derive cannot see
//! this crate's features, so it always invokes `__registry_config!`, and the feature decides
//! here whether that expands to the impl or to nothing. The impl only lists the fields by kind
//! and number; reading each kind is library code (`config::fields`).

/// Expands to the `ConfigStruct` impl of one struct; used by the derive.
#[cfg(feature = "config")]
#[doc(hidden)]
#[macro_export]
macro_rules! __registry_config {
    ({$($generics:tt)*} {$struct:ty} {$($predicates:tt)*} {$($kind:ident $index:literal)*}) => {
        #[automatically_derived]
        #[allow(deprecated, clippy::all, clippy::pedantic, clippy::nursery)]
        impl<$($generics)*> $crate::config::ConfigStruct for $struct
        where
            $($predicates)*
            $(for<'__r> $struct: $crate::config::Loadable<$crate::config::kind::$kind, $index>,)*
        {
            fn load_fields(loader: &mut $crate::config::FieldLoader<'_, Self>) {
                $(
                    <Self as $crate::config::Loadable<$crate::config::kind::$kind, $index>>::load(
                        loader,
                    );
                )*
            }
        }
    };
}

/// Without the `config` feature, structs have no `ConfigStruct` impl.
#[cfg(not(feature = "config"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __registry_config {
    ($($tokens:tt)*) => {};
}
