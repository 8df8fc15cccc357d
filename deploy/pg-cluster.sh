#!/usr/bin/env bash
# pg-cluster.sh - a private PostgreSQL cluster for the demo, the tests and the benchmarks.
#
#   pg-cluster.sh start DIR [PORT]   initdb (first time) and start; prints the URL
#   pg-cluster.sh stop DIR           stop it (and nothing else)
#   pg-cluster.sh url DIR            print the URL of a running cluster
#
# DIR keeps a note of the cluster: "url", and "datadir" (the data directory lives
# under /tmp so the postgres user can reach it whatever DIR's permissions are).
# PostgreSQL refuses to run as root, so as root the server runs as "postgres".
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [[ -z "$cmd" || -z "$dir" ]]; then
    echo "usage: $0 start|stop|url DIR [PORT]" >&2
    exit 2
fi

pg_bin() {
    local b
    for b in /usr/lib/postgresql/*/bin; do
        [[ -x "$b/initdb" ]] && { echo "$b"; return 0; }
    done
    echo "pg-cluster: PostgreSQL server binaries not found; install them with: apt-get install postgresql" >&2
    return 1
}

as_pg() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

. "$(dirname "${BASH_SOURCE[0]}")/free-port.sh"

case "$cmd" in
start)
    bin=$(pg_bin)
    mkdir -p "$dir"
    if [[ -f "$dir/datadir" ]] && [[ -d "$(cat "$dir/datadir")" ]]; then
        data=$(cat "$dir/datadir")
        if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
            cat "$dir/url"
            exit 0
        fi
    else
        data=$(mktemp -d /tmp/vigil-pg.XXXXXX)
        [[ $(id -u) -eq 0 ]] && chown postgres: "$data"
        chmod 700 "$data"
        as_pg "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || {
            echo "pg-cluster: initdb failed; see $dir/initdb.log" >&2
            exit 1
        }
        echo "$data" >"$dir/datadir"
        echo "include_if_exists 'vigil.conf'" >>"$data/postgresql.conf"
    fi
    # The settings a server storing Vigil's samples should have, as deploy/
    # ships them (read again at every start).
    install -m 644 "$(dirname "${BASH_SOURCE[0]}")/postgresql-vigil.conf" "$data/vigil.conf"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$data/vigil.conf"
    port=${3:-}
    if [[ -z "$port" ]]; then
        port=$(free_port)
    fi
    as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $data -c fsync=on -c max_connections=100" start >/dev/null || {
        echo "pg-cluster: the server did not start; its log follows" >&2
        tail -n 20 "$data/server.log" >&2 || true
        exit 1
    }
    echo "postgresql://postgres@127.0.0.1:$port/postgres" >"$dir/url"
    cat "$dir/url"
    ;;
stop)
    [[ -f "$dir/datadir" ]] || exit 0
    data=$(cat "$dir/datadir")
    bin=$(pg_bin)
    if [[ -d "$data" ]]; then
        as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$data"
    fi
    rm -f "$dir/datadir" "$dir/url"
    ;;
url)
    cat "$dir/url"
    ;;
*)
    echo "usage: $0 start|stop|url DIR [PORT]" >&2
    exit 2
    ;;
esac
