-- fixture_alerts.sql - the fixture day's alerts, as the rules engine stores
-- them (vigil.alerts, vigil.alert_transitions) and the notify stage stores
-- their acks (vigil.alert_acks). Run by fixture_alerts (fixture.sh) with
-- psql -v day=YYYY-MM-DD -v tz=ZONE. Local times of the fixture day:
--
--   alert                  severity  service   fired   acked (first, more)   resolved
--   ApiLatencyP95Critical  critical  chat-api  10:40   10:52, 11:00          11:30
--   ApiErrorRateWarning    warning   chat-api  14:00   -                     14:20
--   ApiErrorRateWarning    warning   chat-api  20:00   20:03:30 (link)       20:30
--   MemoryHigh             warning   chat-api  23:50   +1d 00:15 (api)       +1d 01:00
--   DiskFull               critical  web       09:00   09:05                 09:10
--   HostDown               critical  (none)    03:00   03:01                 03:30
--   ApiLatencyP95Warning   warning   chat-api  22:00   -                     still firing
--   ApiErrorRateWarning    warning   chat-api  -1d 23:30  -1d 23:40          -1d 23:45
--   CpuHigh                warning   chat-api  pending at 12:00, dropped: never fired
CREATE TEMPORARY TABLE fx (n int, alertname text, severity text, labels jsonb,
                           fired interval, acks interval[], vias text[], resolved interval,
                           pending_only boolean);
INSERT INTO fx VALUES
    (1, 'ApiLatencyP95Critical', 'critical', '{"service": "chat-api"}', '10:40',
     '{10:52, 11:00}', '{cli, api}', '11:30', false),
    (2, 'ApiErrorRateWarning', 'warning', '{"service": "chat-api"}', '14:00', '{}', '{}', '14:20', false),
    (3, 'ApiErrorRateWarning', 'warning', '{"service": "chat-api"}', '20:00',
     '{20:03:30}', '{link}', '20:30', false),
    (4, 'MemoryHigh', 'warning', '{"service": "chat-api", "host": "api-2"}', '23:50',
     '{24:15}', '{api}', '25:00', false),
    (5, 'DiskFull', 'critical', '{"service": "web"}', '09:00', '{09:05}', '{cli}', '09:10', false),
    (6, 'HostDown', 'critical', '{"instance": "api-3"}', '03:00', '{03:01}', '{cli}', '03:30', false),
    (7, 'ApiLatencyP95Warning', 'warning', '{"service": "chat-api"}', '22:00', '{}', '{}', NULL, false),
    (8, 'ApiErrorRateWarning', 'warning', '{"service": "chat-api"}', '-00:30',
     '{-00:20}', '{cli}', '-00:15', false),
    (9, 'CpuHigh', 'warning', '{"service": "chat-api"}', '12:00', '{}', '{}', NULL, true);

CREATE TEMPORARY TABLE fx_at AS
    SELECT fx.*, ((:'day'::date)::timestamp AT TIME ZONE :'tz') AS midnight FROM fx;

INSERT INTO vigil.alerts (rule_key, rule_group, alertname, fingerprint, labels, annotations,
                          state, value, expr, active_at, fired_at, resolved_at, updated_at)
SELECT 'fixture/' || alertname, 'fixture', alertname, lpad(to_hex(n), 16, '0'),
       labels || jsonb_build_object('alertname', alertname, 'severity', severity),
       jsonb_build_object('summary', alertname || ' on ' || coalesce(labels->>'service', 'a host')),
       CASE WHEN pending_only THEN 'inactive' WHEN resolved IS NULL THEN 'firing'
            ELSE 'resolved' END,
       1, 'fixture', midnight + fired - interval '1 minute',
       CASE WHEN NOT pending_only THEN midnight + fired END, midnight + resolved,
       now()
  FROM fx_at ORDER BY n;

INSERT INTO vigil.alert_transitions (alert_id, at, from_state, to_state, value)
SELECT a.alert_id, t.at, t.from_state, t.to_state, 1
  FROM fx_at f JOIN vigil.alerts a ON a.fingerprint = lpad(to_hex(f.n), 16, '0'),
       LATERAL (VALUES (a.active_at, 'inactive', 'pending'),
                       (a.fired_at, 'pending', 'firing'),
                       (a.resolved_at, 'firing', 'resolved'),
                       (CASE WHEN f.pending_only THEN a.active_at + interval '30 seconds' END,
                        'pending', 'inactive')) AS t(at, from_state, to_state)
 WHERE t.at IS NOT NULL;

INSERT INTO vigil.alert_acks (alert_id, acked_at, acked_by, comment, via, ended_at)
SELECT a.alert_id, f.midnight + x.at, 'fixture', '', x.via,
       lead(f.midnight + x.at) OVER (PARTITION BY a.alert_id ORDER BY x.at)
  FROM fx_at f JOIN vigil.alerts a ON a.fingerprint = lpad(to_hex(f.n), 16, '0'),
       unnest(f.acks, f.vias) AS x(at, via);
