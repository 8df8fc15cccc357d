# agent_lib.sh - what the agent chaos cases (cases/agent-*.sh) share: a fresh
# database, collectors and agents started and stopped by pid, numbered log
# lines as the simulated input (linewriter.py, which keeps the ledger), and
# the checker that compares that ledger with PostgreSQL.
#
# Sourced by a case, after `set -euo pipefail`. Uses VIGIL_BUILD_DIR,
# VIGIL_SOURCE_DIR, VIGIL_TEST_PG_DIR and VIGIL_CHAOS_TMP (see ../run.sh).

: "${VIGIL_BUILD_DIR:?run the cases with tests/chaos/run.sh}"
: "${VIGIL_SOURCE_DIR:?run the cases with tests/chaos/run.sh}"
: "${VIGIL_TEST_PG_DIR:?run the cases with tests/chaos/run.sh}"
: "${VIGIL_CHAOS_TMP:?run the cases with tests/chaos/run.sh}"

agent_bin=$VIGIL_BUILD_DIR/agent/vigil-agent
collector_bin=$VIGIL_BUILD_DIR/collector/vigil-collector
writer=$VIGIL_SOURCE_DIR/tests/chaos/linewriter.py
tmp=$VIGIL_CHAOS_TMP
cluster=$(cat "$VIGIL_TEST_PG_DIR/url")
declare -A pid_of=()

say() { echo "$(date -u +%H:%M:%S) $*"; }
fail() {
    echo "FAIL: $*" >&2
    for f in "$tmp"/*.log; do
        [[ -f "$f" ]] || continue
        echo "--- last lines of $f:" >&2
        tail -n 15 "$f" >&2
    done
    exit 1
}

sql() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -At "$db" -c "$1"; }

# fresh_db NAME: a new database on the cluster; sets db.
fresh_db() {
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -At "$cluster" \
        -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
    db=${cluster%/*}/$1
}

. "$VIGIL_SOURCE_DIR/deploy/free-port.sh"

# start_collector NAME PORT: a collector on 127.0.0.1:PORT writing to $db.
start_collector() {
    local name=$1 port=$2
    cat >"$tmp/$name.yaml" <<EOC
listen: tcp://127.0.0.1:$port
database_url: $db
EOC
    "$collector_bin" -c "$tmp/$name.yaml" >>"$tmp/$name.log" 2>&1 &
    pid_of[$name]=$!
    # Ready when its port answers.
    local i
    for i in $(seq 1 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        kill -0 "${pid_of[$name]}" 2>/dev/null || fail "collector $name exited"
        sleep 0.05
    done
    fail "collector $name does not listen on $port"
}

# stop NAME [SIGNAL]: signals a process started here and waits for it.
stop() {
    local name=$1 sig=${2:-TERM} pid=${pid_of[$1]:-}
    [[ -n "$pid" ]] || return 0
    kill "-$sig" "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "pid_of[$name]"
}

# agent_config ID COLLECTORS [EXTRA]: writes $tmp/ID.yaml for an agent
# following $tmp/ID.app.log* (the lines linewriter.py writes), sending a
# batch a second. COLLECTORS is a YAML list ("[tcp://...]"); EXTRA is more
# lines for the agent: section, each starting with two spaces.
agent_config() {
    local id=$1 collectors=$2 extra=${3:-} key
    cat >"$tmp/$id.yaml" <<EOC
agent:
  id: $id
  hostname: $id
  collector: $collectors
  interval: 1s
  ack_timeout: 2s
  ack_timeout_max: 10s
  failover_timeout: 5s
  shutdown_timeout: 10s
  state_dir: $tmp/$id.state
$extra
inputs:
  - type: logtail
    interval: 1s
    paths: [$tmp/$id.app.log*]
    from_beginning: true
    rules:
      - name: chaos_line
        type: distribution
        regex: 'n=(?<n>[0-9]+)'
        value: n
      - name: chaos_lines_total
        type: counter
        regex: 'n=[0-9]+'
EOC
    # A key given in EXTRA replaces the one above.
    while read -r key; do
        [[ -n "$key" ]] || continue
        grep -c "^  $key:" "$tmp/$id.yaml" | grep -q '^2$' &&
            sed -i "0,/^  $key:/{//d}" "$tmp/$id.yaml"
    done < <(printf '%s\n' "$extra" | sed -n 's/^  \([a-z_]*\):.*/\1/p')
    : >>"$tmp/$id.app.log"
}

start_agent() {
    local id=$1
    "$agent_bin" -c "$tmp/$id.yaml" >>"$tmp/$id.log" 2>&1 &
    pid_of[$id]=$!
}

# lines_written ID: the ledger: how many lines linewriter.py wrote for ID.
lines_written() { cat "$tmp/$1.app.log.count" 2>/dev/null || echo 0; }

# stored ID: "count sum" of the chaos_line values stored for agent ID.
stored() {
    sql "SELECT coalesce(sum(d.count), 0) || ' ' || coalesce(sum(d.sum), 0)::numeric
           FROM vigil.distributions d JOIN vigil.series s USING (host_id, series_id)
           JOIN vigil.hosts h USING (host_id)
          WHERE h.agent_id = '$1' AND s.metric = 'chaos_line'" 2>/dev/null || echo "0 0"
}

# wait_delivered SECONDS ID...: until every agent's stored count reaches its
# ledger (or the time is up).
wait_delivered() {
    local limit=$1 id n c s
    shift
    local until=$((SECONDS + limit))
    while ((SECONDS < until)); do
        local done=1
        for id in "$@"; do
            n=$(lines_written "$id")
            read -r c s <<<"$(stored "$id")"
            ((c >= n)) || { done=0; break; }
        done
        ((done)) && return 0
        sleep 1
    done
    return 0
}

# check ID...: compares every ledger with the database. Sets lines, got,
# lost, dup (summed over the agents); a line counted twice shows in both the
# count and the sum of the n values, which only exact delivery gets right.
# counter_bad: agents whose counter rule did not end at the ledger's count.
check() {
    lines=0 got=0 lost=0 dup=0
    local id n c s want
    for id in "$@"; do
        n=$(lines_written "$id")
        read -r c s <<<"$(stored "$id")"
        want=$(python3 -c "print($n * ($n + 1) // 2)")
        lines=$((lines + n))
        got=$((got + c))
        if ((c < n)); then
            lost=$((lost + n - c))
        elif ((c > n)); then
            dup=$((dup + c - n))
        elif [[ "${s%.*}" != "$want" ]]; then
            # Same count, another sum: some lost and as many counted twice.
            lost=$((lost + 1)) dup=$((dup + 1))
            say "$id: $c lines stored as written, but their n sum to $s, not $want"
        fi
    done
    # The counter rule's total goes on across restarts (saved with the
    # positions): its highest value must be the ledger's count too.
    counter_bad=0
    for id in "$@"; do
        n=$(lines_written "$id")
        c=$(agent_figure "$id" chaos_lines_total)
        if [[ "${c%.*}" != "$n" ]]; then
            counter_bad=$((counter_bad + 1))
            say "$id: counter chaos_lines_total reached ${c%.*}, $n lines were written"
        fi
    done
    # No sample stored twice, whatever the lines say.
    local twice
    twice=$(sql "SELECT count(*) FROM (SELECT 1 FROM vigil.distributions
                  GROUP BY host_id, series_id, ts HAVING count(*) > 1) x")
    dup=$((dup + twice))
}

# agent_figure ID METRIC [LABEL=VALUE]: the highest value stored of one of the
# agent's own series (its counters only grow within a run), summed over
# label sets unless one is given.
agent_figure() {
    local where=""
    [[ -n "${3:-}" ]] && where="AND s.labels->>'${3%%=*}' = '${3#*=}'"
    sql "SELECT coalesce(sum(m), 0) FROM (SELECT max(v.value) AS m FROM vigil.samples v
           JOIN vigil.series s USING (host_id, series_id) JOIN vigil.hosts h USING (host_id)
          WHERE h.agent_id = '$1' AND s.metric = '$2' $where GROUP BY s.series_id) x"
}

cleanup_all() {
    local name
    for name in "${!pid_of[@]}"; do
        kill -KILL "${pid_of[$name]}" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap cleanup_all EXIT
