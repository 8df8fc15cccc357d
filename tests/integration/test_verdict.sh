#!/usr/bin/env bash
# test_verdict.sh - `vigil verdict` on the fixture day, stored by the real
# collector in a real PostgreSQL: the three answers and their exit statuses
# (APPROVE 0, EXTEND 10 for a window not over, too little traffic, a
# criterion to watch; ROLLBACK 20 naming the criterion), the table of
# target, actual and pass (actuals checked against the raw samples), every
# verdict kept (as vigil_reader too) and listed by --history; bad criteria
# name their line.
source "${VIGIL_SOURCE_DIR:?run this test with ctest}/tests/helpers/testlib.sh"
jq_() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

reader_role
source "$VIGIL_SOURCE_DIR/tests/helpers/fixture.sh"
fixture_load vigil_test_verdict
db=$FIXTURE_URL
alice=${db/postgres@/vigil_test_alice@}
D=$FIXTURE_DAY
since="$D 00:00 $FIXTURE_TZ"
crit=$VIGIL_SOURCE_DIR/deploy/criteria.yaml

# --- APPROVE: the fixture day passes the checklist's table ---------------------------------------
run 0 verdict --db "$alice" --since "$since" --criteria "$crit" --where 'service="chat-api"'
expect "$tmp/out" "APPROVE: all 4 criteria pass over 24 h"
expect "$tmp/out" "peak concurrent users  >= 20         31          ✅"
expect "$tmp/out" "memory peak            < 900 MB      850 MB      ✅"
expect "$tmp/out" "exit status 0"
run 0 verdict --db "$db" --since "$since" --json
json=$tmp/approve.json
cp "$tmp/out" "$json"
[[ "$(jq_ "$json" 'd["verdict"], d["exit_status"], [c["pass"] for c in d["criteria"]]')" == "APPROVE 0 [True, True, True, True]" ]] ||
    fail "approve JSON: $(cat "$json")"
# The actuals, from the raw samples.
raw=$(q "$db" <<SQL
WITH p AS (SELECT * FROM vigil.report_period ('daily', date '$D', '$FIXTURE_TZ')),
     c AS (SELECT s.labels->>'status_code' AS st, x.value,
                  lag (x.value) OVER (PARTITION BY x.host_id, x.series_id ORDER BY x.ts) AS prev, x.ts
             FROM vigil.samples x JOIN vigil.series s USING (host_id, series_id)
            WHERE s.metric = 'api_requests_total'),
     inc AS (SELECT sum (CASE WHEN prev IS NULL OR value < prev THEN value ELSE value - prev END)
                        FILTER (WHERE st ~ '^5') AS e,
                    sum (CASE WHEN prev IS NULL OR value < prev THEN value ELSE value - prev END) AS n
               FROM c, p WHERE c.ts >= p.period_from AND c.ts < p.period_to)
SELECT (SELECT e / n FROM inc),
       (SELECT max (x.value) FROM vigil.samples x JOIN vigil.series s USING (host_id, series_id), p
         WHERE s.metric = 'process_rss_bytes' AND x.ts >= p.period_from AND x.ts < p.period_to)
SQL
)
got=$(jq_ "$json" '"%.12f|%.0f" % (d["criteria"][1]["actual"], d["criteria"][3]["actual"])')
want=$(python3 -c "import sys; e, m = sys.argv[1].split('|'); print('%.12f|%.0f' % (float(e), float(m)))" "$raw")
[[ "$got" == "$want" ]] || fail "actuals: $got, raw samples: $want"
echo "approve: exit 0, error rate and memory peak as the raw samples ($want)"

# --- ROLLBACK: a criterion that fails, named ----------------------------------------------------
cat >"$tmp/strict.yaml" <<'YAML'
criteria:
  - {name: error rate, measure: error_rate, op: "<", target: 1%}
  - {name: memory peak, measure: memory_peak_bytes, op: "<", target: 800MB}
  - {name: p95, measure: p95_response_seconds, op: "<", target: 2s}
YAML
run 20 verdict --db "$db" --since "$since" --criteria "$tmp/strict.yaml"
expect "$tmp/out" "ROLLBACK: error rate 2.93 % is not < 1.00 %; memory peak 850 MB is not < 800 MB"
expect "$tmp/out" "❌ rollback"
grep -qE "^p95 +< 2.00 s +1.95 s +✅$" "$tmp/out" || fail "p95 row: $(cat "$tmp/out")"
echo "rollback: exit 20, naming error rate and memory peak"

# --- EXTEND: the window is not over ---------------------------------------------------------------
run 0 event add deploy --db "$db" --service chat-api --version 1.5.0 --at -1h
run 10 verdict --db "$db" --deploy latest --criteria "$crit"
expect "$tmp/out" "EXTEND for 23 h: the window is not over: 1.0 h of 24 h judged; ask again after"
expect "$tmp/out" "from deploy 1 (chat-api 1.5.0)"
expect "$tmp/out" 'service="chat-api"'
# ... too little traffic yet ...
printf 'min_requests: 1000000\n' >"$tmp/busy.yaml"
run 10 verdict --db "$db" --since "$since" --criteria "$tmp/busy.yaml" --json
[[ "$(jq_ "$tmp/out" 'd["verdict"], d["extend_seconds"], d["reason"]')" == "EXTEND 86400 too little traffic yet: 84,000 requests in 24 h, fewer than 1000000" ]] ||
    fail "too little traffic: $(cat "$tmp/out")"
# ... a criterion to keep watching (on_fail: extend), not a rollback.
cat >"$tmp/users.yaml" <<'YAML'
extend: 48h
criteria:
  - {name: peak concurrent users, measure: peak_concurrent_users, op: ">=", target: 100, on_fail: extend}
  - {name: error rate, measure: error_rate, op: "<", target: 5%}
YAML
run 10 verdict --db "$db" --since "$since" --criteria "$tmp/users.yaml"
expect "$tmp/out" "EXTEND for 48 h: peak concurrent users 31 is not >= 100"
expect "$tmp/out" "❌ extend"
echo "extend: exit 10 for a window not over, too little traffic, a criterion to watch"

# --- every verdict kept; --history -----------------------------------------------------------------
run 0 verdict --db "$db" --since "$since" --no-store
[[ "$(q "$db" -c "SELECT string_agg (verdict || ':' || exit_status, ',' ORDER BY verdict_id) FROM vigil.verdicts")" == \
    "APPROVE:0,APPROVE:0,ROLLBACK:20,EXTEND:10,EXTEND:10,EXTEND:10" ]] ||
    fail "verdicts kept: $(q "$db" -c "SELECT string_agg (verdict, ',' ORDER BY verdict_id) FROM vigil.verdicts")"
[[ "$(q "$db" -c "SELECT criteria->1->>'actual' IS NOT NULL AND (criteria->1->>'pass')::boolean FROM vigil.verdicts WHERE verdict_id = 1")" == t ]] ||
    fail "the first verdict's criteria were not kept"
[[ "$(q "$db" -c "SELECT extract (epoch FROM extend_by) FROM vigil.verdicts WHERE verdict_id = 6")" == 172800.000000 ]] ||
    fail "extend_by not kept"
run 0 verdict --db "$alice" --history
expect "$tmp/out" "ID    DECIDED (UTC)         VERDICT"
[[ $(grep -c . "$tmp/out") == 7 ]] || fail "history: $(cat "$tmp/out")"
run 0 verdict --db "$db" --history --limit 2 --json
[[ "$(jq_ "$tmp/out" '[v["id"] for v in d["verdicts"]]')" == "[6, 5]" ]] || fail "history JSON: $(cat "$tmp/out")"
echo "history: 6 verdicts kept (one --no-store left out), newest first"

# --- what a person can get wrong -----------------------------------------------------------------------
run 2 verdict --db "$db"
expect "$tmp/err" "give --since TIME or --deploy latest|ID"
run 2 verdict --db "$db" --since -1h --deploy latest
run 2 verdict --db "$db" --since -1h --window soon
expect "$tmp/err" "--window takes a duration"
printf 'criteria:\n  - {measure: error_rate, op: "<", target: 5}\n' >"$tmp/bad.yaml"
run 2 verdict --db "$db" --since -1h --criteria "$tmp/bad.yaml"
expect "$tmp/err" 'bad.yaml:2: criteria[0].target: error_rate is a share: 5% or 0.05, not "5"'
printf 'criteria:\n  - {measure: happiness, op: "<", target: 5}\n' >"$tmp/bad.yaml"
run 2 verdict --db "$db" --since -1h --criteria "$tmp/bad.yaml"
expect "$tmp/err" 'unknown measure "happiness"'
run 2 verdict --db "$db" --deploy 999
expect "$tmp/err" "no deploy 999"
echo "test_verdict: ok"
