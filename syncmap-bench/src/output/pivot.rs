//! One grid per suite: a line per workload and thread count, a column per map.

use crate::record::Report;

/// A suite's results as text cells: `header` and `lines` of equal length.
pub(crate) struct Grid {
    pub(crate) title: String,
    pub(crate) header: Vec<String>,
    pub(crate) lines: Vec<Vec<String>>,
}

/// The suites present in `report`, in order.
fn suites(report: &Report) -> Vec<&str> {
    let mut suites: Vec<&str> = Vec::new();
    for row in &report.results {
        if !suites.contains(&row.suite.as_str()) {
            suites.push(&row.suite);
        }
    }
    suites
}

/// The grids of every suite; Go's suite shows ns/op and SyncMap / Go sync.Map, the mixes Mops/s.
pub(crate) fn grids(report: &Report) -> Vec<Grid> {
    suites(report)
        .into_iter()
        .map(|suite| grid(report, suite))
        .collect()
}

fn grid(report: &Report, suite: &str) -> Grid {
    let rows: Vec<_> = report.results.iter().filter(|r| r.suite == suite).collect();
    let mut maps: Vec<&str> = Vec::new();
    let mut keys: Vec<(&str, usize)> = Vec::new();
    for row in &rows {
        if !maps.contains(&row.map.as_str()) {
            maps.push(&row.map);
        }
        if !keys.contains(&(row.workload.as_str(), row.threads)) {
            keys.push((&row.workload, row.threads));
        }
    }
    let in_mops = suite == "mixes";
    let with_ratio = suite == "go" && !report.go_ratios.is_empty();
    let mut header = vec!["workload".to_owned(), "threads".to_owned()];
    header.extend(maps.iter().map(|m| (*m).to_owned()));
    if with_ratio {
        header.push("syncmap/go".to_owned());
    }
    let lines = keys
        .iter()
        .map(|&(workload, threads)| {
            let mut line = vec![workload.to_owned(), threads.to_string()];
            for map in &maps {
                let cell = rows
                    .iter()
                    .find(|r| r.workload == workload && r.threads == threads && r.map == *map)
                    .map_or_else(
                        || "-".to_owned(),
                        |r| {
                            if in_mops {
                                format!("{:.2}", r.mops)
                            } else {
                                format_ns(r.ns_per_op)
                            }
                        },
                    );
                line.push(cell);
            }
            if with_ratio {
                let ratio = report
                    .go_ratios
                    .iter()
                    .find(|g| g.workload == workload && g.threads == threads)
                    .map_or_else(|| "-".to_owned(), |g| format!("{:.2}x", g.ratio));
                line.push(ratio);
            }
            line
        })
        .collect();
    let title = match suite {
        "go" => {
            "Go's sync.Map suite (ns/op, wall time over all threads' operations; lower is better)"
        }
        "mixes" => "conc-map-bench mixes (Mops/s, all threads; higher is better)",
        "registry" => "Registry field reads (ns/op; lower is better)",
        other => other,
    };
    Grid {
        title: title.to_owned(),
        header,
        lines,
    }
}

/// Three significant figures or more, as Go prints them.
fn format_ns(ns: f64) -> String {
    if ns < 10.0 {
        format!("{ns:.2}")
    } else if ns < 100.0 {
        format!("{ns:.1}")
    } else {
        format!("{ns:.0}")
    }
}
