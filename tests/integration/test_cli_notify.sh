#!/usr/bin/env bash
# test_cli_notify.sh - `vigil silence`, `vigil ack` and `vigil notifications`
# against a real PostgreSQL with the real schema: what they store (read back
# with SQL), what they print, and their refusals (bad matchers, an alert that
# does not fire, an unknown silence).
set -euo pipefail
: "${VIGIL_TEST_PG_DIR:?run this test with ctest}" "${VIGIL_BUILD_DIR:?}" "${VIGIL_SOURCE_DIR:?}"

vigil=$VIGIL_BUILD_DIR/cli/vigil
cluster=$(cat "$VIGIL_TEST_PG_DIR/url")
db=${cluster%/*}/vigil_test_cli_notify
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export VIGIL_DATABASE_URL=$db USER=tester
q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
die() { echo "FAIL: $*" >&2; [[ -f $work/o ]] && sed 's/^/  | /' "$work/o" "$work/e" >&2; exit 1; }
# v WANT_RC ARGS...: run vigil; stdout in $work/o, stderr in $work/e.
v() {
    local want=$1 rc=0
    shift
    "$vigil" "$@" >"$work/o" 2>"$work/e" </dev/null || rc=$?
    ((rc == want)) || die "vigil $* exited $rc, wanted $want"
}
has() { grep -qF -- "$2" "$work/$1" || die "expected \"$2\" in $1"; }
same() { [[ "$1" == "$2" ]] || die "$3: got \"$1\", wanted \"$2\""; }

q "$cluster" -c "DROP DATABASE IF EXISTS vigil_test_cli_notify WITH (FORCE)" \
    -c "CREATE DATABASE vigil_test_cli_notify"
for f in "$VIGIL_SOURCE_DIR"/collector/sql/*.sql; do q "$db" -f "$f" >/dev/null; done

# Silences.
v 0 silence add 'service="api"' --for 2h --comment "deploy 1.4"
has o "added: service=\"api\" for 2h"
id=$(q "$db" -c "SELECT silence_id FROM vigil.silences")
same "$(q "$db" -c "SELECT created_by || '|' || comment || '|' ||
    round(extract(epoch FROM ends_at - starts_at)) FROM vigil.silences")" "tester|deploy 1.4|7200" \
    "the stored silence"
v 0 silence list
has o "service=\"api\""
has o "active"
v 0 silence list --json
same "$(q "$db" -c "SELECT ('$(tr -d '\n' <"$work/o")'::jsonb)->'silences'->0->>'comment'")" \
    "deploy 1.4" "list --json"
v 2 silence add 'service=~"("' --for 1h
has e "bad matchers"
v 2 silence add 'service="api"'
has e "--for needs a duration"
v 0 silence expire "${id:0:8}"
has o "silence $id expired"
same "$(q "$db" -c "SELECT ends_at <= now() FROM vigil.silences")" "t" "expired ends now"
v 1 silence expire "${id:0:8}"
has e "no active silence"
v 0 silence list
has o "no silences in force"

# Acks: a firing alert with a climb, and a resolved one.
q "$db" -c "INSERT INTO vigil.notify_alerts (alert_id, fingerprint, labels, state, updated_at)
    VALUES (7, '00000000000000aa', '{\"alertname\": \"ApiDown\"}', 2, now()),
           (8, '00000000000000bb', '{\"alertname\": \"Old\"}', 3, now())" \
    -c "INSERT INTO vigil.escalations (alert_id, route_key, policy, fingerprint, started_at,
        level, next_at) VALUES (7, '{}', 'p', '00000000000000aa', now(), 1,
        now() + interval '10 minutes')"
v 0 ack 7 --comment "rolling back" --expires 2h
has o "alert 7 (ApiDown) acknowledged for 2h; 1 escalation held"
same "$(q "$db" -c "SELECT e.state || '|' || (e.remaining_ms BETWEEN 590000 AND 600000) || '|' ||
    k.acked_by || '|' || k.via || '|' || round(extract(epoch FROM k.expires_at - k.acked_at))
    FROM vigil.escalations e JOIN vigil.alert_acks k USING (alert_id)")" \
    "acked|true|tester|cli|7200" "the ack and the held climb"
v 0 ack 00000000000000aa
same "$(q "$db" -c "SELECT count(*) FILTER (WHERE ended_at IS NULL) || '/' || count(*)
    FROM vigil.alert_acks")" "1/2" "a new ack replaces the old"
v 1 ack 8
has e "is not firing"
v 1 ack 9
has e "no alert 9"
v 2 ack x1
has e "neither an alert id nor a fingerprint"

# The outbox.
v 3 notifications
has o "no notifications yet"
q "$db" -c "INSERT INTO vigil.notifications (receiver, kind, integration, group_key, reason,
    alert_ids, body, status, created_at, next_attempt_at, give_up_at, attempts, last_error)
    VALUES ('oncall', 'slack', 0, '{}:{}', 'first notification', '{7}', '{}', 'failed', now(),
            now(), now(), 3, 'HTTP 404: channel_not_found'),
           ('team', 'webhook', 0, '{}:{}', 'first notification', '{7}', '{}', 'pending', now(),
            now() + interval '1 minute', now() + interval '1 day', 1, 'HTTP 429')"
v 0 notifications
has o "RECEIVER"
has o "channel_not_found"
has o "next attempt"
v 0 notifications --status failed --json
same "$(q "$db" -c "SELECT jsonb_array_length(('$(tr -d '\n' <"$work/o")'::jsonb)->'notifications')")" \
    "1" "--status failed"
v 2 notifications --status lost
has e "pending, delivered or failed"
echo "test_cli_notify: ok"
