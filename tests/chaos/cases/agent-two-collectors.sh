#!/usr/bin/env bash
# chaos: short
# agent-two-collectors: two collectors on one PostgreSQL; agents list both.
# The collector the agents use is killed; with no answer within
# agent.failover_timeout they move to the other, resending what was not
# acknowledged; the shared ledger stores each batch once: 0 lost,
# 0 duplicated.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../agent_lib.sh"
fresh_db chaos_two
p1=$(free_port)
p2=$(free_port)
start_collector c1 "$p1"
start_collector c2 "$p2"
ids=(two1 two2 two3 two4)
files=()
for id in "${ids[@]}"; do
    agent_config "$id" "[tcp://127.0.0.1:$p1, tcp://127.0.0.1:$p2]" "  failover_timeout: 3s
  failback_after: 1h"
    files+=("$tmp/$id.app.log")
    start_agent "$id"
done
python3 "$writer" --rate 300 --seconds 16 "${files[@]}" >/dev/null &
writer_pid=$!
sleep 5
stop c1 KILL
sleep 5
# Back, and the other one killed: those that went to c2 move again.
start_collector c1 "$p1"
stop c2 KILL
wait "$writer_pid" || fail "the line writer failed"
start_collector c2 "$p2"
wait_delivered 60 "${ids[@]}"
failovers=0
for id in "${ids[@]}"; do
    f=$(agent_figure "$id" vigil_agent_failovers_total)
    failovers=$((failovers + ${f%.*}))
done
for id in "${ids[@]}"; do stop "$id" TERM; done
check "${ids[@]}"
echo "chaos: agent-two-collectors agents ${#ids[@]} lines $lines stored $got lost $lost" \
    "duplicated $dup counter_off $counter_bad failovers $failovers"
((lost == 0 && dup == 0)) || fail "lines lost or counted twice"
((counter_bad == 0)) || fail "a counter rule did not end at the count of lines written"
((failovers >= 1)) || fail "no agent failed over"
