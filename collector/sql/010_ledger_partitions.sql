-- Vigil schema, version 10: the batch ledger is partitioned by day, and kept
-- as long as an agent may replay a batch, then trimmed by dropping partitions.
--
-- A batch's key must find its first copy when the agent replays it (after an
-- outage, from its spool, up to 7 days by default). A unique key on a
-- partitioned table must hold the partition key, so the partition key is a
-- value that a replay repeats: sent_at, the agent's clock when it made the
-- batch, carried in the batch's bytes (an agent resends the bytes it spooled).
-- A batch whose clock reading is implausible (before 1970, after 2100) is
-- recorded at 1970-01-01, which every replay of it repeats too.
--
-- Partitions: one per UTC day of sent_at inside a window [lo, hi), created
-- ahead; batches_past below the window, batches_future above it (agents whose
-- clocks are far off). vigil.ledger_maintain moves the window each day: it
-- makes the new days (moving any rows of them out of batches_future) and drops
-- the days that fell out of the window together with batches_past - never a
-- DELETE. lo only moves forward.

ALTER TABLE vigil.batches RENAME TO batches_unpartitioned;

CREATE TABLE vigil.batches (
    host_id     bigint NOT NULL,
    incarnation bigint NOT NULL DEFAULT 0,
    seq         bigint NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    -- the agent's clock when it made the batch; 1970-01-01 when implausible
    sent_at     timestamptz NOT NULL,
    samples     integer NOT NULL,
    PRIMARY KEY (host_id, incarnation, seq, sent_at)
) PARTITION BY RANGE (sent_at);

-- The window of day partitions: [lo, hi), UTC days.
CREATE TABLE vigil.ledger_window (
    lo date NOT NULL,
    hi date NOT NULL
);
INSERT INTO vigil.ledger_window
    SELECT (now() AT TIME ZONE 'UTC')::date, (now() AT TIME ZONE 'UTC')::date;

CREATE FUNCTION vigil.ledger_bound(day date) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT day::timestamp AT TIME ZONE 'UTC'
$$;

DO $$
DECLARE
    d date := (SELECT lo FROM vigil.ledger_window);
BEGIN
    EXECUTE format('CREATE TABLE vigil.batches_past PARTITION OF vigil.batches'
                   ' FOR VALUES FROM (MINVALUE) TO (%L)', vigil.ledger_bound(d));
    EXECUTE format('CREATE TABLE vigil.batches_future PARTITION OF vigil.batches'
                   ' FOR VALUES FROM (%L) TO (MAXVALUE)', vigil.ledger_bound(d));
END $$;

INSERT INTO vigil.batches (host_id, incarnation, seq, received_at, sent_at, samples)
    SELECT host_id, incarnation, seq, received_at,
           coalesce(sent_at, '1970-01-01 00:00:00+00'), samples
      FROM vigil.batches_unpartitioned;
DROP TABLE vigil.batches_unpartitioned;

-- Moves the window to [today - keep_days, today + ahead_days + 1): makes the
-- day partitions that come in, drops those that go out and batches_past with
-- them (the rows there are older than the new window). Safe with several
-- collectors calling at once; a no-op when the window is where it should be.
-- Returns how many partitions it dropped.
CREATE FUNCTION vigil.ledger_maintain(today date, keep_days integer, ahead_days integer)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    cur_lo date;
    cur_hi date;
    want_lo date := today - keep_days;
    want_hi date := today + ahead_days + 1;
    d date;
    dropped integer := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('vigil.ledger_maintain'));
    SELECT lo, hi INTO cur_lo, cur_hi FROM vigil.ledger_window FOR UPDATE;
    IF want_lo < cur_lo THEN
        want_lo := cur_lo; -- the past is not split back into days
    END IF;
    IF want_hi < want_lo THEN
        want_hi := want_lo;
    END IF;
    IF want_lo = cur_lo AND want_hi <= cur_hi THEN
        RETURN 0;
    END IF;
    -- Everything in the future partition goes back in once the new
    -- partitions are there.
    ALTER TABLE vigil.batches DETACH PARTITION vigil.batches_future;
    ALTER TABLE vigil.batches_future RENAME TO batches_future_old;
    IF want_lo > cur_lo THEN
        DROP TABLE vigil.batches_past;
        dropped := dropped + 1;
        d := cur_lo;
        WHILE d < least(want_lo, cur_hi) LOOP
            IF to_regclass(format('vigil.%I', 'batches_' || to_char(d, 'YYYYMMDD'))) IS NOT NULL THEN
                EXECUTE format('DROP TABLE vigil.%I', 'batches_' || to_char(d, 'YYYYMMDD'));
                dropped := dropped + 1;
            END IF;
            d := d + 1;
        END LOOP;
        EXECUTE format('CREATE TABLE vigil.batches_past PARTITION OF vigil.batches'
                       ' FOR VALUES FROM (MINVALUE) TO (%L)', vigil.ledger_bound(want_lo));
    END IF;
    d := greatest(cur_hi, want_lo);
    WHILE d < want_hi LOOP
        EXECUTE format('CREATE TABLE vigil.%I PARTITION OF vigil.batches FOR VALUES FROM (%L) TO (%L)',
                       'batches_' || to_char(d, 'YYYYMMDD'), vigil.ledger_bound(d),
                       vigil.ledger_bound(d + 1));
        d := d + 1;
    END LOOP;
    EXECUTE format('CREATE TABLE vigil.batches_future PARTITION OF vigil.batches'
                   ' FOR VALUES FROM (%L) TO (MAXVALUE)', vigil.ledger_bound(greatest(want_hi, cur_hi)));
    INSERT INTO vigil.batches SELECT * FROM vigil.batches_future_old;
    DROP TABLE vigil.batches_future_old;
    UPDATE vigil.ledger_window SET lo = want_lo, hi = greatest(want_hi, cur_hi);
    RETURN dropped;
END $$;
