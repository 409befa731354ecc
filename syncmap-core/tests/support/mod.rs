//! Maps for testing the conformance kit itself: a correct reference map, and the same map with
//! one planted flaw each, which the kit must catch.

pub(crate) mod reference_map;
mod table;
