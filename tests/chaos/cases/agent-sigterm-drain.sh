#!/usr/bin/env bash
# chaos: short
# agent-sigterm-drain: SIGTERM while the collector is down. The agent stops
# reading, tries to send within agent.shutdown_timeout, keeps the rest in its
# spool and says so; started again with the collector up, it delivers all of
# it: 0 lost, 0 duplicated.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../agent_lib.sh"
fresh_db chaos_drain
port=$(free_port)
start_collector collector "$port"
agent_config drain "[tcp://127.0.0.1:$port]" "  shutdown_timeout: 2s"
start_agent drain
python3 "$writer" --rate 500 --seconds 4 "$tmp/drain.app.log" >/dev/null
sleep 2
stop collector KILL
python3 "$writer" --rate 500 --seconds 6 "$tmp/drain.app.log" >/dev/null
sleep 1.5
stop drain TERM
grep -q "stopped: last seq" "$tmp/drain.log" || fail "no stop line"
kept=$(sed -n 's/.*stopped: .* (\([0-9]*\) kept in the spool.*/\1/p' "$tmp/drain.log" | tail -n 1)
((kept > 0)) || fail "the agent kept nothing in its spool, though the collector was down"
start_collector collector "$port"
start_agent drain
wait_delivered 60 drain
stop drain TERM
check drain
echo "chaos: agent-sigterm-drain lines $lines stored $got lost $lost duplicated $dup counter_off $counter_bad" \
    "spooled_at_stop $kept"
((lost == 0 && dup == 0)) || fail "lines lost or counted twice"
((counter_bad == 0)) || fail "a counter rule did not end at the count of lines written"
