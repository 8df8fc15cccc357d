-- Vigil schema, version 1: hosts, series, samples, distributions, batches.
--
-- Per-host tables carry host_id, and it leads every primary and unique key
-- there, so the schema can be sharded by host later. Raw samples carry no
-- btree index: one on (series, time) cuts binary COPY speed about five times;
-- reads of "what now" go through series.last_value, and history through BRIN.

CREATE SCHEMA IF NOT EXISTS vigil;

-- One row per agent. host_id is the key every per-host table is sharded on.
CREATE TABLE vigil.hosts (
    host_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id    text NOT NULL UNIQUE,
    hostname    text NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now(),
    last_seq    bigint NOT NULL DEFAULT 0,
    -- agent clock minus collector clock at the last batch, in ms: visible clock skew
    clock_skew_ms bigint NOT NULL DEFAULT 0
);

-- A metric name and its labels on one host. kind: 0 gauge, 1 counter, 2 distribution.
CREATE SEQUENCE vigil.series_id_seq;
CREATE TABLE vigil.series (
    host_id     bigint NOT NULL,
    series_id   bigint NOT NULL DEFAULT nextval('vigil.series_id_seq'),
    metric      text NOT NULL,
    labels      jsonb NOT NULL DEFAULT '{}',
    kind        smallint NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_ts     timestamptz,
    last_value  double precision,
    PRIMARY KEY (host_id, series_id),
    UNIQUE (host_id, metric, labels)
);
CREATE INDEX series_metric_idx ON vigil.series (metric, host_id);

-- Gauge and counter samples, partitioned by day (vigil.ensure_partitions).
CREATE TABLE vigil.samples (
    host_id     bigint NOT NULL,
    ts          timestamptz NOT NULL,
    series_id   bigint NOT NULL,
    value       double precision NOT NULL
) PARTITION BY RANGE (ts);

-- Distributions: log-bucket histograms (see proto/vigil.proto), partitioned by day.
-- bucket_index[i] has bucket_count[i] values; neg_* the same for negative values.
CREATE TABLE vigil.distributions (
    host_id     bigint NOT NULL,
    ts          timestamptz NOT NULL,
    series_id   bigint NOT NULL,
    count       bigint NOT NULL,
    sum         double precision NOT NULL,
    min         double precision NOT NULL,
    max         double precision NOT NULL,
    zero_count  bigint NOT NULL,
    bucket_index integer[] NOT NULL,
    bucket_count bigint[] NOT NULL,
    neg_bucket_index integer[] NOT NULL,
    neg_bucket_count bigint[] NOT NULL
) PARTITION BY RANGE (ts);

-- Events: a deploy finished, a backup done.
CREATE TABLE vigil.events (
    host_id     bigint NOT NULL,
    ts          timestamptz NOT NULL,
    name        text NOT NULL,
    labels      jsonb NOT NULL DEFAULT '{}',
    text        text NOT NULL DEFAULT ''
);
CREATE INDEX events_ts_idx ON vigil.events USING brin (ts);

-- Exactly-once: a batch's (host, seq) is stored in the same transaction as its samples.
CREATE TABLE vigil.batches (
    host_id     bigint NOT NULL,
    seq         bigint NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    samples     integer NOT NULL,
    PRIMARY KEY (host_id, seq)
);

-- Creates the daily partitions of samples and distributions that hold day.
-- Safe when several collectors call it at once.
CREATE FUNCTION vigil.ensure_partitions(day date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    parent text;
    part text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('vigil.ensure_partitions'));
    FOREACH parent IN ARRAY ARRAY['samples', 'distributions'] LOOP
        part := parent || '_' || to_char(day, 'YYYYMMDD');
        IF to_regclass(format('vigil.%I', part)) IS NULL THEN
            EXECUTE format('CREATE TABLE vigil.%I PARTITION OF vigil.%I FOR VALUES FROM (%L) TO (%L)',
                           part, parent, day::timestamptz, (day + 1)::timestamptz);
            EXECUTE format('CREATE INDEX ON vigil.%I USING brin (ts)', part);
        END IF;
    END LOOP;
END $$;
