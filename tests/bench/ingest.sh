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
# ceiling: binary COPY of the same number of rows into a plain unindexed table.
# Everything it started is stopped on exit. The last line is:
#
#   ingest: <N> samples/s  copy-ceiling: <M> samples/s  ratio: <N/M>
#
# Environment (defaults in brackets):
#   INGEST_SECONDS [60]  INGEST_AGENTS [50]  INGEST_SERIES [1000]
#   INGEST_BATCH [1000]  INGEST_WINDOW [4]   INGEST_NULL_SECONDS [10] (0: skip)
#   INGEST_WARMUP [10]: seconds left out of the ingest rate - the first batches
#     of each agent register its series, once; the rate over the whole run is
#     printed too
#   VIGIL_BENCH_BUILD [build-bench]
#   INGEST_COLLECTOR_EXTRA: YAML lines added to the collector's configuration
#   INGEST_SETUP_SQL: SQL run on the database once the collector has created
#     its schema, before the load (to try a schema change)
#   INGEST_COLLECTOR_LOG: where to copy the collector's log at the end
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

say() { echo "ingest.sh: $*" >&2; }

# --- build -------------------------------------------------------------------
if [[ ! -f "$build/CMakeCache.txt" ]]; then
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target vigil-collector vigil-loadgen vigil-copy-ceiling \
    -j"$(nproc)" >"$build/bench-build.log" 2>&1 || {
    tail -n 30 "$build/bench-build.log" >&2
    say "build failed"
    exit 1
}
collector=$build/collector/vigil-collector
loadgen=$build/tests/vigil-loadgen
ceiling=$build/tests/vigil-copy-ceiling

# --- a private cluster, stopped on any exit ----------------------------------
tmp=$(mktemp -d /tmp/vigil-bench.XXXXXX)
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

free_port() {
    local p=$((40000 + RANDOM % 20000))
    while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
    echo "$p"
}

cluster=$("$src/deploy/pg-cluster.sh" start "$tmp/pg")
psql -X -q "$cluster" -c "CREATE DATABASE vigil" >/dev/null
db=${cluster%/*}/vigil
q() { psql -X -At "$db" -c "$1"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo)," \
    "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(date -u +%Y-%m-%d)"
echo "postgresql: $(q 'SHOW server_version'), fsync $(q 'SHOW fsync'), synchronous_commit" \
    "$(q 'SHOW synchronous_commit'), shared_buffers $(q 'SHOW shared_buffers')," \
    "max_wal_size $(q 'SHOW max_wal_size')"

# --- the generator's own ceiling ----------------------------------------------
if [[ "$null_seconds" != 0 ]]; then
    port=$(free_port)
    cmd=("$loadgen" --endpoint "tcp://127.0.0.1:$port" --null-collector --quiet
        --agents "$agents" --series "$series" --samples-per-batch "$batch"
        --window "$window" --duration "$null_seconds")
    echo "command: ${cmd[*]#"$src/"}"
    "${cmd[@]}" >"$tmp/null.out"
    grep '^loadgen:' "$tmp/null.out" | sed 's/^loadgen:/generator alone:/'
fi

# --- the collector ---------------------------------------------------------------
port=$(free_port)
cat >"$tmp/collector.yaml" <<EOF
listen: tcp://127.0.0.1:$port
database_url: $db
${INGEST_COLLECTOR_EXTRA:-}
EOF
grep -v '^$' "$tmp/collector.yaml" | grep -v '^database_url' | sed 's/^/collector.yaml: /'
"$collector" -c "$tmp/collector.yaml" >"$tmp/collector.log" 2>&1 &
collector_pid=$!
for _ in $(seq 1 300); do
    [[ "$(q "SELECT to_regclass('vigil.batches') IS NOT NULL" 2>/dev/null)" == t ]] && break
    kill -0 "$collector_pid" 2>/dev/null || {
        tail -n 20 "$tmp/collector.log" >&2
        say "the collector exited"
        exit 1
    }
    sleep 0.1
done
if [[ -n "${INGEST_SETUP_SQL:-}" ]]; then
    echo "setup SQL: $INGEST_SETUP_SQL"
    psql -X -q -v ON_ERROR_STOP=1 "$db" -c "$INGEST_SETUP_SQL" >/dev/null
fi
q CHECKPOINT >/dev/null

# --- ingest ------------------------------------------------------------------------
cmd=("$loadgen" --endpoint "tcp://127.0.0.1:$port" --agents "$agents" --series "$series"
    --samples-per-batch "$batch" --window "$window" --duration "$seconds" --warmup "$warmup")
echo "command: ${cmd[*]#"$src/"}"
set +e
"${cmd[@]}" >"$tmp/loadgen.out"
lg_rc=$?
set -e
grep '^loadgen:' "$tmp/loadgen.out"
kill -TERM "$collector_pid"
wait "$collector_pid" || true
collector_pid=
if [[ $lg_rc -ne 0 ]]; then
    tail -n 20 "$tmp/collector.log" >&2
    say "vigil-loadgen failed (exit $lg_rc)"
    exit 1
fi

field() { sed -n "s/^$1=//p" "$2"; }
ingest=$(field samples_per_s "$tmp/loadgen.out")
acked=$(field acked_samples "$tmp/loadgen.out")
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
cmd=("$ceiling" --db "$db" --rows "$rows" --series "$series")
echo "command: ${cmd[*]#"$src/"}"
"${cmd[@]}" >"$tmp/ceiling.out"
grep '^copy-ceiling:' "$tmp/ceiling.out"
copy=$(field rows_per_s "$tmp/ceiling.out")

awk -v n="$ingest" -v m="$copy" \
    'BEGIN { printf "ingest: %d samples/s  copy-ceiling: %d samples/s  ratio: %.2f\n", n, m, n / m }'
