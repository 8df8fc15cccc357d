#!/usr/bin/env bash
# chaos: short
# agent-corrupt-spool: with the collector down the agent spools, is killed,
# and its spool is damaged: a byte flipped in the middle of one segment, the
# newest cut short, and a file that is no segment at all. The agent starts,
# skips and counts what is damaged (vigil_agent_spool_skipped_total), sets
# the junk aside, delivers everything else exactly once, and loses only the
# lines of the damaged records.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../agent_lib.sh"
fresh_db chaos_corrupt
port=$(free_port)
start_collector collector "$port"
# Small segments, so that there are several.
agent_config corrupt "[tcp://127.0.0.1:$port]" "  spool_max_bytes: 1MiB
  interval: 100ms"
start_agent corrupt
sleep 2
stop collector KILL
python3 "$writer" --rate 300 --seconds 12 "$tmp/corrupt.app.log" >/dev/null
sleep 1.5
stop corrupt KILL
spool=$tmp/corrupt.state/spool
segs=($(ls "$spool"/*.seg))
((${#segs[@]} >= 2)) || fail "expected several segments, found ${#segs[@]}"
first=${segs[0]}
last=${segs[${#segs[@]} - 1]}
size=$(stat -c %s "$first")
printf '\xff' | dd of="$first" bs=1 seek=$((size / 2)) conv=notrunc status=none
truncate -s $(($(stat -c %s "$last") - 50)) "$last"
echo "not a segment" >"$spool/00000000000000ff.seg"
start_collector collector "$port"
start_agent corrupt
wait_delivered 40 corrupt
sleep 3
skipped=$(agent_figure corrupt vigil_agent_spool_skipped_total)
stop corrupt TERM
check corrupt
[[ -f "$spool/00000000000000ff.seg.damaged" ]] || fail "the junk file was not set aside"
echo "chaos: agent-corrupt-spool lines $lines stored $got lost $lost duplicated $dup" \
    "skipped_counted ${skipped%.*}"
((${skipped%.*} >= 2)) || fail "the damage was not counted (skipped $skipped)"
((dup == 0)) || fail "lines counted twice"
((lost <= lines / 2)) || fail "lost $lost of $lines: more than the damaged records hold"
