#!/usr/bin/env bash
# chaos: short
# pg-restart.sh - PostgreSQL restarted twice (fast, then immediate: a crash
# and its recovery) while healthy simulated agents send. Checks that every
# sample sent is stored exactly once, and prints how long after the server
# accepted connections again the first batch was committed (its ack leaves
# right after the commit):
#   chaos: pg-restart lost <N> duplicated <N> first-ack-after-fast <s> s first-ack-after-immediate <s> s
set -euo pipefail
. "$(dirname "$0")/../collector-lib.sh"
trap 'chaos_stop_collector' EXIT

chaos_db vigil_chaos_pg_restart
chaos_collector "writers: 2"

"$build/tests/vigil-loadgen" --endpoint "$endpoint" --agents 20 --series 100 \
    --samples-per-batch 100 --rate 20000 --window 8 --duration 30 --timeout-ms 3000 \
    --drain-ms 60000 --quiet >"$tmp/loadgen.out" &
lg=$!

# The first commit after the server accepts connections again.
first_commit_after() {
    local ready=$1 before=$2 t
    for _ in $(seq 1 600); do
        if [[ "$(q "SELECT count(*) FROM vigil.batches" 2>/dev/null || echo 0)" -gt "$before" ]]; then
            t=$(now_ms)
            awk -v a="$t" -v b="$ready" 'BEGIN { printf "%.2f", (a - b) / 1000 }'
            return
        fi
        sleep 0.05
    done
    echo "never"
}

restart() {
    local mode=$1 before ready
    chaos_pg_ctl -m "$mode" -w -t 60 restart >/dev/null
    ready=$(now_ms)
    before=$(q "SELECT count(*) FROM vigil.batches")
    first_commit_after "$ready" "$before"
}

sleep 8
fast=$(restart fast)
sleep 8
immediate=$(restart immediate)
set +e
wait "$lg"
lg_rc=$?
set -e
chaos_stop_collector

acked=$(sed -n 's/^acked_samples=//p' "$tmp/loadgen.out")
rows=$(q "SELECT count(*) FROM vigil.samples")
distinct=$(q "SELECT count(*) FROM (SELECT DISTINCT host_id, series_id, ts FROM vigil.samples) d")
ledger=$(q "SELECT coalesce(sum(samples), 0) FROM vigil.batches")
unacked=$(sed -n 's/^unacked_batches=//p' "$tmp/loadgen.out")
lost=$((acked - distinct + unacked))
duplicated=$((rows - distinct))
echo "chaos: pg-restart lost $lost duplicated $duplicated first-ack-after-fast $fast s" \
    "first-ack-after-immediate $immediate s"
grep '^loadgen:' "$tmp/loadgen.out"
if [[ $lg_rc -ne 0 || $lost -ne 0 || $duplicated -ne 0 || "$ledger" != "$rows" ||
    "$fast" == never || "$immediate" == never ]]; then
    echo "pg-restart: FAILED (loadgen exit $lg_rc, acked $acked, rows $rows, distinct $distinct," \
        "ledger $ledger)" >&2
    tail -n 30 "$tmp/collector.log" >&2
    exit 1
fi
