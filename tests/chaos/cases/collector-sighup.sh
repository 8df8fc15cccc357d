#!/usr/bin/env bash
# chaos: short
# collector-sighup - SIGHUP every half second while 20 agents send, the
# configuration changing back and forth: every reload logged, nothing lost or
# stored twice.
set -euo pipefail
source "$(dirname "$0")/../lib/collector.sh"

url=$(fresh_db vigil_chaos_sighup)
port=$(free_port)
ep=tcp://127.0.0.1:$port
conf() { printf 'listen: %s\ndatabase_url: %s\nmax_peers: %s\n' "$ep" "$url" "$1" >"$tmp/collector.yaml"; }
conf 1000
start_collector "$tmp/collector.yaml"
"$loadgen_bin" --endpoint "$ep" --agents 20 --series 100 --samples-per-batch 200 --duration 12 \
    --id-prefix healthy --timeout-ms 5000 --drain-ms 60000 --quiet >"$tmp/loadgen.out" 2>&1 &
lg=$!
bg_pids=("$lg")
hups=0
while kill -0 "$lg" 2>/dev/null && ((hups < 20)); do
    sleep 0.5
    conf $((hups % 2 ? 1000 : 500))
    kill -HUP "$collector_pid"
    hups=$((hups + 1))
done
wait "$lg" || { cat "$tmp/loadgen.out"; fail "the healthy agents did not get every batch acknowledged"; }
bg_pids=()
kill -0 "$collector_pid" || fail "the collector died"
sleep 0.5
stop_collector
check_landed "$url" "$tmp/loadgen.out"
reloads=$(grep -c "SIGHUP: reading" "$tmp/collector.log" || true)
changes=$(grep -c "reload: max_peers:" "$tmp/collector.log" || true)
echo "chaos: collector-sighup sighups=$hups reloads_logged=$reloads changes_logged=$changes acked_samples=$acked lost=$lost duplicated=$dup"
[[ $lost -eq 0 && $dup -eq 0 ]] || fail "lost $lost, duplicated $dup"
((reloads == hups)) || fail "$hups SIGHUPs but $reloads reloads logged"
((changes > 0)) || fail "no change logged"
