#!/usr/bin/env bash
# agent-down-kills: the collector is down while simulated agents (real
# vigil-agent processes, each following its own log of numbered lines) are
# killed with SIGKILL again and again; then the collector comes back. Every
# batch was in a spool when its agent died, so every line reaches
# PostgreSQL exactly once.
#   DOWN_AGENTS [50]   DOWN_SECONDS [300]   DOWN_KILLS [20]   DOWN_RATE [100] lines/s each
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../agent_lib.sh"
agents=${DOWN_AGENTS:-50}
seconds=${DOWN_SECONDS:-300}
kills=${DOWN_KILLS:-20}
rate=${DOWN_RATE:-100}
name=${CHAOS_NAME:-agent-down-kills}

fresh_db chaos_down_kills
port=$(free_port)
start_collector collector "$port"
ids=()
files=()
for i in $(seq 1 "$agents"); do
    ids+=("down$i")
    agent_config "down$i" "[tcp://127.0.0.1:$port]"
    files+=("$tmp/down$i.app.log")
done
for id in "${ids[@]}"; do start_agent "$id"; done
sleep 3
stop collector KILL
say "collector down; $agents agents write on"
python3 "$writer" --rate "$rate" --seconds "$seconds" "${files[@]}" >"$tmp/writer.out" &
writer_pid=$!
for k in $(seq 1 "$kills"); do
    sleep "$(python3 -c "print(round($seconds / ($kills + 1), 2))")"
    id=${ids[$((RANDOM % agents))]}
    stop "$id" KILL
    start_agent "$id"
done
wait "$writer_pid" || fail "the line writer failed"
sleep 2
start_collector collector "$port"
say "collector back"
wait_delivered 240 "${ids[@]}"
for id in "${ids[@]}"; do stop "$id" TERM; done
check "${ids[@]}"
echo "chaos: $name agents $agents kills $kills down_s $seconds lines $lines stored $got" \
    "lost $lost duplicated $dup counter_off $counter_bad"
((lost == 0 && dup == 0)) || fail "lines lost or counted twice"
((counter_bad == 0)) || fail "a counter rule did not end at the count of lines written"
