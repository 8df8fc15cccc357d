#!/usr/bin/env bash
# tests/fuzz/run.sh - builds the libFuzzer targets and runs every one.
#
#   tests/fuzz/run.sh [SECONDS]     each target for SECONDS (default 30)
#
# Builds build-fuzz/ with clang (-DVIGIL_FUZZ=ON) and runs each
# tests/fuzz/fuzz_*.c target through ctest (label "fuzz"), seeded from
# tests/fuzz/corpus/<target>/ where it exists. What libFuzzer finds is kept
# in build-fuzz/tests/fuzz/corpus/, never in the sources; a crash leaves its
# input in build-fuzz/tests/fuzz/ and fails the run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
seconds=${1:-30}
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || {
    echo "usage: tests/fuzz/run.sh [SECONDS]" >&2
    exit 2
}
command -v clang >/dev/null || {
    echo "tests/fuzz/run.sh: clang is missing: apt-get install clang libclang-rt-14-dev" >&2
    exit 1
}
jobs=$(nproc 2>/dev/null || echo 2)
targets=$(ls tests/fuzz/fuzz_*.c | wc -l)
echo "==> building build-fuzz (clang, libFuzzer)"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DVIGIL_FUZZ=ON -DVIGIL_BUILD_TESTS=ON \
    -DVIGIL_FUZZ_SECONDS="$seconds" >/dev/null
cmake --build build-fuzz -j"$jobs" >/dev/null
echo "==> running $targets fuzz targets for $seconds s each"
cd build-fuzz && ctest -L fuzz --no-tests=error --output-on-failure
