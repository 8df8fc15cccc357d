#!/usr/bin/env bash
# test_rules_promtool.sh - the same rule unit tests through Debian's
# `promtool test rules` (Prometheus 2.42, the real peer) and `vigil rules
# test`: both must give each file the verdict its name states.
#
#   NAME.pass.yml   both pass        NAME.fail.yml   both fail
#   NAME.prom3.yml  vigil passes; not given to promtool: it tests what
#                   Prometheus 3 changed (samples exactly on a window's left
#                   boundary), where Prometheus 2.42 answers otherwise
#
# The fixtures are in tests/fixtures/rules/promtool/; the rules shipped in
# deploy/rules/ and their tests must pass in both as well. With CI set, a
# missing promtool is a failure; otherwise the comparison is skipped with a
# warning.
set -uo pipefail

build=${VIGIL_BUILD_DIR:?VIGIL_BUILD_DIR is not set (run through ctest)}
src=${VIGIL_SOURCE_DIR:?VIGIL_SOURCE_DIR is not set (run through ctest)}
fixtures=${VIGIL_FIXTURES:?VIGIL_FIXTURES is not set (run through ctest)}/rules/promtool
vigil=$build/cli/vigil
ci=${CI:-}
[[ "$ci" == "false" || "$ci" == "0" ]] && ci=

if ! command -v promtool >/dev/null; then
    if [[ -n "$ci" ]]; then
        echo "test_rules_promtool: promtool is missing (apt-get install prometheus); CI is set" >&2
        exit 1
    fi
    echo "test_rules_promtool: WARNING: promtool is missing (apt-get install prometheus);" \
        "comparison skipped" >&2
    exit 0
fi
promtool --version 2>&1 | head -n 1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$fixtures" || exit 1

failed=0 passes=0 fails=0
for f in *.pass.yml *.fail.yml *.prom3.yml; do
    [[ -e "$f" ]] || continue
    want=0
    [[ "$f" == *.fail.yml ]] && want=1
    "$vigil" rules test "$f" >"$tmp/vigil.out" 2>&1
    v=$?
    if [[ "$f" == *.prom3.yml ]]; then
        p=-
    else
        promtool test rules "$f" >"$tmp/promtool.out" 2>&1
        p=$?
    fi
    verdict=ok
    if [[ "$v" != "$want" || ("$p" != - && "$p" != "$want") ]]; then
        verdict=MISMATCH
        failed=1
    fi
    printf '%-34s promtool %-2s vigil %-2s expected %s  %s\n' "$f" "$p" "$v" "$want" "$verdict"
    if [[ "$verdict" != ok ]]; then
        [[ "$p" != - ]] && sed 's/^/    promtool| /' "$tmp/promtool.out"
        sed 's/^/    vigil   | /' "$tmp/vigil.out"
    fi
    if [[ $want == 0 ]]; then passes=$((passes + 1)); else fails=$((fails + 1)); fi
done
# The shipped rules: checked, and their tests pass in both.
for f in "$src"/deploy/rules/*.rules.yml; do
    if ! "$vigil" rules check "$f" >"$tmp/out" 2>&1 || ! promtool check rules "$f" >>"$tmp/out" 2>&1; then
        echo "deploy/rules/${f##*/}: check FAILED" >&2
        cat "$tmp/out" >&2
        failed=1
    fi
done
for f in "$src"/deploy/rules/*.test.yml; do
    (cd "${f%/*}" && "$vigil" rules test "${f##*/}") >"$tmp/vigil.out" 2>&1
    v=$?
    (cd "${f%/*}" && promtool test rules "${f##*/}") >"$tmp/promtool.out" 2>&1
    p=$?
    verdict=ok
    if [[ $v != 0 || $p != 0 ]]; then
        verdict=MISMATCH
        failed=1
    fi
    printf '%-34s promtool %-2s vigil %-2s expected 0  %s\n' "deploy/rules/${f##*/}" "$p" "$v" "$verdict"
    if [[ $verdict != ok ]]; then
        sed 's/^/    promtool| /' "$tmp/promtool.out"
        sed 's/^/    vigil   | /' "$tmp/vigil.out"
    fi
done
# The comparison means something only with both verdicts represented.
if ((passes < 10 || fails < 3)); then
    echo "test_rules_promtool: too few fixtures ($passes passing, $fails failing)" >&2
    failed=1
fi
# A failing test names what differs, as promtool does.
"$vigil" rules test wrong_value.fail.yml >"$tmp/out" 2>&1
if ! grep -q 'exp: {instance="a", job="api"} 2' "$tmp/out" ||
    ! grep -q 'got: {instance="a", job="api"} 3' "$tmp/out"; then
    echo "test_rules_promtool: the failure report lacks exp/got:" >&2
    cat "$tmp/out" >&2
    failed=1
fi
exit $failed
