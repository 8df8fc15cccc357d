#!/usr/bin/env bash
# chaos: short
# collector-refusals - batches the collector must refuse, each with its
# reason, next to healthy agents that must not notice: truncated batches,
# sequence numbers and timestamps out of range, NUL inside an event's text,
# and event batches that would expand a few KB into MBs of COPY.
set -euo pipefail
source "$(dirname "$0")/../lib/collector.sh"

url=$(fresh_db vigil_chaos_refusals)
port=$(free_port)
ep=tcp://127.0.0.1:$port
printf 'listen: %s\ndatabase_url: %s\n' "$ep" "$url" >"$tmp/collector.yaml"
start_collector "$tmp/collector.yaml"
"$loadgen_bin" --endpoint "$ep" --agents 10 --series 100 --samples-per-batch 200 --duration 10 \
    --id-prefix healthy --timeout-ms 5000 --drain-ms 60000 --quiet >"$tmp/loadgen.out" 2>&1 &
lg=$!
bg_pids=("$lg")
"$hostile_bin" --endpoint "$ep" --duration 8 --mode truncated --rate 2000 >>"$tmp/hostile.out" 2>&1 &
bg_pids+=($!)
"$hostile_bin" --endpoint "$ep" --duration 8 --mode badvalues --rate 1000 >>"$tmp/hostile.out" 2>&1 &
bg_pids+=($!)
wait "$lg" || { cat "$tmp/loadgen.out"; fail "the healthy agents did not get every batch acknowledged"; }
for p in "${bg_pids[@]:1}"; do wait "$p" || true; done
bg_pids=()
stop_collector
check_landed "$url" "$tmp/loadgen.out"

reasons=("truncated or corrupted" "seq 18446744073709551615 is above 9223372036854775807"
    "is outside what the database can hold" "text contains a NUL byte" "labels expand to")
for r in "${reasons[@]}"; do
    grep -qF -- "$r" "$tmp/collector.log" || fail "no refusal saying \"$r\""
done
by_kind=$(sed -n 's/.*refused: \([0-9]*\) for size, \([0-9]*\) checksum, \([0-9]*\) limits, \([0-9]*\) invalid values.*/checksum=\2 limits=\3 invalid=\4/p' "$tmp/collector.log")
[[ -n "$by_kind" ]] || fail "no 'refused:' summary line"
for k in limits invalid; do
    [[ $(sed -n "s/.*$k=\([0-9]*\).*/\1/p" <<<"$by_kind") -gt 0 ]] || fail "no batch refused for $k ($by_kind)"
done
rejected=$(sed -n 's/.*stopped: .* \([0-9]*\) rejected.*/\1/p' "$tmp/collector.log")
dropped=$(sed -n 's/.*; \([0-9]*\) malformed messages dropped.*/\1/p' "$tmp/collector.log")
hostile_rows=$(sql "$url" -c "SELECT count(*) FROM vigil.hosts WHERE agent_id LIKE 'hostile-%'")
p99=$(sed -n 's/^ack_p99_ms=//p' "$tmp/loadgen.out")
echo "chaos: collector-refusals healthy_acked=$acked lost=$lost duplicated=$dup ack_p99_ms=$p99 rejected=$rejected ($by_kind) dropped=$dropped hostile_hosts_stored=$hostile_rows"
[[ $lost -eq 0 && $dup -eq 0 ]] || fail "healthy samples lost $lost, duplicated $dup"
[[ $hostile_rows -eq 0 ]] || fail "$hostile_rows hostile agents reached the database"
((rejected > 0 && dropped > 0)) || fail "nothing was rejected or dropped"
