#!/usr/bin/env bash
# test_status_tiers.sh - `vigil status` says how much each storage tier holds:
# the days, partitions and bytes of raw samples, per-minute and per-hour
# rollups, as text and as JSON, against a real PostgreSQL with the real schema.
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
echo "test_status_tiers: ok"
