#!/usr/bin/env bash
# test_sql.sh - the SQL interface (docs/sql.md) against a real PostgreSQL
# holding the fixture day, stored by the real collector:
#   - every `sql` example of docs/sql.md runs and returns rows, as
#     vigil_reader, which cannot write;
#   - the functions' figures equal those computed here from the raw samples
#     and distributions (counter increases with a reset, quantiles merged
#     from sketches, gauge figures), per label and per local hour;
#   - a 30-day window reads hour rows, not minutes; a window with ragged ends
#     reads minutes there and gives what minutes alone give;
#   - a bad selector says where it went wrong.
source "${VIGIL_SOURCE_DIR:?run this test with ctest}/tests/helpers/testlib.sh"
# The read-only role, before the migrations grant it what it may read.
reader_role

source "$VIGIL_SOURCE_DIR/tests/helpers/fixture.sh"
fixture_load vigil_test_sql
fixture_alerts
db=$FIXTURE_URL
alice=${db/postgres@/vigil_test_alice@}
period="vigil.report_period ('daily', date '$FIXTURE_DAY', '$FIXTURE_TZ')"

# --- every example of docs/sql.md, as vigil_reader ------------------------------
awk '/^```sql$/ { n++; out = sprintf ("'"$tmp"'/example-%02d.sql", n); inside = 1; next }
     /^```/ { inside = 0 } inside { print > out }' "$VIGIL_SOURCE_DIR/docs/sql.md"
examples=("$tmp"/example-*.sql)
((${#examples[@]} >= 15)) || fail "only ${#examples[@]} examples found in docs/sql.md"
for f in "${examples[@]}"; do
    out=$(q "$alice" -f "$f" 2>&1) || fail "docs/sql.md example $(basename "$f") failed: $out
$(cat "$f")"
    [[ -n "$out" ]] || fail "docs/sql.md example $(basename "$f") returned no rows:
$(cat "$f")"
done
echo "docs/sql.md: ${#examples[@]} examples ran as vigil_reader"
if q "$alice" -c "DELETE FROM vigil.samples" 2>"$tmp/err"; then
    fail "vigil_reader could delete samples"
fi
grep -q "permission denied" "$tmp/err" || fail "vigil_reader: $(cat "$tmp/err")"

# --- counters against the raw samples --------------------------------------------
# The raw truth: every step between consecutive samples of a series whose
# later sample is inside the day, a drop being a reset.
raw_increase() { # metric label -> "value increase" lines
    q "$db" <<SQL
WITH x AS (SELECT s.labels->>'$2' AS grp, x.ts, x.value,
                  lag (x.value) OVER (PARTITION BY x.host_id, x.series_id ORDER BY x.ts) AS prev
             FROM vigil.samples x JOIN vigil.series s USING (host_id, series_id)
            WHERE s.metric = '$1')
SELECT x.grp, sum (CASE WHEN x.prev IS NULL THEN x.value
                        WHEN x.value < x.prev THEN x.value ELSE x.value - x.prev END)
  FROM x, $period p WHERE x.ts >= p.period_from AND x.ts < p.period_to
 GROUP BY 1 ORDER BY 1
SQL
}
fn_increase() {
    q "$db" -c "SELECT c.grp, c.increase FROM $period p,
                vigil.counter_increase ('$1', p.period_from, p.period_to, '', '$2') c ORDER BY 1"
}
for pair in api_requests_total:status_code api_requests_total:endpoint \
    api_error_lines_total:error_type llm_tokens:model llm_cost_usd:model; do
    metric=${pair%%:*} label=${pair#*:}
    want=$(raw_increase "$metric" "$label")
    got=$(fn_increase "$metric" "$label")
    # llm_cost_usd adds fractions: compare to a millionth
    cmp=$(q "$db" -v w="$want" -v g="$got" <<'SQL'
SELECT count (*) FROM
  (SELECT split_part (l, '|', 1) AS k, split_part (l, '|', 2)::float8 AS v
     FROM regexp_split_to_table (:'w', E'\n') l) a
  FULL JOIN
  (SELECT split_part (l, '|', 1) AS k, split_part (l, '|', 2)::float8 AS v
     FROM regexp_split_to_table (:'g', E'\n') l) b USING (k)
 WHERE a.v IS NULL OR b.v IS NULL OR abs (a.v - b.v) > 1e-6 * greatest (1, abs (a.v))
SQL
    )
    [[ "$cmp" == 0 ]] || fail "$metric by $label: functions say
$got
raw samples say
$want"
done
echo "counters: increases by label equal the raw samples'"

# Local hours add up to the day, and each equals the raw samples' hour.
cmp=$(q "$db" <<SQL
WITH h AS (SELECT c.bucket, c.increase FROM $period p,
             vigil.counter_increase ('api_requests_total', p.period_from, p.period_to, '', NULL,
                                     '1 hour', '$FIXTURE_TZ') c),
     x AS (SELECT x.ts, x.value,
                  lag (x.value) OVER (PARTITION BY x.host_id, x.series_id ORDER BY x.ts) AS prev
             FROM vigil.samples x JOIN vigil.series s USING (host_id, series_id)
            WHERE s.metric = 'api_requests_total'),
     r AS (SELECT date_trunc ('hour', x.ts, '$FIXTURE_TZ') AS bucket,
                  sum (CASE WHEN x.value < x.prev THEN x.value ELSE x.value - x.prev END) AS increase
             FROM x, $period p WHERE x.ts >= p.period_from AND x.ts < p.period_to GROUP BY 1)
SELECT (SELECT count (*) FROM h), (SELECT count (*) FROM h FULL JOIN r USING (bucket)
                                    WHERE h.increase IS DISTINCT FROM r.increase),
       (SELECT sum (increase) FROM h) = (SELECT vigil.increase ('api_requests_total', p.period_from,
                                                               p.period_to) FROM $period p)
SQL
)
[[ "$cmp" == "24|0|t" ]] || fail "hourly increases (hours|mismatches|sum equals the day): $cmp"
echo "counters: 24 local hours, each equal to the raw samples', adding up to the day"

# --- distributions against the raw sketches ------------------------------------------
cmp=$(q "$db" <<SQL
WITH raw AS (SELECT s.labels->>'endpoint' AS grp, count (*) AS rows,
                    sum (d.count) AS n, sum (d.sum) AS total, min (d.min) AS lo, max (d.max) AS hi,
                    vigil.dist_quantile (0.5, array_agg (d)) AS p50,
                    vigil.dist_quantile (0.95, array_agg (d)) AS p95,
                    vigil.dist_quantile (0.99, array_agg (d)) AS p99
               FROM vigil.distributions d JOIN vigil.series s USING (host_id, series_id), $period p
              WHERE s.metric = 'api_request_duration_seconds'
                AND d.ts >= p.period_from AND d.ts < p.period_to
              GROUP BY 1),
     fn AS (SELECT d.* FROM $period p,
              vigil.dist_stats ('api_request_duration_seconds', p.period_from, p.period_to, '',
                                'endpoint') d)
SELECT count (*) FROM raw FULL JOIN fn USING (grp)
 WHERE fn.count IS DISTINCT FROM raw.n OR abs (fn.sum - raw.total) > 1e-9 * raw.total
    OR fn.min IS DISTINCT FROM raw.lo OR fn.max IS DISTINCT FROM raw.hi
    OR abs (fn.p50 - raw.p50) > 1e-12 OR abs (fn.p95 - raw.p95) > 1e-12
    OR abs (fn.p99 - raw.p99) > 1e-12 OR fn.p95 IS NULL
SQL
)
[[ "$cmp" == 0 ]] || fail "dist_stats by endpoint differ from the raw distributions ($cmp groups)"
echo "distributions: count, sum, extremes, P50/P95/P99 per endpoint equal the raw sketches'"

# --- gauges against the raw samples ------------------------------------------------------
cmp=$(q "$db" <<SQL
WITH raw AS (SELECT h.hostname AS grp, count (*) AS n, avg (x.value) AS a, min (x.value) AS lo,
                    max (x.value) AS hi
               FROM vigil.samples x JOIN vigil.series s USING (host_id, series_id)
               JOIN vigil.hosts h USING (host_id), $period p
              WHERE s.metric = 'process_rss_bytes' AND x.ts >= p.period_from AND x.ts < p.period_to
              GROUP BY 1),
     fn AS (SELECT g.* FROM $period p,
              vigil.gauge_stats ('process_rss_bytes', p.period_from, p.period_to, '', 'host') g)
SELECT count (*) FROM raw FULL JOIN fn USING (grp)
 WHERE fn.samples IS DISTINCT FROM raw.n OR abs (fn.avg - raw.a) > 1e-6
    OR fn.min IS DISTINCT FROM raw.lo OR fn.max IS DISTINCT FROM raw.hi OR fn.peak_sum <> fn.max
SQL
)
[[ "$cmp" == 0 ]] || fail "gauge_stats per host differ from the raw samples ($cmp groups)"
echo "gauges: samples, average and extremes per host equal the raw samples'"

# --- which tier a window reads ------------------------------------------------------------------
tiers=$(q "$db" -c "SELECT coalesce (sum (1) FILTER (WHERE width = '1 minute'), 0) || ' ' ||
                            coalesce (sum (1) FILTER (WHERE width = '1 hour'), 0)
                       FROM vigil.rollup_rows ('api_request_duration_seconds',
                                               now () - interval '30 days', now () - interval '10 minutes')")
read -r minutes hours <<<"$tiers"
((hours > 600 && minutes == 0)) || fail "a 30-day window read $minutes minute rows and $hours hour rows"
cmp=$(q "$db" <<SQL
WITH w AS (SELECT p.period_from + interval '10 hours 30 minutes' AS lo,
                  p.period_from + interval '15 hours 15 minutes' AS hi FROM $period p),
     mixed AS (SELECT r.* FROM w, vigil.rollup_rows ('api_request_duration_seconds', w.lo, w.hi) r),
     minutes AS (SELECT r.* FROM w,
                   vigil.rollup_rows ('api_request_duration_seconds', w.lo, w.hi, '', false) r)
SELECT (SELECT count (DISTINCT width) FROM mixed),
       (SELECT sum (count) FROM mixed) = (SELECT sum (count) FROM minutes),
       (SELECT vigil.dist_quantile (0.95, array_agg (ROW (host_id, ts, series_id, count, sum, min,
                 max, zero_count, bucket_index, bucket_count, neg_bucket_index,
                 neg_bucket_count)::vigil.distributions)) FROM mixed)
     = (SELECT vigil.dist_quantile (0.95, array_agg (ROW (host_id, ts, series_id, count, sum, min,
                 max, zero_count, bucket_index, bucket_count, neg_bucket_index,
                 neg_bucket_count)::vigil.distributions)) FROM minutes)
SQL
)
[[ "$cmp" == "2|t|t" ]] || fail "10:30-15:15 from hours and minutes vs minutes alone: $cmp"
echo "tiers: 30 days read $hours hour rows and no minutes; ragged ends read minutes and agree"

# --- alert history (tests/helpers/fixture_alerts.sql) ---------------------------------------------------
got=$(q "$db" -c "SELECT acks, first_ack_via, extract (epoch FROM time_to_ack),
                         extract (epoch FROM time_to_resolve)
                    FROM vigil.alert_history WHERE alertname = 'ApiLatencyP95Critical'")
[[ "$got" == "2|cli|720.000000|3000.000000" ]] || fail "alert_history of ApiLatencyP95Critical: $got"
got=$(q "$db" -c "SELECT count (*), count (*) FILTER (WHERE time_to_ack IS NULL),
                         count (*) FILTER (WHERE fired_at IS NULL)
                    FROM vigil.alert_history")
[[ "$got" == "9|3|1" ]] || fail "alert_history: alerts|unacknowledged|never fired: $got"
got=$(q "$db" -c "SELECT string_agg (alertname, ',' ORDER BY fired_at) FROM $period p,
                    vigil.alerts_between (p.period_from, p.period_to, 'service=\"chat-api\"')")
[[ "$got" == "ApiLatencyP95Critical,ApiErrorRateWarning,ApiErrorRateWarning,ApiLatencyP95Warning,MemoryHigh" ]] ||
    fail "alerts_between for chat-api: $got"
got=$(q "$db" -c "SELECT s.grp || ':' || s.fired || ':' || s.acknowledged || ':' ||
                         coalesce (round (s.ack_avg_s)::text, '-')
                    FROM $period p, vigil.alert_stats (p.period_from, p.period_to, '', 'severity') s")
[[ "$(echo $got)" == "warning:4:2:855 critical:3:3:360" ]] || fail "alert_stats by severity: $got"
echo "alerts: alert_history, alerts_between and alert_stats agree with the fixture's alerts"

# --- selectors ------------------------------------------------------------------------------------
[[ "$(q "$db" -c "SELECT count (*) FROM vigil.series_select ('api_requests_total',
        'host=\"api-1\", status_code=~\"5..\", endpoint!=\"/health\"')")" == 4 ]] ||
    fail "selector: expected 4 series"
if q "$db" -c "SELECT vigil.quantile ('api_request_duration_seconds', 0.95, now () - interval '1 day',
                now (), 'endpoint=/chat')" 2>"$tmp/err"; then
    fail "a bad selector was accepted"
fi
grep -q 'cannot read the selector at "endpoint=/chat": expected key="value"' "$tmp/err" ||
    fail "bad selector message: $(cat "$tmp/err")"
echo "test_sql: ok"
