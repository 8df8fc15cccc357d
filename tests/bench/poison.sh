#!/usr/bin/env bash
# poison.sh - one poison batch every 10 s among 50 healthy agents: are the
# healthy agents served, and is the poison refused each time?
#
#   tests/bench/poison.sh
#
# Builds a Release tree (build-bench) if needed, starts a private PostgreSQL
# cluster in a temporary directory and a collector with its defaults, then
# runs together, for POISON_SECONDS (60):
#   - 50 healthy simulated agents (vigil-loadgen, paced: 100 series, one
#     batch of 100 samples a second each), whose ack latency is measured;
#   - vigil-poison, which sends the poison batch (720 series x 64 labels of
#     4,096 control characters: 119 KB that would be 1.1 GB of JSON) every
#     10 s and waits up to 10 s for each answer.
# It checks that the database holds every sample the healthy agents sent, and
# samples the collector's peak resident memory (VmHWM). The last line is:
#
#   poison: healthy-ack-p99 <ms> ms  healthy-lost <N>  poison-refused <K>/<M>  collector-rss-peak <MB> MB
#
# Environment: POISON_SECONDS [60], VIGIL_BENCH_BUILD [build-bench].
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${VIGIL_BENCH_BUILD:-$src/build-bench}
seconds=${POISON_SECONDS:-60}
name=poison.sh
. "$src/tests/bench/bench-lib.sh"
bench_build vigil-collector vigil-loadgen vigil-poison
bench_cluster
echo "machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"

bench_collector ""

healthy=("$build/tests/vigil-loadgen" --endpoint "tcp://127.0.0.1:$port" --agents 50
    --series 100 --samples-per-batch 100 --rate 5000 --window 8 --duration "$seconds"
    --warmup 5 --timeout-ms 10000 --quiet)
poison=("$build/tests/vigil-poison" --endpoint "tcp://127.0.0.1:$port"
    --count "$((seconds / 10))" --interval-ms 10000)
echo "command: ${healthy[*]#"$src/"}"
echo "command: ${poison[*]#"$src/"}"
"${healthy[@]}" >"$tmp/healthy.out" &
hpid=$!
sleep 5
"${poison[@]}" >"$tmp/poison.out"
set +e
wait "$hpid"
hrc=$?
set -e
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$collector_pid/status")
bench_stop_collector
grep '^loadgen:' "$tmp/healthy.out"
grep '^poison:' "$tmp/poison.out"
grep -E 'WARN|ERROR' "$tmp/collector.log" | head -n 3 || true

acked=$(field acked_samples "$tmp/healthy.out")
rows=$(q "SELECT count(DISTINCT (host_id, series_id, ts)) FROM vigil.samples x JOIN vigil.hosts h
           USING (host_id) WHERE h.agent_id LIKE 'loadgen-%'")
unacked=$(field unacked_batches "$tmp/healthy.out")
lost=$((acked - rows + unacked * 100))
[[ $hrc -eq 0 ]] || say "the healthy agents' generator exited $hrc"
echo "poison: healthy-ack-p99 $(field ack_p99_ms "$tmp/healthy.out") ms  healthy-lost $lost" \
    " poison-refused $(field poison_refused "$tmp/poison.out")/$(field poison_sent "$tmp/poison.out")" \
    " collector-rss-peak $((rss_kb / 1024)) MB"
