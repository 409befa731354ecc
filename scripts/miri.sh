#!/usr/bin/env bash
# Runs the map test suites under Miri, which checks every unsafe block for undefined behaviour,
# data races and leaks (no leak allowance: Miri fails a test that leaks).
#
#   scripts/miri.sh           # SyncMap and MutexMap/RwLockMap suites: unit, integration, conformance
#   scripts/miri.sh --quick   # the SyncMap unit tests and the reclaimer only (what CI runs)
#
# Needs the nightly toolchain; installs its miri and rust-src components when missing. Test sizes
# scale down under cfg(miri). Extra arguments after `--` go to the test binaries.

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

quick=false
if [[ "${1:-}" == "--quick" ]]; then
    quick=true
    shift
fi

if ! cargo +nightly miri --version >/dev/null 2>&1; then
    echo "miri: installing the nightly miri and rust-src components"
    if ! rustup component add miri rust-src --toolchain nightly; then
        echo "miri: SKIPPED, the nightly toolchain with miri cannot be installed on this machine" >&2
        echo "miri: install it with 'rustup toolchain install nightly --component miri rust-src'" >&2
        exit "${MIRI_REQUIRED:-0}"
    fi
fi

# Miri builds into its own directory, so it never invalidates the ordinary build.
export CARGO_TARGET_DIR="${MIRI_TARGET_DIR:-target/miri}"
# Miri's own scheduler explores thread interleavings; a fixed seed keeps a failure reproducible.
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-seed=1}"

start=$SECONDS
if $quick; then
    cargo +nightly miri test -p syncmap-impls --lib "$@"
else
    cargo +nightly miri test -p syncmap-impls --lib --tests "$@"
fi
echo "miri: passed in $((SECONDS - start))s"
