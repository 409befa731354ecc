#!/usr/bin/env bash
# ThreadSanitizer over the unit tests and the concurrency tests of syncmap-impls, N loops
# (default 10). Any report fails the run; there is no suppressions file.
#
#   scripts/tsan.sh        # 10 loops
#   scripts/tsan.sh 3      # 3 loops
#
# Needs nightly with rust-src (-Zbuild-std rebuilds std with TSan instrumentation, or std's own
# atomics would look like races). Builds into target/tsan so the ordinary build is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
loops="${1:-10}"
target=x86_64-unknown-linux-gnu
export CARGO_TARGET_DIR="${TSAN_TARGET_DIR:-target/tsan}"
export RUSTFLAGS="-Zsanitizer=thread"
export RUSTDOCFLAGS="-Zsanitizer=thread"
export TSAN_OPTIONS="halt_on_error=1 abort_on_error=1 report_signal_unsafe=0"
tests=(--lib --test linearizability --test promotion_races --test range_clear_len --test memory
  --test reentrance)
cargo +nightly test -Zbuild-std --target "$target" -p syncmap-impls "${tests[@]}" --no-run
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
for i in $(seq 1 "$loops"); do
  echo "== tsan loop $i/$loops"
  # Through a file, not `tee /dev/stderr`, which truncates a log that stderr is redirected to.
  cargo +nightly test -Zbuild-std --target "$target" -p syncmap-impls "${tests[@]}" -q \
    >"$out" 2>&1 || { cat "$out"; exit 1; }
  cat "$out"
  if grep -q "WARNING: ThreadSanitizer" "$out"; then exit 1; fi
done
echo "tsan: $loops loops, no reports"
