#!/usr/bin/env bash
# chaos: short
# agent-state-wipe: an agent with a configured id has its state directory
# wiped mid-run (a reinstalled host, a fresh container: its logs start anew
# too). It starts again at seq 1 under a new incarnation, and the collector
# stores those batches instead of answering DUPLICATE for the numbers it had
# under the old one: 0 lost, 0 duplicated; the collector logs the change.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../agent_lib.sh"
fresh_db chaos_wipe
port=$(free_port)
start_collector collector "$port"
agent_config wipe "[tcp://127.0.0.1:$port]"
start_agent wipe
python3 "$writer" --rate 400 --seconds 6 "$tmp/wipe.app.log" >/dev/null
wait_delivered 30 wipe
check wipe
before=$got
((lost == 0 && dup == 0)) || fail "before the wipe: lost $lost, duplicated $dup"
stop wipe KILL
inc1=$(cat "$tmp/wipe.state/incarnation")
# The host is made anew: state and logs.
rm -rf "$tmp/wipe.state"
mv "$tmp/wipe.app.log" "$tmp/old-wipe.log"
: >"$tmp/wipe.app.log"
start_agent wipe
python3 "$writer" --rate 400 --seconds 6 "$tmp/wipe.app.log" >/dev/null
wait_delivered 30 wipe
inc2=$(cat "$tmp/wipe.state/incarnation")
[[ "$inc1" != "$inc2" ]] || fail "the wiped directory kept incarnation $inc1"
stop wipe TERM
# The ledger now counts both runs' lines (linewriter.py's count went on),
# but the second run's file starts at the first run's count + 1.
check wipe
changes=$(grep -c "new incarnation" "$tmp/collector.log" || true)
seqs=$(sql "SELECT count(DISTINCT incarnation) FROM vigil.batches")
echo "chaos: agent-state-wipe lines $lines stored $got (before the wipe $before) lost $lost" \
    "duplicated $dup incarnations $seqs collector_logged $changes"
((lost == 0 && dup == 0)) || fail "lines lost or counted twice"
((seqs == 2 && changes >= 1)) || fail "expected two incarnations, logged by the collector"
