//! Which source gave each field its current value.

use std::fmt;

use super::node::Origin;

/// For every field of a loaded configuration (and every entry of a map field), the source
/// of its value: a file position, an environment variable, an override, or the default.
///
/// Its `Display` is a two-column table for an admin endpoint; it shows sources, never values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Provenance {
    entries: Vec<(String, Origin)>,
}

impl Provenance {
    pub(crate) fn record(&mut self, path: String, origin: Origin) {
        self.entries.push((path, origin));
    }

    /// The source of the field or map entry at `path` (`database.pool_size`, `routes["/"]`).
    pub fn get(&self, path: &str) -> Option<&Origin> {
        self.entries
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, origin)| origin)
    }

    /// Every path with its source, fields in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Origin)> {
        self.entries
            .iter()
            .map(|(path, origin)| (path.as_str(), origin))
    }
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .entries
            .iter()
            .map(|(path, _)| path.chars().count())
            .chain(["field".len()])
            .max()
            .unwrap_or(0);
        writeln!(f, "{:<width$}  source", "field")?;
        writeln!(f, "{:-<width$}  {:-<6}", "", "")?;
        for (path, origin) in &self.entries {
            writeln!(f, "{path:<width$}  {origin}")?;
        }
        Ok(())
    }
}
