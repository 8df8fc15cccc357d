#!/usr/bin/env bash
# agent-log-storm: log lines appended fast (100k lines/s by default) and the
# log rotated twice, while the agent is killed (SIGKILL) 10 times and
# restarted at once. A log position is saved only once the batch carrying the
# lines before it is in the spool, so after the storm every line is counted
# in PostgreSQL exactly once.
#   STORM_RATE [100000] lines/s   STORM_SECONDS [60]   STORM_KILLS [10]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../agent_lib.sh"
rate=${STORM_RATE:-100000}
seconds=${STORM_SECONDS:-60}
kills=${STORM_KILLS:-10}
name=${CHAOS_NAME:-agent-log-storm}

fresh_db chaos_log_storm
port=$(free_port)
start_collector collector "$port"
agent_config storm "[tcp://127.0.0.1:$port]" "  spool_fsync: 200ms"
start_agent storm
python3 "$writer" --rate "$rate" --seconds "$seconds" --rotate 2 "$tmp/storm.app.log" \
    >"$tmp/writer.out" &
writer_pid=$!
# Kills spread over the run, at uneven moments.
for k in $(seq 1 "$kills"); do
    sleep "$(python3 -c "import random; print(round($seconds / ($kills + 1) * random.uniform(0.6, 1.4), 2))")"
    stop storm KILL
    start_agent storm
done
wait "$writer_pid" || fail "the line writer failed"
wait_delivered 120 storm
stop storm TERM
check storm
echo "chaos: $name lines $lines stored $got lost $lost duplicated $dup counter_off $counter_bad kills $kills" \
    "rate $rate/s rotations 2"
((lost == 0 && dup == 0)) || fail "lines lost or counted twice"
((counter_bad == 0)) || fail "a counter rule did not end at the count of lines written"
