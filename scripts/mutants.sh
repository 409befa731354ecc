#!/usr/bin/env bash
# cargo-mutants over syncmap-core and syncmap-impls: each mutant (an operator flipped, a body
# replaced by a default) must make some test fail or hang; the survivors are listed, each with the
# test added for it or the reason it cannot be caught, in docs/CORRECTNESS.md.
#
#   scripts/mutants.sh               # all three passes (hours on 2 cores)
#   scripts/mutants.sh impls         # syncmap-impls (370 mutants, about 35 minutes)
#   scripts/mutants.sh core          # syncmap-core's trait and LoadOrStore (23 mutants)
#   scripts/mutants.sh kit           # syncmap-core's conformance kit (304 mutants, about 40 minutes)
#   scripts/mutants.sh kit --shard 0/6 --sharding round-robin   # a sixth of them
#   scripts/mutants.sh impls --file syncmap-impls/src/sync_map/entry.rs   # one file
#
# A mutant of syncmap-impls is tested by syncmap-impls' tests; a mutant of syncmap-core (the
# trait's default methods and the conformance kit) by the tests of both crates, since the kit's
# self-test is in syncmap-core and its users in syncmap-impls. Settings (the `mutants` build
# profile, the files left out, no doctests) are in .cargo/mutants.toml. Results go to
# mutants.out/<pass>/ (missed.txt lists the survivors). Re-running with `--iterate` tests only the
# mutants that were not caught last time.
#
# Install with `cargo install cargo-mutants --locked`. Extra arguments go to cargo-mutants.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo mutants --version >/dev/null 2>&1; then
  echo "mutants: install cargo-mutants first: cargo install cargo-mutants --locked" >&2
  exit 2
fi
# Each job builds in its own copy of the tree; a shared CARGO_TARGET_DIR would make them rebuild
# each other's work.
unset CARGO_TARGET_DIR
# The kit's differential checks at full size would make every mutant slow; a few hundred cases
# catch what 10,000 do for a mutant (it breaks every run, not one in ten thousand).
export SYNCMAP_CONFORMANCE_CASES="${SYNCMAP_CONFORMANCE_CASES:-300}"

passes=(impls core kit)
if [[ "${1:-}" == impls || "${1:-}" == core || "${1:-}" == kit ]]; then
  passes=("$1")
  shift
fi
status=0
for pass in "${passes[@]}"; do
  case "$pass" in
    impls) args=(-p syncmap-impls --test-package syncmap-impls) ;;
    core) args=(-p syncmap-core --test-package syncmap-core --test-package syncmap-impls
                -e 'syncmap-core/src/conformance/*') ;;
    kit) args=(-p syncmap-core --test-package syncmap-core --test-package syncmap-impls
               -f 'syncmap-core/src/conformance/*.rs') ;;
  esac
  # A healthy run of the tests takes a few seconds in this profile; a mutant that makes one loop
  # forever (a compare-and-swap that always fails, under a retry loop) is cut off and counted as
  # caught.
  mkdir -p "mutants.out/$pass"
  cargo mutants "${args[@]}" --jobs 2 --timeout 20 -o "mutants.out/$pass" "$@" || status=$?
  echo "mutants ($pass): survivors in mutants.out/$pass/mutants.out/missed.txt"
done
exit "$status"
