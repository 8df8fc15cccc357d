#!/usr/bin/env bash
# test_http_pages.sh - what the report stage serves through the real
# vigil-collector's HTTP server, against a real PostgreSQL:
#   - the status page at / is open when the server listens on 127.0.0.1, and
#     needs the bearer token when it listens elsewhere (0.0.0.0);
#   - POST /api/v1/events/deploy records a deploy (source "api") with the
#     token, at now, at a given time, "-2h" or seconds since the epoch; it is
#     what vigil event list and reports read;
#   - without the token, with a wrong one, or with a body that is not a
#     deploy, it is refused with the reason, and nothing is recorded.
source "${VIGIL_SOURCE_DIR:?run this test with ctest}/tests/helpers/testlib.sh"
source "$VIGIL_SOURCE_DIR/tests/helpers/http_collector.sh"
q "$cluster" -c "DROP DATABASE IF EXISTS vigil_test_http_pages WITH (FORCE)" \
    -c "CREATE DATABASE vigil_test_http_pages"
db=${cluster%/*}/vigil_test_http_pages
export VIGIL_TEST_HTTP_TOKEN=page-s3cret
token=$VIGIL_TEST_HTTP_TOKEN

# --- on 127.0.0.1: the page is open ------------------------------------------------------------
http_collector_start loopback "$db" "http_token: env:VIGIL_TEST_HTTP_TOKEN"
base=http://127.0.0.1:$http_port
[[ "$(http_req GET "$base/")" == 200 ]] || fail "GET / on loopback: $(cat "$tmp/http.body")"
expect "$tmp/http.body" "<h1>Vigil status</h1>"
expect "$tmp/http.body" "no hosts have reported yet"
echo "loopback: the status page is open"

# --- deploys by POST -----------------------------------------------------------------------------
deploys() { q "$db" -c "SELECT count (*) FROM vigil.deploys"; }
ep=$base/api/v1/events/deploy
body='{"service": "chat-api", "version": "1.4.2"}'
[[ "$(http_req POST "$ep" "" "$body")" == 401 ]] || fail "a deploy without the token was not refused"
expect "$tmp/http.body" "bearer token"
[[ "$(http_req POST "$ep" wrong "$body")" == 401 ]] || fail "a deploy with a wrong token was not refused"
[[ "$(deploys)" == 0 ]] || fail "a refused deploy was recorded"

before=$(date +%s)
[[ "$(http_req POST "$ep" "$token" "$body")" == 201 ]] || fail "POST deploy: $(cat "$tmp/http.body")"
expect "$tmp/http.body" '"service":"chat-api","version":"1.4.2","at":"'
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["deployID"])' "$tmp/http.body")
row=$(q "$db" -c "SELECT service, version, source, note, extract (epoch FROM ts)::bigint >= $before,
                         ts <= now () FROM vigil.deploys WHERE deploy_id = $id")
[[ "$row" == "chat-api|1.4.2|api||t|t" ]] || fail "deploy $id stored as: $row"

body='{"service": "chat-api", "version": "1.4.1", "at": "2025-06-15T10:30:00+09:00",
       "note": "faster personas", "labels": {"env": "prod"}}'
[[ "$(http_req POST "$ep" "$token" "$body")" == 201 ]] || fail "POST deploy with at: $(cat "$tmp/http.body")"
expect "$tmp/http.body" '"at":"2025-06-15T01:30:00Z"'
row=$(q "$db" -c "SELECT ts = '2025-06-15T01:30:00Z', note, labels->>'env' FROM vigil.deploys
                   WHERE version = '1.4.1'")
[[ "$row" == "t|faster personas|prod" ]] || fail "the deploy with at, note and labels: $row"
# A time without a zone is UTC; "-2h" is two hours ago; a number is seconds since the epoch.
[[ "$(http_req POST "$ep" "$token" '{"service": "web", "version": "7", "at": "2025-06-15 10:30"}')" == 201 ]] ||
    fail "at without a zone: $(cat "$tmp/http.body")"
expect "$tmp/http.body" '"at":"2025-06-15T10:30:00Z"'
[[ "$(http_req POST "$ep" "$token" '{"service": "web", "version": "8", "at": "-2h"}')" == 201 ]] ||
    fail "at -2h: $(cat "$tmp/http.body")"
[[ "$(q "$db" -c "SELECT abs (extract (epoch FROM now () - interval '2 hours' - ts)) < 60
                   FROM vigil.deploys WHERE version = '8'")" == t ]] || fail "-2h is not two hours ago"
[[ "$(http_req POST "$ep" "$token" '{"service": "web", "version": "9", "at": 1750000000}')" == 201 ]] ||
    fail "at in seconds: $(cat "$tmp/http.body")"
expect "$tmp/http.body" '"at":"2025-06-15T15:06:40Z"'
run 0 event list --db "$db" --since 2025-01-01 --where 'service="chat-api"'
expect "$tmp/out" "1.4.1"
expect "$tmp/out" "faster personas"
echo "deploys: recorded with the token (now, at, -2h, epoch seconds), read by vigil event list"

# What a client can get wrong: refused with the reason, nothing recorded.
n=$(deploys)
refused() {
    local body=$1 reason=$2 status
    status=$(http_req POST "$ep" "$token" "$body")
    [[ "$status" == 400 ]] || fail "$body: answered $status, expected 400: $(cat "$tmp/http.body")"
    expect "$tmp/http.body" "$reason"
}
refused 'service=api' "the body is not JSON"
refused '["api", "1.0"]' "the body is a JSON object"
refused '{"service": "api"}' "service and version are required"
refused '{"service": "api", "version": 2}' "service and version are required, as strings"
refused '{"service": "api", "version": "1", "verison": "2"}' "unknown field verison"
refused '{"service": "api", "version": "1", "at": "yesterday-ish"}' 'cannot read the time \"yesterday-ish\"'
refused '{"service": "api", "version": "1", "at": true}' "at is a time"
refused '{"service": "api", "version": "1", "at": "2099-01-01T00:00:00Z"}' "more than a day ahead"
refused '{"service": "api", "version": "1", "labels": ["env"]}' "labels is an object"
refused '{"service": " ", "version": "1"}' "a deploy needs a service and a version"
[[ "$(deploys)" == "$n" ]] || fail "a refused deploy was recorded"
[[ "$(http_req DELETE "$ep" "$token")" == 405 ]] || fail "DELETE on the deploy endpoint is not 405"
http_collector_stop
echo "deploys: bad bodies refused with their reason, nothing recorded"

# --- elsewhere (0.0.0.0): the page needs the token ---------------------------------------------------
http_collector_start anywhere "$db" "http_listen: 0.0.0.0:0
http_token: env:VIGIL_TEST_HTTP_TOKEN"
base=http://127.0.0.1:$http_port
grep -q "the status page at / needs the bearer token" "$http_log" || fail "the collector does not say the page needs the token"
[[ "$(http_req GET "$base/")" == 401 ]] || fail "GET / on 0.0.0.0 without the token answered $(head -c 300 "$tmp/http.body")"
grep -qi '^WWW-Authenticate: Bearer' "$tmp/http.headers" || fail "no WWW-Authenticate on the 401"
! grep -q "Vigil status" "$tmp/http.body" || fail "the page was shown without the token"
[[ "$(http_req GET "$base/" wrong)" == 401 ]] || fail "GET / with a wrong token was not refused"
[[ "$(http_req GET "$base/" "$token")" == 200 ]] || fail "GET / with the token: $(cat "$tmp/http.body")"
expect "$tmp/http.body" "<h1>Vigil status</h1>"
[[ "$(http_req GET "$base/health")" == 200 ]] || fail "/health needs no token"
http_collector_stop

# Elsewhere and no token at all: the page is refused to everyone, and the log says what to do.
unset VIGIL_TEST_HTTP_TOKEN
http_collector_start notoken "$db" "http_listen: 0.0.0.0:0"
grep -q "http_token is not set: it is refused to everyone" "$http_log" || fail "no warning about the missing token"
[[ "$(http_req GET "http://127.0.0.1:$http_port/")" == 401 ]] || fail "the page was open without a token configured"
http_collector_stop
echo "0.0.0.0: the status page needs the bearer token"
echo "test_http_pages: ok"
