#!/usr/bin/env bash
# The concurrency tests of syncmap-impls under Miri with many scheduler seeds: each seed is a
# different interleaving of the threads (and of Miri's weak-memory choices), and Miri checks each
# for data races, undefined behaviour, leaks and deadlocks.
#
#   scripts/miri-seeds.sh          # seeds 0..32
#   SEEDS=0..8 scripts/miri-seeds.sh
#
# The tests that run on one thread gain nothing from other seeds and are skipped (scripts/miri.sh
# runs them). Test sizes scale down under cfg(miri). Builds into target/miri (shared with
# scripts/miri.sh). Needs the nightly toolchain with miri (scripts/miri.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${SEEDS:-0..32}"
export CARGO_TARGET_DIR="${MIRI_TARGET_DIR:-target/miri}"
export MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-many-seeds=$seeds"
start=$SECONDS
cargo +nightly miri test -p syncmap-impls \
  --test linearizability --test promotion_races --test range_clear_len --test memory "$@" -- \
  --skip beside_a_long_lived_key --skip drops_deleted_values_promptly
echo "miri: seeds $seeds passed in $((SECONDS - start))s"
