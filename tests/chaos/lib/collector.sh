# tests/chaos/lib/collector.sh - what the collector's fault cases share:
# a fresh database, a collector started and stopped, healthy simulated agents
# (vigil-loadgen), the checker that counts their samples in PostgreSQL, and
# the collector's peak RSS. Sourced by tests/chaos/cases/collector-*.sh.

: "${VIGIL_BUILD_DIR:?run cases through tests/chaos/run.sh}"
: "${VIGIL_TEST_PG_DIR:?run cases through tests/chaos/run.sh}"
: "${VIGIL_CHAOS_TMP:?run cases through tests/chaos/run.sh}"

collector_bin=$VIGIL_BUILD_DIR/collector/vigil-collector
loadgen_bin=$VIGIL_BUILD_DIR/tests/vigil-loadgen
hostile_bin=$VIGIL_BUILD_DIR/tests/vigil-hostile
vigil_bin=$VIGIL_BUILD_DIR/cli/vigil
cluster=$(cat "$VIGIL_TEST_PG_DIR/url")
tmp=$VIGIL_CHAOS_TMP
collector_pid=
bg_pids=()

chaos_cleanup() {
    local p
    for p in "${bg_pids[@]}" $collector_pid; do
        kill -KILL "$p" 2>/dev/null || true
    done
}
trap chaos_cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    [[ -f "$tmp/collector.log" ]] && tail -n 30 "$tmp/collector.log" >&2
    exit 1
}

sql() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

# fresh_db NAME: an empty database; prints its URL.
fresh_db() {
    sql "$cluster" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
    echo "${cluster%/*}/$1"
}

. "$(dirname "${BASH_SOURCE[0]}")/../../../deploy/free-port.sh"

# With AddressSanitizer, freed memory waits in a quarantine and every block
# has red zones: the RSS says little. Those builds get a looser bound, and
# the line says so.
sanitized() {
    # Not "ldd | grep -q": grep leaving early makes ldd fail under pipefail.
    [[ $(ldd "$collector_bin" 2>/dev/null) == *libasan* ]]
}

# Under AddressSanitizer the collector's freed memory waits in a small
# quarantine only, so its RSS still means something.
collector_env=()
sanitized && collector_env=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8")

# start_collector CONFIG: runs the collector, waits until it listens.
start_collector() {
    "${collector_env[@]}" "$collector_bin" -c "$1" >>"$tmp/collector.log" 2>&1 &
    collector_pid=$!
    local i
    for ((i = 0; i < 300; i++)); do
        [[ $(grep -c "listening on" "$tmp/collector.log" 2>/dev/null) -ge ${starts:-1} ]] && return 0
        kill -0 "$collector_pid" 2>/dev/null || fail "the collector exited at start"
        sleep 0.1
    done
    fail "the collector did not listen within 30 s"
}

# stop_collector: SIGTERM; it must exit 0.
stop_collector() {
    kill -TERM "$collector_pid"
    wait "$collector_pid" || fail "the collector did not exit 0 on SIGTERM"
    collector_pid=
}

# rss_peak_mb: the collector's peak resident memory so far, in MB.
rss_peak_mb() {
    awk '/^VmHWM:/ { printf "%d", $2 / 1024 }' "/proc/$collector_pid/status"
}

# check_landed URL LOADGEN_OUT: every sample the healthy agents had
# acknowledged is in the database once. Sets lost, dup, acked, stored.
check_landed() {
    acked=$(sed -n 's/^acked_samples=//p' "$2")
    stored=$(sql "$1" -c "SELECT count(*) FROM vigil.samples s JOIN vigil.hosts h USING (host_id) WHERE h.agent_id LIKE 'healthy-%'")
    local distinct
    distinct=$(sql "$1" -c "SELECT count(*) FROM (SELECT DISTINCT host_id, series_id, ts FROM vigil.samples s JOIN vigil.hosts h USING (host_id) WHERE h.agent_id LIKE 'healthy-%') d")
    lost=$((acked > distinct ? acked - distinct : 0))
    dup=$((stored - distinct))
    [[ -n "$acked" && "$acked" -gt 0 ]] || fail "the healthy agents had nothing acknowledged"
}

# kill9_case NAME AGENTS SECONDS KILLS: healthy agents send for SECONDS while
# the collector is SIGKILLed KILLS times at even intervals and started again
# each time; then every acknowledged sample must be stored exactly once.
kill9_case() {
    local name=$1 agents=$2 seconds=$3 kills=$4 k
    local url port ep
    url=$(fresh_db "vigil_chaos_${name//-/_}")
    port=$(free_port)
    ep=tcp://127.0.0.1:$port
    printf 'listen: %s\ndatabase_url: %s\n' "$ep" "$url" >"$tmp/collector.yaml"
    starts=1
    start_collector "$tmp/collector.yaml"
    "$loadgen_bin" --endpoint "$ep" --agents "$agents" --series 200 --samples-per-batch 200 \
        --window 4 --duration "$seconds" --id-prefix healthy --timeout-ms 3000 \
        --drain-ms 120000 --quiet >"$tmp/loadgen.out" 2>&1 &
    local lg=$!
    bg_pids=("$lg")
    local gap=$((seconds * 1000 / (kills + 1)))
    for ((k = 1; k <= kills; k++)); do
        sleep "$(awk -v ms="$gap" 'BEGIN { printf "%.3f", ms / 1000 }')"
        kill -KILL "$collector_pid"
        wait "$collector_pid" 2>/dev/null || true
        starts=$((starts + 1))
        start_collector "$tmp/collector.yaml"
    done
    wait "$lg" || { cat "$tmp/loadgen.out"; fail "the healthy agents did not get every batch acknowledged"; }
    bg_pids=()
    stop_collector
    check_landed "$url" "$tmp/loadgen.out"
    local resent
    resent=$(sed -n 's/^loadgen: resent \([0-9]*\).*/\1/p' "$tmp/loadgen.out")
    echo "chaos: $name agents=$agents seconds=$seconds kills=$kills acked_samples=$acked stored=$stored lost=$lost duplicated=$dup resent_batches=$resent"
    [[ $lost -eq 0 && $dup -eq 0 ]] || fail "lost $lost, duplicated $dup"
}
