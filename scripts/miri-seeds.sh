#!/usr/bin/env bash
# The concurrency tests of syncmap-impls under Miri with many scheduler seeds: each seed is a
# different interleaving of the threads, and Miri checks each for data races, undefined
# behaviour, leaks and deadlocks.
#
#   scripts/miri-seeds.sh          # seeds 0..32
#   SEEDS=0..8 scripts/miri-seeds.sh
#
# Test sizes scale down under cfg(miri). Builds into target/miri (shared with scripts/miri.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${SEEDS:-0..32}"
export CARGO_TARGET_DIR="${MIRI_TARGET_DIR:-target/miri}"
export MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-many-seeds=$seeds"
cargo +nightly miri test -p syncmap-impls \
  --test linearizability --test promotion_races --test range_clear_len --test memory "$@"
echo "miri: seeds $seeds passed"
