//! What a run produces: one [`Row`] per measurement, and the ratios to Go.

use serde::{Deserialize, Serialize};

/// One measurement: the line of the CSV `suite,workload,map,threads,ns_per_op,mops`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// `go`, `mixes` or `registry`.
    pub suite: String,
    /// The workload's name, e.g. `LoadMostlyHits`.
    pub workload: String,
    /// The map's name, e.g. `syncmap` or `go-syncmap`.
    pub map: String,
    /// Threads (Go: `-cpu`).
    pub threads: usize,
    /// Wall-clock nanoseconds per operation of all threads (Go's ns/op).
    pub ns_per_op: f64,
    /// Millions of operations per second, all threads together.
    pub mops: f64,
}

/// SyncMap's time against Go's sync.Map on one workload and thread count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GoRatio {
    /// The workload.
    pub workload: String,
    /// Threads.
    pub threads: usize,
    /// SyncMap's ns/op.
    pub syncmap_ns_per_op: f64,
    /// Go sync.Map's ns/op.
    pub go_ns_per_op: f64,
    /// `syncmap_ns_per_op / go_ns_per_op`: below 1 means SyncMap is faster.
    pub ratio: f64,
}

/// Everything a run measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The measurements, Rust maps first, then Go's rows.
    pub results: Vec<Row>,
    /// SyncMap / Go sync.Map, where both were measured.
    pub go_ratios: Vec<GoRatio>,
    /// `go version`, when Go ran.
    pub go_version: Option<String>,
}

impl Report {
    /// Fills [`go_ratios`](Self::go_ratios) from the `syncmap` and `go-syncmap` rows.
    ///
    /// ```
    /// use syncmap_bench::record::{Report, Row};
    ///
    /// let row = |map: &str, ns| Row {
    ///     suite: "go".into(),
    ///     workload: "Range".into(),
    ///     map: map.into(),
    ///     threads: 2,
    ///     ns_per_op: ns,
    ///     mops: 1e3 / ns,
    /// };
    /// let mut report = Report { results: vec![row("syncmap", 50.0), row("go-syncmap", 100.0)], ..Report::default() };
    /// report.compute_go_ratios();
    /// assert_eq!(report.go_ratios[0].ratio, 0.5);
    /// ```
    pub fn compute_go_ratios(&mut self) {
        self.go_ratios = self
            .results
            .iter()
            .filter(|r| r.map == "syncmap" && r.suite == "go")
            .filter_map(|ours| {
                let go = self.results.iter().find(|g| {
                    g.map == "go-syncmap"
                        && g.workload == ours.workload
                        && g.threads == ours.threads
                })?;
                Some(GoRatio {
                    workload: ours.workload.clone(),
                    threads: ours.threads,
                    syncmap_ns_per_op: ours.ns_per_op,
                    go_ns_per_op: go.ns_per_op,
                    ratio: ours.ns_per_op / go.ns_per_op,
                })
            })
            .collect();
    }
}
