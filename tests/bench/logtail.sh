#!/usr/bin/env bash
# logtail.sh - how many log lines a second the logtail rules handle on one
# core: JSON lines through a JSON rule, nginx access-log lines through a regex
# rule, with references measured in the same run (finding the lines alone,
# the JSON extractor alone, the bare PCRE2 match).
#
#   tests/bench/logtail.sh
#
# Builds the agent core in a Release tree (build-bench) if needed and
# tests/bench/logtail_bench.c against it, writes the logs to a temporary
# directory (removed on exit) and runs on CPU 0 (taskset, when present).
# The last line is:
#
#   logtail: json <N> lines/s  regex <M> lines/s
#
# Environment (defaults in brackets):
#   LOGTAIL_LINES [2000000]: lines of each kind
#   VIGIL_BENCH_BUILD [build-bench]
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${VIGIL_BENCH_BUILD:-$src/build-bench}
lines=${LOGTAIL_LINES:-2000000}

say() { echo "logtail.sh: $*" >&2; }

# --- build -------------------------------------------------------------------
if [[ ! -f "$build/CMakeCache.txt" ]]; then
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target vigil_agent_core -j"$(nproc)" >"$build/logtail-build.log" 2>&1 || {
    tail -n 30 "$build/logtail-build.log" >&2
    say "build failed"
    exit 1
}
bench=$build/logtail_bench
# shellcheck disable=SC2046
cc -O2 -std=c11 -D_GNU_SOURCE -I"$src/agent" -I"$src/agent/inputs" -I"$src/common" \
    "$src/tests/bench/logtail_bench.c" \
    "$build/agent/libvigil_agent_core.a" "$build/common/libvigil_common.a" \
    "$build/proto/libvigil_proto.a" \
    $(pkg-config --libs libpcre2-8 libcurl libczmq libzmq libfyaml libprotobuf-c) -lm \
    -o "$bench"

# --- data --------------------------------------------------------------------
tmp=$(mktemp -d /tmp/vigil-logtail-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$bench" gen json "$lines" "$tmp/api.json.log"
"$bench" gen nginx "$lines" "$tmp/access.log"
echo "sample lines:"
head -n 1 "$tmp/api.json.log"
head -n 1 "$tmp/access.log"
echo

# --- run ---------------------------------------------------------------------
pin=()
if command -v taskset >/dev/null; then
    pin=(taskset -c 0)
fi
echo "command: ${pin[*]} $bench run api.json.log access.log   (LOGTAIL_LINES=$lines, $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
"${pin[@]}" "$bench" run "$tmp/api.json.log" "$tmp/access.log"
