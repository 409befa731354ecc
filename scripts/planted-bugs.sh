#!/usr/bin/env bash
# Runs the test suites once per planted bug (SyncMap's in syncmap-impls/src/sync_map/planted.rs,
# the cache fields' `flight_*` ones in src/cache/flight.rs)
# and prints which tests caught each. Exits non-zero if any bug escapes every test.
#
#   scripts/planted-bugs.sh              # every one
#   scripts/planted-bugs.sh cas_on_absent_key promotion_off_by_one
#
# Planted builds go to their own target directory ($PLANTED_TARGET_DIR, default target/planted),
# so they never invalidate the default build; cargo keeps one set of artifacts per RUSTFLAGS there,
# so a second run rebuilds nothing. That cache holds a whole dependency tree per bug (about 400 MiB
# each): SYNCMAP_PLANTED_KEEP_BUILDS=0 (CI sets it) removes each bug's build when its run ends.
# SYNCMAP_CONFORMANCE_CASES (default 500 here) scales the kit.
set -euo pipefail
cd "$(dirname "$0")/.."

BUGS=(
  skip_second_read_check
  promotion_off_by_one
  rebuild_without_expunge
  stale_read_after_compaction
  store_without_unexpunge
  cas_on_absent_key
  load_and_delete_keeps_dirty_key
  compare_and_delete_keeps_dirty_key
  nested_guard_withdraws
  collect_ignores_other_bags
  foreign_bags_ignore_oldest_epoch
  flight_skips_second_look
  flight_keeps_finished
  new_key_noted_late
  small_index_skips_a_key
  first_value_dropped_early
)
if [ "$#" -gt 0 ]; then BUGS=("$@"); fi

export CARGO_TARGET_DIR="${PLANTED_TARGET_DIR:-target/planted}"
export SYNCMAP_CONFORMANCE_CASES="${SYNCMAP_CONFORMANCE_CASES:-500}"
log_dir="$(mktemp -d)"
trap 'rm -rf "$log_dir"' EXIT

escaped=0
summary=()
for bug in "${BUGS[@]}"; do
  log="$log_dir/$bug.log"
  start=$SECONDS
  echo "== planted bug: $bug"
  # --no-fail-fast: run every test binary, so the report lists every test that caught the bug.
  # The cache fields' bugs (src/cache/) are the facade's; the others are SyncMap's.
  # The new-key summary's bug opens a window of a few instructions between two threads, which
  # only the model checker hits every time: its suite is the loom models.
  cfg=""
  case "$bug" in
    flight_*) suites=(-p syncmap --lib --test cache --test cache_loading) ;;
    new_key_noted_late) suites=(--release -p syncmap-impls --test loom_sync_map); cfg="--cfg loom" ;;
    *) suites=(-p syncmap-impls --lib --tests) ;;
  esac
  RUSTFLAGS="$cfg --cfg syncmap_planted_bug=\"$bug\"" \
    cargo test "${suites[@]}" --no-fail-fast >"$log" 2>&1 || true
  if grep -q '^error\(\[E[0-9]*\]\)\?:' "$log" && ! grep -q '^test result' "$log"; then
    echo "   the planted build failed to compile:"; grep -m5 '^error' "$log" | sed 's/^/   /'
    escaped=$((escaped + 1)); summary+=("$bug: BUILD FAILED")
    if [ "${SYNCMAP_PLANTED_KEEP_BUILDS:-1}" = 0 ]; then rm -rf "$CARGO_TARGET_DIR"; fi
    continue
  fi
  # "test NAME ... FAILED" lines, prefixed by the test binary they ran in.
  caught=$(awk '
    /^ *Running / { bin = $2; sub(/.*\//, "", bin); sub(/\.rs$/, "", bin); sub(/-[0-9a-f]+$/, "", bin) }
    /^test .* \.\.\. FAILED$/ { print "   caught by " bin "::" $2 }
  ' "$log")
  # A race is caught with high probability per run, not certainty: give the concurrency tests,
  # already built, a few more runs before calling the bug escaped.
  for retry in 1 2 3 4; do
    [ -n "$caught" ] && break
    echo "   not caught yet; rerunning the concurrency tests ($retry)"
    RUSTFLAGS="--cfg syncmap_planted_bug=\"$bug\"" cargo test -p syncmap-impls --no-fail-fast \
      --test promotion_races --test linearizability --test memory >"$log" 2>&1 || true
    caught=$(awk '
      /^ *Running / { bin = $2; sub(/.*\//, "", bin); sub(/\.rs$/, "", bin); sub(/-[0-9a-f]+$/, "", bin) }
      /^test .* \.\.\. FAILED$/ { print "   caught by " bin "::" $2 }
    ' "$log")
  done
  if [ "${SYNCMAP_PLANTED_KEEP_BUILDS:-1}" = 0 ]; then rm -rf "$CARGO_TARGET_DIR"; fi
  if [ -n "$caught" ]; then
    echo "$caught"
    summary+=("$bug: caught by $(echo "$caught" | wc -l) test(s) in $((SECONDS - start)) s")
  else
    echo "   ESCAPED: no test failed"
    escaped=$((escaped + 1)); summary+=("$bug: ESCAPED")
  fi
done

echo
echo "== summary"
printf '   %s\n' "${summary[@]}"
echo "   $(( ${#BUGS[@]} - escaped )) of ${#BUGS[@]} planted bugs caught"
[ "$escaped" -eq 0 ]
