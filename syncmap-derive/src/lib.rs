//! The proc-macro crate behind `#[derive(SyncRegistry)]`; use it through the `syncmap` facade.

#![deny(missing_docs)]
