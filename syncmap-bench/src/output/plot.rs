//! `--plot DIR`: one SVG per workload, the figure against threads, one line per map.

use std::path::Path;

use plotters::prelude::*;

use crate::record::Report;

/// Writes `DIR/<workload>.svg` for every workload in `report`; returns the files written.
pub fn write_plots(report: &Report, dir: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut workloads: Vec<(&str, &str)> = Vec::new();
    for row in &report.results {
        if !workloads.contains(&(row.suite.as_str(), row.workload.as_str())) {
            workloads.push((&row.suite, &row.workload));
        }
    }
    let mut written = Vec::new();
    for (suite, workload) in workloads {
        let path = dir.join(format!("{workload}.svg"));
        plot_one(report, suite, workload, &path)
            .map_err(|e| format!("cannot plot {}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

fn plot_one(
    report: &Report,
    suite: &str,
    workload: &str,
    path: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let rows: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.suite == suite && r.workload == workload)
        .collect();
    let in_mops = suite == "mixes";
    let value = |r: &crate::record::Row| if in_mops { r.mops } else { r.ns_per_op };
    let mut maps: Vec<&str> = Vec::new();
    for r in &rows {
        if !maps.contains(&r.map.as_str()) {
            maps.push(&r.map);
        }
    }
    let max_threads = rows.iter().map(|r| r.threads).max().unwrap_or(1) as f64;
    let max_value = rows
        .iter()
        .map(|r| value(r))
        .fold(0.0_f64, f64::max)
        .max(1e-9)
        * 1.1;

    let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let unit = if in_mops {
        "Mops/s (higher is better)"
    } else {
        "ns/op (lower is better)"
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{workload}: {unit}"), ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.5..max_threads + 0.5, 0.0..max_value)?;
    chart
        .configure_mesh()
        .x_desc("threads")
        .y_desc(unit)
        .x_labels(max_threads as usize + 1)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()?;
    for (i, map) in maps.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let mut points: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| r.map == *map)
            .map(|r| (r.threads as f64, value(r)))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(*map)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
