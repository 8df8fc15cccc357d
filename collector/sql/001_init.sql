-- Vigil schema, version 1: hosts, series, samples, distributions, events, batches.
--
-- Applied by the collector (coll_migrate.c) in one transaction, after it has
-- created schema vigil and vigil.schema_migrations under an advisory lock.
--
-- Per-host tables carry host_id, and it leads every primary and unique key
-- there, so the schema can be sharded by host later; they have no foreign
-- keys. Raw samples carry no btree index: one on (series, time) cuts binary
-- COPY speed about five times. "What now" is read from series.last_value,
-- history through the daily partitions (and rollups, later).
-- Days are UTC days, whatever the server's or the session's TimeZone.

CREATE SCHEMA IF NOT EXISTS vigil;

-- One row per agent. host_id is the key every per-host table is sharded on.
CREATE TABLE vigil.hosts (
    host_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id      text NOT NULL UNIQUE,
    hostname      text NOT NULL,
    first_seen    timestamptz NOT NULL DEFAULT now(),
    -- collector clock at the newest batch received from this agent
    last_seen     timestamptz NOT NULL DEFAULT now(),
    -- sequence number of the newest batch stored
    last_seq      bigint NOT NULL DEFAULT 0,
    -- agent clock minus collector clock for that batch, in ms: visible clock skew
    clock_skew_ms bigint NOT NULL DEFAULT 0
) WITH (fillfactor = 50);

-- The identity of a series: a digest of its metric name, kind and labels.
-- Labels are unbounded text, too long for a btree entry in the worst case; the
-- digest is not, and the store compares the full values as well.
CREATE FUNCTION vigil.series_key(metric text, kind smallint, labels jsonb) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT decode(md5(kind::text || chr(1) || metric || chr(1) || labels::text), 'hex')
$$;

-- A metric name, kind and labels on one host. kind: 0 gauge, 1 counter,
-- 2 distribution. last_ts/last_value: the newest sample (for a distribution,
-- its mean), written by the collector every few seconds. Half of every page is
-- left free (as in hosts) so those updates are HOT: they touch no index.
CREATE SEQUENCE vigil.series_id_seq AS bigint;
CREATE TABLE vigil.series (
    host_id     bigint NOT NULL,
    series_id   bigint NOT NULL DEFAULT nextval('vigil.series_id_seq'),
    metric      text NOT NULL,
    labels      jsonb NOT NULL DEFAULT '{}',
    kind        smallint NOT NULL CHECK (kind BETWEEN 0 AND 2),
    series_key  bytea GENERATED ALWAYS AS (vigil.series_key(metric, kind, labels)) STORED,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_ts     timestamptz,
    last_value  double precision,
    PRIMARY KEY (host_id, series_id),
    UNIQUE (host_id, series_key)
) WITH (fillfactor = 50);
ALTER SEQUENCE vigil.series_id_seq OWNED BY vigil.series.series_id;
-- "metric = 'cpu_percent'" across hosts. A hash index, because a btree entry
-- has a size limit that a long metric name from an agent could exceed.
CREATE INDEX series_metric_idx ON vigil.series USING hash (metric);

-- Gauge and counter samples, partitioned by UTC day (vigil.ensure_partitions).
CREATE TABLE vigil.samples (
    host_id     bigint NOT NULL,
    ts          timestamptz NOT NULL,
    series_id   bigint NOT NULL,
    value       double precision NOT NULL
) PARTITION BY RANGE (ts);

-- Distributions: log-bucket histograms (see proto/vigil.proto), partitioned by
-- UTC day. bucket_index[i] holds bucket_count[i] values; neg_* the same for
-- negative values; zero_count those of magnitude below 1e-9.
CREATE TABLE vigil.distributions (
    host_id          bigint NOT NULL,
    ts               timestamptz NOT NULL,
    series_id        bigint NOT NULL,
    count            bigint NOT NULL,
    sum              double precision NOT NULL,
    min              double precision NOT NULL,
    max              double precision NOT NULL,
    zero_count       bigint NOT NULL,
    bucket_index     integer[] NOT NULL,
    bucket_count     bigint[] NOT NULL,
    neg_bucket_index integer[] NOT NULL,
    neg_bucket_count bigint[] NOT NULL
) PARTITION BY RANGE (ts);

-- Events: a deploy finished, a backup done. Few rows; not partitioned.
CREATE TABLE vigil.events (
    host_id     bigint NOT NULL,
    ts          timestamptz NOT NULL,
    name        text NOT NULL,
    labels      jsonb NOT NULL DEFAULT '{}',
    text        text NOT NULL DEFAULT ''
);
CREATE INDEX events_ts_idx ON vigil.events USING brin (ts);

-- Exactly-once: a batch's (host, seq) is stored in the same transaction as its
-- samples. The agent's uint64 seq is stored as its two's-complement bigint.
CREATE TABLE vigil.batches (
    host_id     bigint NOT NULL,
    seq         bigint NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    samples     integer NOT NULL,
    PRIMARY KEY (host_id, seq)
);

-- Creates the partitions of samples and distributions that hold the UTC day
-- day. They are created bare: on PostgreSQL 15 even a BRIN index, maintained
-- row by row, costs COPY a third or more of its speed (vigil.index_partitions
-- adds one to days that are over). Safe when several collectors call it at once.
CREATE FUNCTION vigil.ensure_partitions(day date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    parent text;
    part text;
    lo timestamptz := day::timestamp AT TIME ZONE 'UTC';
    hi timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('vigil.ensure_partitions'));
    FOREACH parent IN ARRAY ARRAY['samples', 'distributions'] LOOP
        part := parent || '_' || to_char(day, 'YYYYMMDD');
        IF to_regclass(format('vigil.%I', part)) IS NULL THEN
            EXECUTE format('CREATE TABLE vigil.%I PARTITION OF vigil.%I FOR VALUES FROM (%L) TO (%L)',
                           part, parent, lo, hi);
        END IF;
    END LOOP;
END $$;

-- Adds a BRIN index on ts to every partition of samples and distributions
-- for a UTC day before before_day that has none, so that time ranges within
-- a day read only part of it. For a maintenance job, not the ingest path: it
-- reads each such partition once, and rows arriving late for those days then
-- pay for the index. Returns how many indexes it made.
CREATE FUNCTION vigil.index_partitions(before_day date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    parent text;
    part text;
    made integer := 0;
BEGIN
    FOREACH parent IN ARRAY ARRAY['samples', 'distributions'] LOOP
        FOR part IN
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = format('vigil.%I', parent)::regclass
               AND c.relname COLLATE "C" < (parent || '_' || to_char(before_day, 'YYYYMMDD'))
               AND NOT EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid)
             ORDER BY 1
        LOOP
            EXECUTE format('CREATE INDEX %I ON vigil.%I USING brin (ts)', part || '_ts_idx', part);
            made := made + 1;
        END LOOP;
    END LOOP;
    RETURN made;
END $$;

-- The q-quantile (0 <= q <= 1) of the merge of distributions, computed as
-- vg_sketch_quantile does in C: bucket counts are added, the rank is
-- floor(q * (n - 1)), and the answer is the representative value of the bucket
-- holding that rank, clamped to [min, max] (the first and last rank answer min
-- and max themselves); within 1 % of the exact value.
-- NULL when there is nothing to merge. For example, the P95 of one series over
-- the last hour:
--   SELECT vigil.dist_quantile(0.95, array_agg(d)) FROM vigil.distributions d
--    WHERE d.host_id = 1 AND d.series_id = 42 AND d.ts > now() - interval '1 hour';
CREATE FUNCTION vigil.dist_quantile(q double precision, dists vigil.distributions[])
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    WITH d AS (
        SELECT * FROM unnest(dists)
    ), tot AS (
        SELECT sum(d.count) AS n, min(d.min) AS lo, max(d.max) AS hi FROM d WHERE d.count > 0
    ), b AS (
        -- (sign, position in ascending value order, bucket index, count)
        SELECT -1 AS sign, -u.i AS pos, u.i AS idx, sum(u.c) AS c
          FROM d, unnest(d.neg_bucket_index, d.neg_bucket_count) AS u(i, c) GROUP BY u.i
        UNION ALL
        SELECT 0, 0, 0, sum(d.zero_count) FROM d
        UNION ALL
        SELECT 1, u.i, u.i, sum(u.c)
          FROM d, unnest(d.bucket_index, d.bucket_count) AS u(i, c) GROUP BY u.i
    ), cum AS (
        SELECT b.sign, b.idx, sum(b.c) OVER (ORDER BY b.sign, b.pos) AS seen
          FROM b WHERE b.c > 0
    ), hit AS (
        -- ln(gamma) and gamma as the C code has them, for the same doubles
        SELECT CASE cum.sign
                   WHEN 0 THEN 0.0::float8
                   ELSE cum.sign * (2.0::float8 * exp(cum.idx * 0.020000666706669525::float8)
                                    / (1.0202020202020202::float8 + 1.0::float8))
               END AS v
          FROM cum, tot
         WHERE cum.seen > floor(q * (tot.n - 1))
         ORDER BY cum.sign, cum.seen
         LIMIT 1
    )
    SELECT CASE
               WHEN tot.n IS NULL OR q < 0 OR q > 1 THEN NULL
               -- the extremes are known exactly
               WHEN floor(q * (tot.n - 1)) = 0 THEN tot.lo
               WHEN floor(q * (tot.n - 1)) >= tot.n - 1 THEN tot.hi
               ELSE least(greatest(coalesce((SELECT v FROM hit), tot.hi), tot.lo), tot.hi)
           END
      FROM tot
$$;
