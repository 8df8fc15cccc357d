#!/usr/bin/env bash
# test_roles.sh - least privilege in PostgreSQL: the owner migrates
# (vigil-collector --migrate), the collector stores batches as a member of
# vigil_writer, which cannot run DDL (new day partitions still come, through
# vigil.ensure_partitions, and the collector's upkeep - the ledger's window,
# partitions ahead, retention - through functions that run with the owner's
# rights, retention never reaching a partition not wholly past), reports read as a member of vigil_reader, which
# cannot write; a table a later migration adds is readable and writable by
# the same roles (default privileges). Login roles come from deploy/roles.sql.
set -euo pipefail

: "${VIGIL_TEST_PG_DIR:?run this test with ctest}"
: "${VIGIL_BUILD_DIR:?run this test with ctest}"
: "${VIGIL_SOURCE_DIR:?run this test with ctest}"

collector=$VIGIL_BUILD_DIR/collector/vigil-collector
loadgen=$VIGIL_BUILD_DIR/tests/vigil-loadgen
cluster=$(cat "$VIGIL_TEST_PG_DIR/url")
base=${cluster%/*}
host_port=${base#postgresql://*@}
tmp=$(mktemp -d)
pid=
cleanup() {
    [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    [[ -f "$tmp/collector.log" ]] && tail -n 30 "$tmp/collector.log" >&2
    exit 1
}
sql() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
# refused URL SQL: the statement fails with "permission denied".
refused() {
    local out
    if out=$(sql "$1" -c "$2" 2>&1); then fail "\"$2\" as ${1%%@*} was allowed"; fi
    grep -q "permission denied\|must be owner" <<<"$out" || fail "\"$2\": $out"
}

db=vigil_test_roles
sql "$cluster" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
sql "$base/$db" -v owner_pw="'o'" -v writer_pw="'w'" -v reader_pw="'r'" \
    -f "$VIGIL_SOURCE_DIR/deploy/roles.sql" >/dev/null
owner=postgresql://vigil_owner@$host_port/$db
writer=postgresql://vigil_collector@$host_port/$db
reader=postgresql://vigil_report@$host_port/$db

# The owner migrates; the schema is the owner's.
VIGIL_DATABASE_URL=$owner "$collector" --migrate >"$tmp/migrate.log" 2>&1 ||
    { cat "$tmp/migrate.log"; fail "--migrate as vigil_owner failed"; }
grep -q "is up to date" "$tmp/migrate.log" || fail "no 'up to date' after --migrate"
[[ $(sql "$base/$db" -c "SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'vigil'") == vigil_owner ]] ||
    fail "schema vigil is not owned by vigil_owner"

# The collector as a member of vigil_writer stores batches, samples dated
# from a day back (day partitions made through ensure_partitions).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listen: tcp://127.0.0.1:%s\ndatabase_url: %s\n' "$port" "$writer" >"$tmp/c.yaml"
"$collector" -c "$tmp/c.yaml" >"$tmp/collector.log" 2>&1 &
pid=$!
"$loadgen" --endpoint "tcp://127.0.0.1:$port" --agents 2 --series 10 --samples-per-batch 100 \
    --duration 2 --quiet --drain-ms 60000 >"$tmp/loadgen.out" 2>&1 ||
    { cat "$tmp/loadgen.out"; fail "loadgen did not get every batch acknowledged"; }
acked=$(sed -n 's/^acked_samples=//p' "$tmp/loadgen.out")
stored=$(sql "$reader" -c "SELECT count(*) FROM vigil.samples")
[[ "$acked" -gt 0 && "$acked" == "$stored" ]] || fail "acked $acked samples, the reader sees $stored"
kill -TERM "$pid"
wait "$pid" || fail "the collector did not exit 0"
pid=
# Its upkeep ran as the writer too: the ledger's window and every tier's
# partitions two days ahead, with no permission refused.
! grep -q "SQLSTATE 42501" "$tmp/collector.log" ||
    fail "the collector was refused a right: $(grep "SQLSTATE 42501" "$tmp/collector.log" | head -n 2)"
ahead=$(sql "$reader" -c "SELECT to_char ((now () AT TIME ZONE 'UTC')::date + 2, 'YYYYMMDD')")
for table in samples distributions rollup_minute batches; do
    [[ $(sql "$reader" -c "SELECT to_regclass ('vigil.${table}_$ahead') IS NOT NULL") == t ]] ||
        fail "no partition vigil.${table}_$ahead: the collector's upkeep did not run as the writer"
done
# Retention's drop, in the writer's hands, cannot reach what is being written.
today=$(sql "$reader" -c "SELECT to_char ((now () AT TIME ZONE 'UTC')::date, 'YYYYMMDD')")
if out=$(sql "$writer" -c "SELECT vigil.drop_partition ('samples_$today')" 2>&1); then
    fail "the writer dropped today's partition"
fi
grep -q "has not passed yet" <<<"$out" || fail "drop_partition of today: $out"

# No DDL for the writer, no writes for the reader.
refused "$writer" "CREATE TABLE vigil.intruder (x int)"
refused "$writer" "DROP TABLE vigil.samples"
refused "$writer" "TRUNCATE vigil.batches"
refused "$writer" "ALTER TABLE vigil.hosts ADD COLUMN x int"
refused "$reader" "INSERT INTO vigil.events (host_id, ts, name) VALUES (1, now(), 'x')"
refused "$reader" "UPDATE vigil.hosts SET hostname = 'x'"
refused "$reader" "SELECT vigil.ensure_partitions(current_date + 400)"
refused "$reader" "SELECT vigil.ledger_maintain(current_date, 10, 2)"
refused "$reader" "SELECT vigil.drop_partition('samples_19990101')"

# A later migration's table and function, made by the owner.
sql "$owner" -c "CREATE TABLE vigil.later (host_id bigint, note text)" \
    -c "CREATE FUNCTION vigil.later_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM vigil.later'"
sql "$writer" -c "INSERT INTO vigil.later VALUES (1, 'written')"
[[ $(sql "$reader" -c "SELECT vigil.later_count()") == 1 ]] || fail "the reader cannot use what a later migration made"
refused "$reader" "INSERT INTO vigil.later VALUES (2, 'no')"
sql "$cluster" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
echo "test_roles: ok"
