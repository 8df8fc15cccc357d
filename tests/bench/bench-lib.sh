# bench-lib.sh - what the collector's benchmarks (ingest.sh, poison.sh,
# scale.sh) share: a Release build, a private PostgreSQL cluster in a
# temporary directory that is stopped on any exit, free ports, and a
# collector. Sourced, with src, build and name (for messages) set.

say() { echo "$name: $*" >&2; }

# bench_build TARGET...: builds the targets in $build (a Release tree made if
# it is not there).
bench_build() {
    if [[ ! -f "$build/CMakeCache.txt" ]]; then
        cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
    fi
    cmake --build "$build" --target "$@" -j"$(nproc)" >"$build/bench-build.log" 2>&1 || {
        tail -n 30 "$build/bench-build.log" >&2
        say "build failed"
        exit 1
    }
}

# bench_cluster: a private cluster with a database "vigil"; sets tmp,
# cluster and db, and stops everything at exit.
collector_pid=
bench_cleanup() {
    if [[ -n "$collector_pid" ]] && kill -0 "$collector_pid" 2>/dev/null; then
        kill -TERM "$collector_pid" 2>/dev/null || true
        wait "$collector_pid" 2>/dev/null || true
    fi
    "$src/deploy/pg-cluster.sh" stop "$tmp/pg" || true
    if [[ -n "${BENCH_KEEP:-}" ]]; then
        echo "$name: kept $tmp (BENCH_KEEP) for a look at its files" >&2
    else
        rm -rf "$tmp"
    fi
}
bench_cluster() {
    tmp=$(mktemp -d /tmp/vigil-bench.XXXXXX)
    chmod 755 "$tmp"
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
    cluster=$("$src/deploy/pg-cluster.sh" start "$tmp/pg")
    psql -X -q "$cluster" -c "CREATE DATABASE vigil" >/dev/null
    db=${cluster%/*}/vigil
}

q() { psql -X -At "$db" -c "$1"; }

. "$src/deploy/free-port.sh"

# bench_collector [YAML LINES]: a collector on a free port ($port), its log in
# $tmp/collector.log; returns once it has made its schema.
bench_collector() {
    port=$(free_port)
    printf 'listen: tcp://127.0.0.1:%s\ndatabase_url: %s\n%s\n' "$port" "$db" "${1:-}" \
        >"$tmp/collector.yaml"
    grep -v '^$' "$tmp/collector.yaml" | grep -v '^database_url' | sed 's/^/collector.yaml: /'
    "$build/collector/vigil-collector" -c "$tmp/collector.yaml" >"$tmp/collector.log" 2>&1 &
    collector_pid=$!
    for _ in $(seq 1 300); do
        [[ "$(q "SELECT to_regclass('vigil.batches') IS NOT NULL" 2>/dev/null)" == t ]] && return 0
        kill -0 "$collector_pid" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$tmp/collector.log" >&2
    say "the collector did not start"
    exit 1
}

# bench_stop_collector: SIGTERM, and wait for it.
bench_stop_collector() {
    kill -TERM "$collector_pid"
    wait "$collector_pid" || true
    collector_pid=
}

field() { sed -n "s/^$1=//p" "$2"; }
