#!/usr/bin/env bash
# agent-cutoff: the agent cut off from its collector for a long time (10 min
# by default; the collector is stopped, which the agent cannot tell from a
# partition), then back: every line within the spool's bound arrives, once.
# Then the same with a spool bound far too small: the agent drops the oldest
# batches, and what it says it dropped (vigil_agent_batches_dropped_total)
# is exactly the number of batches missing from the database.
#   CUTOFF_SECONDS [600]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../agent_lib.sh"
seconds=${CUTOFF_SECONDS:-600}
name=${CHAOS_NAME:-agent-cutoff}
fresh_db chaos_cutoff
port=$(free_port)
start_collector collector "$port"

# Within the bound.
agent_config roomy "[tcp://127.0.0.1:$port]"
# Far too small a bound: 128 KiB in 64 KiB segments, batches every 100 ms.
agent_config tight "[tcp://127.0.0.1:$port]" "  spool_max_bytes: 128KiB
  interval: 100ms"
start_agent roomy
start_agent tight
sleep 3
stop collector KILL
say "cut off for $seconds s"
python3 "$writer" --rate 100 --seconds "$seconds" "$tmp/roomy.app.log" "$tmp/tight.app.log" \
    >/dev/null
start_collector collector "$port"
wait_delivered 120 roomy
# tight delivers what it kept; wait until it has nothing pending.
for _ in $(seq 1 120); do
    p=$(sql "SELECT coalesce((SELECT v.value FROM vigil.samples v JOIN vigil.series s
               USING (host_id, series_id) JOIN vigil.hosts h USING (host_id)
              WHERE h.agent_id = 'tight' AND s.metric = 'vigil_agent_batches_pending'
              ORDER BY v.ts DESC LIMIT 1), -1)")
    [[ "${p%.*}" == 0 ]] && break
    sleep 1
done
stop tight TERM
stop roomy TERM
check roomy
roomy_lost=$lost roomy_dup=$dup roomy_lines=$lines
# Batches are numbered 1.. without gaps in one run: missing = highest - stored.
IFS='|' read -r stored_batches top <<<"$(sql "SELECT count(*), max(seq) FROM vigil.batches b
    JOIN vigil.hosts h USING (host_id) WHERE h.agent_id = 'tight'")"
missing=$((top - stored_batches))
dropped=$(agent_figure tight vigil_agent_batches_dropped_total)
dropped=${dropped%.*}
echo "chaos: $name cut_off_s $seconds lines $roomy_lines lost $roomy_lost duplicated $roomy_dup" \
    "small_bound_dropped $dropped small_bound_missing $missing"
((roomy_lost == 0 && roomy_dup == 0)) || fail "lost or duplicated within the bound"
((dropped > 0)) || fail "the small bound dropped nothing"
((dropped == missing)) || fail "dropped $dropped but $missing batches are missing"
