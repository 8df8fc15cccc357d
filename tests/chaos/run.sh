#!/usr/bin/env bash
# tests/chaos/run.sh - the fault suite: collector and agent cases under load.
#
#   tests/chaos/run.sh [--short] [--build DIR] [CASE...]
#
# Runs every tests/chaos/cases/*.sh (or the CASEs named, by file name without
# .sh), one after another. Each case starts what it needs (healthy simulated
# agents, a collector, faults) against the PostgreSQL cluster given, prints
# one line that starts with "chaos: <case>" and carries its figures, and exits
# 0 if its checks held. --short runs only the cases that say "# chaos: short"
# in their first lines: those CI runs.
#
# Environment given to each case:
#   VIGIL_BUILD_DIR   the build with the binaries (default: build-test, else build)
#   VIGIL_SOURCE_DIR  the source tree
#   VIGIL_TEST_PG_DIR a running cluster (deploy/pg-cluster.sh); without one,
#                     this script starts a private cluster and stops it after
#   VIGIL_CHAOS_TMP   a scratch directory of the case's own, removed after
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
short=0
build=${VIGIL_BUILD_DIR:-}
names=()
while (($#)); do
    case $1 in
    --short) short=1 ;;
    --build) build=$2; shift ;;
    -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "chaos: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) names+=("$1") ;;
    esac
    shift
done
if [[ -z "$build" ]]; then
    for b in "$src/build-test" "$src/build"; do
        [[ -x "$b/collector/vigil-collector" ]] && { build=$b; break; }
    done
fi
[[ -n "$build" && -x "$build/collector/vigil-collector" ]] || {
    echo "chaos: no build with vigil-collector; build first (cmake -S . -B build && cmake --build build) or pass --build DIR" >&2
    exit 2
}
build=$(cd "$build" && pwd)

cases=()
if ((${#names[@]})); then
    for n in "${names[@]}"; do
        f=$src/tests/chaos/cases/$n.sh
        [[ -f "$f" ]] || { echo "chaos: no case $n (tests/chaos/cases/$n.sh)" >&2; exit 2; }
        cases+=("$f")
    done
else
    for f in "$src"/tests/chaos/cases/*.sh; do
        [[ -f "$f" ]] || continue
        if ((short)) && ! head -n 15 "$f" | grep -q '^# chaos: short'; then
            continue
        fi
        cases+=("$f")
    done
fi
((${#cases[@]})) || { echo "chaos: no cases to run"; exit 0; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/vigil-chaos.XXXXXX")
own_pg=
cleanup() {
    [[ -n "$own_pg" ]] && "$src/deploy/pg-cluster.sh" stop "$own_pg" >/dev/null 2>&1 || true
    rm -rf "$scratch"
}
trap cleanup EXIT
pg_dir=${VIGIL_TEST_PG_DIR:-}
if [[ -z "$pg_dir" || ! -s "$pg_dir/url" ]]; then
    own_pg=$scratch/pg
    mkdir -p "$own_pg"
    echo "chaos: starting a private PostgreSQL cluster"
    "$src/deploy/pg-cluster.sh" start "$own_pg" >/dev/null
    pg_dir=$own_pg
fi

failed=()
for f in "${cases[@]}"; do
    name=$(basename "$f" .sh)
    tmp=$scratch/$name
    mkdir -p "$tmp"
    start=$SECONDS
    if VIGIL_BUILD_DIR=$build VIGIL_SOURCE_DIR=$src VIGIL_TEST_PG_DIR=$pg_dir \
        VIGIL_CHAOS_TMP=$tmp bash "$f" >"$tmp.log" 2>&1; then
        grep '^chaos: ' "$tmp.log" || echo "chaos: $name (printed no figures)"
        echo "  ok: $name ($((SECONDS - start)) s)"
    else
        grep '^chaos: ' "$tmp.log" || true
        echo "  FAILED: $name ($((SECONDS - start)) s); its output:"
        sed 's/^/    /' "$tmp.log" | tail -n 40
        failed+=("$name")
    fi
done
if ((${#failed[@]})); then
    echo "chaos: ${#failed[@]} of ${#cases[@]} cases failed: ${failed[*]}"
    exit 1
fi
echo "chaos: all ${#cases[@]} cases passed"
