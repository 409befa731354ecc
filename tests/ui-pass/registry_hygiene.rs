// Valid input never breaks the expansion: fields named like the registry's operations, like
// generated helpers and like keywords' CamelCase; type parameters named like the generated ones;
// a deprecated field; all under the strictest lints.
#![deny(warnings, missing_docs)]
#![deny(clippy::all, clippy::pedantic, clippy::nursery)]
#![allow(clippy::struct_field_names, non_snake_case)] // the field names below are the point
//! Hygiene.

use std::collections::HashMap;

use syncmap::{Registry, SyncRegistry};

/// Every awkward name at once.
#[derive(SyncRegistry, Clone, Debug, PartialEq)]
pub struct Awkward {
    /// Named like `Registry::version`.
    pub version: u64,
    /// Named like `Registry::update`.
    pub update: u32,
    /// Named like the old backend getter.
    pub map: String,
    /// Named like a constructor.
    pub new: bool,
    /// Named like `Default::default`.
    pub default: u8,
    /// Named like `From::from`.
    pub from: u16,
    /// Named like `Registry::snapshot`.
    pub snapshot: u32,
    /// Named like `Registry::subscribe`.
    pub subscribe: u32,
    /// CamelCases to a keyword.
    pub self_: u32,
    /// Named like a generated helper.
    pub __ref_port: u32,
    /// Named like a constant.
    #[allow(non_snake_case)]
    pub NAMES: u32,
    /// A keyword.
    pub r#type: u32,
    /// Deprecated: its accessors warn where called, but the expansion does not.
    #[deprecated = "use `update`"]
    pub legacy: u32,
    /// A map.
    #[registry(map)]
    pub entries: HashMap<String, u32>,
}

/// Type parameters named like the generated ones.
#[derive(SyncRegistry)]
pub struct Generic<R, M, P, Q>
where
    R: Clone,
    M: Clone,
{
    /// One of each.
    pub r: R,
    /// One of each.
    pub m: M,
    /// One of each.
    pub p: Option<P>,
    /// One of each.
    #[registry(map)]
    pub q: HashMap<String, Q>,
}

/// Defaulted parameters, and parameters named like the `serde` impls' own.
#[derive(SyncRegistry)]
pub struct Defaulted<__S: Clone + Send + Sync + 'static = u8, __D = u16, const N: usize = 3>
where
    __D: Clone + Send + Sync + 'static,
{
    /// One.
    pub s: __S,
    /// Two.
    pub d: [__D; N],
}

/// A type parameter named like the `Hash` impl's own.
#[derive(SyncRegistry)]
pub struct HasherNamed<__H: Clone + Send + Sync + 'static> {
    /// One.
    pub h: __H,
}

#[allow(deprecated)]
fn awkward() -> Awkward {
    Awkward {
        version: 1,
        update: 2,
        map: "m".to_owned(),
        new: true,
        default: 3,
        from: 4,
        snapshot: 5,
        subscribe: 6,
        self_: 7,
        __ref_port: 8,
        NAMES: 9,
        r#type: 10,
        legacy: 11,
        entries: HashMap::new(),
    }
}

fn main() {
    let registry: AwkwardRegistry = Registry::from_struct(awkward()).unwrap();
    assert_eq!(registry.version(), 1); // the field
    assert_eq!(Registry::version(&registry), 0); // the trait's operation
    registry.store_update(20);
    assert_eq!(registry.update(), 20);
    assert_eq!(Registry::version(&registry), 1);
    assert_eq!(registry.map(), "m");
    assert!(registry.new());
    assert_eq!(registry.default(), 3);
    assert_eq!(registry.from(), 4);
    assert_eq!(registry.snapshot(), 5);
    assert_eq!(Registry::snapshot(&registry).subscribe, 6);
    assert_eq!(registry.self_(), 7);
    assert_eq!(registry.__ref_port(), 8);
    assert_eq!(registry.NAMES(), 9);
    assert_eq!(registry.r#type(), 10);
    assert!(matches!(AwkwardKey::Self_, AwkwardKey::Self_));

    let generic = GenericRegistry::<u8, u16, u32, u64>::new(Generic {
        r: 1,
        m: 2,
        p: None,
        q: HashMap::new(),
    })
    .unwrap();
    generic.store_p(3);
    generic.store_q("a".to_owned(), 4);
    assert_eq!((generic.r(), generic.m(), generic.p(), generic.q("a")), (1, 2, Some(3), Some(4)));
    let defaulted = <DefaultedRegistry>::new(Defaulted { s: 1, d: [2; 3] }).unwrap();
    assert_eq!(defaulted.d(), [2, 2, 2]);
    let hashed = HasherNamedRegistry::new(HasherNamed { h: 5_u8 }).unwrap();
    assert_eq!(hashed.h(), 5);
}
