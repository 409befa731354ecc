//! Records, at build time, the versions of the crates the benchmark compares (read from the
//! workspace's Cargo.lock) and of rustc, so reports say exactly what was measured.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

/// The crates whose versions a report lists.
const CRATES: &[&str] = &[
    "syncmap",
    "dashmap",
    "papaya",
    "scc",
    "parking_lot",
    "foldhash",
    "hashbrown",
    "seize",
    "crossbeam-epoch",
    "arc-swap",
];

/// The crates whose versions the cache benchmark's report lists (`--bin cache-bench`), apart
/// from [`CRATES`] so that the main report does not name caches it never measured.
const CACHE_CRATES: &[&str] = &["syncmap", "moka", "quick_cache", "foldhash"];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let lock_path = manifest_dir.join("..").join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock_path.display());
    println!("cargo:rerun-if-changed=build.rs");
    let lock = std::fs::read_to_string(&lock_path).unwrap_or_default();

    let mut code = String::new();
    emit_versions(&mut code, &lock, "CRATE_VERSIONS", CRATES);
    emit_versions(&mut code, &lock, "CACHE_CRATE_VERSIONS", CACHE_CRATES);

    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let rustc_version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default();
    writeln!(
        code,
        "/// `rustc --version` of the compiler that built the benchmark."
    )
    .expect("writing to a String");
    writeln!(code, "pub const RUSTC_VERSION: &str = {rustc_version:?};")
        .expect("writing to a String");

    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("versions.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}

/// Appends `pub const NAME: &[(&str, &str)]`: the version(s) of each of `crates` in `lock`.
fn emit_versions(code: &mut String, lock: &str, const_name: &str, crates: &[&str]) {
    // Cargo.lock is a list of `[[package]]` tables with `name = "..."` then `version = "..."`.
    let mut found: Vec<(String, String)> = Vec::new();
    let mut name: Option<String> = None;
    for line in lock.lines() {
        if let Some(value) = quoted_value(line, "name") {
            name = Some(value);
        } else if let (Some(value), Some(n)) = (quoted_value(line, "version"), name.take())
            && crates.contains(&n.as_str())
        {
            match found.iter_mut().find(|(known, _)| *known == n) {
                Some((_, versions)) => {
                    versions.push_str(", ");
                    versions.push_str(&value);
                }
                None => found.push((n, value)),
            }
        }
    }
    found.sort_by_key(|(n, _)| crates.iter().position(|c| c == n));

    code.push_str("/// Crate versions from Cargo.lock at build time.\n");
    writeln!(code, "pub const {const_name}: &[(&str, &str)] = &[").expect("writing to a String");
    for (n, v) in &found {
        writeln!(code, "    ({n:?}, {v:?}),").expect("writing to a String");
    }
    code.push_str("];\n");
}

/// `value` from a line `key = "value"`.
fn quoted_value(line: &str, key: &str) -> Option<String> {
    let rest = line
        .strip_prefix(key)?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    Some(rest.strip_prefix('"')?.strip_suffix('"')?.to_owned())
}
