#!/usr/bin/env bash
# test_event.sh - `vigil event add deploy` and `vigil event list` against a
# real PostgreSQL with the real schema: deploys recorded with their times,
# labels and notes, read back (agents' own deploy events too), filtered by a
# selector; refused input says why and exits 2; a database away exits 1.
source "${VIGIL_SOURCE_DIR:?run this test with ctest}/tests/helpers/testlib.sh"
q "$cluster" -c "DROP DATABASE IF EXISTS vigil_test_event WITH (FORCE)" -c "CREATE DATABASE vigil_test_event"
db=${cluster%/*}/vigil_test_event
q "$db" -c "CREATE SCHEMA vigil"
for f in $(ls "$VIGIL_SOURCE_DIR"/collector/sql/*.sql | sort); do q "$db" -f "$f" >/dev/null; done

run 0 event --help
expect "$tmp/out" "vigil event add deploy --service NAME --version VERSION"
run 0 event add deploy --db "$db" --service chat-api --version 1.4.2 \
    --at "2026-01-15 10:30 Asia/Seoul" --label env=prod --label region=kr --note "canary first"
expect "$tmp/out" "recorded deploy 1: chat-api 1.4.2 at 2026-01-15T01:30:00Z"
run 0 event add deploy --db "$db" --service chat-api --version 1.4.3 --at -2h
run 0 event add deploy --db "$db" --service billing --version 7
[[ "$(q "$db" -c "SELECT labels->>'region' || ' ' || note || ' ' || source FROM vigil.deploys WHERE deploy_id = 1")" == "kr canary first cli" ]] ||
    fail "deploy 1 stored wrong"
[[ "$(q "$db" -c "SELECT abs (extract (epoch FROM ts - (now () - interval '2 hours'))) < 60 FROM vigil.deploys WHERE deploy_id = 2")" == t ]] ||
    fail "--at -2h was not two hours ago"

# An agent's own deploy event counts as a deploy.
q "$db" <<'SQL'
INSERT INTO vigil.hosts (agent_id, hostname) VALUES ('agent-a', 'api-1');
INSERT INTO vigil.events (host_id, ts, name, labels, text)
SELECT host_id, now () - interval '1 hour', 'deploy', '{"service": "chat-api", "version": "1.4.4"}', 'by agent'
  FROM vigil.hosts;
SQL

run 0 event list --db "$db" --since 2026-01-01
expect "$tmp/out" "2026-01-15T01:30:00Z   chat-api         1.4.2        cli         canary first"
expect "$tmp/out" "agent:api-1"
[[ $(grep -c . "$tmp/out") == 5 ]] || fail "expected a header and 4 deploys: $(cat "$tmp/out")"
run 0 event list --db "$db" --since 2026-01-01 --json --where 'service="chat-api"'
json=$(cat "$tmp/out")
[[ "$(q "$db" -v j="$json" <<<"SELECT string_agg (d->>'version', ',') FROM jsonb_array_elements ((:'j')::jsonb->'deploys') d")" == "1.4.2,1.4.3,1.4.4" ]] ||
    fail "JSON list: $json"
run 0 event list --db "$db" --since -1d
[[ $(grep -c . "$tmp/out") == 4 ]] || fail "--since -1d: $(cat "$tmp/out")"

# Refused input: exit 2, with the reason.
run 2 event add deploy --db "$db" --version 1
expect "$tmp/err" "a deploy needs --service and --version"
run 2 event add deploy --db "$db" --service a --version 1 --at "half past ten"
expect "$tmp/err" 'cannot read the time "half past ten"'
run 2 event add deploy --db "$db" --service a --version 1 --at 2099-01-01
expect "$tmp/err" "more than a day ahead"
run 2 event add deploy --db "$db" --service a --version 1 --label nokey
expect "$tmp/err" "--label expects KEY=VALUE"
run 2 event add backup --db "$db"
expect "$tmp/err" "can add deploy events only"
run 2 event list --db "$db" --where 'service=chat-api'
expect "$tmp/err" "cannot read the selector"
[[ "$(q "$db" -c "SELECT count (*) FROM vigil.deploys")" == 3 ]] || fail "a refused deploy was stored"

. "$VIGIL_SOURCE_DIR/deploy/free-port.sh"
port=$(free_port)
run 1 event list --db "postgresql://postgres@127.0.0.1:$port/x"
expect "$tmp/err" "cannot connect to the database at 127.0.0.1:$port"
echo "test_event: ok"
