//! `--format csv`: exactly `suite,workload,map,threads,ns_per_op,mops`, one line per measurement.

use std::io::{self, Write};

use crate::record::Report;

/// The CSV header line.
pub const CSV_HEADER: &str = "suite,workload,map,threads,ns_per_op,mops";

/// Writes the header and one line per measurement; no field ever needs quoting.
pub fn write_csv(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{CSV_HEADER}")?;
    for r in &report.results {
        writeln!(
            out,
            "{},{},{},{},{:.3},{:.3}",
            r.suite, r.workload, r.map, r.threads, r.ns_per_op, r.mops
        )?;
    }
    Ok(())
}
