#!/usr/bin/env bash
# The `fleet` example end to end, as the README runs it: a redis-server of its own (127.0.0.1, a
# free port, a temporary directory, no persistence), roles `a` and `b` at once against it, each
# of which must exit 0 and print at least one change made by the other.
#
#   scripts/fleet-example.sh        # 3 rounds each
#   scripts/fleet-example.sh 5      # 5 rounds each
#
# Needs redis-server on PATH (Debian's package; .ci/run installs it). Set CARGO_TARGET_DIR to
# build elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"

cargo build -p syncmap --example fleet --features redis
example="${CARGO_TARGET_DIR:-target}/debug/examples/fleet"

dir="$(mktemp -d)"
server=""
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT

# A random port; if it is taken, redis-server exits at once and another is tried.
start_server() {
    local port=$1
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no \
        --daemonize no >"$dir/server.log" 2>&1 &
    server=$!
    for _ in $(seq 1 200); do
        if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
            return 0
        fi
        if ! kill -0 "$server" 2>/dev/null; then
            wait "$server" 2>/dev/null || true
            server=""
            return 1
        fi
        sleep 0.05
    done
    return 1
}
port=""
for _ in $(seq 1 10); do
    candidate=$((20000 + RANDOM % 40000))
    if start_server "$candidate"; then
        port=$candidate
        break
    fi
done
if [ -z "$port" ]; then
    echo "redis-server did not start:" >&2
    cat "$dir/server.log" >&2
    exit 1
fi
echo "redis-server on 127.0.0.1:$port (pid $server)"

export REDIS_URL="redis://127.0.0.1:$port/"
"$example" a "$rounds" >"$dir/a.out" 2>&1 &
a=$!
"$example" b "$rounds" >"$dir/b.out" 2>&1 &
b=$!
status=0
wait "$a" || { echo "role a exited with $?" >&2; status=1; }
wait "$b" || { echo "role b exited with $?" >&2; status=1; }
cat "$dir/a.out" "$dir/b.out"

# Each side saw the other's writes: a's tenant limits, b's flags and rate limit.
grep -q '^\[a\] v[0-9]* *other *tenant_limits' "$dir/a.out" ||
    { echo "role a never printed a change of b's" >&2; status=1; }
grep -q '^\[b\] v[0-9]* *other *features\.new_checkout' "$dir/b.out" ||
    { echo "role b never printed a change of a's" >&2; status=1; }
exit "$status"
