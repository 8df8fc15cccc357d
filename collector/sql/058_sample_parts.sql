-- Vigil schema: a day of samples in parts, one per writer of the collector.
--
-- Two COPY streams into one table contend for its last page and for the lock
-- that extends it: 5,000,000 rows took 1.77-1.90 s as two streams into one
-- table, 1.60-1.64 s into two (docs/BENCHMARKS.md, "The codec's own reader").
-- So a day's samples partition is itself partitioned by host_id modulo the
-- number of writers, and each writer takes the hosts of one part: its COPY
-- goes straight into that part, samples_YYYYMMDD_pK, alone. Queries are
-- unchanged: vigil.samples and its day partitions hold every row as before.
-- Days made before this stay whole; distributions are few and stay whole too.

-- Makes the day's partitions as vigil.ensure_partitions(day) did, the
-- samples' in sample_parts parts when that is above 1 (hosts whose
-- host_id % sample_parts = K in samples_YYYYMMDD_pK), and makes again any
-- part of the day that is missing (dropped by hand). Returns the parts the
-- samples of that day have, which differ from sample_parts when the day was
-- made before, or by a collector with another count: 1 for a whole day.
CREATE FUNCTION vigil.ensure_partitions(day date, sample_parts integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, vigil AS $$
DECLARE
    parent text;
    part text;
    lo timestamptz := day::timestamp AT TIME ZONE 'UTC';
    hi timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
    samples_day text := 'samples_' || to_char(day, 'YYYYMMDD');
    parts integer;
BEGIN
    IF sample_parts IS NULL OR sample_parts < 1 OR sample_parts > 64 THEN
        RAISE EXCEPTION 'vigil.ensure_partitions: sample_parts is %, expected 1 to 64', sample_parts;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('vigil.ensure_partitions'));
    FOREACH parent IN ARRAY ARRAY['samples', 'distributions'] LOOP
        part := parent || '_' || to_char(day, 'YYYYMMDD');
        CONTINUE WHEN to_regclass(format('vigil.%I', part)) IS NOT NULL;
        EXECUTE format('CREATE TABLE vigil.%I PARTITION OF vigil.%I FOR VALUES FROM (%L) TO (%L)%s',
                       part, parent, lo, hi,
                       CASE WHEN parent = 'samples' AND sample_parts > 1
                            THEN format(' PARTITION BY LIST ((host_id %% %s))', sample_parts)
                            ELSE '' END);
    END LOOP;
    IF (SELECT c.relkind FROM pg_class c WHERE c.oid = format('vigil.%I', samples_day)::regclass) <> 'p' THEN
        RETURN 1;
    END IF;
    -- The day's modulus, from its key: LIST (((host_id % (N)::bigint))).
    parts := substring(pg_get_partkeydef(format('vigil.%I', samples_day)::regclass) FROM '%\D*(\d+)')::integer;
    FOR k IN 0 .. parts - 1 LOOP
        part := samples_day || '_p' || k;
        CONTINUE WHEN to_regclass(format('vigil.%I', part)) IS NOT NULL;
        EXECUTE format('CREATE TABLE vigil.%I PARTITION OF vigil.%I FOR VALUES IN (%s)',
                       part, samples_day, k);
    END LOOP;
    RETURN parts;
END $$;

CREATE OR REPLACE FUNCTION vigil.ensure_partitions(day date) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, vigil AS $$
BEGIN
    PERFORM vigil.ensure_partitions(day, 1);
END $$;

-- The collector's partitions ahead, with the samples in its writers' parts.
DROP FUNCTION vigil.ensure_partitions_ahead(timestamptz, integer);
CREATE FUNCTION vigil.ensure_partitions_ahead(now timestamptz, days integer, sample_parts integer)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, vigil AS $$
DECLARE
    today date := (now AT TIME ZONE 'UTC')::date;
BEGIN
    FOR d IN 0 .. days LOOP
        PERFORM vigil.ensure_partitions(today + d, sample_parts);
        PERFORM vigil.ensure_rollup_partitions(today + d);
    END LOOP;
    RETURN days + 1;
END $$;

-- A day in parts has no storage of its own: its bytes and rows are its parts'.
CREATE OR REPLACE FUNCTION vigil.partitions()
RETURNS TABLE (tier text, parent text, partition text, lo timestamptz, hi timestamptz,
               bytes bigint, rows_estimate bigint)
LANGUAGE sql STABLE AS $$
    SELECT CASE p.relname WHEN 'rollup_minute' THEN 'minute'
                          WHEN 'rollup_hour' THEN 'hour' ELSE 'raw' END,
           p.relname::text, c.relname::text,
           substring(pg_get_expr(c.relpartbound, c.oid) FROM $r$FROM \('([^']*)'\)$r$)::timestamptz,
           substring(pg_get_expr(c.relpartbound, c.oid) FROM $r$TO \('([^']*)'\)$r$)::timestamptz,
           (SELECT sum(pg_total_relation_size(t.relid))::bigint
              FROM pg_partition_tree(c.oid) t),
           (SELECT sum(greatest(l.reltuples, 0))::bigint
              FROM pg_partition_tree(c.oid) t JOIN pg_class l ON l.oid = t.relid
             WHERE t.isleaf)
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class p ON p.oid = i.inhparent
      JOIN pg_namespace n ON n.oid = p.relnamespace
     WHERE n.nspname = 'vigil'
       AND p.relname IN ('samples', 'distributions', 'rollup_minute', 'rollup_hour')
$$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['vigil.ensure_partitions(date, integer)',
                             'vigil.ensure_partitions_ahead(timestamptz, integer, integer)'] LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'vigil_reader') THEN
            EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM vigil_reader', f);
        END IF;
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'vigil_writer') THEN
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO vigil_writer', f);
        END IF;
    END LOOP;
END $$;
