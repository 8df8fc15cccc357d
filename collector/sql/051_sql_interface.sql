-- Vigil schema: the SQL interface people report with (docs/sql.md).
--
-- Views over hosts, series, latest values and rollups; functions that read
-- a metric over any window and label selector from the rollups, choosing
-- the tier that covers the window (whole hours from vigil.rollup_hour, the
-- minutes at either end from vigil.rollup_minute: a month reads hours, not
-- samples): quantiles merged from sketches, counter increases and rates,
-- gauge summaries, each optionally per label value and per step of time;
-- and the report periods, in any time zone PostgreSQL knows.
--
-- Windows are resolved to whole minutes: a minute belongs to [since, until) when
-- it starts inside it. Hours that ended less than 5 minutes ago are read
-- from their minutes, since the collector writes an hour's row once the hour
-- is over.

-- ---- selectors ------------------------------------------------------------

-- The matchers of a PromQL-style selector: 'service="api", status_code=~"5.."'
-- (braces optional; = != =~ !~; values in double quotes with \" and \\).
-- The label host matches the host's name. An empty selector matches all.
CREATE FUNCTION vigil.selector_parse(selector text)
RETURNS TABLE (key text, op text, value text)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    s text := btrim(coalesce(selector, ''));
    m text[];
    pat constant text :=
        '^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,\s*|$)';
BEGIN
    IF s LIKE '{%}' THEN
        s := btrim(substr(s, 2, length(s) - 2));
    END IF;
    WHILE s <> '' LOOP
        m := regexp_match(s, pat);
        IF m IS NULL THEN
            RAISE EXCEPTION 'vigil: cannot read the selector at "%": expected key="value" (or !=, =~, !~), separated by commas, as in service="api", status_code=~"5.."', s
                USING ERRCODE = '22023';
        END IF;
        key := m[1];
        op := m[2];
        value := regexp_replace(m[3], '\\(.)', '\1', 'g');
        IF op IN ('=~', '!~') THEN
            BEGIN
                PERFORM '' ~ value;
            EXCEPTION WHEN invalid_regular_expression THEN
                RAISE EXCEPTION 'vigil: bad regular expression in the selector for %: %', key, SQLERRM
                    USING ERRCODE = '22023';
            END;
        END IF;
        RETURN NEXT;
        s := regexp_replace(s, pat, '');
    END LOOP;
END $$;

-- Whether one series matches the parsed matchers (a label it lacks is "").
CREATE FUNCTION vigil.selector_match(labels jsonb, hostname text, keys text[], ops text[],
                                     vals text[])
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(bool_and(
               CASE m.op
                   WHEN '=' THEN v = m.val
                   WHEN '!=' THEN v <> m.val
                   WHEN '=~' THEN v ~ ('^(?:' || m.val || ')$')
                   ELSE v !~ ('^(?:' || m.val || ')$')
               END), true)
      FROM unnest(keys, ops, vals) AS m(key, op, val),
           LATERAL (SELECT CASE WHEN m.key = 'host' THEN coalesce(hostname, '')
                                ELSE coalesce(labels->>m.key, '') END AS v) x
$$;

-- The series of a metric (any kind) that match a selector.
CREATE FUNCTION vigil.series_select(metric text, selector text DEFAULT '')
RETURNS TABLE (host_id bigint, series_id bigint, hostname text, labels jsonb, kind smallint)
LANGUAGE sql STABLE AS $$
    WITH m AS (
        SELECT array_agg(p.key) AS keys, array_agg(p.op) AS ops, array_agg(p.value) AS vals
          FROM vigil.selector_parse(selector) p
         WHERE btrim(coalesce(selector, '')) NOT IN ('', '{}')
    )
    SELECT s.host_id, s.series_id, h.hostname, s.labels, s.kind
      FROM vigil.series s
      JOIN vigil.hosts h ON h.host_id = s.host_id, m
     WHERE s.metric = series_select.metric
       AND (m.keys IS NULL OR vigil.selector_match(s.labels, h.hostname, m.keys, m.ops, m.vals))
$$;

-- The group of a series for by_label: '' for none; the value of the label
-- (the host's name for 'host', '' when the series lacks it); for several
-- labels separated by commas ('endpoint,status_code'), their values joined
-- by commas.
CREATE FUNCTION vigil.group_key(labels jsonb, hostname text, by_label text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
               WHEN by_label IS NULL THEN ''
               WHEN by_label = 'host' THEN coalesce(hostname, '')
               WHEN strpos(by_label, ',') = 0 THEN coalesce(labels->>by_label, '')
               ELSE (SELECT string_agg(CASE WHEN btrim(u.k) = 'host' THEN coalesce(hostname, '')
                                            ELSE coalesce(labels->>btrim(u.k), '') END,
                                       ',' ORDER BY u.o)
                       FROM unnest(string_to_array(by_label, ',')) WITH ORDINALITY AS u(k, o))
           END
$$;

-- ---- windows --------------------------------------------------------------

-- The start of the step holding ts: local hours, days, weeks (Monday) or
-- months of tz for those steps, else steps of that length from origin.
CREATE FUNCTION vigil.step_start(ts timestamptz, step interval, origin timestamptz,
                                 tz text DEFAULT 'UTC')
RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE step
               WHEN interval '1 hour' THEN date_trunc('hour', ts, tz)
               WHEN interval '1 day' THEN date_trunc('day', ts, tz)
               WHEN interval '7 days' THEN date_trunc('week', ts, tz)
               WHEN interval '1 month' THEN date_trunc('month', ts, tz)
               ELSE date_bin(step, ts, origin)
           END
$$;

-- Whether hour rows fall whole into the steps: no step, or steps of whole
-- hours that start on a UTC hour.
CREATE FUNCTION vigil.steps_hold_hours(origin timestamptz, step interval, tz text DEFAULT 'UTC')
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT step IS NULL
        OR (step >= interval '1 hour'
            AND extract(epoch FROM step)::bigint % 3600 = 0
            AND vigil.step_start(origin, step, origin, tz)
                = date_bin('1 hour', vigil.step_start(origin, step, origin, tz),
                           timestamptz '2000-01-01 00:00+00'))
$$;

-- The rollup rows of the matching series of a metric over [since, until):
-- rollup_hour for the whole hours inside the window (when use_hours and
-- they ended 5 minutes ago), rollup_minute for the rest: the minutes before
-- the first whole hour and after the last, each read as one index range.
-- width says which.
CREATE FUNCTION vigil.rollup_rows(metric text, since timestamptz, until timestamptz,
                                  selector text DEFAULT '', use_hours boolean DEFAULT true)
RETURNS TABLE (host_id bigint, series_id bigint, hostname text, labels jsonb, kind smallint,
               ts timestamptz, width interval, count bigint, sum double precision,
               min double precision, max double precision, first double precision,
               first_ts timestamptz, last double precision, last_ts timestamptz,
               increase double precision, zero_count bigint, bucket_index integer[],
               bucket_count bigint[], neg_bucket_index integer[], neg_bucket_count bigint[])
LANGUAGE plpgsql STABLE AS $$
DECLARE
    origin constant timestamptz := timestamptz '2000-01-01 00:00+00';
    h_lo timestamptz := date_bin('1 hour', since - interval '1 microsecond', origin)
                        + interval '1 hour';
    h_hi timestamptz := least(date_bin('1 hour', until, origin),
                              date_bin('1 hour', now() - interval '5 minutes', origin));
BEGIN
    IF NOT use_hours OR h_hi <= h_lo THEN
        h_lo := until;
        h_hi := until;
    END IF;
    RETURN QUERY
        SELECT s.host_id, s.series_id, s.hostname, s.labels, s.kind, r.ts, r.width, r.count,
               r.sum, r.min, r.max, r.first, r.first_ts, r.last, r.last_ts, r.increase,
               r.zero_count, r.bucket_index, r.bucket_count, r.neg_bucket_index,
               r.neg_bucket_count
          FROM vigil.series_select(metric, selector) s
         CROSS JOIN LATERAL (
              SELECT h.*, interval '1 hour' AS width FROM vigil.rollup_hour h
               WHERE h.host_id = s.host_id AND h.series_id = s.series_id
                 AND h.ts >= h_lo AND h.ts < h_hi
              UNION ALL
              SELECT m.*, interval '1 minute' FROM vigil.rollup_minute m
               WHERE m.host_id = s.host_id AND m.series_id = s.series_id
                 AND m.ts >= since AND m.ts < h_lo
              UNION ALL
              SELECT m.*, interval '1 minute' FROM vigil.rollup_minute m
               WHERE m.host_id = s.host_id AND m.series_id = s.series_id
                 AND m.ts >= h_hi AND m.ts < until) r;
END $$;

-- ---- distributions --------------------------------------------------------

-- The value of bucket idx of a sketch (sign -1 negative, 0 zero, 1 positive),
-- with the C code's ln(gamma) and gamma.
CREATE FUNCTION vigil.sketch_value(sign integer, idx integer) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE sign WHEN 0 THEN 0.0::float8
                ELSE sign * (2.0::float8 * exp(idx * 0.020000666706669525::float8)
                             / (1.0202020202020202::float8 + 1.0::float8)) END
$$;

-- Quantiles of a distribution metric over a window, merging the sketches of
-- the matching series: per value of label by (NULL: all together; 'host':
-- per host) and per step (NULL: the whole window). As vigil.dist_quantile:
-- rank floor(q (n - 1)), the value of the bucket holding it clamped to
-- [min, max], within 1 % of the exact value. Groups without values are left
-- out.
CREATE FUNCTION vigil.dist_quantiles(metric text, qs double precision[], since timestamptz,
                                     until timestamptz, selector text DEFAULT '',
                                     by_label text DEFAULT NULL, step interval DEFAULT NULL,
                                     tz text DEFAULT 'UTC')
RETURNS TABLE (grp text, bucket timestamptz, q double precision, value double precision,
               count bigint, sum double precision, min double precision, max double precision)
LANGUAGE sql STABLE AS $$
    WITH r AS (
        SELECT vigil.group_key(x.labels, x.hostname, by_label) AS grp,
               CASE WHEN step IS NULL THEN since
                    ELSE vigil.step_start(x.ts, step, since, tz) END AS bucket,
               x.*
          FROM vigil.rollup_rows(metric, since, until, selector,
                                 vigil.steps_hold_hours(since, step, tz)) x
         WHERE x.zero_count IS NOT NULL AND x.count > 0
    ), tot AS (
        SELECT r.grp, r.bucket, sum(r.count)::bigint AS n, sum(r.sum) AS s,
               min(r.min) AS lo, max(r.max) AS hi
          FROM r GROUP BY r.grp, r.bucket
    ), b AS (
        SELECT r.grp, r.bucket, -1 AS sign, -u.i AS pos, u.i AS idx, sum(u.c) AS c
          FROM r, unnest(r.neg_bucket_index, r.neg_bucket_count) AS u(i, c)
         GROUP BY r.grp, r.bucket, u.i
        UNION ALL
        SELECT r.grp, r.bucket, 0, 0, 0, sum(r.zero_count) FROM r GROUP BY r.grp, r.bucket
        UNION ALL
        SELECT r.grp, r.bucket, 1, u.i, u.i, sum(u.c)
          FROM r, unnest(r.bucket_index, r.bucket_count) AS u(i, c)
         GROUP BY r.grp, r.bucket, u.i
    ), cum AS (
        SELECT b.grp, b.bucket, b.sign, b.pos, b.idx,
               sum(b.c) OVER (PARTITION BY b.grp, b.bucket ORDER BY b.sign, b.pos) AS seen
          FROM b WHERE b.c > 0
    ), want AS (
        SELECT t.*, qq.q, floor(qq.q * (t.n - 1)) AS rank
          FROM tot t, unnest(qs) AS qq(q)
         WHERE qq.q BETWEEN 0 AND 1
    ), hit AS (
        SELECT DISTINCT ON (w.grp, w.bucket, w.q) w.grp, w.bucket, w.q,
               vigil.sketch_value(c.sign, c.idx) AS v
          FROM want w
          JOIN cum c ON c.grp = w.grp AND c.bucket = w.bucket AND c.seen > w.rank
         ORDER BY w.grp, w.bucket, w.q, c.sign, c.pos
    )
    SELECT CASE WHEN by_label IS NULL THEN NULL ELSE w.grp END, w.bucket, w.q,
           CASE WHEN w.rank = 0 THEN w.lo
                WHEN w.rank >= w.n - 1 THEN w.hi
                ELSE least(greatest(coalesce(h.v, w.hi), w.lo), w.hi) END,
           w.n, w.s, w.lo, w.hi
      FROM want w
      LEFT JOIN hit h ON h.grp = w.grp AND h.bucket = w.bucket AND h.q = w.q
     ORDER BY w.grp, w.bucket, w.q
$$;

-- The usual figures of a distribution metric: count, sum, average, extremes
-- and P50, P90, P95, P99, per group and step as in vigil.dist_quantiles.
CREATE FUNCTION vigil.dist_stats(metric text, since timestamptz, until timestamptz,
                                 selector text DEFAULT '', by_label text DEFAULT NULL,
                                 step interval DEFAULT NULL, tz text DEFAULT 'UTC')
RETURNS TABLE (grp text, bucket timestamptz, count bigint, sum double precision,
               avg double precision, min double precision, max double precision,
               p50 double precision, p90 double precision, p95 double precision,
               p99 double precision)
LANGUAGE sql STABLE AS $$
    SELECT d.grp, d.bucket, max(d.count), max(d.sum), max(d.sum) / max(d.count),
           max(d.min), max(d.max),
           max(d.value) FILTER (WHERE d.q = 0.5), max(d.value) FILTER (WHERE d.q = 0.9),
           max(d.value) FILTER (WHERE d.q = 0.95), max(d.value) FILTER (WHERE d.q = 0.99)
      FROM vigil.dist_quantiles(metric, ARRAY[0.5, 0.9, 0.95, 0.99]::float8[], since, until,
                                selector, by_label, step, tz) d
     GROUP BY d.grp, d.bucket
     ORDER BY d.grp, d.bucket
$$;

-- One quantile of a distribution metric over a window, all matching series
-- merged; NULL without data. vigil.quantile('api_request_duration_seconds',
-- 0.95, now() - interval '30 days', now(), 'service="api"')
CREATE FUNCTION vigil.quantile(metric text, q double precision, since timestamptz,
                               until timestamptz, selector text DEFAULT '')
RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT d.value FROM vigil.dist_quantiles(metric, ARRAY[q], since, until, selector) d
$$;

-- ---- counters -------------------------------------------------------------

-- How much a counter metric grew over a window, per group and step as in
-- vigil.dist_quantiles: the increases inside the rollup rows plus the steps
-- between consecutive rows of a series, a drop counting as a reset (the
-- value after it is the gain). The first row of a series in the window
-- steps from the series' last value in the hour before; a series with no
-- row in that hour nor any hour row before the window (new) counts its
-- first value as grown from 0; one silent for more than an hour before
-- counts nothing for the gap.
CREATE FUNCTION vigil.counter_increase(metric text, since timestamptz, until timestamptz,
                                       selector text DEFAULT '', by_label text DEFAULT NULL,
                                       step interval DEFAULT NULL, tz text DEFAULT 'UTC')
RETURNS TABLE (grp text, bucket timestamptz, increase double precision)
LANGUAGE sql STABLE AS $$
    WITH r AS (
        SELECT x.host_id, x.series_id, x.ts, x.first, x.increase,
               lag(x.last) OVER (PARTITION BY x.host_id, x.series_id ORDER BY x.ts) AS prev
          FROM vigil.rollup_rows(metric, since, until, selector,
                                 vigil.steps_hold_hours(since, step, tz)) x
         WHERE x.zero_count IS NULL
    ), ser AS MATERIALIZED (
        -- per series, once: its group, the value it had before the window
        -- (or whether it is new)
        SELECT s.host_id, s.series_id,
               CASE WHEN by_label IS NULL THEN NULL
                    ELSE vigil.group_key(s.labels, s.hostname, by_label) END AS grp,
               pm.last,
               pm.last IS NULL
               AND NOT EXISTS (SELECT 1 FROM vigil.rollup_hour h
                                WHERE h.host_id = s.host_id AND h.series_id = s.series_id
                                  AND h.ts < since) AS born
          FROM vigil.series_select(metric, selector) s
          LEFT JOIN LATERAL (
              SELECT m.last FROM vigil.rollup_minute m
               WHERE m.host_id = s.host_id AND m.series_id = s.series_id
                 AND m.ts >= since - interval '1 hour' AND m.ts < since
               ORDER BY m.ts DESC LIMIT 1) pm ON true
    )
    SELECT b.grp,
           CASE WHEN step IS NULL THEN since
                ELSE vigil.step_start(r.ts, step, since, tz) END AS bucket,
           sum(r.increase
               + CASE WHEN r.prev IS NOT NULL THEN vigil.counter_delta(r.prev, r.first)
                      WHEN b.last IS NOT NULL THEN vigil.counter_delta(b.last, r.first)
                      WHEN b.born THEN r.first
                      ELSE 0 END)
      FROM r JOIN ser b ON b.host_id = r.host_id AND b.series_id = r.series_id
     GROUP BY 1, 2
     ORDER BY 1, 2
$$;

-- The increase of a counter metric over a window, all matching series
-- together; NULL without data.
CREATE FUNCTION vigil.increase(metric text, since timestamptz, until timestamptz,
                               selector text DEFAULT '')
RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT c.increase FROM vigil.counter_increase(metric, since, until, selector) c
$$;

-- Its rate: the increase per second of the window.
CREATE FUNCTION vigil.rate(metric text, since timestamptz, until timestamptz,
                           selector text DEFAULT '')
RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT vigil.increase(metric, since, until, selector)
           / nullif(extract(epoch FROM until - since), 0)
$$;

-- The ratio of two rates over one window (errors / requests): NULL when the
-- second is 0 or has no data.
CREATE FUNCTION vigil.rate_ratio(num_metric text, num_selector text, den_metric text,
                                 den_selector text, since timestamptz, until timestamptz)
RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT coalesce(vigil.increase(num_metric, since, until, num_selector), 0)
           / nullif(vigil.increase(den_metric, since, until, den_selector), 0)
$$;

-- ---- gauges ---------------------------------------------------------------

-- The figures of a gauge metric over a window, per group and step as in
-- vigil.dist_quantiles: samples, average, extremes (NaN ignored), the newest
-- value, and peak_sum: the largest sum over the series of their maxima in
-- one rollup row's time (one series: its maximum; concurrent users on
-- several hosts: their peak together, at minute or hour grain).
CREATE FUNCTION vigil.gauge_stats(metric text, since timestamptz, until timestamptz,
                                  selector text DEFAULT '', by_label text DEFAULT NULL,
                                  step interval DEFAULT NULL, tz text DEFAULT 'UTC')
RETURNS TABLE (grp text, bucket timestamptz, samples bigint, avg double precision,
               min double precision, max double precision, last double precision,
               peak_sum double precision)
LANGUAGE sql STABLE AS $$
    WITH r AS (
        SELECT vigil.group_key(x.labels, x.hostname, by_label) AS grp,
               CASE WHEN step IS NULL THEN since
                    ELSE vigil.step_start(x.ts, step, since, tz) END AS bucket,
               x.*
          FROM vigil.rollup_rows(metric, since, until, selector,
                                 vigil.steps_hold_hours(since, step, tz)) x
         WHERE x.zero_count IS NULL
    ), per_ts AS (
        SELECT r.grp, r.bucket, r.ts, sum(r.max) FILTER (WHERE r.max <> 'NaN') AS total
          FROM r GROUP BY r.grp, r.bucket, r.ts
    ), peak AS (
        SELECT p.grp, p.bucket, max(p.total) AS peak_sum FROM per_ts p GROUP BY p.grp, p.bucket
    ), agg AS (
        SELECT r.grp, r.bucket, sum(r.count)::bigint AS samples,
               sum(r.sum) / nullif(sum(r.count), 0) AS avg,
               min(r.min) FILTER (WHERE r.min <> 'NaN') AS min,
               max(r.max) FILTER (WHERE r.max <> 'NaN') AS max,
               (array_agg(r.last ORDER BY r.last_ts DESC))[1] AS last
          FROM r GROUP BY r.grp, r.bucket
    )
    SELECT CASE WHEN by_label IS NULL THEN NULL ELSE a.grp END, a.bucket, a.samples, a.avg,
           a.min, a.max, a.last, p.peak_sum
      FROM agg a JOIN peak p ON p.grp = a.grp AND p.bucket = a.bucket
     ORDER BY a.grp, a.bucket
$$;

-- ---- report periods ---------------------------------------------------------

-- The period of a report holding day, in time zone tz: daily (that day),
-- weekly (its ISO week, Monday to Sunday) or monthly (its month), as local
-- midnights. PostgreSQL's zone database handles offsets and daylight saving.
CREATE FUNCTION vigil.report_period(kind text, day date, tz text DEFAULT 'UTC')
RETURNS TABLE (period_from timestamptz, period_to timestamptz, first_day date, last_day date)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    lo date;
    hi date;
BEGIN
    CASE kind
        WHEN 'daily' THEN lo := day; hi := day + 1;
        WHEN 'weekly' THEN lo := day - (extract(isodow FROM day)::integer - 1); hi := lo + 7;
        WHEN 'monthly' THEN lo := date_trunc('month', day)::date;
                            hi := (lo + interval '1 month')::date;
        ELSE RAISE EXCEPTION 'vigil.report_period: kind is daily, weekly or monthly, not "%"', kind
                 USING ERRCODE = '22023';
    END CASE;
    period_from := lo::timestamp AT TIME ZONE tz;
    period_to := hi::timestamp AT TIME ZONE tz;
    first_day := lo;
    last_day := hi - 1;
    RETURN NEXT;
END $$;

-- ---- views ------------------------------------------------------------------

-- A series with its host's name and its kind in words.
CREATE VIEW vigil.series_info AS
    SELECT s.host_id, h.hostname, s.series_id, s.metric, s.labels,
           CASE s.kind WHEN 0 THEN 'gauge' WHEN 1 THEN 'counter' ELSE 'distribution' END AS kind,
           s.first_seen, s.last_ts, s.last_value
      FROM vigil.series s JOIN vigil.hosts h USING (host_id);

-- The newest value of every series (for a distribution, its mean).
CREATE VIEW vigil.latest_values AS
    SELECT hostname, metric, labels, kind, last_ts AS ts, last_value AS value
      FROM vigil.series_info WHERE last_ts IS NOT NULL;

-- Every host with its last contact and vital signs (the system input's
-- metrics: the series with the fewest labels is the total).
CREATE VIEW vigil.host_status AS
    SELECT h.host_id, h.hostname, h.agent_id, h.first_seen, h.last_seen,
           greatest(0, extract(epoch FROM now() - h.last_seen))::bigint AS seconds_since,
           h.last_seen < now() - interval '5 minutes' AS stale,
           h.clock_skew_ms,
           v.cpu_percent, v.memory_used_percent, v.load1, v.load5, v.load15,
           v.disk_root_used_percent, v.disk_max_used_percent,
           (SELECT count(*) FROM vigil.series s WHERE s.host_id = h.host_id) AS series
      FROM vigil.hosts h
      LEFT JOIN LATERAL (
          SELECT max(x.value) FILTER (WHERE x.metric = 'system_cpu_percent') AS cpu_percent,
                 max(x.value) FILTER (WHERE x.metric = 'system_memory_used_percent')
                     AS memory_used_percent,
                 max(x.value) FILTER (WHERE x.metric = 'system_load1') AS load1,
                 max(x.value) FILTER (WHERE x.metric = 'system_load5') AS load5,
                 max(x.value) FILTER (WHERE x.metric = 'system_load15') AS load15,
                 max(x.value) FILTER (WHERE x.metric = 'system_disk_used_percent'
                                        AND x.labels->>'mount' = '/') AS disk_root_used_percent,
                 max(x.value) FILTER (WHERE x.metric = 'system_disk_used_percent'
                                        AND x.last_ts > now() - interval '5 minutes')
                     AS disk_max_used_percent
            FROM (SELECT DISTINCT ON (s.metric, s.labels->>'mount') s.metric, s.labels,
                         s.last_value AS value, s.last_ts
                    FROM vigil.series s
                   WHERE s.host_id = h.host_id AND s.last_value IS NOT NULL
                     AND s.metric IN ('system_cpu_percent', 'system_memory_used_percent',
                                      'system_load1', 'system_load5', 'system_load15',
                                      'system_disk_used_percent')
                   ORDER BY s.metric, s.labels->>'mount',
                            (SELECT count(*) FROM jsonb_object_keys(s.labels)),
                            s.last_ts DESC NULLS LAST) x
      ) v ON true;

-- Rollup rows with their series: avg, and for distributions P50/P95/P99 of
-- the row's own sketch.
CREATE FUNCTION vigil.sketch_quantile(q double precision, count bigint, min double precision,
                                      max double precision, zero_count bigint,
                                      bucket_index integer[], bucket_count bigint[],
                                      neg_bucket_index integer[], neg_bucket_count bigint[])
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT vigil.dist_quantile(q, ARRAY[ROW(0, now(), 0, count, 0, min, max, zero_count,
                                            bucket_index, bucket_count, neg_bucket_index,
                                            neg_bucket_count)::vigil.distributions])
     WHERE zero_count IS NOT NULL
$$;

CREATE VIEW vigil.minute_rollups AS
    SELECT i.hostname, i.metric, i.labels, i.kind, r.host_id, r.series_id, r.ts,
           r.count, r.sum, r.sum / nullif(r.count, 0) AS avg, r.min, r.max, r.first, r.last,
           r.increase,
           vigil.sketch_quantile(0.5, r.count, r.min, r.max, r.zero_count, r.bucket_index,
                                 r.bucket_count, r.neg_bucket_index, r.neg_bucket_count) AS p50,
           vigil.sketch_quantile(0.95, r.count, r.min, r.max, r.zero_count, r.bucket_index,
                                 r.bucket_count, r.neg_bucket_index, r.neg_bucket_count) AS p95,
           vigil.sketch_quantile(0.99, r.count, r.min, r.max, r.zero_count, r.bucket_index,
                                 r.bucket_count, r.neg_bucket_index, r.neg_bucket_count) AS p99
      FROM vigil.rollup_minute r JOIN vigil.series_info i USING (host_id, series_id);

CREATE VIEW vigil.hour_rollups AS
    SELECT i.hostname, i.metric, i.labels, i.kind, r.host_id, r.series_id, r.ts,
           r.count, r.sum, r.sum / nullif(r.count, 0) AS avg, r.min, r.max, r.first, r.last,
           r.increase,
           vigil.sketch_quantile(0.5, r.count, r.min, r.max, r.zero_count, r.bucket_index,
                                 r.bucket_count, r.neg_bucket_index, r.neg_bucket_count) AS p50,
           vigil.sketch_quantile(0.95, r.count, r.min, r.max, r.zero_count, r.bucket_index,
                                 r.bucket_count, r.neg_bucket_index, r.neg_bucket_count) AS p95,
           vigil.sketch_quantile(0.99, r.count, r.min, r.max, r.zero_count, r.bucket_index,
                                 r.bucket_count, r.neg_bucket_index, r.neg_bucket_count) AS p99
      FROM vigil.rollup_hour r JOIN vigil.series_info i USING (host_id, series_id);

-- ---- the read-only role -----------------------------------------------------

-- People who report read through vigil_reader, when the database has it:
-- everything here, and the tables under it, read-only.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_reader') THEN
        GRANT USAGE ON SCHEMA vigil TO vigil_reader;
        GRANT SELECT ON vigil.hosts, vigil.series, vigil.samples, vigil.distributions,
                        vigil.events, vigil.rollup_minute, vigil.rollup_hour,
                        vigil.series_info, vigil.latest_values, vigil.host_status,
                        vigil.minute_rollups, vigil.hour_rollups TO vigil_reader;
        GRANT EXECUTE ON FUNCTION
            vigil.selector_parse(text), vigil.selector_match(jsonb, text, text[], text[], text[]),
            vigil.series_select(text, text), vigil.group_key(jsonb, text, text),
            vigil.step_start(timestamptz, interval, timestamptz, text),
            vigil.steps_hold_hours(timestamptz, interval, text),
            vigil.rollup_rows(text, timestamptz, timestamptz, text, boolean),
            vigil.sketch_value(integer, integer),
            vigil.dist_quantiles(text, double precision[], timestamptz, timestamptz, text, text, interval, text),
            vigil.dist_stats(text, timestamptz, timestamptz, text, text, interval, text),
            vigil.quantile(text, double precision, timestamptz, timestamptz, text),
            vigil.counter_increase(text, timestamptz, timestamptz, text, text, interval, text),
            vigil.increase(text, timestamptz, timestamptz, text),
            vigil.rate(text, timestamptz, timestamptz, text),
            vigil.rate_ratio(text, text, text, text, timestamptz, timestamptz),
            vigil.gauge_stats(text, timestamptz, timestamptz, text, text, interval, text),
            vigil.report_period(text, date, text),
            vigil.sketch_quantile(double precision, bigint, double precision, double precision,
                                  bigint, integer[], bigint[], integer[], bigint[]),
            vigil.storage_tiers(), vigil.partitions()
            TO vigil_reader;
    END IF;
END $$;
