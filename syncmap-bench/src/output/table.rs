//! `--format table`: aligned columns, one table per suite.

use std::io::{self, Write};

use super::pivot::grids;
use crate::record::Report;

/// Writes one aligned table per suite, then, if Go ran, a note on the ratio column.
pub fn write_table(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for grid in grids(report) {
        writeln!(out, "{}", grid.title)?;
        let mut widths: Vec<usize> = grid.header.iter().map(String::len).collect();
        for line in &grid.lines {
            for (width, cell) in widths.iter_mut().zip(line) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let render = |cells: &[String]| {
            cells
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (cell, &width))| {
                    // Names left, numbers right.
                    if i == 0 {
                        format!("{cell:<width$}")
                    } else {
                        format!("{cell:>width$}")
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
        };
        writeln!(out, "{}", render(&grid.header))?;
        let rule: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
        writeln!(out, "{}", "-".repeat(rule))?;
        for line in &grid.lines {
            writeln!(out, "{}", render(line))?;
        }
        writeln!(out)?;
    }
    if !report.go_ratios.is_empty() {
        writeln!(
            out,
            "syncmap/go: SyncMap's ns/op over Go 1.19 sync.Map's, same run; below 1.00x SyncMap is faster."
        )?;
    }
    Ok(())
}
