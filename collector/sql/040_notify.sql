-- Notify: what the notify stage knows of each alert, its aggregation groups,
-- and the outbox.
--
-- The rules stage tells notify of every alert transition inside the
-- transaction that stores it; notify writes these tables on that same
-- connection, so a notification and the alert change that caused it commit
-- together or not at all. Alerts are referred to by alert_id and fingerprint
-- without a foreign key: vigil.alerts belongs to the rules stage.

-- The alert as notify last heard of it. state: 1 pending, 2 firing, 3 resolved.
CREATE TABLE vigil.notify_alerts (
    alert_id      bigint PRIMARY KEY,
    fingerprint   text NOT NULL,
    labels        jsonb NOT NULL,
    annotations   jsonb NOT NULL DEFAULT '{}',
    state         smallint NOT NULL,
    value         double precision,
    starts_at     timestamptz,
    ends_at       timestamptz,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX notify_alerts_firing_idx ON vigil.notify_alerts (alert_id) WHERE state = 2;

-- Aggregation groups: one per route and group labels, as in Alertmanager.
-- next_flush_at: when the group is looked at next (its group_wait, its
-- group_interval ticks, or its digest's instant). last_firing: the
-- fingerprints that were firing in its last notification.
CREATE TABLE vigil.notify_groups (
    group_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_key        text NOT NULL,
    receiver         text NOT NULL,
    route_key        text NOT NULL,
    group_labels     jsonb NOT NULL,
    created_at       timestamptz NOT NULL,
    next_flush_at    timestamptz,
    last_flush_at    timestamptz,
    last_notified_at timestamptz,
    last_firing      text[] NOT NULL DEFAULT '{}',
    UNIQUE (group_key, receiver)
);
CREATE INDEX notify_groups_due_idx ON vigil.notify_groups (next_flush_at);

CREATE TABLE vigil.notify_group_alerts (
    group_id    bigint NOT NULL REFERENCES vigil.notify_groups ON DELETE CASCADE,
    alert_id    bigint NOT NULL,
    PRIMARY KEY (group_id, alert_id)
);

-- The outbox: every notification, written before anything is sent. body is
-- the request as it is sent (the webhook's JSON, the e-mail's whole message),
-- the same bytes at every attempt, with the same idempotency_key. Where it
-- goes is looked up in routes.yaml at each attempt (receiver, kind and the
-- position in that receiver's list of that kind), so no secret URL is stored.
CREATE TABLE vigil.notifications (
    notification_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key  uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    receiver         text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('webhook', 'slack', 'alertmanager', 'email')),
    integration      integer NOT NULL,
    group_key        text NOT NULL,
    reason           text NOT NULL,
    alert_ids        bigint[] NOT NULL,
    escalation_level smallint,
    subject          text,
    body             text NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
    created_at       timestamptz NOT NULL,
    next_attempt_at  timestamptz NOT NULL,
    give_up_at       timestamptz NOT NULL,
    lease_until      timestamptz,
    attempts         integer NOT NULL DEFAULT 0,
    delivered_at     timestamptz,
    last_status      integer,
    last_error       text
);
CREATE INDEX notifications_pending_idx ON vigil.notifications (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX notifications_created_idx ON vigil.notifications (created_at);

-- Every attempt to deliver a notification. http_status: the HTTP status, or
-- for e-mail the SMTP reply code; NULL when no answer came.
CREATE TABLE vigil.notification_attempts (
    notification_id  bigint NOT NULL REFERENCES vigil.notifications ON DELETE CASCADE,
    attempt          integer NOT NULL,
    started_at       timestamptz NOT NULL,
    duration_ms      integer NOT NULL,
    http_status      integer,
    outcome          text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
    error            text,
    retry_after_ms   bigint,
    PRIMARY KEY (notification_id, attempt)
);
