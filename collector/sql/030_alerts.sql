-- Vigil schema: alerts and their transitions.
--
-- Control-plane tables: they live on one node, carry no host_id and have no
-- foreign keys to the per-host tables (an alert's labels say which host).
--
-- One row of vigil.alerts per alert: one rule's result for one label set,
-- from the moment it became pending until it resolved (or, if it was still
-- pending, was dropped). Its fingerprint is Alertmanager's: FNV-1a 64 over
-- the labels sorted by name, as 16 hex digits. A label set that comes back
-- after resolving is a new alert (a new row). The rules stage keeps the rows
-- of pending and firing alerts current, and reads them back at start, so a
-- restart neither forgets a firing alert nor fires it again, and a pending
-- alert keeps its start.

CREATE TABLE vigil.alerts (
    alert_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- the rule: "group/alertname"
    rule_key          text NOT NULL,
    rule_group        text NOT NULL,
    alertname         text NOT NULL,
    fingerprint       text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{16}$'),
    labels            jsonb NOT NULL,
    annotations       jsonb NOT NULL DEFAULT '{}',
    -- an ordinary label, kept in a column to filter on
    severity          text GENERATED ALWAYS AS (labels->>'severity') STORED,
    state             text NOT NULL
                      CHECK (state IN ('inactive', 'pending', 'firing', 'resolved')),
    -- the expression's value at the last evaluation written
    value             double precision,
    expr              text NOT NULL,
    active_at         timestamptz NOT NULL,
    fired_at          timestamptz,
    resolved_at       timestamptz,
    -- firing, condition gone since then: keep_firing_for counts from here
    keep_firing_since timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (rule_key, fingerprint, active_at)
);
-- What `vigil alerts` and the collector's start read: the open alerts.
CREATE INDEX alerts_open_idx ON vigil.alerts (rule_key) WHERE state IN ('pending', 'firing');
CREATE INDEX alerts_resolved_idx ON vigil.alerts (resolved_at) WHERE resolved_at IS NOT NULL;

-- Every change of an alert's state, in the transaction that stores it (and
-- in which notify schedules what it sends).
CREATE TABLE vigil.alert_transitions (
    transition_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id      bigint NOT NULL REFERENCES vigil.alerts (alert_id) ON DELETE CASCADE,
    at            timestamptz NOT NULL,
    from_state    text NOT NULL
                  CHECK (from_state IN ('inactive', 'pending', 'firing', 'resolved')),
    to_state      text NOT NULL
                  CHECK (to_state IN ('inactive', 'pending', 'firing', 'resolved')),
    value         double precision
);
CREATE INDEX alert_transitions_at_idx ON vigil.alert_transitions (at);
CREATE INDEX alert_transitions_alert_idx ON vigil.alert_transitions (alert_id);
