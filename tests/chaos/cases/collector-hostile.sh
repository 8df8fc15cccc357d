#!/usr/bin/env bash
# chaos: short
# collector-hostile - hostile peers next to healthy agents: endless multipart
# frames (of 1 MiB, and empty ones, which cost libzmq 32 times their bytes),
# 50 connections each holding a 30 MB unfinished message, 10,000
# fresh identities, and garbage, truncated and out-of-range batches at 10,000
# messages a second, with oversized frames among them. Healthy data must all
# land once, healthy acks keep a p99 under 1 s, and the collector's peak RSS
# stays under its bound: 512 MB. AddressSanitizer slows the collector several
# times over on a machine whose cores are shared: there the p99 is printed,
# not held. Under AddressSanitizer (what CI builds) the RSS counts its
# shadow memory, red zones and an allocator that keeps what it freed, so
# only a sanity bound of 2048 MB is held there; the 512 MB bound needs a
# build without sanitizers: tests/chaos/run.sh --build build-rel.
set -euo pipefail
source "$(dirname "$0")/../lib/collector.sh"

seconds=${CHAOS_SECONDS:-12}
url=$(fresh_db vigil_chaos_hostile)
port=$(free_port)
ep=tcp://127.0.0.1:$port
printf 'listen: %s\ndatabase_url: %s\n' "$ep" "$url" >"$tmp/collector.yaml"
start_collector "$tmp/collector.yaml"

# phase LOADGEN_OUT HOSTILE_ARGS...: healthy agents for $seconds s while the
# hostile peers given (one "MODE ARGS" word each) run.
phase() {
    local out=$1 spec
    shift
    "$loadgen_bin" --endpoint "$ep" --agents 10 --series 100 --samples-per-batch 500 --window 2 \
        --duration "$seconds" --id-prefix "healthy-$out" --timeout-ms 5000 --drain-ms 60000 \
        --quiet >"$tmp/$out" 2>&1 &
    local lg=$!
    bg_pids=("$lg")
    sleep 1
    for spec in "$@"; do
        # shellcheck disable=SC2086
        "$hostile_bin" --endpoint "$ep" --duration "$((seconds - 4))" $spec >>"$tmp/hostile.out" 2>&1 &
        bg_pids+=($!)
    done
    wait "$lg" || { cat "$tmp/$out"; fail "the healthy agents did not get every batch acknowledged"; }
    for p in "${bg_pids[@]:1}"; do wait "$p" 2>/dev/null || true; done
    bg_pids=()
}

# Phase 1: floods and unfinished messages. Phase 2: 10,000 new agents, each
# registered in PostgreSQL, which the writer does in turn with everyone's
# batches: its ack latency is printed, not held to the 1 s.
phase floods.out "--mode multipart --frame-bytes 1048576" "--mode multipart --frame-bytes 0" \
    "--mode halfsent --conns 50 --hold-bytes 31457280" "--mode garbage --rate 4000" \
    "--mode truncated --rate 3000" "--mode badvalues --rate 3000" \
    "--mode oversized --rate 20 --frame-bytes 17000000"
phase identities.out "--mode identities --count 10000"
peak=$(rss_peak_mb)
bound=512 p99_bound=1000
sanitized && bound=2048 p99_bound=0
stop_collector

cat "$tmp/floods.out" "$tmp/identities.out" | awk -F= '/^acked_samples=/ { n += $2 } END { print "acked_samples=" n }' >"$tmp/loadgen.out"
check_landed "$url" "$tmp/loadgen.out"
p99=$(sed -n 's/^ack_p99_ms=//p' "$tmp/floods.out")
p99_ids=$(sed -n 's/^ack_p99_ms=//p' "$tmp/identities.out")
sent=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^sent=/) { sub("sent=", "", $i); n += $i } } END { print n + 0 }' "$tmp/hostile.out")
cut=$(grep -c "closed the connection" "$tmp/collector.log" || true)
echo "chaos: collector-hostile healthy_acked=$acked lost=$lost duplicated=$dup ack_p99_ms=$p99 ack_p99_ms_new_agents=$p99_ids hostile_messages=$sent rss_peak_mb=$peak bound_mb=$bound$(sanitized && echo " (asan)")"
[[ $lost -eq 0 && $dup -eq 0 ]] || fail "healthy samples lost $lost, duplicated $dup"
((peak < bound)) || fail "peak RSS $peak MB is over the bound of $bound MB"
((p99_bound == 0 || ${p99%.*} < p99_bound)) || fail "healthy ack p99 $p99 ms is $p99_bound ms or more"
# The collector's count at its stop, not its log: the log says it at most every 10 s.
held_cut=$(sed -n 's/.*connections closed: \([0-9]*\) holding too much unfinished input.*/\1/p' \
    "$tmp/collector.log" | tail -n 1)
((${held_cut:-0} > 0)) || fail "no connection was closed for holding unfinished input"
