#!/usr/bin/env bash
# Model-checks SyncMap with loom: every interleaving of two threads' atomic operations and lock
# acquisitions in the models of syncmap-impls/tests/loom_sync_map.rs, and of the cache fields'
# single-flight table (the model at the end of src/cache/flight.rs).
#
#   scripts/loom.sh                 # all models, exhaustively (no preemption bound)
#   scripts/loom.sh compare_and     # the models whose name contains a filter
#   LOOM_MAX_PREEMPTIONS=2 scripts/loom.sh   # bounded, for larger models
#   LOOM_LOG=info scripts/loom.sh --nocapture      # prints the iterations explored per model
#
# loom needs `--cfg loom` on the whole build, so it builds into its own directory.

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export RUSTFLAGS="${RUSTFLAGS:-} --cfg loom"
export CARGO_TARGET_DIR="${LOOM_TARGET_DIR:-target/loom}"
# Unset, loom explores every interleaving (with its partial-order reduction): the two-thread
# models here take 4 to 218 iterations each, so no bound is needed.

start=$SECONDS
cargo test --release -p syncmap-impls --test loom_sync_map -- --test-threads=1 "$@"
# The cache fields' single-flight table (src/cache/flight.rs): two callers of one missing key.
cargo test --release -p syncmap --lib cache::flight::loom_model -- --test-threads=1 "$@"
echo "loom: passed in $((SECONDS - start))s (preemption bound: ${LOOM_MAX_PREEMPTIONS:-none, exhaustive})"
