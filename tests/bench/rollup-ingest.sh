#!/usr/bin/env bash
# rollup-ingest.sh - what keeping per-minute and per-hour rollups costs
# ingest: tests/bench/ingest.sh run twice, with `rollups: false` and with
# `rollups: true` in collector.yaml, each against binary COPY into a plain
# table measured in the same run (the ceiling).
#
#   tests/bench/rollup-ingest.sh
#
# Every figure of both runs is printed; the last line is:
#
#   rollup-ingest: ratio off <R0>  ratio on <R1>  on/off <R1/R0>
#
# where a ratio is ingest samples/s over the copy ceiling of its own run. The
# target: ratio on >= 0.9 (the write path's target, kept with rollups on).
# Environment: what ingest.sh takes (INGEST_SECONDS, INGEST_AGENTS, ...);
# ROLLUP_FLUSH_INTERVAL [10s] sets rollup_flush_interval for the run with
# rollups.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
flush=${ROLLUP_FLUSH_INTERVAL:-10s}
tmp=$(mktemp -d /tmp/vigil-rollup-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

run() {
    local label=$1 extra=$2
    echo "=== rollups $label: INGEST_COLLECTOR_EXTRA='${extra//$'\n'/; }' tests/bench/ingest.sh"
    INGEST_COLLECTOR_EXTRA=$extra bash "$src/tests/bench/ingest.sh" | tee "$tmp/$label.out"
    grep -q '^ingest: ' "$tmp/$label.out" || {
        echo "rollup-ingest.sh: ingest.sh printed no result with rollups $label" >&2
        exit 1
    }
}

run off "rollups: false"
run on "rollups: true
rollup_flush_interval: $flush"

ratio() { sed -n 's/^ingest: .*ratio: \([0-9.]*\)$/\1/p' "$tmp/$1.out"; }
off=$(ratio off)
on=$(ratio on)
awk -v a="$off" -v b="$on" \
    'BEGIN { printf "rollup-ingest: ratio off %.2f  ratio on %.2f  on/off %.2f\n", a, b, b / a }'
