#!/usr/bin/env bash
# scale.sh - many agents on one collector, each sending like a real one: one
# batch of 100 series every 10 s, paced, all started together.
#
#   tests/bench/scale.sh              # 1,000, 3,000 and 10,000 agents (about 12 minutes)
#   SCALE_STEPS="1000 3000" tests/bench/scale.sh
#
# Builds a Release tree (build-bench) if needed, starts a private PostgreSQL
# cluster in a temporary directory and a collector with its defaults (file
# limit raised, as deploy/systemd does), then for each step runs the paced
# simulator (vigil-loadgen --rate: N DEALER sockets, each its own agent id)
# for SCALE_WARMUP (60 s, 90 s from 10,000 agents: their series are
# registered then, and left out of the latency) plus SCALE_SECONDS (60 s).
# After each step it counts in the database what the agents were told was
# stored, and reads the collector's resident memory. One line per step:
#
#   scale: agents <N> series <S> interval <I>s  ack-p50 <ms> ms  ack-p99 <ms> ms  collector-rss <MB> MB  lost <L>
#
# S is the series of all agents together; L the samples acknowledged but not
# found, plus those never acknowledged. A simulator holds two descriptors per
# agent, so a step the file limit does not allow in one process runs in
# several at once (ids scale<N>-p<k>-<i>), and the percentiles are taken over
# all their latencies together. Environment: SCALE_STEPS ["1000 3000 10000"],
# SCALE_SERIES [100], SCALE_INTERVAL [10], SCALE_WARMUP [60; 90 from 10,000], SCALE_SECONDS
# [60], SCALE_COLLECTOR_EXTRA (YAML lines for collector.yaml), SCALE_COLLECTOR_LOG
# (where to copy the collector's log), VIGIL_BENCH_BUILD [build-bench].
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${VIGIL_BENCH_BUILD:-$src/build-bench}
steps=${SCALE_STEPS:-1000 3000 10000}
series=${SCALE_SERIES:-100}
interval=${SCALE_INTERVAL:-10}
warmup_set=${SCALE_WARMUP:-}
seconds=${SCALE_SECONDS:-60}
name=scale.sh
. "$src/tests/bench/bench-lib.sh"
# Each agent holds a socket (and the simulator two descriptors per agent).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "open files allowed: $(ulimit -n)"
bench_build vigil-collector vigil-loadgen
bench_cluster
echo "machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"

bench_collector "${SCALE_COLLECTOR_EXTRA:-}"

# A simulator holds two descriptors per agent: a step larger than the file
# limit allows in one process runs in several, their latencies merged.
per_proc=$((($(ulimit -n) - 256) / 2))
for n in $steps; do
    # A million series take longer to register than a minute.
    warmup=${warmup_set:-$((n >= 10000 ? 90 : 60))}
    nproc_sim=$(((n + per_proc - 1) / per_proc))
    pids=()
    for ((k = 1; k <= nproc_sim; k++)); do
        agents=$((n / nproc_sim + (k <= n % nproc_sim ? 1 : 0)))
        cmd=("$build/tests/vigil-loadgen" --endpoint "tcp://127.0.0.1:$port" --agents "$agents"
            --series "$series" --samples-per-batch "$series" --rate "$((agents * series / interval))"
            --window 4 --duration "$((warmup + seconds))" --warmup "$warmup" --timeout-ms 10000
            --drain-ms 120000 --id-prefix "scale$n-p$k" --latencies "$tmp/step-$n-$k.lat" --quiet)
        echo "command: ${cmd[*]#"$src/"}"
        "${cmd[@]}" >"$tmp/step-$n-$k.out" 2>"$tmp/step-$n-$k.err" &
        pids+=($!)
    done
    acked=0 unacked=0
    for ((k = 1; k <= nproc_sim; k++)); do
        rc=0
        wait "${pids[k - 1]}" || rc=$?
        grep '^loadgen:' "$tmp/step-$n-$k.out" || true
        [[ $rc -eq 0 ]] || { say "simulator $k of $nproc_sim exited $rc:"; tail -n 5 "$tmp/step-$n-$k.err" >&2; }
        a=$(field acked_samples "$tmp/step-$n-$k.out")
        u=$(field unacked_batches "$tmp/step-$n-$k.out")
        acked=$((acked + ${a:-0})) unacked=$((unacked + ${u:-0}))
    done
    if ! kill -0 "$collector_pid" 2>/dev/null; then
        tail -n 20 "$tmp/collector.log" >&2
        say "the collector died during the step of $n agents (its log's end above)"
        exit 1
    fi
    rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$collector_pid/status")
    # Percentiles over every simulator's latencies, as vigil-loadgen takes them.
    read -r p50 p99 < <(sort -n -m "$tmp"/step-$n-*.lat | awk '{ v[NR] = $1 }
        END { if (NR == 0) { print "- -"; exit }
              printf "%.1f %.1f\n", v[int(0.5 * (NR - 1) + 0.5) + 1], v[int(0.99 * (NR - 1) + 0.5) + 1] }')
    rows=$(q "SELECT count(DISTINCT (host_id, series_id, ts)) FROM vigil.samples x
               JOIN vigil.hosts h USING (host_id) WHERE h.agent_id LIKE 'scale$n-%'")
    lost=$((acked - rows + unacked * series))
    echo "scale: agents $n series $((n * series)) interval ${interval}s" \
        " ack-p50 $p50 ms  ack-p99 $p99 ms  collector-rss $((rss_kb / 1024)) MB  lost $lost"
done
grep -E 'WARN|ERROR' "$tmp/collector.log" | head -n 5 || true
if [[ -n "${SCALE_COLLECTOR_LOG:-}" ]]; then cp "$tmp/collector.log" "$SCALE_COLLECTOR_LOG"; fi
