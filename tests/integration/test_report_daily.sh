#!/usr/bin/env bash
# test_report_daily.sh - the real vigil-collector sends the daily report
# through its outbox to a real HTTP sink (tests/helpers/notify_sink.py) on
# 127.0.0.1, once: with daily_report_at a minute or two past, it sends that
# day's report when it starts (late), and a restart sends nothing again.
# vigil-collector --check refuses a receiver routes.yaml lacks, and a time
# it cannot read. (The schedule itself, with an injected clock:
# test_report_send.c.)
source "${VIGIL_SOURCE_DIR:?run this test with ctest}/tests/helpers/testlib.sh"
source "$VIGIL_SOURCE_DIR/tests/helpers/http_collector.sh"
q "$cluster" -c "DROP DATABASE IF EXISTS vigil_test_report_daily WITH (FORCE)" \
    -c "CREATE DATABASE vigil_test_report_daily"
db=${cluster%/*}/vigil_test_report_daily

python3 "$VIGIL_SOURCE_DIR/tests/helpers/notify_sink.py" --port-file "$tmp/sink.port" \
    --record "$tmp/sink.jsonl" &
sink=$!
trap 'kill "$sink" 2>/dev/null; if [[ -n "$http_pid" ]]; then kill -TERM "$http_pid" 2>/dev/null; wait "$http_pid" 2>/dev/null; fi; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do [[ -s "$tmp/sink.port" ]] && break; sleep 0.1; done
port=$(cat "$tmp/sink.port")
cat >"$tmp/routes.yaml" <<YAML
route: {receiver: logs}
receivers:
  - name: logs
    webhook_configs: [{url: 'http://127.0.0.1:$port/report'}]
YAML
at=$(date -u -d '-2 minutes' +%H:%M)
day=$(date -u -d "$(date -u -d '-2 minutes' +%F) -1 day" +%F)
conf="routes_file: $tmp/routes.yaml
daily_report_receiver: logs
daily_report_at: $at UTC"

reports() { grep -c '"path": "/report"' "$tmp/sink.jsonl" 2>/dev/null || true; }
http_collector_start daily "$db" "$conf"
for _ in $(seq 1 300); do [[ "$(reports)" == 1 ]] && break; sleep 0.1; done
[[ "$(reports)" == 1 ]] || fail "no daily report reached the sink: $(tail -5 "$http_log")"
grep -q "daily report: to logs every day at $at UTC" "$http_log" || fail "the collector does not say when it sends"
grep -q "daily report of $day (UTC) queued for logs: 1 notification" "$http_log" ||
    fail "the collector does not say it queued the report of $day: $(grep daily "$http_log")"
python3 - "$tmp/sink.jsonl" "$day" <<'PY' || fail "the webhook does not carry the report of $day"
import json, sys
body = json.loads(json.loads(open(sys.argv[1]).readline())["body"])
assert body["kind"] == "report" and body["data"]["period"]["first_day"] == sys.argv[2], body
assert body["text"].startswith(f"*Daily report · {sys.argv[2]} (UTC)*"), body["text"][:200]
PY
[[ "$(q "$db" -c "SELECT day || ' ' || status FROM vigil.report_sends
                   JOIN vigil.notifications n ON n.notification_id = ANY (notification_ids)")" == "$day delivered" ]] ||
    fail "vigil.report_sends and the outbox do not say $day delivered"
http_collector_stop
echo "sent: the report of $day, once, at start (its time $at UTC was past)"

# A restart: nothing again.
http_collector_start daily "$db" "$conf"
sleep 2
http_collector_stop
[[ "$(reports)" == 1 ]] || fail "a restart sent the daily report again"
echo "restart: not sent again"

# What --check refuses.
printf 'routes_file: %s\ndaily_report_receiver: nobody\n' "$tmp/routes.yaml" >"$tmp/bad.yaml"
if "$VIGIL_BUILD_DIR/collector/vigil-collector" --check -c "$tmp/bad.yaml" 2>"$tmp/err"; then
    fail "--check accepted a receiver routes.yaml lacks"
fi
expect "$tmp/err" "daily_report_receiver: $tmp/routes.yaml has no receiver \"nobody\" (it has: logs)"
printf 'routes_file: %s\ndaily_report_receiver: logs\ndaily_report_at: "9 in the morning"\n' \
    "$tmp/routes.yaml" >"$tmp/bad.yaml"
if "$VIGIL_BUILD_DIR/collector/vigil-collector" --check -c "$tmp/bad.yaml" 2>"$tmp/err"; then
    fail "--check accepted daily_report_at: 9 in the morning"
fi
expect "$tmp/err" "daily_report_at: \"9 in the morning\""
printf 'daily_report_receiver: logs\n' >"$tmp/bad.yaml"
if "$VIGIL_BUILD_DIR/collector/vigil-collector" --check -c "$tmp/bad.yaml" 2>"$tmp/err"; then
    fail "--check accepted a daily report without routes_file"
fi
expect "$tmp/err" "sets no routes_file"
echo "--check: an unknown receiver, a bad time, no routes_file"
echo "test_report_daily: ok"
