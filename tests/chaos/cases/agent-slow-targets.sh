#!/usr/bin/env bash
# chaos: short
# agent-slow-targets: the agent checks a target that never answers and
# scrapes one that sends a byte a second, while it follows a log. HTTP runs
# on the agent's loop (libcurl multi), so the other inputs keep their
# schedule: every batch leaves within 1 s of its time (the gaps between the
# batches' sent times), acknowledgements keep flowing and every line arrives.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../agent_lib.sh"
seconds=${SLOW_SECONDS:-20}
fresh_db chaos_slow
port=$(free_port)
start_collector collector "$port"
python3 "$VIGIL_SOURCE_DIR/tests/chaos/slowpeer.py" hang "$tmp/hang.port" &
pid_of[hang]=$!
python3 "$VIGIL_SOURCE_DIR/tests/chaos/slowpeer.py" trickle "$tmp/trickle.port" &
pid_of[trickle]=$!
for _ in $(seq 1 100); do [[ -s "$tmp/hang.port" && -s "$tmp/trickle.port" ]] && break; sleep 0.05; done
agent_config slow "[tcp://127.0.0.1:$port]"
cat >>"$tmp/slow.yaml" <<EOC
  - type: http
    name: hanging
    url: http://127.0.0.1:$(cat "$tmp/hang.port")/health
    interval: 5s
    timeout: 5s
  - type: scrape
    name: trickling
    url: http://127.0.0.1:$(cat "$tmp/trickle.port")/metrics
    interval: 5s
    timeout: 5s
  - type: system
    interval: 1s
EOC
start_agent slow
python3 "$writer" --rate 200 --seconds "$seconds" "$tmp/slow.app.log" >/dev/null
wait_delivered 30 slow
stop slow TERM
check slow
# Gaps between consecutive batches (agent clock, 1 s interval), skipping the
# first few seconds of the start.
IFS="|" read -r nb worst <<<"$(sql "SELECT count(*), coalesce(max(gap), 0) FROM (
    SELECT extract(epoch FROM sent_at - lag(sent_at) OVER (ORDER BY seq)) * 1000 AS gap
      FROM vigil.batches b JOIN vigil.hosts h USING (host_id) WHERE h.agent_id = 'slow') g
    WHERE gap IS NOT NULL")"
up=$(agent_figure slow http_up)
timeouts=$(agent_figure slow http_errors_total)
echo "chaos: agent-slow-targets batches $nb worst_gap_ms ${worst%.*} lines $lines stored $got" \
    "lost $lost duplicated $dup counter_off $counter_bad hanging_http_up ${up%.*} hanging_http_errors ${timeouts%.*}"
((lost == 0 && dup == 0)) || fail "lines lost or counted twice"
((counter_bad == 0)) || fail "a counter rule did not end at the count of lines written"
((${worst%.*} <= 2000)) || fail "a batch left ${worst%.*} ms after the previous one (interval 1 s)"
((nb >= seconds - 3)) || fail "only $nb batches in $seconds s"
((${timeouts%.*} >= 1)) || fail "the hanging target was never reported down"
