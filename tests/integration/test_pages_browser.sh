#!/usr/bin/env bash
# test_pages_browser.sh - the HTML report and the status page opened in
# headless Chromium (Debian's chromium): each is screenshotted, and the DOM
# Chromium built is checked for the charts (SVG with their data points, the
# deploy marker) and for anything it would fetch or run; Chromium's own log
# must show nothing refused or failed to load. The status page is the live
# one, served at / by the real vigil-collector: the hosts, the alert its
# rules engine fires (vigil.alerts), and the last 24 hours.
source "${VIGIL_SOURCE_DIR:?run this test with ctest}/tests/helpers/testlib.sh"
browser=$(command -v chromium || command -v chromium-browser || true)
[[ -n "$browser" ]] || fail "chromium is not installed (apt-get install chromium)"

source "$VIGIL_SOURCE_DIR/tests/helpers/fixture.sh"
# The status page charts the last 24 hours: the fixture's day (23:00 the day
# before to midnight, Seoul time) is the one of 12 hours ago, so that at
# least 12 of those hours hold data at any time of day. Yesterday's day
# would leave none in Seoul's last hour.
fixture_load vigil_test_pages "$(TZ=Asia/Seoul date -d '12 hours ago' +%F)"
db=$FIXTURE_URL
"$vigil" event add deploy --db "$db" --service chat-api --version 1.4.3 \
    --at "$FIXTURE_DAY 10:30 $FIXTURE_TZ" >/dev/null
"$vigil" event add deploy --db "$db" --service chat-api --version 1.4.4 --at -2h >/dev/null

# A resolved alert, as the rules engine leaves one in vigil.alerts: not on the page.
q "$db" <<'SQL'
INSERT INTO vigil.alerts (rule_key, rule_group, alertname, fingerprint, labels, state, expr,
                          active_at, fired_at, resolved_at)
VALUES ('mem/MemoryHigh', 'mem', 'MemoryHigh', '00000000000000aa',
        '{"alertname": "MemoryHigh", "severity": "critical"}', 'resolved', 'x > 1',
        now () - interval '3 hours', now () - interval '3 hours', now () - interval '1 hour');
SQL
# The real collector serves the page, and its rules engine fires an alert.
cat >"$tmp/page.rules.yml" <<'YAML'
groups:
  - name: page
    interval: 1s
    rules:
      - alert: HighP95Latency
        expr: vector(1) > 0
        labels: {severity: warning, service: chat-api}
        annotations: {summary: "P95 above 3 s on chat-api"}
YAML
source "$VIGIL_SOURCE_DIR/tests/helpers/http_collector.sh"
http_collector_start pages "$db" "rule_files: [$tmp/page.rules.yml]"
for _ in $(seq 1 100); do
    [[ "$(q "$db" -c "SELECT count (*) FROM vigil.alerts WHERE state = 'firing'")" == 1 ]] && break
    sleep 0.2
done
[[ "$(q "$db" -c "SELECT alertname FROM vigil.alerts WHERE state = 'firing'")" == HighP95Latency ]] ||
    fail "the rules engine did not fire HighP95Latency: $(tail -5 "$http_log")"

# browser URL NAME: screenshot and DOM of a page, Chromium's log kept.
browser_open() {
    local page=$1 name=$2
    local flags=(--headless --no-sandbox --disable-gpu --disable-background-networking
        --user-data-dir="$tmp/chrome-$name" --enable-logging=stderr --v=0
        --window-size=1024,2400)
    timeout 120 "$browser" "${flags[@]}" --screenshot="$tmp/$name.png" "$page" \
        >"$tmp/$name.shot.log" 2>&1 || fail "chromium could not screenshot $page: $(tail -5 "$tmp/$name.shot.log")"
    timeout 120 "$browser" "${flags[@]}" --dump-dom "$page" \
        >"$tmp/$name.dom.html" 2>"$tmp/$name.dom.log" || fail "chromium could not load $page"
    [[ -s "$tmp/$name.png" ]] || fail "no screenshot of $page"
    [[ "$(head -c 4 "$tmp/$name.png" | od -An -c | tr -d ' ')" == "211PNG" ]] || fail "$name.png is not a PNG"
    if grep -hiE "Refused to|Failed to load|net::ERR_|Uncaught|Content Security Policy" \
        "$tmp/$name.shot.log" "$tmp/$name.dom.log"; then
        fail "chromium refused or failed to load something in $page"
    fi
}

"$vigil" report daily --db "$db" --date "$FIXTURE_DAY" --tz "$FIXTURE_TZ" --format html \
    --out "$tmp/report.html"
browser_open "file://$tmp/report.html" report
python3 "$VIGIL_SOURCE_DIR/tests/helpers/page_check.py" "$tmp/report.dom.html" 5 \
    latency requests error_rate memory cpu
grep -q 'class="deploy"' "$tmp/report.dom.html" || fail "no deploy marker in the report"
grep -q '⚠ P95 rose 3 weeks in a row' "$tmp/report.dom.html" || fail "no drift warning in the report"

[[ "$(http_req GET "http://127.0.0.1:$http_port/")" == 200 ]] || fail "GET / answered $(cat "$tmp/http.body")"
grep -qi '^Content-Type: text/html; charset=utf-8' "$tmp/http.headers" || fail "/ is not HTML: $(cat "$tmp/http.headers")"
browser_open "http://127.0.0.1:$http_port/" status
python3 "$VIGIL_SOURCE_DIR/tests/helpers/page_check.py" "$tmp/status.dom.html" 5 latency memory
dom=$tmp/status.dom.html
grep -q '<h2>Hosts (2)</h2>' "$dom" || fail "the status page lacks its hosts"
grep -q '<td>api-1</td>' "$dom" || fail "the status page lacks api-1"
grep -q '<h2>Active alerts (1)</h2>' "$dom" || fail "the page does not count one open alert"
grep -q '<td>HighP95Latency</td><td>warning</td><td>firing</td>' "$dom" ||
    fail "the firing alert is not shown"
grep -q '<td>P95 above 3 s on chat-api</td><td>service=chat-api</td>' "$dom" ||
    fail "the alert's labels and summary are not shown: $(grep -o "<tr class=.bad.>.*</tr>" "$dom")"
! grep -q 'MemoryHigh' "$dom" || fail "a resolved alert is shown as active"
grep -q '1.4.4' "$dom" || fail "no marker for the deploy of two hours ago"
# A selector narrows the charts; one that cannot be read is refused with the reason.
[[ "$(http_req GET "http://127.0.0.1:$http_port/?where=service%3D%22chat-api%22")" == 200 ]] ||
    fail "GET /?where= answered $(cat "$tmp/http.body")"
grep -q 'service=&quot;chat-api&quot;' "$tmp/http.body" || fail "the page does not say its selector"
[[ "$(http_req GET "http://127.0.0.1:$http_port/?where=service%3Dchat")" == 400 ]] ||
    fail "a bad selector was not refused: $(cat "$tmp/http.body")"
grep -q 'cannot read the selector' "$tmp/http.body" || fail "no reason for the refusal"
[[ "$(http_req GET "http://127.0.0.1:$http_port/nowhere")" == 404 ]] || fail "GET /nowhere is not 404"
http_collector_stop
echo "test_pages_browser: ok"
