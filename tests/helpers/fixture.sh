# fixture.sh - sourced by integration tests: a database holding the fixture
# day of a FastAPI-style service (tests/helpers/programs/vigil-fixture-day.c),
# stored by the real vigil-collector over ZeroMQ, rollups written.
#
#   source "$VIGIL_SOURCE_DIR/tests/helpers/fixture.sh"
#   fixture_load vigil_test_report [DAY]  # sets FIXTURE_URL, FIXTURE_DAY, FIXTURE_TZ
#
# FIXTURE_DAY is DAY, or else yesterday in Asia/Seoul (FIXTURE_TZ), so that
# its four weeks of history are within what the collector accepts (35 days
# back). The collector takes samples up to a day ahead, so DAY may be today.
# Needs VIGIL_BUILD_DIR and VIGIL_TEST_PG_DIR (ctest sets them) and a
# temporary directory in $tmp.

fixture_load() {
    local name=$1 cluster endpoint pid rc=0
    cluster=$(cat "$VIGIL_TEST_PG_DIR/url")
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$cluster" \
        -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name"
    FIXTURE_URL=${cluster%/*}/$name
    FIXTURE_TZ=Asia/Seoul
    FIXTURE_DAY=${2:-$(TZ=$FIXTURE_TZ date -d yesterday +%F)}
    # Port 0: the collector picks a free one and says which in its log.
    printf 'listen: tcp://127.0.0.1:*\ndatabase_url: "%s"\nrollup_flush_interval: 1s\n' \
        "$FIXTURE_URL" >"$tmp/fixture-collector.yaml"
    "$VIGIL_BUILD_DIR/collector/vigil-collector" -c "$tmp/fixture-collector.yaml" \
        >"$tmp/fixture-collector.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
        endpoint=$(sed -n 's/.*listening on \(tcp:[^ ]*\) for agents.*/\1/p' "$tmp/fixture-collector.log")
        [[ -n "$endpoint" ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z "$endpoint" ]]; then
        cat "$tmp/fixture-collector.log" >&2
        echo "FAIL: the collector did not start" >&2
        exit 1
    fi
    "$VIGIL_BUILD_DIR/tests/vigil-fixture-day" --endpoint "$endpoint" \
        --day "$FIXTURE_DAY" --utc-offset-hours 9 >"$tmp/fixture.out" || rc=$?
    # A clean stop writes every rollup left in memory.
    kill -TERM "$pid"
    wait "$pid" || rc=$?
    if [[ $rc -ne 0 ]]; then
        cat "$tmp/fixture-collector.log" >&2
        echo "FAIL: the fixture could not be stored (exit $rc)" >&2
        exit 1
    fi
    cat "$tmp/fixture.out"
}

# fixture_alerts: the fixture day's alerts and acks (fixture_alerts.sql) in
# FIXTURE_URL, after fixture_load.
fixture_alerts() {
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 \
        -v day="$FIXTURE_DAY" -v tz="$FIXTURE_TZ" "$FIXTURE_URL" \
        -f "$VIGIL_SOURCE_DIR/tests/helpers/fixture_alerts.sql"
}
