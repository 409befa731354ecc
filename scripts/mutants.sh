#!/usr/bin/env bash
# cargo-mutants over syncmap-core and syncmap-impls: each mutant (an operator flipped, a body
# replaced by a default) must make some test fail; survivors are listed in mutants.out/ and in
# docs/CORRECTNESS.md with a test added or a reason.
#
#   scripts/mutants.sh                                        # both crates (slow: hours on 2 cores)
#   scripts/mutants.sh --file syncmap-impls/src/sync_map/entry.rs   # one file
#
# Install with `cargo install cargo-mutants --locked`. Extra arguments go to cargo-mutants.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo mutants --version >/dev/null 2>&1; then
  echo "mutants: install cargo-mutants first: cargo install cargo-mutants --locked" >&2
  exit 2
fi
export CARGO_TARGET_DIR="${MUTANTS_TARGET_DIR:-target/mutants}"
# The kit's differential checks at full size would make every mutant slow; a few hundred cases
# catch what 10,000 do for a mutant (it breaks every run, not one in ten thousand).
export SYNCMAP_CONFORMANCE_CASES="${SYNCMAP_CONFORMANCE_CASES:-300}"
exec cargo mutants -p syncmap-core -p syncmap-impls --timeout-multiplier 3 "$@" \
  -- --no-fail-fast
