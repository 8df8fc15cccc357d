#!/usr/bin/env bash
# scrape.sh - how many samples a second the scrape input's exposition parser
# reads, checking each exposition whole, against the parser from before it
# checked them (which skipped what it could not read and kept the rest),
# measured in the same run on the same pages.
#
#   tests/bench/scrape.sh
#
# 1. builds the agent core in a Release tree (build-bench) if needed, and
#    tests/bench/scrape_bench.c twice: against the tree's parser, and against
#    the parser of SCRAPE_BASELINE_REV, its four files taken from git;
# 2. starts Debian's prometheus-node-exporter on a free port of 127.0.0.1,
#    fetches its /metrics page and stops it; generates a page of SCRAPE_SERIES
#    series in 0.0.4 and in OpenMetrics (counters, gauges, histograms and
#    summaries, as a busy web application has them);
# 3. parses each page again and again for a second, SCRAPE_ROUNDS times for
#    each parser, the two taking turns, on CPU 1 when taskset is there, and
#    keeps each one's best round: the machine may be shared, and the best
#    round is the one others disturbed least. The rate is over the process's
#    CPU time.
#
# The last line is:
#
#   scrape: node_exporter <r> 100000-series 0.0.4 <r> OpenMetrics <r> (checked/today, samples/s)
#
# Environment (defaults in brackets):
#   SCRAPE_SERIES [100000]: series of the generated pages
#   SCRAPE_ROUNDS [5]: rounds of a second per parser and page
#   SCRAPE_BASELINE_REV [a7a4b02]: the commit whose parser is "today's"
#   VIGIL_BENCH_BUILD [build-bench]
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${VIGIL_BENCH_BUILD:-$src/build-bench}
series=${SCRAPE_SERIES:-100000}
rounds=${SCRAPE_ROUNDS:-5}
baseline=${SCRAPE_BASELINE_REV:-a7a4b02}

say() { echo "scrape.sh: $*" >&2; }
die() {
    say "$*"
    exit 1
}

command -v prometheus-node-exporter >/dev/null ||
    die "prometheus-node-exporter is missing: apt-get install prometheus-node-exporter"
command -v curl >/dev/null || die "curl is missing: apt-get install curl"
command -v python3 >/dev/null || die "python3 is missing (it finds a free port)"
git -C "$src" cat-file -e "$baseline^{commit}" 2>/dev/null ||
    die "no commit $baseline in $src: set SCRAPE_BASELINE_REV to the parser to compare with"

tmp=$(mktemp -d /tmp/vigil-scrape-bench.XXXXXX)
exporter=
cleanup() {
    [[ -n "$exporter" ]] && kill "$exporter" 2>/dev/null && wait "$exporter" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# --- build -------------------------------------------------------------------
if [[ ! -f "$build/CMakeCache.txt" ]]; then
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target vigil_agent_core -j"$(nproc)" >"$build/scrape-build.log" 2>&1 || {
    tail -n 30 "$build/scrape-build.log" >&2
    die "build failed"
}
mkdir -p "$tmp/baseline"
for f in scrape_parse.c scrape_parse.h scrape_lex.c scrape_lex.h; do
    git -C "$src" show "$baseline:agent/inputs/$f" >"$tmp/baseline/$f"
done
# shellcheck disable=SC2046
libs=($(pkg-config --libs libpcre2-8 libcurl libczmq libzmq libfyaml libprotobuf-c) -lm)
cc -O2 -std=c11 -D_GNU_SOURCE -I"$src/agent/inputs" -I"$src/common" -I"$build/common" \
    "$src/tests/bench/scrape_bench.c" "$build/agent/libvigil_agent_core.a" \
    "$build/common/libvigil_common.a" "$build/proto/libvigil_proto.a" "${libs[@]}" \
    -o "$tmp/checked"
cc -O2 -std=c11 -D_GNU_SOURCE -DSCRAPE_BENCH_BASELINE -I"$tmp/baseline" -I"$src/common" \
    -I"$build/common" "$src/tests/bench/scrape_bench.c" "$tmp/baseline/scrape_parse.c" \
    "$tmp/baseline/scrape_lex.c" "$build/common/libvigil_common.a" "${libs[@]}" -o "$tmp/today"

# --- pages -------------------------------------------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus-node-exporter --web.listen-address="127.0.0.1:$port" >"$tmp/node_exporter.log" 2>&1 &
exporter=$!
for _ in $(seq 100); do
    curl -sf -o "$tmp/node.prom" "http://127.0.0.1:$port/metrics" && break
    sleep 0.1
done
kill "$exporter" 2>/dev/null && wait "$exporter" 2>/dev/null || true
exporter=
[[ -s "$tmp/node.prom" ]] || die "prometheus-node-exporter did not answer (see its log: $(tail -n 3 "$tmp/node_exporter.log"))"
"$tmp/checked" gen prometheus "$series" "$tmp/many.prom"
"$tmp/checked" gen openmetrics "$series" "$tmp/many.om"

# --- run ---------------------------------------------------------------------
pin=()
if command -v taskset >/dev/null && (($(nproc) > 1)); then
    pin=(taskset -c 1)
fi
echo "command: ${pin[*]} scrape_bench run FORMAT PAGE 1, $rounds rounds each, best kept" \
    "($(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load $(cut -d' ' -f1-3 /proc/loadavg))"

# best <program> <format> <page>: the best samples/s of the rounds; sets $per and $errors
best() {
    local b=0 out rate
    for _ in $(seq "$rounds"); do
        out=$("${pin[@]}" "$1" run "$2" "$3" 1)
        read -r rate per _ errors <<<"$out"
        ((rate > b)) && b=$rate
    done
    echo "$b $per $errors"
}

ratios=()
for page in "node_exporter prometheus $tmp/node.prom" "$series-series prometheus $tmp/many.prom" \
    "$series-series openmetrics $tmp/many.om"; do
    read -r name format file <<<"$page"
    today=0 checked=0
    for _ in 1 2; do # taking turns, so both see the same moods of the machine
        read -r t per terr <<<"$(best "$tmp/today" "$format" "$file")"
        read -r c cper cerr <<<"$(best "$tmp/checked" "$format" "$file")"
        ((t > today)) && today=$t
        ((c > checked)) && checked=$c
    done
    ((cerr == 0)) || die "$name ($format): the checked parser finds the page invalid"
    ratio=$(awk -v c="$checked" -v t="$today" 'BEGIN { printf "%.2f", c / t }')
    ratios+=("$name $([[ $format == openmetrics ]] && echo OpenMetrics || echo 0.0.4) $ratio")
    printf 'scrape: %-22s %-11s %7d samples %9d bytes: today %9d samples/s, checked %9d samples/s (%s)\n' \
        "$name" "$format" "$per" "$(stat -c %s "$file")" "$today" "$checked" "$ratio"
done
echo "scrape: node_exporter ${ratios[0]##* } $series-series 0.0.4 ${ratios[1]##* }" \
    "OpenMetrics ${ratios[2]##* } (checked/today, samples/s; at least 0.80 wanted)"
