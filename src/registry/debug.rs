//! The generated registries' `Debug`: the struct's name and every entry by its path, values
//! through the value enum's `Debug` (which never shows a secret).

use std::fmt;

use super::place::Holds;
use super::schema::RegistryStruct;

/// Formats the registry kept by `held` as `Name { path: value, .. }`.
#[doc(hidden)]
pub fn debug_registry<S: RegistryStruct, H: Holds<S>>(
    held: &H,
    name: &str,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    let mut entries = Vec::new();
    held.range(|key, value| {
        let mut path = String::new();
        S::write_key_path(key, &mut path);
        entries.push((path, value.clone()));
        true
    });
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = f.debug_struct(name);
    for (path, value) in &entries {
        out.field(path, value);
    }
    out.finish()
}

/// What a secret map field's keys print as.
#[doc(hidden)]
pub const REDACTED: &str = "<redacted>";
