//! The binary end to end: CSV and JSON parse, reports get written, bad arguments are refused.

use std::process::{Command, Output};

use syncmap_bench::output::CSV_HEADER;
use syncmap_bench::record::Report;

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_syncmap-bench"))
        .args(args)
        .output()
        .expect("the benchmark binary runs")
}

/// A quick selection: two workloads (one per suite), two maps, two thread counts.
const QUICK: &[&str] = &[
    "--ops",
    "200",
    "--threads",
    "1,2",
    "--map",
    "mutexmap,papaya",
    "--workload",
    "LoadOrStoreBalanced,ReadHeavy",
];

fn quick(extra: &[&str]) -> Output {
    let mut args = QUICK.to_vec();
    args.extend_from_slice(extra);
    let out = bench(&args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn csv_has_the_exact_header_and_one_parsable_line_per_measurement() {
    let out = quick(&["--format", "csv"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(CSV_HEADER));
    assert_eq!(CSV_HEADER, "suite,workload,map,threads,ns_per_op,mops");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2 * 2 * 2, "{text}");
    for row in &rows {
        assert_eq!(row.len(), 6, "{row:?}");
        assert!(["go", "mixes"].contains(&row[0]), "{row:?}");
        assert!(["mutexmap", "papaya"].contains(&row[2]), "{row:?}");
        assert!(["1", "2"].contains(&row[3]), "{row:?}");
        let ns: f64 = row[4].parse().unwrap();
        let mops: f64 = row[5].parse().unwrap();
        assert!(ns > 0.0 && mops > 0.0, "{row:?}");
    }
    assert!(
        rows.iter()
            .any(|r| r[1] == "LoadOrStoreBalanced" && r[0] == "go")
    );
    assert!(rows.iter().any(|r| r[1] == "ReadHeavy" && r[0] == "mixes"));
}

#[test]
fn json_parses_into_a_report() {
    let out = quick(&["--format", "json"]);
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.results.len(), 8);
    assert!(report.results.iter().all(|r| r.ns_per_op > 0.0));
    assert!(report.go_ratios.is_empty()); // no Go, no ratios
}

#[test]
fn table_is_aligned() {
    let out = quick(&[]);
    let text = String::from_utf8(out.stdout).unwrap();
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("workload"))
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(table.len() >= 3, "{text}");
    let width = table[0].len();
    assert!(table.iter().all(|l| l.len() == width), "{text}");
}

#[test]
fn markdown_and_plots_are_written() {
    let dir = std::env::temp_dir().join(format!("syncmap-bench-test-{}", std::process::id()));
    let md = dir.join("report.md");
    let plots = dir.join("plots");
    std::fs::create_dir_all(&dir).unwrap();
    quick(&[
        "--markdown",
        md.to_str().unwrap(),
        "--plot",
        plots.to_str().unwrap(),
    ]);
    let report = std::fs::read_to_string(&md).unwrap();
    for expected in [
        "- CPU: ",
        "- Crates: ",
        "dashmap 6.",
        "| workload | threads | mutexmap | papaya |",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in\n{report}"
        );
    }
    for workload in ["LoadOrStoreBalanced", "ReadHeavy"] {
        let svg = std::fs::read_to_string(plots.join(format!("{workload}.svg"))).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("papaya"),
            "{workload}.svg"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_arguments_are_usage_errors() {
    for (args, expected) in [
        (&["--map", "hashbrown"][..], "unknown map `hashbrown`"),
        (&["--format", "xml"][..], "invalid value 'xml'"),
        (&["--threads", "0"][..], "--threads"),
        (&["--duration", "fast"][..], "write e.g. 50ms"),
        (
            &["--ops", "10", "--duration", "1s"][..],
            "cannot be used with",
        ),
        (&["--no-such-flag"][..], "unexpected argument"),
    ] {
        let out = bench(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(
            stderr.contains("Usage:") || stderr.contains("--help"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn unknown_workloads_are_refused_with_the_known_names() {
    let out = bench(&["--workload", "LoadEverything", "--ops", "10"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown workload `LoadEverything`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("LoadMostlyHits") && stderr.contains("RapidGrow"),
        "{stderr}"
    );
}

#[test]
fn registry_suite_reports_every_holder() {
    let out = bench(&[
        "--suite",
        "registry",
        "--ops",
        "2000",
        "--threads",
        "1,2",
        "--format",
        "csv",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    // Two workloads, two thread counts, five holders.
    assert_eq!(rows.len(), 2 * 2 * 5, "{text}");
    for holder in [
        "registry-syncmap",
        "registry-rwlockmap",
        "registry-mutexmap",
        "arcswap",
        "rwlock",
    ] {
        assert!(
            rows.iter().any(|r| r.starts_with("registry,FieldRead,") && r.contains(&format!(",{holder},"))),
            "{holder} missing in\n{text}"
        );
    }
}
