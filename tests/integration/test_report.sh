#!/usr/bin/env bash
# test_report.sh - `vigil report` on the fixture day, stored by the real
# collector in a real PostgreSQL:
#   - every section of the daily JSON report equals what
#     tests/helpers/report_check.py computes from the raw samples and
#     distributions (not through the rollups);
#   - markdown for Slack and HTML render the same report; weekly and monthly
#     reports cover their days;
#   - a report without data says so in every section and shows no zero
#     (exit 3);
#   - report.yaml: deploy/report.yaml is the defaults, a section can be
#     switched off, a bad file names its line;
#   - bad days, zones, selectors and paths say what is wrong.
source "${VIGIL_SOURCE_DIR:?run this test with ctest}/tests/helpers/testlib.sh"
source "$VIGIL_SOURCE_DIR/tests/helpers/fixture.sh"
fixture_load vigil_test_report
fixture_alerts
db=$FIXTURE_URL
D=$FIXTURE_DAY
TZ_=$FIXTURE_TZ
run 0 event add deploy --db "$db" --service chat-api --version 1.4.3 --at "$D 10:30 $TZ_" \
    --note "faster personas"

# --- every section against the raw data ------------------------------------------------------
run 0 report daily --db "$db" --date "$D" --tz "$TZ_" --format json --out "$tmp/daily.json"
[[ ! -s "$tmp/out" ]] || fail "--out also wrote to stdout"
python3 "$VIGIL_SOURCE_DIR/tests/helpers/report_check.py" "$db" "$D" "$TZ_" "$tmp/daily.json"

# --- markdown for Slack ----------------------------------------------------------------------
run 0 report daily --db "$db" --date "$D" --tz "$TZ_" --where 'service="chat-api"'
md=$tmp/out
expect "$md" "*Daily report · $D ($TZ_)* · \`service=\"chat-api\"\`"
expect "$md" "*Summary:* requests "
expect "$md" "*Requests and success rate*"
expect "$md" "*Response time*"
expect "$md" "• P95: *1.95 s*"
expect "$md" "*Peak concurrent users*"
expect "$md" "*By endpoint*"
expect "$md" "*By hour*"
expect "$md" "• $D 10:30  chat-api 1.4.3 — faster personas"
# The alerts of chat-api (tests/helpers/fixture_alerts.sql): 5 fired, 3 acknowledged after
# 12, 3.5 and 25 minutes, one resolved unacknowledged, one still firing.
expect "$md" "*Alerts*"
expect "$md" "• Fired: *5*"
expect "$md" "• Acknowledged: *3*"
expect "$md" "• Acknowledged share: *60.00 %*"
expect "$md" "• Time to acknowledge (average): *13m 30s*"
expect "$md" "• Time to acknowledge (median): *12m 00s*"
expect "$md" "• Time to acknowledge (longest): *25m 00s*"
expect "$md" "• Resolved without an ack: *1*"
expect "$md" "• Still firing: *1*"
! grep -q "DiskFull\|HostDown" "$md" || fail "alerts of another service or none are in chat-api's report"
expect "$md" "ApiErrorRateWarning"
expect "$md" "⚠ P95 rose 3 weeks in a row: 1.80 s → 1.95 s"
[[ $(grep -c '^```$' "$md") -ge 8 ]] || fail "tables are not in code blocks"
! grep -q '^|' "$md" || fail "markdown tables do not show in Slack"
echo "markdown: sections, summary, tables in code blocks, the drift warning"

# --- HTML: one page, charts inline -------------------------------------------------------------
run 0 report daily --db "$db" --date "$D" --tz "$TZ_" --format html --out "$tmp/daily.html"
html=$tmp/daily.html
[[ $(grep -o '<svg ' "$html" | wc -l) -eq 5 ]] || fail "expected 5 charts"
! grep -qiE '<script|src=|href=|url\(' "$html" || fail "the page refers to something outside it"
expect "$html" "default-src 'none'"
expect "$html" 'class="deploy"'
expect "$html" 'data-section="alerts"'
expect "$html" "Time to acknowledge (median)"
echo "html: 5 inline SVG charts, the alerts, no script, nothing fetched"

# --- weekly and monthly ---------------------------------------------------------------------------
run 0 report weekly --db "$db" --date "$D" --tz "$TZ_" --format json
days=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); t=d["sections"]["by_time"]["tables"]["by_time"]["rows"]; print(len(t), d["period"]["first_day"], d["sections"]["requests"]["figures"]["requests"]["value"] > 0, len(d["charts"][0]["points"]))' "$tmp/out")
[[ "$days" =~ ^7\ [0-9-]+\ True\ 28$ ]] || fail "weekly: $days"
monday=$(python3 -c 'import datetime,sys; d=datetime.date.fromisoformat(sys.argv[1]); print(d - datetime.timedelta(days=d.weekday()))' "$D")
[[ "$days" == "7 $monday True 28" ]] || fail "weekly: $days, expected the week of $monday"
run 0 report monthly --db "$db" --date "$D" --tz "$TZ_" --format json
month=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["period"]["first_day"], len(d["sections"]["by_time"]["tables"]["by_time"]["rows"]))' "$tmp/out")
want=$(python3 -c 'import calendar,datetime,sys; d=datetime.date.fromisoformat(sys.argv[1]); print(d.replace(day=1), calendar.monthrange(d.year, d.month)[1])' "$D")
[[ "$month" == "$want" ]] || fail "monthly: $month, expected $want"
echo "weekly: 7 days from Monday $monday, 28 chart points; monthly: $month"

# --- no data: every section says so, never a zero ---------------------------------------------
run 3 report daily --db "$db" --date "$D" --tz "$TZ_" --where 'service="nope"' --format json
python3 - "$tmp/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for sid, s in d["sections"].items():
    if not s["none"]:
        sys.exit(f"FAIL: section {sid} has no reason for showing nothing: {s}")
    if s["figures"] or any(t["rows"] for t in s["tables"].values()):
        sys.exit(f"FAIL: section {sid} shows figures without data: {s}")
for c in d["charts"]:
    if any(v is not None for p in c["points"] for v in p["values"]):
        sys.exit(f"FAIL: chart {c['id']} has values without data")
PY
expect "$tmp/err" "no data for $D .. $D matching service=\"nope\""
run 3 report daily --db "$db" --date "$D" --tz "$TZ_" --where 'service="nope"'
expect "$tmp/out" "*Response time* — _no data: api_request_duration_seconds has nothing for service=\"nope\""
! grep -qE ': \*0\*|: \*0\.00' "$tmp/out" || fail "a zero shown without data: $(cat "$tmp/out")"
echo "no data: every section says why, no zero, exit 3"

# --- report.yaml ---------------------------------------------------------------------------------
run 0 report daily --db "$db" --date "$D" --tz "$TZ_" --format json \
    --definition "$VIGIL_SOURCE_DIR/deploy/report.yaml"
# The same report but for when it was made; figures summed by PostgreSQL may
# differ in their last bits when a plan changes between the two runs (the
# statistics autovacuum gathers on the fixture's fresh tables).
python3 - "$tmp/out" "$tmp/daily.json" <<'PY' || fail "deploy/report.yaml does not give the defaults"
import json, math, sys
def same(a, b, path):
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
                math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
            return
    elif isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            sys.exit(f"{path}: keys {sorted(a)} against {sorted(b)}")
        for k in a:
            if k != "generated_at":
                same(a[k], b[k], f"{path}{k}.")
        return
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}{i}.")
        return
    elif a == b:
        return
    sys.exit(f"{path}: {a!r} against {b!r}")
same(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), ".")
PY
cat >"$tmp/report.yaml" <<'YAML'
users:
  metric: ""
latency:
  metric: api_chat_duration_seconds
breakdowns:
  - label: host
    latency: api_request_duration_seconds
YAML
run 0 report daily --db "$db" --date "$D" --tz "$TZ_" --definition "$tmp/report.yaml"
expect "$tmp/out" "*Peak concurrent users* — _not configured: report.yaml sets no users.metric_"
expect "$tmp/out" "*By host*"
expect "$tmp/out" "api-1 "
printf 'latency:\n  metric: x\n  unit: minutes\n' >"$tmp/bad.yaml"
run 2 report daily --db "$db" --definition "$tmp/bad.yaml"
expect "$tmp/err" "bad.yaml:3: latency.unit: expected s or ms, not \"minutes\""
printf 'latency:\n  metrc: x\n' >"$tmp/bad.yaml"
run 2 report daily --db "$db" --definition "$tmp/bad.yaml"
expect "$tmp/err" "bad.yaml:2: latency.metrc"
echo "report.yaml: defaults, a section off, a breakdown by host, errors with their line"

# --- what a person can get wrong ------------------------------------------------------------------
run 2 report hourly --db "$db"
expect "$tmp/err" 'a report is daily, weekly or monthly, not "hourly"'
run 2 report daily --db "$db" --tz Mars/Olympus
expect "$tmp/err" "Mars/Olympus"
run 2 report daily --db "$db" --date 2025-13-45
expect "$tmp/err" "2025-13-45"
run 2 report daily --db "$db" --where 'service=chat-api'
expect "$tmp/err" "cannot read the selector"
run 2 report daily --db "$db" --format pdf
expect "$tmp/err" "--format is md, json or html"
run 1 report daily --db "$db" --date "$D" --tz "$TZ_" --out "$tmp/no/such/dir/r.md"
expect "$tmp/err" "cannot write $tmp/no/such/dir/r.md"
[[ ! -e "$tmp/no/such/dir/r.md" ]] || fail "a partial file was left"
run 0 report --help
expect "$tmp/out" "usage: vigil report daily|weekly|monthly"
echo "test_report: ok"
