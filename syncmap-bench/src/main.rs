//! The syncmap benchmark program; see `--help`.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use syncmap_bench::cli::{Args, Format};
use syncmap_bench::output::{write_csv, write_json, write_markdown, write_plots, write_table};
use syncmap_bench::run::run;

fn main() -> ExitCode {
    let args = Args::parse();
    let report = match run(&args) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    let written = match args.format {
        Format::Table => write_table(&report, &mut stdout),
        Format::Csv => write_csv(&report, &mut stdout),
        Format::Json => write_json(&report, &mut stdout),
    };
    if let Err(e) = written.and_then(|()| stdout.flush()) {
        eprintln!("error: cannot write the results: {e}");
        return ExitCode::FAILURE;
    }
    if args.format == Format::Csv && !report.go_ratios.is_empty() {
        // The CSV on stdout stays one header and one line per measurement; the ratios go aside.
        eprintln!("SyncMap / Go 1.19 sync.Map (ns/op over ns/op; below 1 SyncMap is faster):");
        for r in &report.go_ratios {
            eprintln!(
                "  {:<24} {} threads  {:.2}x",
                r.workload, r.threads, r.ratio
            );
        }
    }
    if let Some(dir) = &args.plot {
        match write_plots(&report, dir) {
            Ok(files) => eprintln!("wrote {} charts to {}", files.len(), dir.display()),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Some(path) = &args.markdown {
        let command_line = std::iter::once("syncmap-bench".to_owned())
            .chain(std::env::args().skip(1))
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && let Err(e) = std::fs::create_dir_all(parent)
        {
            eprintln!("error: cannot create {}: {e}", parent.display());
            return ExitCode::FAILURE;
        }
        let written = std::fs::File::create(path)
            .and_then(|mut file| write_markdown(&report, &command_line, &mut file));
        if let Err(e) = written {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}
