-- Escalation: one climb per firing alert and route with a policy. level is
-- the highest level notified (0: none yet); next_at is when the next level
-- falls due (NULL at the top, or once the climb is over). While an ack holds,
-- state is 'acked' and remaining_ms keeps the time that was left until the
-- next level: when the ack expires and the alert still fires, the climb
-- resumes with that much left.
CREATE TABLE vigil.escalations (
    alert_id      bigint NOT NULL,
    route_key     text NOT NULL,
    policy        text NOT NULL,
    fingerprint   text NOT NULL,
    started_at    timestamptz NOT NULL,
    level         smallint NOT NULL DEFAULT 0,
    next_at       timestamptz,
    remaining_ms  bigint,
    state         text NOT NULL DEFAULT 'climbing'
                  CHECK (state IN ('climbing', 'acked', 'top', 'resolved')),
    PRIMARY KEY (alert_id, route_key)
);
CREATE INDEX escalations_due_idx ON vigil.escalations (next_at) WHERE state = 'climbing';

-- Every step of every climb: a level notified (with the time it fell due, so
-- a late step shows), an ack, an ack that expired, the resolution.
CREATE TABLE vigil.escalation_steps (
    step_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id    bigint NOT NULL,
    route_key   text NOT NULL,
    level       smallint NOT NULL,
    what        text NOT NULL,
    due_at      timestamptz,
    at          timestamptz NOT NULL
);
CREATE INDEX escalation_steps_alert_idx ON vigil.escalation_steps (alert_id);

-- Acknowledgements: from the CLI, the HTTP API or a signed link. An ack
-- without expires_at holds until the alert resolves. ended_at is set when an
-- expired ack has been acted on, or when a newer ack replaces it.
CREATE TABLE vigil.alert_acks (
    ack_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id    bigint NOT NULL,
    acked_at    timestamptz NOT NULL,
    expires_at  timestamptz,
    acked_by    text NOT NULL,
    comment     text NOT NULL DEFAULT '',
    via         text NOT NULL CHECK (via IN ('cli', 'api', 'link')),
    ended_at    timestamptz
);
CREATE INDEX alert_acks_alert_idx ON vigil.alert_acks (alert_id);

-- Acknowledges an alert at now: ends the ack it had, records this one, holds
-- its climbs (keeping the time left to their next level) and wakes the
-- collector. Returns the new ack's id; NULL when notify knows no such alert.
CREATE FUNCTION vigil.ack_alert(p_alert_id bigint, p_now timestamptz, p_expires timestamptz,
                                p_by text, p_comment text, p_via text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    id bigint;
BEGIN
    PERFORM 1 FROM vigil.notify_alerts WHERE alert_id = p_alert_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    UPDATE vigil.alert_acks SET ended_at = p_now
     WHERE alert_id = p_alert_id AND ended_at IS NULL;
    INSERT INTO vigil.alert_acks (alert_id, acked_at, expires_at, acked_by, comment, via)
    VALUES (p_alert_id, p_now, p_expires, p_by, coalesce(p_comment, ''), p_via)
    RETURNING ack_id INTO id;
    INSERT INTO vigil.escalation_steps (alert_id, route_key, level, what, at)
    SELECT alert_id, route_key, level, 'acked by ' || p_by || ' via ' || p_via, p_now
      FROM vigil.escalations WHERE alert_id = p_alert_id AND state IN ('climbing', 'acked', 'top');
    UPDATE vigil.escalations
       SET remaining_ms = CASE WHEN next_at IS NULL THEN NULL
                               ELSE greatest(0, (extract(epoch FROM next_at - p_now) * 1000)::bigint)
                          END,
           next_at = NULL, state = 'acked'
     WHERE alert_id = p_alert_id AND state IN ('climbing', 'top');
    PERFORM pg_notify('vigil_notify', 'ack');
    RETURN id;
END $$;
