# testlib.sh - what the shell integration tests share; source it first:
#
#   source "$VIGIL_SOURCE_DIR/tests/helpers/testlib.sh"
#
# Checks that ctest set the environment, makes $tmp (removed on exit), and
# defines:
#   fail MESSAGE        fails the test
#   q ARGS...           psql, quiet, stopping at the first error, unaligned
#   run RC ARGS...      runs vigil ARGS, output in $tmp/out and $tmp/err, and
#                       fails unless it exits RC
#   expect FILE TEXT    fails unless FILE holds TEXT (a fixed string)
#   reader_role         makes the read-only role vigil_reader (before the
#                       collector's migrations grant it what it may read) and
#                       a login in it, vigil_test_alice
# and sets vigil (the CLI) and cluster (the fixture cluster's URL).
set -euo pipefail

: "${VIGIL_TEST_PG_DIR:?run this test with ctest}"
: "${VIGIL_BUILD_DIR:?run this test with ctest}"
: "${VIGIL_SOURCE_DIR:?run this test with ctest}"
vigil=$VIGIL_BUILD_DIR/cli/vigil
[[ -s "$VIGIL_TEST_PG_DIR/url" ]] || {
    echo "FAIL: no PostgreSQL cluster: $VIGIL_TEST_PG_DIR/url is missing (did pg.start fail?)" >&2
    exit 1
}
cluster=$(cat "$VIGIL_TEST_PG_DIR/url")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
run() {
    local want=$1 rc=0
    shift
    "$vigil" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
    [[ $rc -eq $want ]] ||
        fail "vigil $* exited $rc, expected $want: $(head -c 3000 "$tmp/out" "$tmp/err")"
}
expect() { grep -qF -- "$2" "$1" || fail "$1 lacks \"$2\": $(head -c 3000 "$1")"; }
reader_role() {
    q "$cluster" <<'SQL'
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_reader') THEN
        CREATE ROLE vigil_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_test_alice') THEN
        CREATE ROLE vigil_test_alice LOGIN IN ROLE vigil_reader;
    END IF;
END $$;
SQL
}
