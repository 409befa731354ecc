//! A cache field's settings, from its `#[registry(cache(...))]` attribute: capacity, weigher,
//! time to live, time to idle and per-entry expiry.
//!
//! The weigher and the expiry function are typed by the field's key and value; they are kept as
//! functions of the root registry's key and value enums, so that one set of runtime code serves
//! every cache field at any depth of nesting.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::registry::{MapFieldAt, NestAt, RegistryStruct};

type Weigher<S> =
    Arc<dyn Fn(&<S as RegistryStruct>::Key, &<S as RegistryStruct>::Value) -> u64 + Send + Sync>;
type ExpireAfter<S> = Arc<
    dyn Fn(&<S as RegistryStruct>::Key, &<S as RegistryStruct>::Value) -> Option<Duration>
        + Send
        + Sync,
>;

/// The settings of one cache field. Built by generated code from the field's attribute.
pub struct CacheConfig<S: RegistryStruct> {
    pub(crate) path: &'static str,
    pub(crate) capacity: u64,
    pub(crate) ttl: Option<Duration>,
    pub(crate) tti: Option<Duration>,
    pub(crate) weigher: Option<Weigher<S>>,
    pub(crate) expire_after: Option<ExpireAfter<S>>,
}

impl<S: RegistryStruct> CacheConfig<S> {
    /// A cache of `capacity` (entries, or weight units with a weigher) for the field named
    /// `path`.
    #[doc(hidden)]
    pub fn __new(path: &'static str, capacity: u64) -> Self {
        Self {
            path,
            capacity,
            ttl: None,
            tti: None,
            weigher: None,
            expire_after: None,
        }
    }

    /// Entries expire `ttl` after they are stored.
    #[doc(hidden)]
    #[must_use]
    pub fn __ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Entries expire `tti` after they were last read (or stored).
    #[doc(hidden)]
    #[must_use]
    pub fn __tti(mut self, tti: Duration) -> Self {
        self.tti = Some(tti);
        self
    }

    /// Entry `I`'s weight is `weigh(key, value)` instead of 1.
    #[doc(hidden)]
    #[must_use]
    pub fn __weigher<const I: usize>(mut self, weigh: fn(&S::MapKey, &S::MapValue) -> u64) -> Self
    where
        S: MapFieldAt<I>,
    {
        self.weigher = Some(Arc::new(move |key, value| {
            match (S::unwrap_key_ref(key), S::unwrap_ref(value)) {
                (Some(key), Some(value)) => weigh(key, value),
                _ => 1,
            }
        }));
        self
    }

    /// Entry `I` expires `expire_after(key, value)` after it is stored (`None`: only the
    /// field's time to live and idle apply).
    #[doc(hidden)]
    #[must_use]
    pub fn __expire_after<const I: usize>(
        mut self,
        expire_after: fn(&S::MapKey, &S::MapValue) -> Option<Duration>,
    ) -> Self
    where
        S: MapFieldAt<I>,
    {
        self.expire_after = Some(Arc::new(move |key, value| {
            match (S::unwrap_key_ref(key), S::unwrap_ref(value)) {
                (Some(key), Some(value)) => expire_after(key, value),
                _ => None,
            }
        }));
        self
    }

    /// These settings for the same field seen from the struct `O` that nests it at field `I`.
    #[doc(hidden)]
    pub fn __nest<O, const I: usize>(self) -> CacheConfig<O>
    where
        O: NestAt<I, Inner = S>,
    {
        let weigher = self.weigher.map(|weigh| -> Weigher<O> {
            Arc::new(
                move |key, value| match (O::unwrap_key_ref(key), O::unwrap_ref(value)) {
                    (Some(key), Some(value)) => weigh(key, value),
                    _ => 1,
                },
            )
        });
        let expire_after = self.expire_after.map(|expire| -> ExpireAfter<O> {
            Arc::new(
                move |key, value| match (O::unwrap_key_ref(key), O::unwrap_ref(value)) {
                    (Some(key), Some(value)) => expire(key, value),
                    _ => None,
                },
            )
        });
        CacheConfig {
            path: self.path,
            capacity: self.capacity,
            ttl: self.ttl,
            tti: self.tti,
            weigher,
            expire_after,
        }
    }

    /// Whether entries can expire at all: if not, reads never look at the clock.
    pub(crate) fn expires(&self) -> bool {
        self.ttl.is_some() || self.tti.is_some() || self.expire_after.is_some()
    }
}

impl<S: RegistryStruct> fmt::Debug for CacheConfig<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheConfig")
            .field("path", &self.path)
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .field("tti", &self.tti)
            .field("weigher", &self.weigher.is_some())
            .field("expire_after", &self.expire_after.is_some())
            .finish()
    }
}
