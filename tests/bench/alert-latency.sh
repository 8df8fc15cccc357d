#!/usr/bin/env bash
# alert-latency.sh - how long from a sample crossing a threshold to the
# webhook, through the whole collector, while it also stores a background
# load at half of its measured ingest rate.
#
#   tests/bench/alert-latency.sh
#
# Builds a Release tree (build-bench) if needed, starts a private PostgreSQL
# cluster in a temporary directory, the recording HTTP sink
# (tests/helpers/notify_sink.py) on a free port, and a collector with one rule
# (alertgen_value > 0.5, severity critical) and routes.yaml's root route on an
# immediate webhook to the sink: group_by ['...'] (each alert its own group),
# group_wait 0s. Then:
#
#   1. the collector's ingest rate, measured as tests/bench/ingest.sh measures
#      it (vigil-loadgen as fast as acks come, ALERT_INGEST_SECONDS after a
#      warm-up);
#   2. background load: vigil-loadgen paced at half that rate, new agents, for
#      the rest of the run (its series are registered during ALERT_WARMUP);
#   3. vigil-alertgen: ALERT_AGENTS agents carrying ALERT_COUNT series
#      alertgen_value{alert="aNNNNN"}, registered at 0, then crossed one at a
#      time at ALERT_RATE a second; each alert has its own label set, and the
#      wall-clock time its batch left its agent is noted;
#   4. the sink's record: each alert's latency is the arrival of the first
#      webhook carrying it as firing minus that time. An alert with no webhook
#      ALERT_DRAIN seconds after the last one was sent is lost.
#
# From the database and the acks it also shows where the time went, per
# alert: from the agent to the collector (the ledger's received_at), to the
# agent's ack (the writer's queue, its group's COPY and commit), to the
# rule's evaluation (the rules queue; the transition's instant), to the
# sender's wake-up (the transaction storing the transition and writing the
# outbox, its commit, LISTEN/NOTIFY: the attempt's started_at), and from
# there to the sink (the scheduler's tick, the claim, the HTTP request).
#
# The background's own line says what it achieved ("background: after the
# ... warm-up: ... samples/s"); below 95 % of its pace a WARNING follows, as
# the collector then did not keep up and the alerts waited in its queue.
#
# The target is p99 <= 100 ms with none lost. The last line is exactly:
#
#   alert-latency: p50 <ms> ms  p99 <ms> ms  alerts <N>  lost <L>
#
# Environment (defaults in brackets): ALERT_COUNT [1000], ALERT_RATE [20]
# alerts/s, ALERT_AGENTS [10], ALERT_DRAIN [30] s, ALERT_WARMUP [10] s,
# ALERT_INGEST_SECONDS [20], ALERT_INGEST_WARMUP [5], ALERT_BACKGROUND [1] (0:
# no background load), INGEST_AGENTS [50], INGEST_SERIES [1000], INGEST_BATCH
# [1000], INGEST_WINDOW [4] (the load's shape, as ingest.sh), ALERT_COLLECTOR_EXTRA
# (YAML lines for collector.yaml), ALERT_SETUP_SQL (SQL run on the database
# before the collector starts, statement by statement: to log durations, say),
# ALERT_COLLECTOR_LOG and ALERT_PG_LOG (where to copy the collector's and
# PostgreSQL's logs), VIGIL_BENCH_BUILD [build-bench], BENCH_MEMORY_LIMIT
# [1536M] (0: none; the memory cap of the whole run, as in ingest.sh).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${VIGIL_BENCH_BUILD:-$src/build-bench}
alerts=${ALERT_COUNT:-1000}
rate=${ALERT_RATE:-20}
alert_agents=${ALERT_AGENTS:-10}
drain=${ALERT_DRAIN:-30}
warmup=${ALERT_WARMUP:-10}
ingest_seconds=${ALERT_INGEST_SECONDS:-20}
ingest_warmup=${ALERT_INGEST_WARMUP:-5}
background=${ALERT_BACKGROUND:-1}
agents=${INGEST_AGENTS:-50}
series=${INGEST_SERIES:-1000}
batch=${INGEST_BATCH:-1000}
window=${INGEST_WINDOW:-4}

name=alert-latency.sh
. "$src/tests/bench/bench-lib.sh"
bench_build vigil-collector vigil-loadgen vigil-alertgen
loadgen=$build/tests/vigil-loadgen
alertgen=$build/tests/vigil-alertgen
bench_memory_limit "${BENCH_MEMORY_LIMIT-1536M}"
bench_cluster

sink_pid=
bg_pid=
alert_cleanup() {
    [[ -n "$bg_pid" ]] && kill -TERM "$bg_pid" 2>/dev/null && wait "$bg_pid" 2>/dev/null
    [[ -n "$sink_pid" ]] && kill -TERM "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
    bench_cleanup
}
trap alert_cleanup EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo)," \
    "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(date -u +%Y-%m-%dT%H:%MZ)," \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "postgresql: $(q 'SHOW server_version'), fsync $(q 'SHOW fsync'), synchronous_commit" \
    "$(q 'SHOW synchronous_commit')"
echo "$memory_note"

# --- the sink, the rule, the routes ----------------------------------------------
python3 "$src/tests/helpers/notify_sink.py" --port-file "$tmp/sink.port" \
    --record "$tmp/sink.jsonl" >"$tmp/sink.log" 2>&1 &
sink_pid=$!
for _ in $(seq 1 100); do [[ -s "$tmp/sink.port" ]] && break; sleep 0.05; done
[[ -s "$tmp/sink.port" ]] || { say "the HTTP sink did not start"; exit 1; }
sink_port=$(cat "$tmp/sink.port")
cat >"$tmp/rules.yml" <<'EOF'
groups:
  - name: latency
    interval: 10s
    rules:
      - alert: LatencyProbe
        expr: alertgen_value > 0.5
        labels: {severity: critical}
        annotations: {summary: "{{ $labels.alert }} crossed on {{ $labels.host }}"}
EOF
cat >"$tmp/routes.yaml" <<EOF
route:
  receiver: hook
  group_by: ['...']
  group_wait: 0s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:$sink_port/hook
        timeout: 10s
EOF
if [[ -n "${ALERT_SETUP_SQL:-}" ]]; then
    echo "setup SQL: $ALERT_SETUP_SQL"
    psql -X -q -v ON_ERROR_STOP=1 "$db" <<<"$ALERT_SETUP_SQL" >/dev/null
fi
http_port=$(free_port)
bench_collector "rule_files: [$tmp/rules.yml]
routes_file: $tmp/routes.yaml
http_listen: 127.0.0.1:$http_port
${ALERT_COLLECTOR_EXTRA:-}"
echo "rules.yml: alertgen_value > 0.5; routes.yaml: webhook, group_by ['...'], group_wait 0s"

# --- 1. the ingest rate ------------------------------------------------------------
cmd=("$loadgen" --endpoint "tcp://127.0.0.1:$port" --agents "$agents" --series "$series"
    --samples-per-batch "$batch" --window "$window" --duration "$((ingest_seconds + ingest_warmup))"
    --warmup "$ingest_warmup" --id-prefix measure --quiet)
echo "command: ${cmd[*]#"$src/"}"
"${cmd[@]}" >"$tmp/ingest.out" || {
    tail -n 20 "$tmp/collector.log" >&2
    say "measuring the ingest rate failed"
    exit 1
}
grep '^loadgen:' "$tmp/ingest.out" | head -n 3
ingest=$(field samples_per_s "$tmp/ingest.out")
half=$((${ingest%.*} / 2))
echo "ingest: ${ingest%.*} samples/s; background load at half: $half samples/s"

# --- 2. background load --------------------------------------------------------------
if [[ "$background" != 0 ]]; then
    cmd=("$loadgen" --endpoint "tcp://127.0.0.1:$port" --agents "$agents" --series "$series"
        --samples-per-batch "$batch" --window "$window" --duration 86400 --warmup "$warmup"
        --rate "$half" --id-prefix background --quiet)
    echo "command: ${cmd[*]#"$src/"} &"
    "${cmd[@]}" >"$tmp/background.out" 2>&1 &
    bg_pid=$!
    sleep "$warmup"
fi

# --- 3. the alerts -------------------------------------------------------------------
cmd=("$alertgen" --endpoint "tcp://127.0.0.1:$port" --alerts "$alerts" --rate "$rate"
    --agents "$alert_agents" --sent "$tmp/sent.txt")
echo "command: ${cmd[*]#"$src/"}"
set +e
"${cmd[@]}" >"$tmp/alertgen.out"
ag_rc=$?
set -e
cat "$tmp/alertgen.out"
if [[ $ag_rc -ne 0 ]]; then
    tail -n 20 "$tmp/collector.log" >&2
    say "vigil-alertgen failed (exit $ag_rc)"
    exit 1
fi
# Wait for the webhooks (the background load goes on meanwhile).
arrived() { grep -c '"path": "/hook"' "$tmp/sink.jsonl" 2>/dev/null || true; }
for _ in $(seq 1 $((drain * 10))); do
    [[ "$(arrived)" -ge "$alerts" ]] && break
    sleep 0.1
done
curl -s "http://127.0.0.1:$http_port/metrics" >"$tmp/metrics.txt" || true
if [[ -n "$bg_pid" ]]; then
    kill -INT "$bg_pid"
    wait "$bg_pid" || true
    bg_pid=
    grep -E '^loadgen: (after|paced|resent)' "$tmp/background.out" | sed 's/^loadgen:/background:/'
    # The latency means something only while the background is a load the
    # collector keeps up with; past it, batches queue and it measures the queue.
    kept=$(field samples_per_s "$tmp/background.out")
    if [[ -n "$kept" ]] && ((${kept%.*} * 100 < half * 95)); then
        echo "background: WARNING: the collector stored ${kept%.*} of the $half samples/s paced:" \
            "it did not keep up, and the alerts waited in its queue (the full rate measured in" \
            "step 1 was more than it sustained; measure longer with ALERT_INGEST_SECONDS)"
    fi
fi
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
bench_stop_collector
[[ -n "${ALERT_COLLECTOR_LOG:-}" ]] && cp "$tmp/collector.log" "$ALERT_COLLECTOR_LOG"
[[ -n "${ALERT_PG_LOG:-}" ]] && cp "$(cat "$tmp/pg/datadir")/server.log" "$ALERT_PG_LOG"

# --- 4. the figures ------------------------------------------------------------------
# Per alert, from the database: when the collector received the batch that
# crossed (the ledger), the transition to firing, the first attempt of its
# webhook.
while read -r alert _ host seq _; do echo "$alert $host $seq"; done <"$tmp/sent.txt" >"$tmp/keys.txt"
psql -X -q -At -F ' ' "$db" <<EOF >"$tmp/stages.txt"
CREATE TEMP TABLE k (alert text, host text, seq bigint);
\copy k FROM '$tmp/keys.txt' WITH (DELIMITER ' ')
SELECT k.alert, extract (epoch FROM b.received_at), extract (epoch FROM t.at),
       extract (epoch FROM min (att.started_at))
  FROM k
  JOIN vigil.hosts h ON h.hostname = k.host
  JOIN vigil.batches b ON b.host_id = h.host_id AND b.seq = k.seq
  JOIN vigil.alerts a ON a.alertname = 'LatencyProbe' AND a.labels->>'alert' = k.alert
  JOIN vigil.alert_transitions t ON t.alert_id = a.alert_id AND t.to_state = 'firing'
  LEFT JOIN vigil.notifications n ON a.alert_id = ANY (n.alert_ids) AND n.receiver = 'hook'
  LEFT JOIN vigil.notification_attempts att ON att.notification_id = n.notification_id
 GROUP BY 1, 2, 3;
EOF
grep -E '^vigil_(rules_(evaluations_total|evaluation_duration_seconds_(sum|count))|ingest_commit_latency_seconds_(sum|count)) ' \
    "$tmp/metrics.txt" | sed 's/^/collector: /' || true
sed -n 's/.*INFO  \(rules: \)\{0,1\}stopped: /collector: /p' "$tmp/collector.log"
grep -E 'WARN|ERROR' "$tmp/collector.log" | head -n 5 || true

python3 - "$tmp/sent.txt" "$tmp/sink.jsonl" "$tmp/stages.txt" <<'EOF'
import json, sys

sent, acked = {}, {}
for line in open(sys.argv[1]):
    alert, t, _host, _seq, ack = line.split()
    sent[alert], acked[alert] = float(t), float(ack)

first, copies = {}, {}
for line in open(sys.argv[2]):
    req = json.loads(line)
    if req["path"] != "/hook":
        continue
    for a in json.loads(req["body"])["alerts"]:
        name = a["labels"].get("alert")
        if a["status"] != "firing" or name not in sent:
            continue
        copies[name] = copies.get(name, 0) + 1
        first.setdefault(name, req["t"])

def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * (len(xs) - 1) + 0.5))] if xs else float("nan")

lat = [(first[a] - sent[a]) * 1000 for a in sent if a in first]
lost = len(sent) - len(lat)
dup = sum(1 for n in copies.values() if n > 1)

# Ingest's share ends with the commit, which the agent's ack follows; the
# rules stage's transition is stamped when its round starts, so "ack to
# evaluation" may be slightly negative.
names = ["agent to collector", "collector to ack", "ack to evaluation",
         "evaluation to sender", "sender to sink"]
stages = {k: [] for k in names}
for line in open(sys.argv[3]):
    parts = line.split()
    if len(parts) < 4 or parts[0] not in first:
        continue
    alert, received, at, started = parts[0], float(parts[1]), float(parts[2]), float(parts[3])
    stages[names[0]].append((received - sent[alert]) * 1000)
    stages[names[1]].append((acked[alert] - received) * 1000)
    stages[names[2]].append((at - acked[alert]) * 1000)
    stages[names[3]].append((started - at) * 1000)
    stages[names[4]].append((first[alert] - started) * 1000)
for k in names:
    v = stages[k]
    print("stage %-22s p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms" % (k, pct(v, .5), pct(v, .99), max(v) if v else float("nan")))
if lat:
    print("latency: min %.1f ms, p90 %.1f ms, max %.1f ms; %d alerts notified more than once"
          % (min(lat), pct(lat, .9), max(lat), dup))
print("alert-latency: p50 %.0f ms  p99 %.0f ms  alerts %d  lost %d" % (pct(lat, .5), pct(lat, .99), len(sent), lost))
EOF
