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

# bench_memory_limit LIMIT: runs this script and all it starts from here on
# (PostgreSQL, the collector, the load) in a memory cgroup of its own, capped
# at LIMIT (like 1536M; 0 or empty: no cap), so that the page cache the run
# writes is recycled within LIMIT instead of taking fresh memory. On a virtual
# machine whose balloon hands freed memory back to the host, fresh memory is
# slow to touch, and by how much changes from minute to minute: the same
# ceiling ran at 0.77 and at 3.36 M rows/s within an hour (docs/BENCHMARKS.md,
# Ingest, "A cap on the run's memory"). Needs root and a cgroup memory controller (v1 or v2);
# without them it says so and the run goes on uncapped. Sets memory_note.
bench_memory_cgroup=
bench_memory_limit() {
    memory_note="memory: not capped"
    local limit=${1:-0} base group
    [[ "$limit" == 0 ]] && return 0
    if [[ $(id -u) -ne 0 ]]; then
        say "not root: running without the ${limit} memory cap; figures may vary with" \
            "the machine's memory (BENCH_MEMORY_LIMIT=0 skips the cap)"
        return 0
    fi
    # A child of the cgroup this script is in, so that whatever watches that
    # one still sees the run. cgroup v1 has a memory hierarchy of its own; in
    # v2 the controller must be enabled below the current cgroup.
    if base=$(sed -n 's/^[0-9]*:memory:\(.*\)/\1/p' /proc/self/cgroup) && [[ -n "$base" ]] &&
        [[ -d "/sys/fs/cgroup/memory$base" ]]; then
        group=/sys/fs/cgroup/memory${base%/}/vigil-bench.$$
        mkdir "$group" && echo "$limit" >"$group/memory.limit_in_bytes" ||
            { rmdir "$group" 2>/dev/null; group=; }
    elif base=$(sed -n 's/^0::\(.*\)/\1/p' /proc/self/cgroup) && [[ -n "$base" ]] &&
        grep -qw memory "/sys/fs/cgroup${base%/}/cgroup.controllers" 2>/dev/null; then
        group=/sys/fs/cgroup${base%/}/vigil-bench.$$
        { grep -qw memory "/sys/fs/cgroup${base%/}/cgroup.subtree_control" ||
            echo +memory >"/sys/fs/cgroup${base%/}/cgroup.subtree_control"; } 2>/dev/null &&
            mkdir "$group" && echo "$limit" >"$group/memory.max" ||
            { rmdir "$group" 2>/dev/null; group=; }
    fi
    if [[ -z "$group" ]] || ! echo $$ >"$group/cgroup.procs"; then
        [[ -n "$group" ]] && { rmdir "$group" 2>/dev/null || true; }
        say "no cgroup memory controller to use here: running without the ${limit} memory" \
            "cap; figures may vary with the machine's memory (BENCH_MEMORY_LIMIT=0 skips the cap)"
        return 0
    fi
    bench_memory_cgroup=$group
    memory_note="memory: PostgreSQL, the collector and the load capped at $limit together (cgroup; BENCH_MEMORY_LIMIT)"
}

# Leaves the cgroup and removes it, once what ran in it has ended.
bench_memory_release() {
    [[ -z "$bench_memory_cgroup" ]] && return 0
    echo $$ >"${bench_memory_cgroup%/*}/cgroup.procs" 2>/dev/null || true
    rmdir "$bench_memory_cgroup" 2>/dev/null || true
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
    bench_memory_release
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
