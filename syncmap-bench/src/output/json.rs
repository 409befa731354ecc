//! `--format json`: the whole [`Report`] as one object.

use std::io::{self, Write};

use crate::record::Report;

/// Writes `{"results": [...], "go_ratios": [...], "go_version": ...}` and a newline.
pub fn write_json(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
