//! Runs what the command line asks for and collects a [`Report`].

use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{Args, Suite, go_benchtime};
use crate::go_side::{INSTALL_HINT, find_go, run_go};
use crate::go_suite::GoWorkload;
use crate::harness::{Budget, median};
use crate::maps::{Hashers, MapName, Workload};
use crate::mixes::Mix;
use crate::record::{Report, Row};
use crate::registry_suite::{Holder, RegistryWorkload};

/// The workloads selected by `--suite` and `--workload`: those run on maps (Go's and the mixes)
/// and those of the registry suite.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Go's workloads and the mixes, in suite order.
    pub map_workloads: Vec<Workload>,
    /// The registry suite's workloads.
    pub registry_workloads: Vec<RegistryWorkload>,
}

/// Resolves `--suite` and `--workload` into a [`Selection`].
pub fn selected_workloads(args: &Args) -> Result<Selection, String> {
    let mut all = Selection::default();
    if matches!(args.suite, Suite::Go | Suite::All) {
        all.map_workloads.extend(GoWorkload::ALL.map(Workload::Go));
    }
    if matches!(args.suite, Suite::Mixes | Suite::All) {
        all.map_workloads.extend(Mix::ALL.map(Workload::Mix));
    }
    if matches!(args.suite, Suite::Registry | Suite::All) {
        all.registry_workloads.extend(RegistryWorkload::ALL);
    }
    if args.workloads.is_empty() {
        return Ok(all);
    }
    let mut chosen = Selection::default();
    for name in &args.workloads {
        let not_in_suite = || format!("workload {name} is not in --suite {:?}", args.suite);
        if let Some(w) = RegistryWorkload::from_name(name) {
            if !all.registry_workloads.contains(&w) {
                return Err(not_in_suite());
            }
            if !chosen.registry_workloads.contains(&w) {
                chosen.registry_workloads.push(w);
            }
            continue;
        }
        let workload = GoWorkload::from_name(name)
            .map(Workload::Go)
            .or_else(|| Mix::from_name(name).map(Workload::Mix))
            .ok_or_else(|| unknown_workload(name))?;
        if !all.map_workloads.contains(&workload) {
            return Err(not_in_suite());
        }
        if !chosen.map_workloads.contains(&workload) {
            chosen.map_workloads.push(workload);
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
        .chain(RegistryWorkload::ALL.iter().map(|r| r.name()))
        .collect();
    format!(
        "unknown workload `{name}`; known workloads: {}",
        known.join(", ")
    )
}

/// Runs every selected workload on every selected map at every thread count, then Go's suite
/// if asked, and returns the report. A failed check is an error.
///
/// Within a row (one workload at one thread count) every map is warmed up first, and then the
/// maps take turns: `--repeat` rounds of one counted run each, the median per map. Run one map
/// after the other instead, and a spell of load on the shared host lands on one map only: in
/// one session MutexMap's Exchange figure at 1 thread ranged from 7 to 28 Mops/s on one binary,
/// which moved its ratio to SyncMap by as much.
///
/// A workload whose map grows with the number of operations
/// ([`Workload::grows_with_ops`]) costs more per operation the more operations run, so a
/// duration budget, which gives a faster map more operations, would compare maps of different
/// sizes. There the first map of the row finds the number of operations for the budget, and the
/// other maps, and Go's (`-benchtime Nx`), run exactly as many. Without this, MutexMap's
/// `LoadOrStoreBalanced` figure swung between 28 and 169 ns/op from run to run of one build,
/// as its calibration landed on smaller or larger maps; at any one size it and SyncMap were
/// within 10 % of each other.
pub fn run(args: &Args) -> Result<Report, String> {
    let selection = selected_workloads(args)?;
    let workloads = &selection.map_workloads;
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

    let total = workloads.len() * threads.len() * maps.len()
        + selection.registry_workloads.len() * threads.len() * Holder::ALL.len()
        + usize::from(run_go_too);
    let progress = ProgressBar::new(total as u64);
    progress.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
            .expect("a valid template")
            .progress_chars("=> "),
    );

    let mut report = Report::default();
    // The operations each growing Go row ran, for Go's run of the same row.
    let mut go_rows_at_ops: Vec<(GoWorkload, usize, u64)> = Vec::new();
    for &workload in workloads {
        for &t in &threads {
            let failed = |map: MapName, e: String| {
                format!("{} on {}, {t} threads: {e}", workload.name(), map.name())
            };
            // Every map is warmed up (and calibrated) first; then the counted runs take turns,
            // one run of each map per round, so that a slow or a fast spell of the shared host
            // falls on every map of the row alike instead of on whichever map ran then.
            let mut row_budget = budget;
            let mut last = Vec::with_capacity(maps.len());
            for &map in &maps {
                progress.set_message(format!("{} {} {t} thr", workload.name(), map.name()));
                let warm_up = map
                    .calibrate(workload, hashers, t, row_budget)
                    .map_err(|e| failed(map, e))?;
                if workload.grows_with_ops() && matches!(row_budget, Budget::Duration(_)) {
                    row_budget = Budget::Ops(warm_up.ops);
                    if let Workload::Go(go_workload) = workload {
                        go_rows_at_ops.push((go_workload, t, warm_up.ops));
                    }
                }
                last.push(warm_up);
            }
            let mut samples = vec![Vec::new(); maps.len()];
            progress.set_message(format!("{} {t} thr, maps in turn", workload.name()));
            for _ in 0..args.repeat.max(1) {
                for (i, &map) in maps.iter().enumerate() {
                    last[i] = map
                        .run_once(workload, hashers, t, last[i])
                        .map_err(|e| failed(map, e))?;
                    samples[i].push(last[i]);
                }
            }
            for (map, samples) in maps.iter().zip(&mut samples) {
                let sample = median(samples);
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

    for &workload in &selection.registry_workloads {
        for &t in &threads {
            for holder in Holder::ALL {
                progress.set_message(format!("{} {} {t} thr", workload.name(), holder.name()));
                let sample = holder
                    .measure(workload, t, budget, usize::from(args.repeat))
                    .map_err(|e| {
                        format!("{} on {}, {t} threads: {e}", workload.name(), holder.name())
                    })?;
                report.results.push(Row {
                    suite: "registry".to_owned(),
                    workload: workload.name().to_owned(),
                    map: holder.name().to_owned(),
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
            Some(go) => {
                // Growing rows that ran a fixed number of operations run Go at that number too,
                // one row at a time; the others all at once, with the budget.
                let at_ops: Vec<GoWorkload> = go_rows_at_ops.iter().map(|row| row.0).collect();
                let others: Vec<GoWorkload> = go_workloads
                    .iter()
                    .copied()
                    .filter(|w| !at_ops.contains(w))
                    .collect();
                let mut runs = vec![(others, threads.clone(), go_benchtime(budget))];
                for &(workload, t, ops) in &go_rows_at_ops {
                    runs.push((vec![workload], vec![t], go_benchtime(Budget::Ops(ops))));
                }
                for (workloads, threads, benchtime) in runs {
                    if workloads.is_empty() {
                        continue;
                    }
                    match run_go(&go, &workloads, &threads, &benchtime) {
                        Ok(go_results) => {
                            report.results.extend(go_results.rows);
                            report.go_version = Some(go_results.version);
                        }
                        Err(e) => progress.suspend(|| {
                            eprintln!("Go's suite failed; carrying on without it: {e}")
                        }),
                    }
                }
            }
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    report.compute_go_ratios();
    Ok(report)
}
