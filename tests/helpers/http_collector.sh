# http_collector.sh - sourced by shell integration tests (after testlib.sh):
# the real vigil-collector with its HTTP server on a free port, and HTTP
# requests to it.
#
#   http_collector_start NAME DB_URL [YAML LINES]
#       starts vigil-collector on DB_URL (ZeroMQ and HTTP on free ports; the
#       YAML lines are added to its collector.yaml, $tmp/NAME.yaml); sets
#       http_pid, http_port and http_log once it serves HTTP
#   http_collector_stop        SIGTERM, and waits for it
#   http_req METHOD URL [TOKEN] [BODY]
#       prints the answer's status; its headers go to $tmp/http.headers and
#       its body to $tmp/http.body
http_pid=
trap 'if [[ -n "$http_pid" ]]; then kill -TERM "$http_pid" 2>/dev/null; wait "$http_pid" 2>/dev/null; fi; rm -rf "$tmp"' EXIT

http_collector_start() {
    local name=$1 url=$2 extra=${3:-}
    http_log=$tmp/$name.log
    printf 'listen: tcp://127.0.0.1:*\ndatabase_url: "%s"\n%s\n' "$url" "$extra" >"$tmp/$name.yaml"
    grep -q '^http_listen:' "$tmp/$name.yaml" || echo 'http_listen: 127.0.0.1:0' >>"$tmp/$name.yaml"
    "$VIGIL_BUILD_DIR/collector/vigil-collector" -c "$tmp/$name.yaml" >"$http_log" 2>&1 &
    http_pid=$!
    http_port=
    for _ in $(seq 1 200); do
        http_port=$(sed -n 's/.*http: serving .* on https\?:\/\/[^ ]*:\([0-9][0-9]*\)$/\1/p' "$http_log")
        [[ -n "$http_port" ]] && return 0
        kill -0 "$http_pid" 2>/dev/null || break
        sleep 0.1
    done
    cat "$http_log" >&2
    fail "vigil-collector ($name) did not start its HTTP server"
}

http_collector_stop() {
    if [[ -n "$http_pid" ]] && kill -0 "$http_pid" 2>/dev/null; then
        kill -TERM "$http_pid"
        wait "$http_pid" || fail "vigil-collector exited $? on SIGTERM: $(tail -5 "$http_log")"
    fi
    http_pid=
}

http_req() {
    python3 - "$tmp" "$@" <<'PY'
import sys, urllib.request, urllib.error
tmp, method, url = sys.argv[1:4]
token = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
body = sys.argv[5].encode() if len(sys.argv) > 5 else None
req = urllib.request.Request(url, data=body, method=method)
if token:
    req.add_header("Authorization", "Bearer " + token)
if body is not None:
    req.add_header("Content-Type", "application/json")
try:
    with urllib.request.urlopen(req, timeout=30) as r:
        status, headers, data = r.status, r.headers, r.read()
except urllib.error.HTTPError as e:
    status, headers, data = e.code, e.headers, e.read()
open(f"{tmp}/http.headers", "w").write(str(headers))
open(f"{tmp}/http.body", "wb").write(data)
print(status)
PY
}
