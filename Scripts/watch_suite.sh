#!/usr/bin/env bash
# Runs the whole suite N times against the throwaway PostgreSQL server, sampling the
# server's sessions every half second, and says per run whether it passed and the most
# sessions that waited on a lock at once: how a flaky PostgreSQL test is caught in the
# act. (It found the outbox write lock shared by every schema: dozens of sessions
# queued behind one idle transaction for ten seconds.) Build first:
#
#   swift build --build-tests && Scripts/watch_suite.sh 5 [FOLDER]   # default /tmp/chatbots-watch
#
# FOLDER/runN holds each run's test log and its samples of pg_stat_activity (time|state|
# wait type|wait event|seconds in that state|query).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
folder="${2:-/tmp/chatbots-watch}"
pgdir="${CHATBOTS_PG_DIR:-/tmp/chatbots-postgres}"
port="${CHATBOTS_PG_PORT:-54329}"
# The throwaway server, started (afresh) unless it is up.
psql -h "$pgdir" -p "$port" -U postgres -At -c "SELECT 1" >/dev/null 2>&1 || Scripts/postgres_throwaway.sh >/dev/null
# shellcheck disable=SC1091
source "$pgdir/env"
sample() {
    local sql="SELECT now()::time, state, wait_event_type, wait_event, extract(epoch FROM now() - state_change)::int, left(query, 60)
        FROM pg_stat_activity WHERE usename = 'chatbots'"
    # The throwaway cluster trusts its own socket.
    psql -h "$pgdir" -p "$port" -U postgres -At -c "$sql"
}
failed=0
for run in $(seq 1 "$runs"); do
    out="$folder/run$run"
    rm -rf "$out" && mkdir -p "$out"
    swift test --skip-build >"$out/test.log" 2>&1 &
    tests=$!
    while kill -0 "$tests" 2>/dev/null; do
        sample >>"$out/sessions.txt" 2>/dev/null || true
        sleep 0.5
    done
    rc=0
    wait "$tests" || rc=$?
    [ "$rc" = 0 ] || failed=$((failed + 1))
    waiting=$(awk -F'|' '$3 == "Lock" { n[$1]++ } END { m = 0; for (t in n) if (n[t] > m) m = n[t]; print m }' "$out/sessions.txt" 2>/dev/null || echo 0)
    echo "run $run: $([ "$rc" = 0 ] && echo passed || echo FAILED) ($(grep -Eo 'with [0-9]+ tests? in [0-9]+ suites?' "$out/test.log" | tail -1)); at most $waiting sessions waiting on a lock at once"
done
echo "watch_suite: $failed of $runs runs failed (logs in $folder)"
[ "$failed" = 0 ]
