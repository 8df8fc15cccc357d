#!/usr/bin/env bash
# test_pages_browser.sh - the HTML report and the status page opened in
# headless Chromium (Debian's chromium): each is screenshotted, and the DOM
# Chromium built is checked for the charts (SVG with their data points, the
# deploy marker) and for anything it would fetch or run; Chromium's own log
# must show nothing refused or failed to load. The status page shows the
# hosts, the firing alerts of vigil.alerts, and the last 24 hours.
source "${VIGIL_SOURCE_DIR:?run this test with ctest}/tests/helpers/testlib.sh"
browser=$(command -v chromium || command -v chromium-browser || true)
[[ -n "$browser" ]] || fail "chromium is not installed (apt-get install chromium)"

source "$VIGIL_SOURCE_DIR/tests/helpers/fixture.sh"
fixture_load vigil_test_pages
db=$FIXTURE_URL
"$vigil" event add deploy --db "$db" --service chat-api --version 1.4.3 \
    --at "$FIXTURE_DAY 10:30 $FIXTURE_TZ" >/dev/null
"$vigil" event add deploy --db "$db" --service chat-api --version 1.4.4 --at -2h >/dev/null

# Alerts belong to the rules engine; where its table is not there yet, one
# shaped as its alerts are (name, severity, state, since) stands in.
if [[ "$(q "$db" -c "SELECT to_regclass ('vigil.alerts') IS NULL")" == t ]]; then
    q "$db" <<'SQL'
CREATE TABLE vigil.alerts (alertname text, severity text, state text, active_at timestamptz,
                           resolved_at timestamptz, labels jsonb);
INSERT INTO vigil.alerts VALUES
    ('HighP95Latency', 'warning', 'firing', now () - interval '20 minutes', NULL, '{"service": "chat-api"}'),
    ('MemoryHigh', 'critical', 'firing', now () - interval '3 hours', now () - interval '1 hour', '{}');
SQL
fi

# browser PAGE NAME: screenshot and DOM of a local file, Chromium's log kept.
browser_open() {
    local page=$1 name=$2
    local flags=(--headless --no-sandbox --disable-gpu --disable-background-networking
        --user-data-dir="$tmp/chrome-$name" --enable-logging=stderr --v=0
        --window-size=1024,2400)
    timeout 120 "$browser" "${flags[@]}" --screenshot="$tmp/$name.png" "file://$page" \
        >"$tmp/$name.shot.log" 2>&1 || fail "chromium could not screenshot $page: $(tail -5 "$tmp/$name.shot.log")"
    timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$page" \
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
browser_open "$tmp/report.html" report
python3 "$VIGIL_SOURCE_DIR/tests/helpers/page_check.py" "$tmp/report.dom.html" 5 \
    latency requests error_rate memory cpu
grep -q 'class="deploy"' "$tmp/report.dom.html" || fail "no deploy marker in the report"
grep -q '⚠ P95 rose 3 weeks in a row' "$tmp/report.dom.html" || fail "no drift warning in the report"

"$VIGIL_BUILD_DIR/tests/vigil-status-page" --db "$db" --out "$tmp/status.html"
browser_open "$tmp/status.html" status
python3 "$VIGIL_SOURCE_DIR/tests/helpers/page_check.py" "$tmp/status.dom.html" 5 latency memory
dom=$tmp/status.dom.html
grep -q '<h2>Hosts (2)</h2>' "$dom" || fail "the status page lacks its hosts"
grep -q '<td>api-1</td>' "$dom" || fail "the status page lacks api-1"
grep -q '<td>HighP95Latency</td><td>warning</td><td>firing</td>' "$dom" ||
    fail "the firing alert is not shown"
! grep -q 'MemoryHigh' "$dom" || fail "a resolved alert is shown as active"
grep -q '1.4.4' "$dom" || fail "no marker for the deploy of two hours ago"
echo "test_pages_browser: ok"
