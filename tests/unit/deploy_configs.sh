#!/usr/bin/env bash
# deploy_configs.sh - the files deploy/ ships are what operators copy first: each
# must pass its program's --check as shipped. deploy/collector.yaml, and with it
# deploy/routes.yaml and deploy/report.yaml; deploy/agent.yaml and every agent
# example in deploy/examples/. A copy with a key given twice must fail, so that
# the check is known to look.
set -euo pipefail
: "${VIGIL_BUILD_DIR:?run this test with ctest}"
: "${VIGIL_SOURCE_DIR:?run this test with ctest}"
collector=$VIGIL_BUILD_DIR/collector/vigil-collector
agent=$VIGIL_BUILD_DIR/agent/vigil-agent
deploy=$VIGIL_SOURCE_DIR/deploy
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

check() { # check WHAT PROGRAM FILE
    if "$2" --check -c "$3" >"$tmp/out" 2>&1; then
        echo "ok: $1"
    else
        echo "FAIL: $1 does not pass --check:" >&2
        cat "$tmp/out" >&2
        failed=1
    fi
}

check deploy/collector.yaml "$collector" "$deploy/collector.yaml"
# The same file with the routes, report definition and rules deploy/ ships (its own
# rule_files line names /etc/vigil, so it is left out).
{
    grep -v '^rule_files:' "$deploy/collector.yaml"
    printf 'routes_file: %s\nreport_definition: %s\nrule_files: [%s]\n' "$deploy/routes.yaml" \
        "$deploy/report.yaml" "$deploy/rules/fastapi.rules.yml"
} >"$tmp/collector.yaml"
# routes.yaml takes its secrets from the environment, as it should in production.
for v in $(grep -o 'env:[A-Z_]*' "$deploy/routes.yaml" | sort -u); do
    export "${v#env:}=https://hooks.example.invalid/${v#env:}"
done
check "deploy/collector.yaml with deploy/routes.yaml, report.yaml and rules/" "$collector" \
    "$tmp/collector.yaml"
check deploy/agent.yaml "$agent" "$deploy/agent.yaml"
# The example reads its check's token from the environment, as it should in production.
export VIGIL_CHAT_AUTHORIZATION="Bearer example"
for f in "$deploy"/examples/*.yaml; do
    check "deploy/examples/${f##*/}" "$agent" "$f"
done

# The check must see a key given twice.
{ cat "$deploy/collector.yaml"; echo "writers: 2"; echo "writers: 3"; } >"$tmp/twice.yaml"
if "$collector" --check -c "$tmp/twice.yaml" >"$tmp/out" 2>&1; then
    echo "FAIL: a collector.yaml with a key given twice passed --check" >&2
    failed=1
elif ! grep -q "duplicate key" "$tmp/out"; then
    echo "FAIL: a key given twice was refused without saying so:" >&2
    cat "$tmp/out" >&2
    failed=1
fi
exit "$failed"
