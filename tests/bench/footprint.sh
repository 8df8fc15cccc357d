#!/usr/bin/env bash
# footprint.sh - what vigil-agent costs a host, side by side with collectd in
# the same run, both collecting the same things every 10 s.
#
#   tests/bench/footprint.sh
#
# Builds a Release tree (build-bench) if needed and starts, in a temporary
# directory: a private PostgreSQL cluster and a vigil-collector (so the agent
# sends and is acknowledged as in production), a small HTTP server on
# 127.0.0.1 (python3 -m http.server), and a writer appending 1,000 lines/s to
# a log file. Then vigil-agent (footprint/agent.yaml.in) and collectd
# (footprint/collectd.conf.in, `collectd -f -C FILE`, writing CSV files) start
# together and collect: CPU, memory, swap, load, disks (usage and I/O),
# interfaces, process counts, one process (the HTTP server), the growing log
# (lines and 5xx lines counted) and five HTTP checks of the local server.
#
# Measured for each daemon: peak RSS (VmHWM in /proc/PID/status at the end)
# and CPU time (utime + stime in /proc/PID/stat, from the end of a warm-up to
# the end) in milliseconds per minute. Everything it started is stopped on
# exit. The last line is:
#
#   footprint: vigil-agent rss <KB> cpu <ms/min>  collectd rss <KB> cpu <ms/min>
#
# Environment (defaults in brackets):
#   FOOTPRINT_SECONDS [180]  the measured time, after the warm-up (at least 30)
#   FOOTPRINT_WARMUP [10]    seconds before the CPU counters are first read
#   FOOTPRINT_LINES [1000]   log lines written per second (a multiple of 10)
#   FOOTPRINT_KEEP           set: keep the temporary directory (logs, CSV files)
#   FOOTPRINT_FLOOR [1]      0: skip footprint/floor.sh (the libraries' own RSS)
#   VIGIL_BENCH_BUILD [build-bench]
#   FOOTPRINT_AGENT_WRAP     a command put before vigil-agent, to profile it
#                            (e.g. "valgrind --tool=massif --massif-out-file=/tmp/m.out");
#                            its figures are then the wrapper's, not the agent's
set -euo pipefail
export LC_ALL=C

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$src/tests/bench/footprint
build=${VIGIL_BENCH_BUILD:-$src/build-bench}
seconds=${FOOTPRINT_SECONDS:-180}
warmup=${FOOTPRINT_WARMUP:-10}
lines_per_s=${FOOTPRINT_LINES:-1000}

say() { echo "footprint.sh: $*" >&2; }
die() {
    say "$*"
    exit 1
}

[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -ge 30 ]] || die "FOOTPRINT_SECONDS must be at least 30"
[[ "$warmup" =~ ^[0-9]+$ ]] || die "FOOTPRINT_WARMUP must be a number of seconds"
[[ "$lines_per_s" =~ ^[0-9]+$ && $((lines_per_s % 10)) -eq 0 && "$lines_per_s" -gt 0 ]] ||
    die "FOOTPRINT_LINES must be a positive multiple of 10"

# --- what it needs ---------------------------------------------------------
if ! command -v collectd >/dev/null 2>&1 && [[ ! -x /usr/sbin/collectd ]]; then
    [[ $(id -u) -eq 0 ]] || die "collectd is missing: apt-get install collectd-core"
    say "installing collectd-core (the daemon only; no service is started)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends collectd-core \
        >/dev/null || die "apt-get install collectd-core failed"
fi
collectd=$(command -v collectd || echo /usr/sbin/collectd)
command -v python3 >/dev/null 2>&1 || die "python3 is missing (the local HTTP server)"
command -v psql >/dev/null 2>&1 || die "psql is missing: apt-get install postgresql"

if [[ ! -f "$build/CMakeCache.txt" ]]; then
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target vigil-agent vigil-collector -j"$(nproc)" \
    >"$build/footprint-build.log" 2>&1 || {
    tail -n 30 "$build/footprint-build.log" >&2
    die "build failed"
}
agent=$build/agent/vigil-agent
collector=$build/collector/vigil-collector

# --- everything started is stopped on any exit ------------------------------
tmp=$(mktemp -d /tmp/vigil-footprint.XXXXXX)
chmod 755 "$tmp"
pids=() # stopped in reverse order
s_stop() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do s_stop "${pids[i]}"; done
    "$src/deploy/pg-cluster.sh" stop "$tmp/pg" || true
    if [[ -n "${FOOTPRINT_KEEP:-}" ]]; then
        say "kept $tmp"
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$src/deploy/free-port.sh"

now_s() { echo "${EPOCHREALTIME}"; }
# utime + stime of a process, in clock ticks (fields 14 and 15; the name in
# field 2 may hold spaces, so count from after its closing parenthesis).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
threads() { awk '/^Threads:/ {print $2}' "/proc/$1/status"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo)," \
    "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(uname -sr), $(date -u +%Y-%m-%d)"
echo "vigil-agent: $("$agent" -V 2>&1 | head -n 1), $(awk -F= '/^CMAKE_BUILD_TYPE:/ {print $2}' \
    "$build/CMakeCache.txt") build"
echo "collectd: $("$collectd" -h 2>&1 | awk '/^collectd [0-9]/ {sub(",", "", $2); print $2; exit}')," \
    "libcurl $(curl-config --version 2>/dev/null | awk '{print $2}')"
echo "command: FOOTPRINT_SECONDS=$seconds FOOTPRINT_WARMUP=$warmup FOOTPRINT_LINES=$lines_per_s" \
    "tests/bench/footprint.sh"

# --- PostgreSQL and the collector --------------------------------------------
cluster=$("$src/deploy/pg-cluster.sh" start "$tmp/pg")
psql -X -q "$cluster" -c "CREATE DATABASE vigil" >/dev/null
db=${cluster%/*}/vigil
q() { psql -X -At "$db" -c "$1"; }

cport=$(free_port)
cat >"$tmp/collector.yaml" <<EOF
listen: tcp://127.0.0.1:$cport
database_url: $db
EOF
"$collector" -c "$tmp/collector.yaml" >"$tmp/collector.log" 2>&1 &
pids+=($!)
collector_pid=$!
for _ in $(seq 1 300); do
    [[ "$(q "SELECT to_regclass('vigil.batches') IS NOT NULL" 2>/dev/null)" == t ]] && break
    kill -0 "$collector_pid" 2>/dev/null || {
        tail -n 20 "$tmp/collector.log" >&2
        die "the collector exited"
    }
    sleep 0.1
done

# --- the local HTTP server: five pages whose body says ok ----------------------
mkdir -p "$tmp/www"
pages=(health ready status version metrics)
for p in "${pages[@]}"; do echo "ok $p" >"$tmp/www/$p.txt"; done
hport=$(free_port)
http=http://127.0.0.1:$hport
python3 -m http.server --bind 127.0.0.1 --directory "$tmp/www" "$hport" \
    >"$tmp/http.log" 2>&1 &
pids+=($!)
http_pid=$!
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$hport") 2>/dev/null && break
    kill -0 "$http_pid" 2>/dev/null || die "the HTTP server exited: $(tail -n 5 "$tmp/http.log")"
    sleep 0.1
done
# Both daemons watch this process by command line.
proc_regex='http\.server --bind 127\.0\.0\.1'

# --- the log writer: FOOTPRINT_LINES lines/s, in ten slices a second -----------
log=$tmp/app.log
: >"$log"
s_writer() {
    local n=$((lines_per_s / 10)) block="" i status t next end now
    # An access log as an app server writes it: mostly 200, some 404, a few 500.
    for ((i = 0; i < n; i++)); do
        status=200
        ((i % 20 == 7)) && status=404
        ((i % 50 == 13)) && status=500
        block+="2025-01-01T00:00:00.000Z INFO 10.0.0.$((i % 250 + 1)) \"GET /api/items/$i HTTP/1.1\" $status $((500 + i * 7)) 0.0$((i % 90 + 10))"$'\n'
    done
    next=${EPOCHREALTIME/./}
    end=$((next + ($1) * 1000000))
    while ((next < end)); do
        printf '%s' "$block" >>"$log"
        next=$((next + 100000))
        now=${EPOCHREALTIME/./}
        t=$((next - now))
        ((t > 0)) && sleep "0.$(printf '%06d' "$t")"
    done
}

# --- the two daemons -------------------------------------------------------------------
mkdir -p "$tmp/agent-state" "$tmp/csv"
fill() {
    sed -e "s|@DIR@|$tmp|g" -e "s|@LOG@|$log|g" -e "s|@HTTP@|$http|g" \
        -e "s|@COLLECTOR@|tcp://127.0.0.1:$cport|g" -e "s|@PROC_REGEX@|$2|g" "$1"
}
fill "$here/agent.yaml.in" "$proc_regex" >"$tmp/agent.yaml"
# collectd's configuration parser reads a backslash as an escape: double them.
fill "$here/collectd.conf.in" "${proc_regex//\\/\\\\\\\\}" >"$tmp/collectd.conf"
"$agent" --check -c "$tmp/agent.yaml" >/dev/null || die "agent.yaml.in does not pass --check"
"$collectd" -t -C "$tmp/collectd.conf" || die "collectd.conf.in does not pass collectd -t"

total=$((warmup + seconds + 15))
s_writer "$total" &
pids+=($!)

read -r -a wrap <<<"${FOOTPRINT_AGENT_WRAP:-}"
agent_cmd=("${wrap[@]}" "$agent" -c "$tmp/agent.yaml")
collectd_cmd=("$collectd" -f -C "$tmp/collectd.conf")
echo "both collect every 10 s: CPU % per mode, memory, swap, load, process counts, disk usage" \
    "per mount, disk I/O, interfaces; the HTTP server's process (RSS, CPU, threads, fds);" \
    "the log's lines and 5xx lines; five HTTP checks (status, time and phases, body match)"
echo "vigil-agent command: ${agent_cmd[*]#"$build/"}  (config: tests/bench/footprint/agent.yaml.in)"
echo "collectd command: ${collectd_cmd[*]}  (config: tests/bench/footprint/collectd.conf.in)"
"${agent_cmd[@]}" >"$tmp/agent.log" 2>&1 &
pids+=($!)
agent_pid=$!
"${collectd_cmd[@]}" >"$tmp/collectd.out" 2>&1 &
pids+=($!)
collectd_pid=$!
t_start=$(now_s)

check_alive() {
    kill -0 "$agent_pid" 2>/dev/null || {
        tail -n 20 "$tmp/agent.log" >&2
        die "vigil-agent exited"
    }
    kill -0 "$collectd_pid" 2>/dev/null || {
        tail -n 20 "$tmp/collectd.log" "$tmp/collectd.out" >&2 || true
        die "collectd exited"
    }
}

sleep "$warmup"
check_alive
t0=$(now_s)
a0=$(cpu_ticks "$agent_pid")
c0=$(cpu_ticks "$collectd_pid")
say "warm-up done; measuring for $seconds s"
left=$seconds
while ((left > 0)); do
    step=$((left < 30 ? left : 30))
    sleep "$step"
    left=$((left - step))
    check_alive
done
a1=$(cpu_ticks "$agent_pid")
c1=$(cpu_ticks "$collectd_pid")
t1=$(now_s)
a_rss=$(hwm_kb "$agent_pid")
c_rss=$(hwm_kb "$collectd_pid")
a_thr=$(threads "$agent_pid")
c_thr=$(threads "$collectd_pid")
a_cur=$(awk '/^VmRSS:/ {print $2}' "/proc/$agent_pid/status")
c_cur=$(awk '/^VmRSS:/ {print $2}' "/proc/$collectd_pid/status")
cp "/proc/$agent_pid/smaps" "$tmp/agent.smaps"
cp "/proc/$collectd_pid/smaps" "$tmp/collectd.smaps"
tck=$(getconf CLK_TCK)

# Stop both (the agent sends its open batch and waits for the acknowledgement).
s_stop "$agent_pid"
s_stop "$collectd_pid"
t_end=$(now_s)
lines_written=$(wc -l <"$log")

msmin() { awk -v d="$2" -v t="$tck" -v s="$1" 'BEGIN { printf "%.0f", d / t * 1000 / (s / 60) }'; }
elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
a_cpu=$(msmin "$elapsed" $((a1 - a0)))
c_cpu=$(msmin "$elapsed" $((c1 - c0)))
ran=$(awk -v a="$t_start" -v b="$t_end" 'BEGIN { printf "%.0f", b - a }')

# --- what each produced ------------------------------------------------------------------
echo
echo "run: both daemons ran ${ran} s; CPU measured over ${elapsed} s after a ${warmup} s warm-up;" \
    "$lines_written log lines written ($lines_per_s/s)"

echo "vigil-agent produced (stored by the collector in PostgreSQL):"
q "SELECT count(*) || ' batches acknowledged and stored' FROM vigil.batches"
q "SELECT '  ' || rpad(prefix || '_*', 14) || lpad(count(DISTINCT series_id)::text, 5)
          || ' series ' || lpad(count(*)::text, 7) || ' values'
     FROM (SELECT split_part(s.metric, '_', 1) AS prefix, s.series_id
             FROM vigil.series s JOIN vigil.samples v USING (host_id, series_id)) AS x
    GROUP BY prefix ORDER BY prefix"
q "SELECT '  ' || rpad('distributions', 14) || lpad(count(DISTINCT series_id)::text, 5)
          || ' series ' || lpad(count(*)::text, 7) || ' values' FROM vigil.distributions"
v_values=$(q "SELECT (SELECT count(*) FROM vigil.samples) + (SELECT count(*) FROM vigil.distributions)")
echo "  total $v_values values"
echo "  checks: $(q "SELECT string_agg(metric || coalesce('{' || (SELECT string_agg(k || '=' || v, ',')
                                 FROM jsonb_each_text(labels) AS l (k, v)
                                 WHERE k IN ('check', 'process', 'status')) || '}', '')
                                 || ' ' || last_value, '  ' ORDER BY metric, labels::text)
                      FROM vigil.series
                     WHERE metric IN ('http_up', 'process_up', 'process_count')
                        OR metric LIKE 'app_log_%'")"

echo "collectd produced (CSV files, one value list per line):"
c_values=0
while read -r plugin lists values; do
    printf '  %-14s %7d value lists %7d values\n' "$plugin" "$lists" "$values"
    c_values=$((c_values + values))
done < <(find "$tmp/csv" -type f -name '*-*' | while read -r f; do
    p=${f#"$tmp/csv/"}
    p=${p#*/}
    p=${p%%/*}
    awk -F, -v p="${p%%-*}" 'NR > 1 { n++; v += NF - 1 } END { print p, n + 0, v + 0 }' "$f"
done | awk '{ l[$1] += $2; v[$1] += $3 } END { for (p in l) print p, l[p], v[p] }' | sort)
echo "  total $c_values values"
last_csv() { # the last value of a collectd CSV file (by glob), or "-"
    local f
    f=$(find "$tmp/csv" -path "$1" -type f | sort | tail -n 1)
    [[ -n "$f" ]] && tail -n 1 "$f" | awk -F, '{print $2}' || echo -
}
echo "  checks: tail lines $(last_csv '*/tail-app/counter-lines-*') per s," \
    "errors $(last_csv '*/tail-app/counter-errors-*') per s;" \
    "http codes: $(for p in "${pages[@]}"; do echo -n "$(last_csv "*/curl-$p/response_code-*") "; done)"

grep -E 'WARN|ERROR' "$tmp/agent.log" | head -n 5 | sed 's/^/  agent log: /' || true
grep -iE 'error|warn' "$tmp/collectd.log" | head -n 5 | sed 's/^/  collectd log: /' || true

# Where the resident memory is, from each one's smaps at the end: RSS per
# mapping, summed by file (anonymous memory: heap, stacks, malloc arenas).
s_smaps() {
    awk '/^[0-9a-f]+-[0-9a-f]+ / { f = $6; if (f == "" || f ~ /^\[/) f = "anonymous"; sub(/.*\//, "", f) }
         /^Rss:/ { r[f] += $2 } END { for (f in r) if (r[f] > 0) print f, r[f] }' "$1" | sort
}
s_smaps "$tmp/agent.smaps" >"$tmp/agent.rss"
s_smaps "$tmp/collectd.smaps" >"$tmp/collectd.rss"
s_split() { awk '$1 == "anonymous" { a += $2; next } { f += $2 } END { printf "anonymous %d + files %d", a, f }' "$1"; }
echo "resident memory at the end, by mapping (smaps):"
echo "  vigil-agent $(s_split "$tmp/agent.rss") KB; largest: $(sort -k2 -rn "$tmp/agent.rss" |
    head -n 6 | awk '{printf "%s%s %d", (NR > 1 ? ", " : ""), $1, $2}')"
echo "  collectd    $(s_split "$tmp/collectd.rss") KB; largest: $(sort -k2 -rn "$tmp/collectd.rss" |
    head -n 6 | awk '{printf "%s%s %d", (NR > 1 ? ", " : ""), $1, $2}')"
echo "  files only vigil-agent maps: $(join -v 1 "$tmp/agent.rss" "$tmp/collectd.rss" | sort -k2 -rn |
    awk '{ t += $2; s = s (NR > 1 ? ", " : "") $1 " " $2 } END { printf "%d KB: %s", t, s }')"
echo "  files only collectd maps: $(join -v 2 "$tmp/agent.rss" "$tmp/collectd.rss" | sort -k2 -rn |
    awk '{ t += $2; s = s (NR > 1 ? ", " : "") $1 " " $2 } END { printf "%d KB: %s", t, s }')"
# The floor: what linking and starting those libraries costs a process that
# does nothing else (tiny C programs, footprint/floor.sh).
if [[ "${FOOTPRINT_FLOOR:-1}" != 0 ]]; then
    echo "peak RSS of a process doing nothing but linking and starting libraries:"
    "$here/floor.sh" | sed 's/^floor: /  /' || say "floor.sh failed"
fi

echo
# PSS shares each shared page among the processes mapping it; private is
# what the process alone holds (what stopping it would give back).
pss() { awk '/^Pss:/ { t += $2 } END { print t }' "$1"; }
priv() { awk '/^Private_(Clean|Dirty):/ { t += $2 } END { print t }' "$1"; }
printf '%-12s %9s %11s %8s %12s %11s %8s\n' daemon "peak KB" "RSS now KB" "PSS KB" "private KB" \
    "cpu ms/min" threads
printf '%-12s %9s %11s %8s %12s %11s %8s\n' vigil-agent "$a_rss" "$a_cur" "$(pss "$tmp/agent.smaps")" \
    "$(priv "$tmp/agent.smaps")" "$a_cpu" "$a_thr"
printf '%-12s %9s %11s %8s %12s %11s %8s\n' collectd "$c_rss" "$c_cur" "$(pss "$tmp/collectd.smaps")" \
    "$(priv "$tmp/collectd.smaps")" "$c_cpu" "$c_thr"
echo "footprint: vigil-agent rss $a_rss cpu $a_cpu  collectd rss $c_rss cpu $c_cpu"
