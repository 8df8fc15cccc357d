-- Vigil schema: alert history in the SQL interface (docs/sql.md), which the
-- reports' alerts section reads: every alert the rules engine kept
-- (vigil.alerts) with its acknowledgements (vigil.alert_acks), when it was
-- first acknowledged and how long that took, and how long it took to
-- resolve. Control plane: no host_id.

-- One row per alert. first_ack_at is its earliest ack (by the CLI, the API or
-- a signed link); acks counts them (a new ack replaces the one in force).
-- time_to_ack and time_to_resolve count from the moment it fired, and are
-- NULL for an alert that never fired (dropped while pending), was never
-- acknowledged, or has not resolved.
CREATE VIEW vigil.alert_history AS
    SELECT a.alert_id, a.alertname, a.severity, a.labels, a.annotations, a.state,
           a.active_at, a.fired_at, a.resolved_at,
           k.first_ack_at, k.first_acked_by, k.first_ack_via, coalesce(k.acks, 0) AS acks,
           CASE WHEN a.fired_at IS NOT NULL THEN k.first_ack_at - a.fired_at END AS time_to_ack,
           CASE WHEN a.fired_at IS NOT NULL THEN a.resolved_at - a.fired_at END
               AS time_to_resolve
      FROM vigil.alerts a
      LEFT JOIN LATERAL (
          SELECT min(x.acked_at) AS first_ack_at, count(*) AS acks,
                 (array_agg(x.acked_by ORDER BY x.acked_at, x.ack_id))[1] AS first_acked_by,
                 (array_agg(x.via ORDER BY x.acked_at, x.ack_id))[1] AS first_ack_via
            FROM vigil.alert_acks x
           WHERE x.alert_id = a.alert_id
      ) k ON true;

-- The alerts that fired in [since, until) and that a selector allows,
-- matched on their labels as series are (a label the alert lacks counts as
-- ""; host is its label host): service="chat-api" keeps the alerts labelled
-- with that service, and leaves out those of other services and those
-- without a service label.
CREATE FUNCTION vigil.alerts_between(since timestamptz, until timestamptz,
                                     selector text DEFAULT '')
RETURNS SETOF vigil.alert_history
LANGUAGE sql STABLE AS $$
    WITH m AS (
        SELECT array_agg(p.key) AS keys, array_agg(p.op) AS ops, array_agg(p.value) AS vals
          FROM vigil.selector_parse(selector) p
    )
    SELECT h.* FROM vigil.alert_history h, m
     WHERE h.fired_at >= since AND h.fired_at < until
       AND (m.keys IS NULL
            OR vigil.selector_match(h.labels, h.labels->>'host', m.keys, m.ops, m.vals))
     ORDER BY h.fired_at, h.alert_id
$$;

-- The figures of the alerts that fired in [since, until), per value of
-- label by_label (NULL: all together, grp NULL; 'severity', 'alertname' or
-- any label; '' for alerts without it): how many fired, were acknowledged
-- (by now), resolved without an ack, still fire; the time to acknowledge
-- (average, median, longest) and to resolve (average), in seconds. A time
-- without any alert to measure is NULL, never 0.
CREATE FUNCTION vigil.alert_stats(since timestamptz, until timestamptz, selector text DEFAULT '',
                                  by_label text DEFAULT NULL)
RETURNS TABLE (grp text, fired bigint, acknowledged bigint, resolved_unacked bigint,
               firing bigint, ack_avg_s double precision, ack_p50_s double precision,
               ack_max_s double precision, resolve_avg_s double precision)
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN by_label IS NULL THEN NULL
                ELSE coalesce(h.labels->>by_label,
                              CASE by_label WHEN 'alertname' THEN h.alertname
                                            WHEN 'severity' THEN h.severity END, '') END,
           count(*),
           count(h.first_ack_at),
           count(*) FILTER (WHERE h.first_ack_at IS NULL AND h.resolved_at IS NOT NULL),
           count(*) FILTER (WHERE h.state = 'firing'),
           avg(extract(epoch FROM h.time_to_ack))::float8,
           (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM h.time_to_ack)))::float8,
           max(extract(epoch FROM h.time_to_ack))::float8,
           avg(extract(epoch FROM h.time_to_resolve))::float8
      FROM vigil.alerts_between(since, until, selector) h
     GROUP BY 1
     ORDER BY 2 DESC, 1
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_reader') THEN
        GRANT SELECT ON vigil.alert_history TO vigil_reader;
        GRANT EXECUTE ON FUNCTION vigil.alerts_between(timestamptz, timestamptz, text),
                                  vigil.alert_stats(timestamptz, timestamptz, text, text)
            TO vigil_reader;
    END IF;
END $$;
