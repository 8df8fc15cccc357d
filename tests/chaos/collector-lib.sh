# collector-lib.sh - what the collector's chaos cases (cases/*.sh) share: a
# fresh database on the runner's cluster, a collector on a free port, the
# checker's queries, and the server's own pg_ctl. Sourced, not run.

src=${VIGIL_SOURCE_DIR:?}
build=${VIGIL_BUILD_DIR:?}
tmp=${VIGIL_CHAOS_TMP:?}
cluster=$(cat "${VIGIL_TEST_PG_DIR:?}/url")
pgdata=$(cat "$VIGIL_TEST_PG_DIR/datadir")
collector_pid=

. "$src/deploy/free-port.sh"

# chaos_db NAME: a fresh database; sets db (its URL).
chaos_db() {
    psql -X -q "$cluster" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null 2>&1
    psql -X -q "$cluster" -c "CREATE DATABASE $1" >/dev/null
    db=${cluster%/*}/$1
}

q() { psql -X -At "$db" -c "$1"; }

# chaos_collector [YAML LINES]: starts a collector on db; sets endpoint.
chaos_collector() {
    local port
    port=$(free_port)
    endpoint=tcp://127.0.0.1:$port
    printf 'listen: %s\ndatabase_url: %s\n%s\n' "$endpoint" "$db" "${1:-}" >"$tmp/collector.yaml"
    "$build/collector/vigil-collector" -c "$tmp/collector.yaml" >>"$tmp/collector.log" 2>&1 &
    collector_pid=$!
    for _ in $(seq 1 300); do
        [[ "$(q "SELECT to_regclass('vigil.ledger_window') IS NOT NULL" 2>/dev/null)" == t ]] &&
            return 0
        sleep 0.1
    done
    echo "chaos: the collector did not start; its log:" >&2
    tail -n 20 "$tmp/collector.log" >&2
    return 1
}

chaos_stop_collector() {
    if [[ -n "$collector_pid" ]] && kill -0 "$collector_pid" 2>/dev/null; then
        kill -TERM "$collector_pid" 2>/dev/null || true
        wait "$collector_pid" 2>/dev/null || true
    fi
    collector_pid=
}

# The PostgreSQL server's own control, as its owner.
chaos_pg_ctl() {
    local bin
    bin=$(dirname "$(compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' | head -n 1)")
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$bin/pg_ctl" -D "$pgdata" "$@"
    else
        "$bin/pg_ctl" -D "$pgdata" "$@"
    fi
}

now_ms() { date +%s%3N; }
