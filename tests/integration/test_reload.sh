#!/usr/bin/env bash
# test_reload.sh - SIGHUP: the collector reads its configuration again while
# agents send, logs what changed, keeps the running configuration when the
# file is bad, says which options wait for a restart, loses nothing, and
# stops cleanly after; every signal is logged.
set -euo pipefail

: "${VIGIL_TEST_PG_DIR:?run this test with ctest}"
: "${VIGIL_BUILD_DIR:?run this test with ctest}"

collector=$VIGIL_BUILD_DIR/collector/vigil-collector
loadgen=$VIGIL_BUILD_DIR/tests/vigil-loadgen
cluster=$(cat "$VIGIL_TEST_PG_DIR/url")
base=${cluster%/*}
tmp=$(mktemp -d)
pid=
cleanup() {
    [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    tail -n 40 "$tmp/collector.log" >&2 || true
    exit 1
}
sql() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
# wait_log TEXT: the collector's log says TEXT within 30 s.
wait_log() {
    for ((i = 0; i < 300; i++)); do
        grep -qF -- "$1" "$tmp/collector.log" && return 0
        sleep 0.1
    done
    fail "the log never said \"$1\""
}

db=vigil_test_reload
sql "$cluster" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
conf() { printf 'listen: tcp://127.0.0.1:%s\ndatabase_url: %s/%s\n%s' "$port" "$base" "$db" "$1" >"$tmp/c.yaml"; }
conf "max_peers: 100
"
"$collector" -c "$tmp/c.yaml" >"$tmp/collector.log" 2>&1 &
pid=$!
wait_log "listening on"

"$loadgen" --endpoint "tcp://127.0.0.1:$port" --agents 5 --series 50 --samples-per-batch 200 \
    --duration 6 --quiet --drain-ms 60000 >"$tmp/loadgen.out" 2>&1 &
lg=$!
sleep 1
conf 'max_peers: 50
max_batch_event_bytes: 64KiB
log_level: debug
'
kill -HUP "$pid"
sleep 1
printf 'max_peers: [not, a, number]\n' >"$tmp/c.yaml"
kill -HUP "$pid"
sleep 1
printf 'listen: tcp://127.0.0.1:1\ndatabase_url: %s/%s\nmax_peers: 50\nmax_batch_event_bytes: 64KiB\nlog_level: debug\n' "$base" "$db" >"$tmp/c.yaml"
kill -HUP "$pid"
wait "$lg" || { cat "$tmp/loadgen.out"; fail "loadgen did not get every batch acknowledged"; }
kill -0 "$pid" || fail "the collector died of SIGHUP"

grep -qF "SIGHUP: reading $tmp/c.yaml again" "$tmp/collector.log" || fail "the SIGHUP is not logged"
grep -qF "reload: max_peers: 100 -> 50" "$tmp/collector.log" || fail "max_peers change not logged"
grep -qF "reload: max_batch_event_bytes: 1048576 bytes -> 65536 bytes" "$tmp/collector.log" ||
    fail "max_batch_event_bytes change not logged"
grep -qF "keeping the running configuration" "$tmp/collector.log" || fail "the bad file was not refused"
grep -qF "c.yaml:1: max_peers" "$tmp/collector.log" || fail "the bad file's error does not name file, line and key"
grep -qF "reload: listen: tcp://127.0.0.1:$port -> tcp://127.0.0.1:1 (takes effect at the next start)" \
    "$tmp/collector.log" || fail "listen change not said to wait for a restart"

acked=$(sed -n 's/^acked_samples=//p' "$tmp/loadgen.out")
stored=$(sql "$base/$db" -c "SELECT count(*) FROM vigil.samples")
dups=$(sql "$base/$db" -c "SELECT count(*) - count(DISTINCT (series_id, ts)) FROM vigil.samples")
[[ "$acked" -gt 0 && "$acked" == "$stored" && "$dups" == 0 ]] ||
    fail "acked $acked samples, stored $stored, duplicated $dups"

kill -TERM "$pid"
wait "$pid" || fail "the collector did not exit 0 on SIGTERM"
pid=
grep -q "Terminated: stopping" "$tmp/collector.log" || fail "SIGTERM is not logged"
sql "$cluster" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
echo "test_reload: ok ($acked samples, 3 reloads)"
