#!/usr/bin/env bash
# demo.sh - Vigil on one machine, for a first look: a private PostgreSQL
# cluster, the collector and an agent watching this host. The agent talks to
# the collector over CURVE with keys the demo makes (.demo/keys), and each
# part reaches PostgreSQL as its own role: vigil_owner migrates, the
# collector writes as vigil_collector, vigil status reads as vigil_report.
#
#   deploy/demo.sh          install what is missing, build, start, wait for data, show it
#   deploy/demo.sh status   show `vigil status` for the running demo
#   deploy/demo.sh stop     stop exactly what the demo started
#
# Everything it makes lives in .demo/ (configs, logs, pid files, the agent's
# state) and build-demo/, at the root of the repository. The data directory of
# the cluster is under /tmp, where the postgres user can reach it. Running it
# again while the demo runs starts nothing new: it shows the status.
# VIGIL_DEMO_WAIT sets how long to wait for the first data (120 s).
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
root=$(pwd)
demo=$root/.demo
build=$root/build-demo
vigil=$build/cli/vigil
collector_bin=$build/collector/vigil-collector
agent_bin=$build/agent/vigil-agent
wait_s=${VIGIL_DEMO_WAIT:-120}
steps=6

packages=(build-essential cmake pkg-config libzmq3-dev libczmq-dev libprotobuf-c-dev
          protobuf-c-compiler libcurl4-openssl-dev libpq-dev libfyaml-dev libpcre2-dev
          postgresql)

# The demo's processes must write to the demo's database, whatever the caller's
# environment says.
unset VIGIL_DATABASE_URL

step() { printf '[%d/%d] %s\n' "$1" "$steps" "$2"; }
die() {
    printf 'demo: %s\n' "$*" >&2
    exit 1
}

# pid_of NAME: the pid in .demo/NAME.pid if that process still runs our binary.
pid_of() {
    local name=$1 bin pid exe
    case "$name" in
    collector) bin=$collector_bin ;;
    agent) bin=$agent_bin ;;
    esac
    [[ -f "$demo/$name.pid" ]] || return 1
    pid=$(cat "$demo/$name.pid")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
    # A rebuilt binary shows as "PATH (deleted)" in a process started before.
    [[ "${exe% (deleted)}" == "$(readlink -f "$bin")" ]] || return 1
    echo "$pid"
}

pg_running() {
    [[ -f "$demo/pg/datadir" && -f "$demo/pg/url" ]] || return 1
    local data
    data=$(cat "$demo/pg/datadir")
    [[ -f "$data/postmaster.pid" ]] || return 1
    kill -0 "$(head -n 1 "$data/postmaster.pid")" 2>/dev/null
}

# db_url [ROLE]: the demo database, as the cluster's superuser or as ROLE.
db_url() {
    local url
    url=$(cat "$demo/pg/url")
    url=${url%/*}/vigil
    [[ -n "${1:-}" ]] && url=postgresql://$1@${url#postgresql://*@}
    echo "$url"
}

# show_how: where to look, and how to stop.
show_how() {
    local url
    url=$(db_url vigil_report)
    cat <<EOF

Vigil is running on this machine: PostgreSQL, vigil-collector and vigil-agent,
the agent talking to the collector over CURVE (keys in .demo/keys).
  look:   build-demo/cli/vigil status --db $url
  page:   http://$(cat "$demo/http_listen" 2>/dev/null || echo "127.0.0.1:9467")/  (the status page: hosts, alerts, charts)
  SQL:    psql $url
          e.g. SELECT metric, labels, last_value FROM vigil.series ORDER BY metric;
  logs:   .demo/collector.log  .demo/agent.log  (PostgreSQL: $(cat "$demo/pg/datadir")/server.log)
  stop:   deploy/demo.sh stop
EOF
}

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

install_missing() {
    local missing=() p
    for p in "${packages[@]}"; do
        installed "$p" || missing+=("$p")
    done
    if ((${#missing[@]} == 0)); then
        echo "      everything is installed"
        return 0
    fi
    [[ $(id -u) -eq 0 ]] || die "missing packages: ${missing[*]}; install them as root: apt-get install ${missing[*]}"
    echo "      installing ${missing[*]} (log: .demo/apt.log)"
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
        </dev/null >"$demo/apt.log" 2>&1; then
        tail -n 20 "$demo/apt.log" >&2
        die "apt-get failed; see .demo/apt.log"
    fi
}

# fresh_cpu URL SINCE: some host has a CPU figure and was seen at or after
# SINCE (epoch seconds). `vigil status --json` prints one host per line.
fresh_cpu() {
    local line seen
    while IFS= read -r line; do
        [[ "$line" =~ \"cpu_percent\":\ [0-9] && "$line" =~ \"last_seen\":\ \"([^\"]+)\" ]] || continue
        seen=$(date -d "${BASH_REMATCH[1]}" +%s 2>/dev/null) || continue
        ((seen >= $2)) && return 0
    done < <("$vigil" status --db "$1" --json 2>/dev/null || true)
    return 1
}

. "$(dirname "${BASH_SOURCE[0]}")/free-port.sh"

# start NAME BIN CONFIG: runs BIN -c CONFIG in the background, in a session of
# its own (so closing this terminal does not stop it, and SIGHUP still reaches
# the agent as "reload"), output in .demo/NAME.log, pid in .demo/NAME.pid.
# setsid execs in place here (a background job of a script leads no process
# group), so $! is the daemon's own pid.
start() {
    local name=$1 bin=$2 config=$3
    setsid "$bin" -c "$config" >>"$demo/$name.log" 2>&1 </dev/null &
    echo $! >"$demo/$name.pid"
    sleep 0.5
    pid_of "$name" >/dev/null || {
        tail -n 20 "$demo/$name.log" >&2
        die "vigil-$name exited at once; see .demo/$name.log"
    }
}

# stop_proc NAME: stops our process NAME, if it runs; returns 1 if it did not.
stop_proc() {
    local name=$1 pid i
    if ! pid=$(pid_of "$name"); then
        rm -f "$demo/$name.pid"
        return 1
    fi
    kill -TERM "$pid"
    # Gone, or a zombie nobody reaped yet (no exe link): pid_of fails either way.
    for ((i = 0; i < 100; i++)); do
        pid_of "$name" >/dev/null || break
        sleep 0.1
    done
    if pid_of "$name" >/dev/null; then
        echo "vigil-$name (pid $pid) did not stop in 10 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "stopped vigil-$name (pid $pid)"
    rm -f "$demo/$name.pid"
}

cmd_status() {
    if ! pg_running; then
        echo "the demo is not running; start it with: deploy/demo.sh"
        return 1
    fi
    pid_of collector >/dev/null || echo "warning: vigil-collector is not running (see .demo/collector.log)"
    pid_of agent >/dev/null || echo "warning: vigil-agent is not running (see .demo/agent.log)"
    "$vigil" status --db "$(db_url vigil_report)"
}

cmd_stop() {
    local any=0
    stop_proc agent && any=1
    stop_proc collector && any=1
    if [[ -f "$demo/pg/datadir" ]]; then
        deploy/pg-cluster.sh stop "$demo/pg"
        echo "stopped PostgreSQL (.demo/pg)"
        any=1
    fi
    if ((any)); then
        echo "the demo is stopped; logs and the agent's state stay in .demo/"
    else
        echo "the demo was not running"
    fi
}

cmd_start() {
    mkdir -p "$demo"
    if pg_running && pid_of collector >/dev/null && pid_of agent >/dev/null; then
        echo "the demo is already running (stop it with: deploy/demo.sh stop)"
        echo
        "$vigil" status --db "$(db_url vigil_report)" || true
        show_how
        return 0
    fi
    # Half running (something crashed or was killed): start the two again
    # against the same cluster.
    stop_proc agent || true
    stop_proc collector || true

    step 1 "checking the packages Vigil needs ..."
    install_missing

    step 2 "building into build-demo (Release; log: .demo/build.log) ..."
    if ! { cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DVIGIL_BUILD_TESTS=OFF &&
        cmake --build "$build" --target vigil-collector vigil-agent vigil -j"$(nproc)"; } \
        >"$demo/build.log" 2>&1; then
        tail -n 30 "$demo/build.log" >&2
        die "the build failed; see .demo/build.log"
    fi

    step 3 "starting PostgreSQL (a private cluster, .demo/pg) ..."
    local cluster url
    cluster=$(deploy/pg-cluster.sh start "$demo/pg") || die "PostgreSQL did not start (see above)"
    url=$(db_url)
    if [[ -z "$(psql -X -At "$cluster" -c "SELECT 1 FROM pg_database WHERE datname = 'vigil'")" ]]; then
        psql -X -q "$cluster" -c "CREATE DATABASE vigil" || die "cannot create database vigil"
    fi
    echo "      $url"
    # Least privilege: login roles for each part; the owner migrates.
    psql -X -q "$url" -v owner_pw="'demo-owner'" -v writer_pw="'demo-writer'" \
        -v reader_pw="'demo-reader'" -f deploy/roles.sql >/dev/null ||
        die "cannot make the roles (deploy/roles.sql)"
    VIGIL_DATABASE_URL=$(db_url vigil_owner) "$collector_bin" --migrate >>"$demo/collector.log" 2>&1 ||
        die "migrating as vigil_owner failed; see .demo/collector.log"
    echo "      roles: vigil_owner migrated; the collector writes as vigil_collector"

    step 4 "making CURVE keys and starting the collector ..."
    local port host
    port=$(free_port)
    host=$(hostname)
    mkdir -p "$demo/keys" "$demo/allow"
    [[ -f "$demo/keys/collector_secret" ]] || "$vigil" keygen collector --dir "$demo/keys" >/dev/null
    [[ -f "$demo/keys/agent_secret" ]] ||
        "$vigil" keygen agent --hosts "$host" --dir "$demo/keys" >/dev/null
    cp "$demo/keys/agent" "$demo/allow/agent"
    echo "127.0.0.1:$(free_port)" >"$demo/http_listen"
    cat >"$demo/collector.yaml" <<EOF
# Written by deploy/demo.sh.
listen: tcp://127.0.0.1:$port
database_url: $(db_url vigil_collector)
# CURVE: the collector's key pair, and the agents' public keys it lets in.
curve_secret_key: $demo/keys/collector_secret
curve_allow_dir: $demo/allow
# Write the newest values every second so vigil status follows the agent closely.
latest_flush_interval: 1s
log_level: info
# /health, /metrics and the status page at /, on loopback only.
http_listen: $(cat "$demo/http_listen")
EOF
    start collector "$collector_bin" "$demo/collector.yaml"
    echo "      listening on tcp://127.0.0.1:$port (pid $(pid_of collector), log .demo/collector.log)"

    step 5 "starting the agent (system input, every 2 s) ..."
    mkdir -p "$demo/agent-state"
    cat >"$demo/agent.yaml" <<EOF
# Written by deploy/demo.sh.
agent:
  collector: tcp://127.0.0.1:$port
  interval: 2s
  state_dir: $demo/agent-state
  curve_secret_key: $demo/keys/agent_secret
  curve_server_key: $demo/keys/collector
inputs:
  - type: system
EOF
    local since
    since=$(date +%s)
    start agent "$agent_bin" "$demo/agent.yaml"
    echo "      pid $(pid_of agent), log .demo/agent.log"

    step 6 "waiting for the first data (up to ${wait_s} s) ..."
    # The database may hold figures from an earlier run: wait for new ones.
    local deadline=$((SECONDS + wait_s))
    until fresh_cpu "$(db_url vigil_report)" "$since"; do
        local name
        for name in collector agent; do
            pid_of "$name" >/dev/null || {
                tail -n 20 "$demo/$name.log" >&2
                die "vigil-$name stopped; see .demo/$name.log (deploy/demo.sh stop cleans up)"
            }
        done
        if ((SECONDS >= deadline)); then
            echo "--- last lines of .demo/collector.log:" >&2
            tail -n 10 "$demo/collector.log" >&2
            echo "--- last lines of .demo/agent.log:" >&2
            tail -n 10 "$demo/agent.log" >&2
            die "no CPU figure reached the database within ${wait_s} s; see .demo/collector.log and .demo/agent.log (deploy/demo.sh stop cleans up)"
        fi
        sleep 1
    done
    echo
    "$vigil" status --db "$(db_url vigil_report)"
    show_how
}

case "${1:-start}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
-h | --help | help)
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    ;;
*)
    echo "usage: deploy/demo.sh [start | status | stop]" >&2
    exit 2
    ;;
esac
