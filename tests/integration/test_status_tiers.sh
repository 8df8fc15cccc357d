#!/usr/bin/env bash
# test_status_tiers.sh - `vigil status` says how much each storage tier holds:
# the days, partitions and bytes of raw samples, per-minute and per-hour
# rollups, as text and as JSON, against a real PostgreSQL with the real schema;
# and so does the real collector's /metrics, from what its retention thread
# measured (not a query per scrape).
source "${VIGIL_SOURCE_DIR:?run this test with ctest}/tests/helpers/testlib.sh"
base=${cluster%/*}
sql() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

sql "$cluster" -c "DROP DATABASE IF EXISTS vigil_status_tiers WITH (FORCE)" \
    -c "CREATE DATABASE vigil_status_tiers"
url=$base/vigil_status_tiers
sql "$url" -c "CREATE SCHEMA vigil"
for f in $(ls "$VIGIL_SOURCE_DIR"/collector/sql/*.sql | sort); do sql "$url" -f "$f" >/dev/null; done
sql "$url" <<'SQL'
INSERT INTO vigil.hosts (agent_id, hostname) VALUES ('agent-t', 'tiers-1');
SELECT vigil.ensure_partitions (d::date)
  FROM generate_series (date '2025-03-01', date '2025-03-03', '1 day') d;
SELECT vigil.ensure_rollup_partitions (d::date)
  FROM generate_series (date '2025-02-27', date '2025-03-03', '1 day') d;
INSERT INTO vigil.samples SELECT 1, timestamptz '2025-03-01 00:00+00' + g * interval '1 second', 1, g
  FROM generate_series (1, 5000) g;
ANALYZE vigil.samples;
SQL

"$vigil" status --db "$url" >"$tmp/out"
cat "$tmp/out"
grep -qE '^  raw +3 days \(2025-03-01 \.\. 2025-03-04\) in 6 partitions, [0-9.]+ kB, about 5000 rows$' \
    "$tmp/out" || fail "no raw tier line"
grep -qE '^  minute +5 days \(2025-02-27 \.\. 2025-03-04\) in 5 partitions, ' "$tmp/out" ||
    fail "no minute tier line"
grep -qE '^  hour +59 days \(2025-02-01 \.\. 2025-04-01\) in 2 partitions, ' "$tmp/out" ||
    fail "no hour tier line"

"$vigil" status --db "$url" --json >"$tmp/json"
j=$(cat "$tmp/json")
got=$(sql "$url" -v j="$j" <<<"SELECT string_agg (t->>'tier' || ':' || (t->>'partitions') || ':' || (t->>'oldest'), ' ')
  FROM jsonb_array_elements ((:'j')::jsonb -> 'storage') t")
[[ "$got" == "raw:6:2025-03-01 minute:5:2025-02-27 hour:2:2025-02-01" ]] || fail "JSON storage: $got"
bytes=$(sql "$url" -v j="$j" <<<"SELECT (:'j')::jsonb -> 'storage' -> 0 ->> 'bytes'")
((bytes > 0)) || fail "raw bytes: $bytes"
echo "vigil status: every tier, as text and JSON"

# --- /metrics of the real collector (retention off: it keeps the March days) ----------------------
# Its own database, whose schema the collector makes; then the March days as above.
source "$VIGIL_SOURCE_DIR/tests/helpers/http_collector.sh"
sql "$cluster" -c "DROP DATABASE IF EXISTS vigil_status_tiers_http WITH (FORCE)" \
    -c "CREATE DATABASE vigil_status_tiers_http"
url=$base/vigil_status_tiers_http
retention="retention_raw: 0
retention_minute: 90d
retention_hour: 0"
http_collector_start tiers "$url" "$retention"
http_collector_stop
sql "$url" <<'SQL'
INSERT INTO vigil.hosts (agent_id, hostname) VALUES ('agent-t', 'tiers-1');
SELECT vigil.ensure_partitions (d::date)
  FROM generate_series (date '2025-03-01', date '2025-03-03', '1 day') d;
INSERT INTO vigil.samples
SELECT h.host_id, timestamptz '2025-03-01 00:00+00' + g * interval '1 second', 1, g
  FROM generate_series (1, 5000) g, vigil.hosts h;
ANALYZE vigil.samples;
SQL
http_collector_start tiers "$url" "$retention"
metric() { sed -n "s/^$1{tier=\"$2\"} //p" "$tmp/http.body"; }
for _ in $(seq 1 100); do
    [[ "$(http_req GET "http://127.0.0.1:$http_port/metrics")" == 200 ]] || fail "GET /metrics"
    grep -q '^vigil_storage_tiers_measured_timestamp_seconds ' "$tmp/http.body" && break
    sleep 0.1
done
grep -q '^# TYPE vigil_storage_tier_bytes gauge$' "$tmp/http.body" || fail "no storage tiers in /metrics: $(tail -5 "$http_log")"
promtool check metrics <"$tmp/http.body" || fail "promtool finds fault with /metrics"
# What the collector measured is what vigil.storage_tiers () says now (the collector made today's
# partitions and the two days ahead at start, before it measured).
while IFS='|' read -r tier parts bytes rows oldest; do
    [[ "$(metric vigil_storage_tier_partitions "$tier")" == "$parts" ]] ||
        fail "$tier: /metrics says $(metric vigil_storage_tier_partitions "$tier") partitions, the database $parts"
    [[ "$(metric vigil_storage_tier_oldest_timestamp_seconds "$tier")" == "$oldest" ]] ||
        fail "$tier: oldest $(metric vigil_storage_tier_oldest_timestamp_seconds "$tier") vs $oldest"
    got=$(metric vigil_storage_tier_bytes "$tier")
    ((got > 0 && got * 10 >= bytes * 9 && got * 10 <= bytes * 11)) ||
        fail "$tier: /metrics says $got bytes, the database $bytes"
    [[ "$(metric vigil_storage_tier_rows_estimate "$tier")" == "$rows" ]] ||
        fail "$tier: rows $(metric vigil_storage_tier_rows_estimate "$tier") vs $rows"
done < <(sql "$url" -c "SELECT tier, partitions, bytes, rows_estimate, extract (epoch FROM oldest)::bigint
                        FROM vigil.storage_tiers ()")
[[ "$(metric vigil_storage_tier_oldest_timestamp_seconds raw)" == "$(date -d '2025-03-01 00:00Z' +%s)" ]] ||
    fail "the raw tier does not start on 2025-03-01"
[[ "$(metric vigil_storage_tier_rows_estimate raw)" == 5000 ]] || fail "raw rows estimate"
[[ "$(metric vigil_storage_tier_retention_seconds raw)" == 0 &&
   "$(metric vigil_storage_tier_retention_seconds minute)" == 7776000 ]] || fail "retention figures"
measured=$(sed -n 's/^vigil_storage_tiers_measured_timestamp_seconds \([0-9]*\)\..*/\1/p' "$tmp/http.body")
(($(date +%s) - measured < 120)) || fail "the tiers were measured at $measured"
# A scrape reads what was measured: a partition made now shows at the next measurement, not at once.
parts=$(metric vigil_storage_tier_partitions raw)
sql "$url" -c "SELECT vigil.ensure_partitions (date '2025-02-20')" >/dev/null
http_req GET "http://127.0.0.1:$http_port/metrics" >/dev/null
[[ "$(metric vigil_storage_tier_partitions raw)" == "$parts" ]] || fail "a scrape queried the tiers"
http_collector_stop
echo "/metrics: partitions, bytes, rows and the oldest day of each tier as measured, retention"
echo "test_status_tiers: ok"
