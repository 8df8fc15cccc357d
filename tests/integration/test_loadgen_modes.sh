#!/usr/bin/env bash
# test_loadgen_modes.sh - the benchmark's generator stores the same rows
# whether it shares the encoded strings and series between batches (its
# default) or builds every batch whole as an agent does (--fresh-batches):
# with one label and two, and with batches that do not divide the series.
source "${VIGIL_SOURCE_DIR:?run this test with ctest}/tests/helpers/testlib.sh"
. "$VIGIL_SOURCE_DIR/deploy/free-port.sh"
loadgen=$VIGIL_BUILD_DIR/tests/vigil-loadgen

db=vigil_test_loadgen_modes
q "$cluster" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
db=${cluster%/*}/$db
port=$(free_port)
printf 'listen: tcp://127.0.0.1:%s\ndatabase_url: %s\n' "$port" "$db" >"$tmp/c.yaml"
"$VIGIL_BUILD_DIR/collector/vigil-collector" -c "$tmp/c.yaml" >"$tmp/collector.log" 2>&1 &
pid=$!
trap 'kill -KILL "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for ((i = 0; i < 300; i++)); do
    grep -qF "listening on" "$tmp/collector.log" && break
    sleep 0.1
done

# send PREFIX ARGS...: one run of the generator; prints the samples acknowledged.
send() {
    local prefix=$1
    shift
    "$loadgen" --endpoint "tcp://127.0.0.1:$port" --duration 2 --quiet --id-prefix "$prefix" \
        "$@" >"$tmp/$prefix.out" ||
        fail "vigil-loadgen $prefix failed: $(tail -n 5 "$tmp/$prefix.out" "$tmp/collector.log")"
    sed -n 's/^acked_samples=//p' "$tmp/$prefix.out"
}
# rows PREFIX: the rows of the agents PREFIX-<n>, by agent number, labels,
# time from the run's first sample and value, as a count and a digest.
rows() {
    q "$db" -c "
        WITH r AS (
            SELECT regexp_replace(h.hostname, '^$1-host-', '') AS agent, s.labels::text AS labels,
                   x.ts - min(x.ts) OVER () AS dt, x.value
              FROM vigil.samples x JOIN vigil.hosts h USING (host_id)
              JOIN vigil.series s USING (series_id)
             WHERE h.hostname LIKE '$1-host-%')
        SELECT count(*) || ' ' || md5(string_agg(agent || labels || dt::text || value::text, ','
                                                 ORDER BY agent, labels, dt))
          FROM r WHERE dt < interval '1 minute'"
}

one=(--agents 3 --series 250 --samples-per-batch 100 --rate 3000)
two=(--agents 2 --series 1200 --samples-per-batch 700 --rate 5000 --two-labels)
for shape in one two; do
    declare -n args=$shape
    n_shared=$(send "shared$shape" "${args[@]}")
    n_fresh=$(send "fresh$shape" "${args[@]}" --fresh-batches)
    [[ "$n_shared" -gt 0 && "$n_shared" == "$n_fresh" ]] ||
        fail "$shape: acknowledged $n_shared shared, $n_fresh fresh"
    r_shared=$(rows "shared$shape")
    r_fresh=$(rows "fresh$shape")
    [[ "${r_shared%% *}" -gt 0 ]] || fail "$shape: no rows stored"
    [[ "$r_shared" == "$r_fresh" ]] || fail "$shape: rows differ: shared $r_shared, fresh $r_fresh"
    echo "$shape: $r_shared (both ways)"
done
kill -TERM "$pid"
wait "$pid" || fail "the collector did not stop cleanly: $(tail -n 20 "$tmp/collector.log")"
echo "test_loadgen_modes: ok"
