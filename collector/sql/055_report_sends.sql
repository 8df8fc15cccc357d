-- Vigil schema: the daily report the collector sends through the outbox
-- (collector.yaml daily_report_receiver, daily_report_at). One row per
-- report and day it covers, written in the transaction that puts the
-- report's notifications into vigil.notifications: a report is queued once
-- per day, whatever restarts, and whichever of several collectors gets there
-- first. Control plane: no host_id.
CREATE TABLE vigil.report_sends (
    schedule         text NOT NULL,        -- "daily to RECEIVER"
    day              date NOT NULL,        -- the local day the report covers
    tz               text NOT NULL,
    receiver         text NOT NULL,
    selector         text NOT NULL DEFAULT '',
    due_at           timestamptz NOT NULL, -- when it fell due
    queued_at        timestamptz NOT NULL, -- when it went into the outbox
    notification_ids bigint[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (schedule, day)
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_reader') THEN
        GRANT SELECT ON vigil.report_sends TO vigil_reader;
    END IF;
END $$;
