#!/usr/bin/env bash
# Model-checks SyncMap with loom: every interleaving of two threads' atomic operations and lock
# acquisitions in the models of syncmap-impls/tests/loom_sync_map.rs.
#
#   scripts/loom.sh                 # all models, preemption bound 3 (LOOM_MAX_PREEMPTIONS)
#   scripts/loom.sh compare_and     # the models whose name contains a filter
#
# loom needs `--cfg loom` on the whole build, so it builds into its own directory.

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export RUSTFLAGS="${RUSTFLAGS:-} --cfg loom"
export CARGO_TARGET_DIR="${LOOM_TARGET_DIR:-target/loom}"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-3}"

start=$SECONDS
cargo test --release -p syncmap-impls --test loom_sync_map -- --test-threads=1 "$@"
echo "loom: passed in $((SECONDS - start))s (preemption bound $LOOM_MAX_PREEMPTIONS)"
