#!/usr/bin/env bash
# chaos: short
# many-series.sh - one agent sends a batch of 200,000 new series among healthy
# simulated agents. With the default limits it is refused with its reason
# (max_series_per_agent); with the limits lifted it is registered in pieces
# by one writer while the others keep serving the healthy agents. Checks that
# the healthy agents lose nothing either way, and prints:
#   chaos: many-series refused <0|1> reason "<text>" registered-in-pieces <s> s healthy-ack-p99 <ms> ms healthy-lost <N>
set -euo pipefail
. "$(dirname "$0")/../collector-lib.sh"
trap 'chaos_stop_collector' EXIT

big() { # big ID-PREFIX: the 200,000-series batch; its output in $tmp/big-ID.out
    set +e
    "$build/tests/vigil-loadgen" --endpoint "$endpoint" --agents 1 --series 200000 \
        --samples-per-batch 200000 --two-labels --window 1 --duration 0.5 --timeout-ms 600000 \
        --drain-ms 180000 --id-prefix "$1" --quiet >"$tmp/big-$1.out" 2>"$tmp/big-$1.err"
    echo $?
    set -e
}

healthy() { # healthy ID-PREFIX SECONDS
    "$build/tests/vigil-loadgen" --endpoint "$endpoint" --agents 20 --series 100 \
        --samples-per-batch 100 --rate 20000 --window 8 --duration "$2" --warmup 2 \
        --timeout-ms 10000 --drain-ms 60000 --id-prefix "$1" --quiet >"$tmp/$1.out"
}

# 1. Default limits: refused, with the reason.
chaos_db vigil_chaos_many_series
chaos_collector ""
healthy h1 15 &
h1=$!
sleep 3
rc=$(big refused)
wait "$h1"
reason=$(sed -n 's/.*rejected: //p' "$tmp/big-refused.err" | head -n 1)
refused=0
[[ $rc -ne 0 && "$reason" == *max_series_per_agent* ]] && refused=1
chaos_stop_collector

# 2. No limits: registered in pieces, the healthy agents served meanwhile.
chaos_collector "max_series_per_agent: 0
max_new_series_per_minute: 0"
healthy h2 40 &
h2=$!
sleep 3
start=$(now_ms)
rc2=$(big pieces)
took=$(awk -v a="$(now_ms)" -v b="$start" 'BEGIN { printf "%.1f", (a - b) / 1000 }')
wait "$h2"
chaos_stop_collector

big_rows=$(q "SELECT count(*) FROM vigil.samples x JOIN vigil.hosts h USING (host_id)
               WHERE h.agent_id LIKE 'pieces-%'")
p99=$(sed -n 's/^ack_p99_ms=//p' "$tmp/h2.out")
acked=$(( $(sed -n 's/^acked_samples=//p' "$tmp/h1.out") + $(sed -n 's/^acked_samples=//p' "$tmp/h2.out") ))
rows=$(q "SELECT count(DISTINCT (host_id, series_id, ts)) FROM vigil.samples x JOIN vigil.hosts h
           USING (host_id) WHERE h.agent_id LIKE 'h_-%'")
lost=$((acked - rows))
echo "chaos: many-series refused $refused reason \"$reason\" registered-in-pieces $took s" \
    "healthy-ack-p99 $p99 ms healthy-lost $lost"
if [[ $refused -ne 1 || $rc2 -ne 0 || "$big_rows" -ne 200000 || $lost -ne 0 ]]; then
    echo "many-series: FAILED (big exit $rc2, its rows $big_rows, healthy acked $acked rows $rows)" >&2
    cat "$tmp/big-pieces.err" >&2
    tail -n 30 "$tmp/collector.log" >&2
    exit 1
fi
