#!/usr/bin/env bash
# chaos: short
# collector-curve - CURVE on, healthy agents with a known key; next to them an
# unknown key sends valid batches (0 accepted, refused at the handshake) and
# a known key sends batches for hosts it may not write (each refused).
set -euo pipefail
source "$(dirname "$0")/../lib/collector.sh"

url=$(fresh_db vigil_chaos_curve)
port=$(free_port)
ep=tcp://127.0.0.1:$port
mkdir -p "$tmp/keys" "$tmp/allow"
hosts=$(seq -s, -f 'healthy-host-%g' 0 9)
"$vigil_bin" keygen collector --dir "$tmp/keys" >/dev/null
"$vigil_bin" keygen fleet --hosts "$hosts" --dir "$tmp/keys" >/dev/null
"$vigil_bin" keygen stranger --dir "$tmp/keys" >/dev/null
cp "$tmp/keys/fleet" "$tmp/allow/"
printf 'listen: %s\ndatabase_url: %s\ncurve_secret_key: %s\ncurve_allow_dir: %s\n' "$ep" "$url" \
    "$tmp/keys/collector_secret" "$tmp/allow" >"$tmp/collector.yaml"
start_collector "$tmp/collector.yaml"
"$loadgen_bin" --endpoint "$ep" --agents 10 --series 100 --samples-per-batch 200 --duration 10 \
    --id-prefix healthy --timeout-ms 5000 --drain-ms 60000 --quiet \
    --curve-keys "$tmp/keys/fleet_secret" --curve-server "$tmp/keys/collector" >"$tmp/loadgen.out" 2>&1 &
lg=$!
bg_pids=("$lg")
key=$(sed -n 's/.*public-key = "\(.*\)"/\1/p' "$tmp/keys/collector")
"$hostile_bin" --endpoint "$ep" --duration 8 --mode identities --count 200 \
    --curve-server-key "$key" --curve-keys "$tmp/keys/stranger" >>"$tmp/hostile.out" 2>&1 &
bg_pids+=($!)
"$hostile_bin" --endpoint "$ep" --duration 8 --mode identities --count 200 \
    --curve-server-key "$key" --curve-keys "$tmp/keys/fleet" >>"$tmp/hostile.out" 2>&1 &
bg_pids+=($!)
wait "$lg" || { cat "$tmp/loadgen.out"; fail "the healthy agents did not get every batch acknowledged"; }
for p in "${bg_pids[@]:1}"; do wait "$p" || true; done
bg_pids=()
stop_collector
check_landed "$url" "$tmp/loadgen.out"
foreign=$(sql "$url" -c "SELECT count(*) FROM vigil.samples s JOIN vigil.hosts h USING (host_id) WHERE h.agent_id NOT LIKE 'healthy-%'")
unknown_logged=$(grep -c "refused a connection with an unknown CURVE key" "$tmp/collector.log" || true)
host_refused=$(grep -c "(host, refusal" "$tmp/collector.log" || true)
echo "chaos: collector-curve healthy_acked=$acked lost=$lost duplicated=$dup foreign_samples=$foreign unknown_key_logged=$unknown_logged other_host_refusal_lines=$host_refused"
[[ $lost -eq 0 && $dup -eq 0 ]] || fail "healthy samples lost $lost, duplicated $dup"
[[ $foreign -eq 0 ]] || fail "$foreign samples of an unknown key or a foreign host were stored"
[[ $unknown_logged -eq 1 ]] || fail "the unknown key was logged $unknown_logged times, not once"
((host_refused > 0)) || fail "no batch was refused for its host"
grep -qF "may write for $hosts, not for host \"hostile-id-" "$tmp/collector.log" ||
    fail "the refusal does not name the key's hosts and the host asked for"
