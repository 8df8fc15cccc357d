#!/usr/bin/env bash
# rules.sh - what 1,000 alert rules cost ingest: tests/bench/ingest.sh's load,
# run twice in the same way, without rules and with 1,000 rules over the
# loaded series, measured in the same run.
#
#   tests/bench/rules.sh
#
# The rules (written to a temporary file) read the series vigil-loadgen
# sends, loadgen_value{host, series}: 300 thresholds, 300 rates, 200 ratios
# of two series, 150 quantiles over a window and 50 sums of rates over every
# host; each group of 100 evaluated every 10 s, and each rule as data for it
# lands (within the engine's budget for that: a tenth of a core). The
# generator's samples are a day old, so the rules read them with "offset 1d".
# Its load has no distributions, so the quantiles are over plain values
# (quantile_over_time merges sketches where a series is a distribution;
# test_rules_eval checks that path).
#
# Environment: everything ingest.sh takes (INGEST_SECONDS, INGEST_AGENTS...),
# and RULES_COUNT [1000]. The last line is:
#
#   rules: <N> evaluations/s  ingest-with-rules <R1> samples/s  ingest-without <R2> samples/s  ratio <R1/R2>
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
count=${RULES_COUNT:-1000}
agents=${INGEST_AGENTS:-50}
series=${INGEST_SERIES:-1000}

tmp=$(mktemp -d /tmp/vigil-rules-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# --- the rules -----------------------------------------------------------------
awk -v n="$count" -v agents="$agents" -v series="$series" 'BEGIN {
    print "groups:"
    for (i = 0; i < n; i++) {
        if (i % 100 == 0)
            printf "  - name: bench-%d\n    interval: 10s\n    rules:\n", i / 100
        h = i % agents
        s = sprintf ("s%04d", i % series)
        t = sprintf ("s%04d", (i * 7 + 3) % series)
        sel = sprintf ("loadgen_value{host=~\".*-host-%d\", series=\"%s\"}", h, s)
        kind = i % 20
        if (kind < 6)
            expr = sprintf ("%s offset 1d > 160", sel)
        else if (kind < 12)
            expr = sprintf ("rate(%s[5m] offset 1d) > 1", sel)
        else if (kind < 16)
            expr = sprintf ("%s offset 1d / ignoring(series) loadgen_value{host=~\".*-host-%d\", series=\"%s\"} offset 1d > 50", sel, h, t)
        else if (kind < 19)
            expr = sprintf ("quantile_over_time(0.95, %s[5m] offset 1d) > 165", sel)
        else
            expr = sprintf ("sum by (series) (rate(loadgen_value{series=\"%s\"}[5m] offset 1d)) > 100", s)
        printf "      - alert: Bench%d\n        expr: %s\n        labels: {severity: warning}\n", i, expr
        printf "        annotations: {summary: \"{{ $labels.host }} at {{ humanize $value }}\"}\n"
    }
}' >"$tmp/rules.yml"
field() { sed -n "s/^$1: \([0-9]*\) samples\/s.*/\1/p" "$2" | tail -n 1; }

# --- without rules, then with them ------------------------------------------
echo "== ingest without rules"
"$src/tests/bench/ingest.sh" | tee "$tmp/without.out"
echo "== ingest with $count rules"
INGEST_COLLECTOR_EXTRA="rule_files: [$tmp/rules.yml]" INGEST_COLLECTOR_LOG="$tmp/with.log" \
    "$src/tests/bench/ingest.sh" | tee "$tmp/with.out"

r2=$(field ingest "$tmp/without.out")
r1=$(field ingest "$tmp/with.out")
grep -E 'INFO  rules: |WARN  rules: ' "$tmp/with.log" | grep -v 'INFO  alert ' | sed 's/^[^ ]* [^ ]* /collector: /' | head -n 12
alerts=$(grep -c 'INFO  alert ' "$tmp/with.log" || true)
echo "alert transitions logged: $alerts"
evals=$(sed -n 's/.*rules: stopped: [0-9]* rule evaluations in [0-9.]* s (\([0-9]*\)\/s).*/\1/p' "$tmp/with.log")
if [[ -z "$r1" || -z "$r2" || -z "$evals" ]]; then
    echo "rules.sh: a run did not report its figures" >&2
    exit 1
fi
awk -v n="$evals" -v r1="$r1" -v r2="$r2" 'BEGIN {
    printf "rules: %d evaluations/s  ingest-with-rules %d samples/s  ingest-without %d samples/s  ratio %.2f\n",
           n, r1, r2, r1 / r2 }'
