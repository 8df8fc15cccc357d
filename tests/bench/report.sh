#!/usr/bin/env bash
# report.sh - how long reports take on a day of a fleet: 100 hosts x 50
# series every 10 s (43.2 million samples, distributions counted as
# samples), sent through the collector (rollups on) into a private
# PostgreSQL cluster, then timed:
#   vigil report daily   (the target: under 1 s)
#   vigil report weekly
#   a 30-day P95 through the SQL function vigil.quantile
# each run once after one warm-up run. The last line is exactly:
#
#   report: daily <ms> ms  weekly <ms> ms  quantile-30d <ms> ms  samples <N>
#
# N is the samples and distributions vigil.batches says were stored.
# Environment: REPORT_HOSTS [100], REPORT_STEP_S [10], VIGIL_BENCH_BUILD
# [build-bench].
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${VIGIL_BENCH_BUILD:-$src/build-bench}
hosts=${REPORT_HOSTS:-100}
step=${REPORT_STEP_S:-10}
say() { echo "report.sh: $*" >&2; }

if [[ ! -f "$build/CMakeCache.txt" ]]; then
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target vigil-collector vigil vigil-dayload -j"$(nproc)" \
    >"$build/bench-build.log" 2>&1 || {
    tail -n 30 "$build/bench-build.log" >&2
    say "build failed"
    exit 1
}
collector=$build/collector/vigil-collector
vigil=$build/cli/vigil
dayload=$build/tests/vigil-dayload

tmp=$(mktemp -d /tmp/vigil-report-bench.XXXXXX)
chmod 755 "$tmp"
collector_pid=
cleanup() {
    if [[ -n "$collector_pid" ]] && kill -0 "$collector_pid" 2>/dev/null; then
        kill -TERM "$collector_pid" 2>/dev/null || true
        wait "$collector_pid" 2>/dev/null || true
    fi
    "$src/deploy/pg-cluster.sh" stop "$tmp/pg" || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cluster=$("$src/deploy/pg-cluster.sh" start "$tmp/pg")
psql -X -q "$cluster" -c "CREATE DATABASE vigil" >/dev/null
db=${cluster%/*}/vigil
q() { psql -X -At "$db" -c "$1"; }
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo)," \
    "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(date -u +%Y-%m-%d)," \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"

# --- the day, through the collector ---------------------------------------------
printf 'listen: tcp://127.0.0.1:*\ndatabase_url: "%s"\nrollups: true\n' "$db" >"$tmp/collector.yaml"
"$collector" -c "$tmp/collector.yaml" >"$tmp/collector.log" 2>&1 &
collector_pid=$!
endpoint=
for _ in $(seq 1 300); do
    endpoint=$(sed -n 's/.*listening on \(tcp:[^ ]*\) for agents.*/\1/p' "$tmp/collector.log")
    [[ -n "$endpoint" ]] && break
    sleep 0.1
done
[[ -n "$endpoint" ]] || { cat "$tmp/collector.log" >&2; say "the collector did not start"; exit 1; }
day=$(date -u -d yesterday +%F)
cmd=("$dayload" --endpoint "$endpoint" --day "$day" --hosts "$hosts" --step-s "$step")
echo "command: ${cmd[*]#"$build/"}"
"${cmd[@]}" | tee "$tmp/dayload.out"
t0=$(date +%s)
kill -TERM "$collector_pid"
wait "$collector_pid" || true
collector_pid=
echo "collector stopped (rollups written) in $(($(date +%s) - t0)) s"
grep -E 'WARN|ERROR' "$tmp/collector.log" | head -n 5 || true
q "VACUUM ANALYZE" >/dev/null
samples=$(q "SELECT sum (samples) FROM vigil.batches")
echo "stored: $samples samples; rollup rows: $(q "SELECT count (*) FROM vigil.rollup_minute") minute," \
    "$(q "SELECT count (*) FROM vigil.rollup_hour") hour"

# --- the timings -------------------------------------------------------------------
ms() { # runs "$@" and prints its wall time in ms
    local a b
    a=$(date +%s%N)
    "$@" >/dev/null
    b=$(date +%s%N)
    echo $(((b - a) / 1000000))
}
daily=("$vigil" report daily --db "$db" --date "$day" --tz UTC)
weekly=("$vigil" report weekly --db "$db" --date "$day" --tz UTC)
echo "command: ${daily[*]#"$build/"}"
ms "${daily[@]}" >/dev/null
d_ms=$(ms "${daily[@]}")
echo "command: ${weekly[*]#"$build/"}"
ms "${weekly[@]}" >/dev/null
w_ms=$(ms "${weekly[@]}")
qsql="SELECT vigil.quantile ('api_request_duration_seconds', 0.95, now () - interval '30 days', now ())"
echo "command: psql -c \"$qsql\""
quantile() {
    psql -X -At "$db" -c '\timing on' -c "$qsql" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}
quantile >/dev/null
q_ms=$(quantile)
echo "30-day P95: $(q "$qsql")"
printf 'report: daily %d ms  weekly %d ms  quantile-30d %.0f ms  samples %d\n' \
    "$d_ms" "$w_ms" "$q_ms" "$samples"
