//! Runs what the command line asks for and collects a [`Report`].

use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{Args, Suite, go_benchtime};
use crate::go_side::{INSTALL_HINT, find_go, run_go};
use crate::go_suite::GoWorkload;
use crate::maps::{Hashers, MapName, Workload};
use crate::mixes::Mix;
use crate::record::{Report, Row};

/// What the registry suite answers until `#[derive(SyncRegistry)]` has landed.
pub const REGISTRY_NOT_AVAILABLE: &str = "the registry suite is not available yet: it measures a field read from a \
     #[derive(SyncRegistry)] registry, and the derive has not landed in this checkout";

/// The workloads selected by `--suite` and `--workload`, in suite order.
pub fn selected_workloads(args: &Args) -> Result<Vec<Workload>, String> {
    if args.suite == Suite::Registry {
        return Err(REGISTRY_NOT_AVAILABLE.to_owned());
    }
    let mut all: Vec<Workload> = Vec::new();
    if matches!(args.suite, Suite::Go | Suite::All) {
        all.extend(GoWorkload::ALL.map(Workload::Go));
    }
    if matches!(args.suite, Suite::Mixes | Suite::All) {
        all.extend(Mix::ALL.map(Workload::Mix));
    }
    if args.workloads.is_empty() {
        return Ok(all);
    }
    let mut chosen = Vec::new();
    for name in &args.workloads {
        let workload = GoWorkload::from_name(name)
            .map(Workload::Go)
            .or_else(|| Mix::from_name(name).map(Workload::Mix))
            .ok_or_else(|| unknown_workload(name))?;
        if !all.contains(&workload) {
            return Err(format!(
                "workload {} is not in --suite {:?}",
                workload.name(),
                args.suite
            ));
        }
        if !chosen.contains(&workload) {
            chosen.push(workload);
        }
    }
    Ok(chosen)
}

/// The error for a workload name that does not exist, listing the ones that do.
pub fn unknown_workload(name: &str) -> String {
    let known: Vec<_> = GoWorkload::ALL
        .iter()
        .map(|w| w.name())
        .chain(Mix::ALL.iter().map(|m| m.name()))
        .collect();
    format!(
        "unknown workload `{name}`; known workloads: {}",
        known.join(", ")
    )
}

/// Runs every selected workload on every selected map at every thread count, then Go's suite
/// if asked, and returns the report. A failed check is an error.
pub fn run(args: &Args) -> Result<Report, String> {
    let workloads = selected_workloads(args)?;
    let maps: Vec<MapName> = if args.maps.is_empty() {
        MapName::DEFAULT.to_vec()
    } else {
        args.maps.clone()
    };
    let threads: Vec<usize> = args.threads.iter().map(|&t| usize::from(t)).collect();
    let hashers = if args.default_hashers {
        Hashers::OwnDefault
    } else {
        Hashers::Same
    };
    let budget = args.budget();
    let go_workloads: Vec<GoWorkload> = workloads
        .iter()
        .filter_map(|w| match w {
            Workload::Go(g) => Some(*g),
            Workload::Mix(_) => None,
        })
        .collect();
    let run_go_too = args.with_go && !go_workloads.is_empty();

    let total = workloads.len() * threads.len() * maps.len() + usize::from(run_go_too);
    let progress = ProgressBar::new(total as u64);
    progress.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
            .expect("a valid template")
            .progress_chars("=> "),
    );

    let mut report = Report::default();
    for &workload in &workloads {
        for &t in &threads {
            for &map in &maps {
                progress.set_message(format!("{} {} {t} thr", workload.name(), map.name()));
                let sample = map
                    .measure(workload, hashers, t, budget, usize::from(args.repeat))
                    .map_err(|e| {
                        format!("{} on {}, {t} threads: {e}", workload.name(), map.name())
                    })?;
                report.results.push(Row {
                    suite: workload.suite().to_owned(),
                    workload: workload.name().to_owned(),
                    map: map.name().to_owned(),
                    threads: t,
                    ns_per_op: sample.ns_per_op(),
                    mops: sample.mops(),
                });
                progress.inc(1);
            }
        }
    }

    if run_go_too {
        progress.set_message("Go 1.19's own suite");
        match find_go(args.go.as_deref()) {
            None => progress.suspend(|| eprintln!("{INSTALL_HINT}")),
            Some(go) => match run_go(&go, &go_workloads, &threads, &go_benchtime(budget)) {
                Ok(go_results) => {
                    report.results.extend(go_results.rows);
                    report.go_version = Some(go_results.version);
                }
                Err(e) => {
                    progress.suspend(|| eprintln!("Go's suite failed; carrying on without it: {e}"))
                }
            },
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    report.compute_go_ratios();
    Ok(report)
}
