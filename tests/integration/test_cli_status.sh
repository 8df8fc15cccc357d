#!/usr/bin/env bash
# test_cli_status.sh - `vigil status` against a real PostgreSQL with the real schema.
#
# Creates a fresh database on the cluster the "pg" fixture started, applies
# collector/sql/*.sql in order, writes hosts and series rows the way the
# collector keeps them, and checks what `vigil status` prints: the values, the
# missing ones, the stale marker, --json (parsed back by PostgreSQL), and the
# messages for an empty database, a database without the schema and a server
# that is not there.
set -euo pipefail

: "${VIGIL_TEST_PG_DIR:?run this test with ctest}"
: "${VIGIL_BUILD_DIR:?run this test with ctest}"
: "${VIGIL_SOURCE_DIR:?run this test with ctest}"

vigil=$VIGIL_BUILD_DIR/cli/vigil
[[ -x "$vigil" ]] || { echo "FAIL: $vigil is not built"; exit 1; }
[[ -s "$VIGIL_TEST_PG_DIR/url" ]] || {
    echo "FAIL: no PostgreSQL cluster: $VIGIL_TEST_PG_DIR/url is missing (did pg.start fail?)"
    exit 1
}
cluster=$(cat "$VIGIL_TEST_PG_DIR/url")
base=${cluster%/*}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

checks=0
# expect_in FILE TEXT: FILE contains TEXT (fixed string).
expect_in() {
    checks=$((checks + 1))
    grep -qF -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "expected \"$2\""; }
}
# expect_line FILE REGEX: some line of FILE matches the extended regex.
expect_line() {
    checks=$((checks + 1))
    grep -qE -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "no line matches /$2/"; }
}
# run_vigil RC ARGS...: runs vigil, output in $tmp/out and $tmp/err, and checks the exit status.
run_vigil() {
    local want=$1 rc=0
    shift
    "$vigil" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
    checks=$((checks + 1))
    if [[ $rc -ne $want ]]; then
        echo "--- stdout:" >&2; cat "$tmp/out" >&2
        echo "--- stderr:" >&2; cat "$tmp/err" >&2
        fail "vigil $* exited $rc, expected $want"
    fi
}
sql() {
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -At "$@"
}
fresh_db() {
    sql "$cluster" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
    echo "$base/$1"
}

# --- help and version need no database ---------------------------------------
run_vigil 0 --help
expect_in "$tmp/out" "status"
expect_in "$tmp/out" "--db URL"
expect_in "$tmp/out" "--json"
expect_in "$tmp/out" "--version"
run_vigil 0 --version
expect_line "$tmp/out" '^vigil [0-9]+\.[0-9]+\.[0-9]+$'
run_vigil 0 status --help
expect_in "$tmp/out" "usage: vigil status [--db URL] [--json]"
run_vigil 2 status --no-such-flag
expect_in "$tmp/err" "unknown option '--no-such-flag'"
run_vigil 2 frobnicate
expect_in "$tmp/err" "no command 'frobnicate'"

# --- a server that is not there ----------------------------------------------
. "$VIGIL_SOURCE_DIR/deploy/free-port.sh"
port=$(free_port)
run_vigil 1 status --db "postgresql://postgres@127.0.0.1:$port/vigil"
expect_in "$tmp/err" "cannot connect to the database at 127.0.0.1:$port: "
expect_in "$tmp/err" "; set --db or VIGIL_DATABASE_URL"
# The environment is used when --db is absent.
VIGIL_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/vigil" run_vigil 1 status
expect_in "$tmp/err" "cannot connect to the database at 127.0.0.1:$port: "

# --- a database the collector never ran against (no schema) ------------------
url=$(fresh_db vigil_cli_noschema)
run_vigil 3 status --db "$url"
expect_in "$tmp/err" "no hosts have reported yet: is vigil-collector running and an agent pointed at it?"
run_vigil 3 status --db "$url" --json
expect_in "$tmp/out" '{"hosts": []}'

# --- the schema, no hosts yet -------------------------------------------------
url=$(fresh_db vigil_cli_status)
mapfile -t migrations < <(ls "$VIGIL_SOURCE_DIR"/collector/sql/*.sql | sort)
((${#migrations[@]} > 0)) || fail "no migrations in $VIGIL_SOURCE_DIR/collector/sql"
# The collector creates the schema itself before it runs the migrations.
sql "$url" -c "CREATE SCHEMA IF NOT EXISTS vigil"
for f in "${migrations[@]}"; do
    sql "$url" -f "$f" >/dev/null
done
run_vigil 3 status --db "$url"
expect_in "$tmp/err" "no hosts have reported yet: is vigil-collector running and an agent pointed at it?"
[[ ! -s "$tmp/out" ]] || fail "an empty database printed a table: $(cat "$tmp/out")"
run_vigil 3 status --db "$url" --json
expect_in "$tmp/out" '{"hosts": []}'

# --- hosts and their latest values, as the collector keeps them --------------
sql "$url" <<'SQL'
INSERT INTO vigil.hosts (agent_id, hostname, last_seen) VALUES
    ('agent-web', 'web-1', now () - interval '3 seconds'),
    ('agent-db', 'db-1', now () - interval '10 minutes'),
    ('agent-bare', 'bare-1', now ()),
    ('agent-odd', 'odd"host', now () - interval '2 hours');
INSERT INTO vigil.series (host_id, metric, labels, kind, last_ts, last_value)
SELECT h.host_id, v.metric, v.labels::jsonb, 0, now () - v.age::interval, v.value
  FROM vigil.hosts h
  JOIN (VALUES
    ('agent-web', 'system_cpu_percent', '{}', '3s', 12.4),
    -- a per-mode breakdown of the same metric is not the total
    ('agent-web', 'system_cpu_percent', '{"mode": "user"}', '3s', 9.1),
    ('agent-web', 'system_memory_used_percent', '{}', '3s', 41.0),
    ('agent-web', 'system_load1', '{}', '3s', 0.52),
    ('agent-web', 'system_load5', '{}', '3s', 0.4),
    ('agent-web', 'system_load15', '{}', '3s', 0.35),
    ('agent-web', 'system_disk_used_percent', '{"mount": "/"}', '3s', 61.2),
    ('agent-web', 'system_disk_used_percent', '{"mount": "/data"}', '3s', 88.4),
    ('agent-web', 'system_disk_used_percent', '{"mount": "/boot"}', '3s', 20.0),
    -- unmounted an hour ago: no longer counts as the fullest disk
    ('agent-web', 'system_disk_used_percent', '{"mount": "/mnt/usb"}', '1 hour', 99.0),
    ('agent-web', 'system_net_rx_bytes_per_second', '{"interface": "eth0"}', '3s', 1234.0),
    ('agent-web', 'vigil_agent_batches_pending', '{}', '3s', 37),
    ('agent-web', 'vigil_agent_oldest_unacked_seconds', '{}', '3s', 372.5),
    ('agent-db', 'vigil_agent_batches_pending', '{}', '10 minutes', 0),
    ('agent-db', 'system_cpu_percent', '{}', '10 minutes', 55.5),
    ('agent-db', 'system_memory_used_percent', '{}', '10 minutes', 70.25),
    ('agent-db', 'system_load1', '{}', '10 minutes', 2.5),
    ('agent-db', 'system_disk_used_percent', '{"mount": "/"}', '10 minutes', 10.0),
    ('agent-odd', 'system_cpu_percent', '{}', '2 hours', 1.0)
  ) AS v (agent, metric, labels, age, value) ON v.agent = h.agent_id;
-- a series created but not yet flushed has no value
INSERT INTO vigil.series (host_id, metric, labels, kind)
SELECT host_id, 'system_memory_used_percent', '{}', 0 FROM vigil.hosts WHERE agent_id = 'agent-bare';
SQL

run_vigil 0 status --db "$url"
cat "$tmp/out"
expect_line "$tmp/out" '^HOST +LAST SEEN +SPOOL +OLDEST +CPU % +MEM % +LOAD 1/5/15 +DISK / +DISK MAX$'
expect_line "$tmp/out" '^web-1 +[0-9]+s ago +37 +6m +12\.4 +41\.0 +0\.52 0\.40 0\.35 +61 % +88 % /data$'
expect_line "$tmp/out" '^db-1 +10m ago \(stale\) +0 +- +55\.5 +70\.2 +2\.50 - - +10 % +10 % /$'
expect_line "$tmp/out" '^bare-1 +[0-9]+s ago +- +- +- +- +- +- +-$'
expect_line "$tmp/out" '^odd"host +2h ago \(stale\) +- +- +1\.0 +- +- +- +-$'
expect_line "$tmp/out" '^2 of 4 hosts stale'
# Hosts are sorted by name.
[[ "$(sed -n '2,5p' "$tmp/out" | cut -d' ' -f1 | tr '\n' ' ')" == 'bare-1 db-1 odd"host web-1 ' ]] ||
    fail "hosts not sorted by name: $(cat "$tmp/out")"
checks=$((checks + 1))
! grep -q "web-1" "$tmp/err" || fail "unexpected stderr: $(cat "$tmp/err")"

# The environment names the database when --db is absent; --db wins over it.
VIGIL_DATABASE_URL="$url" run_vigil 0 status
expect_line "$tmp/out" '^web-1 .* 12\.4 '
VIGIL_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/vigil" run_vigil 0 status --db "$url"
expect_line "$tmp/out" '^web-1 .* 12\.4 '

# --- JSON: PostgreSQL parses it back, so it must be valid --------------------
run_vigil 0 status --db "$url" --json
cat "$tmp/out"
json=$(cat "$tmp/out")
q() {
    sql "$url" -v j="$json" <<<"SELECT $1 FROM jsonb_array_elements ((:'j')::jsonb -> 'hosts') AS h ${2:-}"
}
[[ "$(q "count(*)")" == 4 ]] || fail "JSON has $(q "count(*)") hosts, expected 4"
[[ "$(q "string_agg (h->>'hostname', ',')")" == 'bare-1,db-1,odd"host,web-1' ]] || fail "JSON hostnames: $(q "string_agg (h->>'hostname', ',')")"
web="WHERE h->>'hostname' = 'web-1'"
[[ "$(q "h->>'agent_id'" "$web")" == agent-web ]] || fail "web-1 agent_id"
[[ "$(q "(h->'cpu_percent')::float8" "$web")" == 12.4 ]] || fail "web-1 cpu: $(q "h->'cpu_percent'" "$web")"
[[ "$(q "(h->'memory_used_percent')::float8" "$web")" == 41 ]] || fail "web-1 memory"
[[ "$(q "concat_ws (' ', h->'load1', h->'load5', h->'load15')" "$web")" == "0.52 0.4 0.35" ]] || fail "web-1 load"
[[ "$(q "(h->'disk_root_used_percent')::float8" "$web")" == 61.2 ]] || fail "web-1 disk /"
[[ "$(q "(h->'disk_max_used_percent')::float8" "$web")" == 88.4 ]] || fail "web-1 disk max"
[[ "$(q "h->>'disk_max_mount'" "$web")" == /data ]] || fail "web-1 disk max mount"
[[ "$(q "(h->'batches_pending')::float8" "$web")" == 37 ]] || fail "web-1 batches pending"
[[ "$(q "(h->'oldest_unacked_seconds')::float8" "$web")" == 372.5 ]] || fail "web-1 oldest unacked"
[[ "$(q "h->>'stale'" "$web")" == false ]] || fail "web-1 stale"
[[ "$(q "(h->>'last_seen')::timestamptz > now () - interval '1 minute'" "$web")" == t ]] || fail "web-1 last_seen"
db="WHERE h->>'hostname' = 'db-1'"
[[ "$(q "h->>'stale'" "$db")" == true ]] || fail "db-1 not stale in JSON"
[[ "$(q "(h->'seconds_ago')::int BETWEEN 600 AND 3600" "$db")" == t ]] || fail "db-1 seconds_ago: $(q "h->'seconds_ago'" "$db")"
[[ "$(q "jsonb_typeof (h->'load5')" "$db")" == null ]] || fail "db-1 load5 should be null"
bare="WHERE h->>'hostname' = 'bare-1'"
[[ "$(q "jsonb_typeof (h->'cpu_percent') || jsonb_typeof (h->'memory_used_percent') || jsonb_typeof (h->'disk_max_mount')" "$bare")" == nullnullnull ]] ||
    fail "bare-1 values should be null"
checks=$((checks + 14))

sql "$cluster" -c "DROP DATABASE vigil_cli_status WITH (FORCE)" -c "DROP DATABASE vigil_cli_noschema WITH (FORCE)"
echo "test_cli_status: $checks checks passed"
