-- Vigil schema: per-minute and per-hour rollups, partitions ahead, retention.
--
-- The collector keeps rollups in memory as batches commit and writes them in
-- small pieces on a connection of its own (collector/ingest/coll_rollup.c):
-- each piece holds deltas, merged here into the rows already stored, so a
-- batch that arrives hours late updates the rows it falls into. Rows are
-- keyed and indexed by (host_id, series_id, ts), ts the start of the minute or
-- hour (UTC). Minute rows are partitioned by UTC day, hour rows by UTC month;
-- retention drops whole partitions (vigil.expired_partitions,
-- vigil.drop_partition), never rows.

-- One row per series and minute (rollup_minute) or hour (rollup_hour).
--   count, sum         values seen: samples for gauges and counters, the
--                      values of the distributions merged for distributions
--   min, max           NaN is ignored unless every value was NaN (as
--                      PromQL's min_over_time); NaN too for an empty bucket
--   first, last        the earliest and newest sample (for distributions:
--                      the mean of the earliest and newest distribution), and
--                      their times
--   increase           counters: the sum of the differences between
--                      consecutive samples inside the bucket, a drop counted
--                      as a reset (the value after it is the increase)
--   zero_count, bucket_*, neg_bucket_*  the merged sketch (distributions only,
--                      NULL otherwise), laid out as in vigil.distributions
CREATE TABLE vigil.rollup_minute (
    host_id          bigint NOT NULL,
    series_id        bigint NOT NULL,
    ts               timestamptz NOT NULL,
    count            bigint NOT NULL,
    sum              double precision NOT NULL,
    min              double precision NOT NULL,
    max              double precision NOT NULL,
    first            double precision NOT NULL,
    first_ts         timestamptz NOT NULL,
    last             double precision NOT NULL,
    last_ts          timestamptz NOT NULL,
    increase         double precision NOT NULL,
    zero_count       bigint,
    bucket_index     integer[],
    bucket_count     bigint[],
    neg_bucket_index integer[],
    neg_bucket_count bigint[],
    PRIMARY KEY (host_id, series_id, ts)
) PARTITION BY RANGE (ts);

CREATE TABLE vigil.rollup_hour (LIKE vigil.rollup_minute) PARTITION BY RANGE (ts);
ALTER TABLE vigil.rollup_hour ADD PRIMARY KEY (host_id, series_id, ts);

-- min and max that ignore NaN unless both are NaN. PostgreSQL orders NaN
-- above every number, so least/greatest alone would not.
CREATE FUNCTION vigil.fmin(a double precision, b double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN a = 'NaN' THEN b WHEN b = 'NaN' THEN a ELSE least(a, b) END
$$;
CREATE FUNCTION vigil.fmax(a double precision, b double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN a = 'NaN' THEN b WHEN b = 'NaN' THEN a ELSE greatest(a, b) END
$$;

-- What a counter gained from prev to next: the difference, or next itself
-- when it dropped (the source restarted and counted again from 0).
CREATE FUNCTION vigil.counter_delta(prev double precision, next double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN next < prev THEN next ELSE next - prev END
$$;

-- The increase of two parts of one bucket taken together: their own
-- increases plus the step from the earlier part's last sample to the later
-- part's first. Parts that overlap in time (which one agent never sends) add
-- their increases only.
CREATE FUNCTION vigil.increase_merge(a_first double precision, a_first_ts timestamptz,
                                     a_last double precision, a_last_ts timestamptz,
                                     a_increase double precision,
                                     b_first double precision, b_first_ts timestamptz,
                                     b_last double precision, b_last_ts timestamptz,
                                     b_increase double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT a_increase + b_increase
           + CASE WHEN b_first_ts > a_last_ts THEN vigil.counter_delta(a_last, b_first)
                  WHEN a_first_ts > b_last_ts THEN vigil.counter_delta(b_last, a_first)
                  ELSE 0 END
$$;

-- Two sketch stores (bucket indexes and counts) added together; NULL when
-- both are NULL.
CREATE FUNCTION vigil.bucket_merge(i1 integer[], c1 bigint[], i2 integer[], c2 bigint[],
                                   OUT idx integer[], OUT cnt bigint[])
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN i1 IS NULL AND i2 IS NULL THEN NULL
                ELSE coalesce(array_agg(u.i ORDER BY u.i), '{}') END,
           CASE WHEN i1 IS NULL AND i2 IS NULL THEN NULL
                ELSE coalesce(array_agg(u.c ORDER BY u.i), '{}') END
      FROM (SELECT x.i, sum(x.c)::bigint AS c
              FROM (SELECT * FROM unnest(i1, c1)
                    UNION ALL
                    SELECT * FROM unnest(i2, c2)) AS x(i, c)
             GROUP BY x.i) u
$$;

-- The partitions of one UTC day of rollup_minute, and of its month of
-- rollup_hour. Safe when several collectors call it at once.
CREATE FUNCTION vigil.ensure_rollup_partitions(day date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    part text;
    month date := date_trunc('month', day)::date;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('vigil.ensure_partitions'));
    part := 'rollup_minute_' || to_char(day, 'YYYYMMDD');
    IF to_regclass(format('vigil.%I', part)) IS NULL THEN
        EXECUTE format('CREATE TABLE vigil.%I PARTITION OF vigil.rollup_minute'
                       ' FOR VALUES FROM (%L) TO (%L)', part,
                       day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
    END IF;
    part := 'rollup_hour_' || to_char(month, 'YYYYMM');
    IF to_regclass(format('vigil.%I', part)) IS NULL THEN
        EXECUTE format('CREATE TABLE vigil.%I PARTITION OF vigil.rollup_hour'
                       ' FOR VALUES FROM (%L) TO (%L)', part,
                       month::timestamp AT TIME ZONE 'UTC',
                       (month + interval '1 month')::timestamp AT TIME ZONE 'UTC');
    END IF;
END $$;

-- Every partition of every tier with its range and size. Tiers: raw
-- (samples, distributions), minute, hour.
CREATE FUNCTION vigil.partitions()
RETURNS TABLE (tier text, parent text, partition text, lo timestamptz, hi timestamptz,
               bytes bigint, rows_estimate bigint)
LANGUAGE sql STABLE AS $$
    SELECT CASE p.relname WHEN 'rollup_minute' THEN 'minute'
                          WHEN 'rollup_hour' THEN 'hour' ELSE 'raw' END,
           p.relname::text, c.relname::text,
           substring(pg_get_expr(c.relpartbound, c.oid) FROM $r$FROM \('([^']*)'\)$r$)::timestamptz,
           substring(pg_get_expr(c.relpartbound, c.oid) FROM $r$TO \('([^']*)'\)$r$)::timestamptz,
           pg_total_relation_size(c.oid),
           greatest(c.reltuples, 0)::bigint
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class p ON p.oid = i.inhparent
      JOIN pg_namespace n ON n.oid = p.relnamespace
     WHERE n.nspname = 'vigil'
       AND p.relname IN ('samples', 'distributions', 'rollup_minute', 'rollup_hour')
$$;

-- What each tier holds: partitions, the time they span, bytes on disk and
-- an estimate of rows (from the planner's statistics).
CREATE FUNCTION vigil.storage_tiers()
RETURNS TABLE (tier text, partitions integer, oldest timestamptz, newest timestamptz,
               bytes bigint, rows_estimate bigint)
LANGUAGE sql STABLE AS $$
    SELECT t.tier, count(p.partition)::integer, min(p.lo), max(p.hi),
           coalesce(sum(p.bytes), 0)::bigint, coalesce(sum(p.rows_estimate), 0)::bigint
      FROM (VALUES (1, 'raw'), (2, 'minute'), (3, 'hour')) AS t(k, tier)
      LEFT JOIN vigil.partitions() p ON p.tier = t.tier
     GROUP BY t.k, t.tier
     ORDER BY t.k
$$;

-- The partitions whose whole range ended at least keep before now, per tier;
-- a NULL keep keeps that tier for good.
CREATE FUNCTION vigil.expired_partitions(now timestamptz, raw_keep interval,
                                         minute_keep interval, hour_keep interval)
RETURNS TABLE (tier text, partition text, hi timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT p.tier, p.partition, p.hi
      FROM vigil.partitions() p
     WHERE p.hi <= now - CASE p.tier WHEN 'raw' THEN raw_keep
                                     WHEN 'minute' THEN minute_keep
                                     ELSE hour_keep END
     ORDER BY p.hi, p.partition
$$;

-- Drops one partition of samples, distributions or a rollup tier; anything
-- else is refused. Returns false when it did not exist.
CREATE FUNCTION vigil.drop_partition(name text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM vigil.partitions() p WHERE p.partition = name) THEN
        IF to_regclass(format('vigil.%I', name)) IS NOT NULL THEN
            RAISE EXCEPTION 'vigil.drop_partition: % is not a partition of a Vigil tier', name;
        END IF;
        RETURN false;
    END IF;
    EXECUTE format('DROP TABLE vigil.%I', name);
    RETURN true;
END $$;

-- Creates the partitions of every tier from the UTC day of now to days days
-- after it. Returns how many days it covered.
CREATE FUNCTION vigil.ensure_partitions_ahead(now timestamptz, days integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    today date := (now AT TIME ZONE 'UTC')::date;
BEGIN
    FOR d IN 0 .. days LOOP
        PERFORM vigil.ensure_partitions(today + d);
        PERFORM vigil.ensure_rollup_partitions(today + d);
    END LOOP;
    RETURN days + 1;
END $$;
