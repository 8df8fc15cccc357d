#!/usr/bin/env bash
# ingest.sh - how fast the collector stores samples, against what PostgreSQL
# itself can take, measured in the same run on the same database.
#
#   tests/bench/ingest.sh
#
# Builds a Release tree (build-bench) if needed, starts a private PostgreSQL
# cluster in a temporary directory, a collector on a free port, and simulated
# agents (vigil-loadgen) that push batches as fast as the collector
# acknowledges them (acks go out after the commit). Then it checks that the
# database holds exactly the samples that were acknowledged, and measures the
# ceiling: binary COPY of the same rows (the columns of vigil.samples, the same
# hosts and series) into a plain unindexed table.
# Everything it started is stopped on exit. Then the same collector takes
# agents paced at half the measured rate, and it prints their ack latency
# (from a batch's first send to its ack, after the commit):
#
#   ack-latency: p50 <ms> ms  p99 <ms> ms  at <R> samples/s
#
# Above it, the collector's own CPU time (user + system, from /proc) per
# sample acknowledged in each run:
#
#   collector-cpu: <us> us per sample at the full rate, <us> at half the rate
#
# and what PostgreSQL wrote to its WAL per row in the full-rate run and in the
# ceiling (pg_stat_wal, pg_stat_bgwriter):
#
#   wal: ingest at the full rate <B> bytes and <F> full-page images per row,
#     <C> checkpoints; copy-ceiling <B> bytes and <F> full-page images per row, ...
#
# The last line is:
#
#   ingest: <N> samples/s  copy-ceiling: <M> samples/s  ratio: <N/M>
#
# Environment (defaults in brackets):
#   INGEST_SECONDS [60]  INGEST_AGENTS [50]  INGEST_SERIES [1000]
#   INGEST_BATCH [1000]  INGEST_WINDOW [4]   INGEST_NULL_SECONDS [10] (0: skip)
#   INGEST_WARMUP [10]: seconds left out of the ingest rate - the first batches
#     of each agent register its series, once; the rate over the whole run is
#     printed too
#   INGEST_LATENCY_SECONDS [30] (0: skip): the paced run at half the rate; its
#     first INGEST_WARMUP seconds (new agents registering) are left out
#   VIGIL_BENCH_BUILD [build-bench]
#   BENCH_MEMORY_LIMIT [1536M] (0: none): the memory cap of the whole run, so
#     that its page cache is recycled instead of taken fresh (bench-lib.sh)
#   INGEST_COLLECTOR_EXTRA: YAML lines added to the collector's configuration
#   INGEST_SETUP_SQL: SQL run on the database once the collector has created
#     its schema, before the load (to try a schema change)
#   INGEST_COLLECTOR_LOG: where to copy the collector's log at the end
#   INGEST_LOADGEN_EXTRA: options added to every vigil-loadgen command, e.g.
#     --fresh-batches (every batch built and encoded whole, as the agent does)
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${VIGIL_BENCH_BUILD:-$src/build-bench}
seconds=${INGEST_SECONDS:-60}
agents=${INGEST_AGENTS:-50}
series=${INGEST_SERIES:-1000}
batch=${INGEST_BATCH:-1000}
window=${INGEST_WINDOW:-4}
null_seconds=${INGEST_NULL_SECONDS:-10}
warmup=${INGEST_WARMUP:-10}
latency_seconds=${INGEST_LATENCY_SECONDS:-30}
read -r -a loadgen_extra <<<"${INGEST_LOADGEN_EXTRA:-}"

name=ingest.sh
. "$src/tests/bench/bench-lib.sh"
bench_build vigil-collector vigil-loadgen vigil-copy-ceiling
collector=$build/collector/vigil-collector
loadgen=$build/tests/vigil-loadgen
ceiling=$build/tests/vigil-copy-ceiling
bench_memory_limit "${BENCH_MEMORY_LIMIT-1536M}"
bench_cluster

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo)," \
    "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(date -u +%Y-%m-%d)"
echo "postgresql: $(q 'SHOW server_version'), fsync $(q 'SHOW fsync'), synchronous_commit" \
    "$(q 'SHOW synchronous_commit'), shared_buffers $(q 'SHOW shared_buffers')," \
    "max_wal_size $(q 'SHOW max_wal_size')"
echo "$memory_note"

# --- the generator's own ceiling ----------------------------------------------
if [[ "$null_seconds" != 0 ]]; then
    port=$(free_port)
    cmd=("$loadgen" --endpoint "tcp://127.0.0.1:$port" --null-collector --quiet
        --agents "$agents" --series "$series" --samples-per-batch "$batch"
        --window "$window" --duration "$null_seconds" "${loadgen_extra[@]}")
    echo "command: ${cmd[*]#"$src/"}"
    "${cmd[@]}" >"$tmp/null.out"
    grep '^loadgen:' "$tmp/null.out" | sed 's/^loadgen:/generator alone:/'
fi

# --- the collector ---------------------------------------------------------------
bench_collector "${INGEST_COLLECTOR_EXTRA:-}"
if [[ -n "${INGEST_SETUP_SQL:-}" ]]; then
    echo "setup SQL: $INGEST_SETUP_SQL"
    psql -X -q -v ON_ERROR_STOP=1 "$db" -c "$INGEST_SETUP_SQL" >/dev/null
fi
q CHECKPOINT >/dev/null

# The collector's CPU time so far, in clock ticks (0 once it is gone: the
# checks below then say what happened).
collector_ticks() { awk '{ print $14 + $15 }' "/proc/$collector_pid/stat" 2>/dev/null || echo 0; }
# Microseconds of collector CPU per sample: per_sample TICKS SAMPLES.
per_sample() {
    awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { if (n > 0) printf "%.3f", t * 1e6 / hz / n; else printf "-" }'
}

# What PostgreSQL wrote to its WAL (bytes, full-page images) and how many
# checkpoints it made since the statistics were reset, cluster-wide.
wal_now() {
    q "SELECT w.wal_bytes, w.wal_fpi, b.checkpoints_timed + b.checkpoints_req
         FROM pg_stat_wal w, pg_stat_bgwriter b" | tr '|' ' '
}
# wal_line WHAT BEFORE AFTER ROWS: WAL bytes and full-page images per row.
wal_line() {
    local b0 f0 c0 b1 f1 c1
    read -r b0 f0 c0 <<<"$2"
    read -r b1 f1 c1 <<<"$3"
    awk -v b="$((b1 - b0))" -v f="$((f1 - f0))" -v c="$((c1 - c0))" -v n="$4" -v what="$1" \
        'BEGIN { if (n > 0) printf "%s %.1f bytes and %.4f full-page images per row, %d checkpoints", what, b / n, f / n, c }'
}

# --- ingest ------------------------------------------------------------------------
ticks0=$(collector_ticks)
wal0=$(wal_now)
cmd=("$loadgen" --endpoint "tcp://127.0.0.1:$port" --agents "$agents" --series "$series"
    --samples-per-batch "$batch" --window "$window" --duration "$seconds" --warmup "$warmup"
    "${loadgen_extra[@]}")
echo "command: ${cmd[*]#"$src/"}"
set +e
"${cmd[@]}" >"$tmp/loadgen.out"
lg_rc=$?
set -e
grep '^loadgen:' "$tmp/loadgen.out"
ingest=$(field samples_per_s "$tmp/loadgen.out")
acked=$(field acked_samples "$tmp/loadgen.out")
acked_fast=$acked
ticks1=$(collector_ticks)
wal_ingest=$(wal_line "wal: ingest at the full rate" "$wal0" "$(wal_now)" "$acked_fast")
cpu_line="collector-cpu: $(per_sample $((ticks1 - ticks0)) "$acked_fast") us per sample at the full rate"

# --- ack latency at half the rate -------------------------------------------------
lat_line=
if [[ $lg_rc -eq 0 && "$latency_seconds" != 0 ]]; then
    half=$((${ingest%.*} / 2))
    cmd=("$loadgen" --endpoint "tcp://127.0.0.1:$port" --agents "$agents" --series "$series"
        --samples-per-batch "$batch" --window "$window" --duration "$((latency_seconds + warmup))"
        --warmup "$warmup" --rate "$half" --quiet "${loadgen_extra[@]}")
    echo "command: ${cmd[*]#"$src/"}"
    set +e
    "${cmd[@]}" >"$tmp/latency.out"
    lg_rc=$?
    set -e
    grep '^loadgen:' "$tmp/latency.out"
    acked_half=$(field acked_samples "$tmp/latency.out")
    acked=$((acked + acked_half))
    cpu_line="$cpu_line, $(per_sample $(($(collector_ticks) - ticks1)) "$acked_half") at half the rate"
    lat_line="ack-latency: p50 $(field ack_p50_ms "$tmp/latency.out") ms  p99 $(field ack_p99_ms "$tmp/latency.out") ms  at $half samples/s"
fi
bench_stop_collector
if [[ $lg_rc -ne 0 ]]; then
    tail -n 20 "$tmp/collector.log" >&2
    say "vigil-loadgen failed (exit $lg_rc)"
    exit 1
fi

rows=$(q "SELECT count(*) FROM vigil.samples")
ledger=$(q "SELECT coalesce(sum(samples), 0) FROM vigil.batches")
echo "exactly-once: acknowledged $acked samples, vigil.samples holds $rows rows," \
    "vigil.batches counts $ledger"
if [[ "$rows" != "$acked" || "$ledger" != "$acked" ]]; then
    tail -n 20 "$tmp/collector.log" >&2
    say "the database does not hold exactly the acknowledged samples"
    exit 1
fi
sed -n 's/.*INFO  stopped: /collector: /p' "$tmp/collector.log"
[[ -n "${INGEST_COLLECTOR_LOG:-}" ]] && cp "$tmp/collector.log" "$INGEST_COLLECTOR_LOG"
grep -E 'WARN|ERROR' "$tmp/collector.log" | head -n 5 || true

# --- the ceiling -----------------------------------------------------------------------
cmd=("$ceiling" --db "$db" --rows "$acked_fast" --hosts "$agents" --series "$series")
echo "command: ${cmd[*]#"$src/"}"
wal0=$(wal_now)
"${cmd[@]}" >"$tmp/ceiling.out"
grep '^copy-ceiling:' "$tmp/ceiling.out"
echo "$wal_ingest; $(wal_line "copy-ceiling" "$wal0" "$(wal_now)" "$acked_fast")"
copy=$(field rows_per_s "$tmp/ceiling.out")

echo "$cpu_line"
[[ -n "$lat_line" ]] && echo "$lat_line"
awk -v n="$ingest" -v m="$copy" \
    'BEGIN { printf "ingest: %d samples/s  copy-ceiling: %d samples/s  ratio: %.2f\n", n, m, n / m }'
