#!/usr/bin/env python3
"""report_check.py - checks every section of a `vigil report daily --format
json` of the fixture day against figures computed here, independently, from
the raw samples and distributions (vigil.samples, vigil.distributions): not
through the rollups nor the SQL functions the report uses.

    report_check.py DB_URL DAY TZ REPORT.json

Prints one line per section checked; exits 1 at the first difference.
"""
import json
import subprocess
import sys

DB, DAY, TZ, PATH = sys.argv[1:5]
REPORT = json.load(open(PATH))
PERIOD = f"vigil.report_period ('daily', date '{DAY}', '{TZ}')"


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def sql(query):
    """Rows of a query, as lists of strings (None for NULL)."""
    out = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t", "-P", "null=\\N",
         DB, "-c", query], capture_output=True, text=True)
    if out.returncode:
        fail(f"query failed: {out.stderr}\n{query}")
    return [[None if c == "\\N" else c for c in line.split("\t")]
            for line in out.stdout.splitlines()]


def near(got, want, what, rel=1e-9):
    if want is None:
        if got is not None:
            fail(f"{what}: report says {got}, raw data has none")
        return
    want = float(want)
    if got is None or abs(got - want) > rel * max(1.0, abs(want)):
        fail(f"{what}: report says {got}, raw data says {want}")


def section(sid):
    s = REPORT["sections"].get(sid)
    if s is None:
        fail(f"no section {sid}")
    if s["none"]:
        fail(f"section {sid} says: {s['none']}")
    return s


def fig(sid, fid):
    return section(sid)["figures"][fid]["value"]


def rows(sid, tid):
    t = section(sid)["tables"][tid]
    return {r["key"]: r for r in t["rows"]}


# A counter's gain in the day, per group: every step between consecutive raw
# samples of a series whose later sample is in the day, a drop being a reset.
def raw_increase(metric, group="''", where="true"):
    return {r[0]: float(r[1]) for r in sql(f"""
        WITH x AS (SELECT {group} AS grp, x.ts, x.value, s.labels, h.hostname,
                          lag (x.value) OVER (PARTITION BY x.host_id, x.series_id ORDER BY x.ts) AS prev
                     FROM vigil.samples x JOIN vigil.series s USING (host_id, series_id)
                     JOIN vigil.hosts h USING (host_id)
                    WHERE s.metric = '{metric}')
        SELECT x.grp, sum (CASE WHEN x.prev IS NULL THEN x.value WHEN x.value < x.prev THEN x.value
                                ELSE x.value - x.prev END)
          FROM x, {PERIOD} p WHERE x.ts >= p.period_from AND x.ts < p.period_to AND {where}
         GROUP BY 1""")}


# Distributions merged from the raw rows: count, average, P50, P95, P99.
def raw_dist(metric, group="''", where="true"):
    return {r[0]: [float(v) for v in r[1:]] for r in sql(f"""
        SELECT {group}, sum (d.count), sum (d.sum) / sum (d.count),
               vigil.dist_quantile (0.5, array_agg (d)), vigil.dist_quantile (0.95, array_agg (d)),
               vigil.dist_quantile (0.99, array_agg (d)), max (d.max)
          FROM vigil.distributions d JOIN vigil.series s USING (host_id, series_id), {PERIOD} p
         WHERE s.metric = '{metric}' AND d.ts >= p.period_from AND d.ts < p.period_to AND {where}
         GROUP BY 1""")}


def raw_gauge(metric, group="''"):
    return {r[0]: [float(v) for v in r[1:]] for r in sql(f"""
        SELECT {group}, avg (x.value), max (x.value)
          FROM vigil.samples x JOIN vigil.series s USING (host_id, series_id)
          JOIN vigil.hosts h USING (host_id), {PERIOD} p
         WHERE s.metric = '{metric}' AND x.ts >= p.period_from AND x.ts < p.period_to
         GROUP BY 1""")}


# --- requests and success rate ------------------------------------------------------
total = raw_increase("api_requests_total")[""]
errors = raw_increase("api_requests_total", where="x.labels->>'status_code' ~ '^(?:5..)$'")[""]
near(fig("requests", "requests"), total, "requests")
near(fig("requests", "errors"), errors, "errors")
near(fig("requests", "error_rate"), errors / total, "error rate")
near(fig("requests", "success_rate"), 1 - errors / total, "success rate")
by_status = raw_increase("api_requests_total", "s.labels->>'status_code'")
got = rows("requests", "by_status")
if set(got) != set(by_status):
    fail(f"status codes: {sorted(got)} vs {sorted(by_status)}")
for k, v in by_status.items():
    near(got[k]["requests"], v, f"requests with status {k}")
    near(got[k]["share"], v / total, f"share of status {k}")
print(f"requests: {total:.0f}, errors {errors:.0f}, per status - as the raw samples")

# --- response time --------------------------------------------------------------------
n, avg, p50, p95, p99, mx = raw_dist("api_request_duration_seconds")[""]
near(fig("latency", "count"), n, "measured")
near(fig("latency", "avg"), avg, "average")
near(fig("latency", "p50"), p50, "P50")
near(fig("latency", "p95"), p95, "P95")
near(fig("latency", "p99"), p99, "P99")
near(fig("latency", "max"), mx, "slowest")
print(f"latency: avg {avg:.3f} s, P50 {p50:.3f}, P95 {p95:.3f}, P99 {p99:.3f} - as the raw sketches")

# --- errors and the top error messages ---------------------------------------------------
lines = raw_increase("api_error_lines_total", "s.labels->>'error_type'")
near(fig("errors", "lines"), sum(lines.values()), "error lines")
got = section("errors")["tables"]["top"]["rows"]
want = sorted(((v, k) for k, v in lines.items() if v > 0), reverse=True)[:5]
if [r["key"] for r in got] != [k for _, k in want]:
    fail(f"top errors: {[r['key'] for r in got]} vs {[k for _, k in want]}")
for r, (v, k) in zip(got, want):
    near(r["lines"], v, f"lines of {k}")
print(f"errors: top {[k for _, k in want]} - as the raw samples")

# --- memory peak and CPU ---------------------------------------------------------------------
mem = raw_gauge("process_rss_bytes", "h.hostname")
peak_host = max(mem, key=lambda h: mem[h][1])
near(fig("resources", "memory_peak"), mem[peak_host][1], "memory peak")
if section("resources")["figures"]["memory_peak"].get("note") != peak_host:
    fail(f"memory peak host: {section('resources')['figures']['memory_peak']} vs {peak_host}")
cpu = raw_gauge("process_cpu_percent")[""]
near(fig("resources", "cpu_avg"), cpu[0], "CPU average")
near(fig("resources", "cpu_peak"), cpu[1], "CPU peak")
cpu_host = raw_gauge("process_cpu_percent", "h.hostname")
for h, r in rows("resources", "by_host").items():
    near(r["memory_peak"], mem[h][1], f"memory peak of {h}")
    near(r["cpu_avg"], cpu_host[h][0], f"CPU average of {h}")
print(f"resources: memory peak {mem[peak_host][1]:.0f} on {peak_host}, CPU avg {cpu[0]:.2f} - as the raw samples")

# --- peak concurrent users: the largest sum over the hosts in one minute ----------------------
peak = sql(f"""
    SELECT max (t) FROM (SELECT date_trunc ('minute', x.ts), sum (x.value) AS t
      FROM vigil.samples x JOIN vigil.series s USING (host_id, series_id), {PERIOD} p
     WHERE s.metric = 'app_concurrent_users' AND x.ts >= p.period_from AND x.ts < p.period_to
     GROUP BY 1) m""")[0][0]
near(fig("users", "peak"), peak, "peak concurrent users")
print(f"users: peak {float(peak):.0f} - as the raw samples")

# --- tokens and cost -------------------------------------------------------------------------
tok = raw_increase("llm_tokens", "s.labels->>'kind'")
near(fig("tokens", "tokens"), sum(tok.values()), "tokens")
for k, r in rows("tokens", "by_kind").items():
    near(r["tokens"], tok[k], f"{k} tokens")
cost = raw_increase("llm_cost_usd")[""]
near(fig("tokens", "cost"), cost, "cost", 1e-6)
print(f"tokens: {sum(tok.values()):.0f}, cost {cost:.2f} - as the raw samples")

# --- per endpoint, persona, model ------------------------------------------------------------
req = raw_increase("api_requests_total", "s.labels->>'endpoint'")
err = raw_increase("api_requests_total", "s.labels->>'endpoint'",
                   "x.labels->>'status_code' ~ '^(?:5..)$'")
lat = raw_dist("api_request_duration_seconds", "s.labels->>'endpoint'")
got = rows("by_endpoint", "by_endpoint")
if set(got) != set(req):
    fail(f"endpoints: {sorted(got)} vs {sorted(req)}")
for k in req:
    near(got[k]["requests"], req[k], f"requests of {k}")
    near(got[k]["errors"], err.get(k, 0), f"errors of {k}")
    near(got[k]["error_rate"], err.get(k, 0) / req[k], f"error rate of {k}")
    near(got[k]["count"], lat[k][0], f"measured of {k}")
    near(got[k]["avg"], lat[k][1], f"average of {k}")
    near(got[k]["p95"], lat[k][3], f"P95 of {k}")
    near(got[k]["p99"], lat[k][4], f"P99 of {k}")
per = raw_dist("api_chat_duration_seconds", "s.labels->>'persona'")
for k, r in rows("by_persona", "by_persona").items():
    near(r["count"], per[k][0], f"measured of persona {k}")
    near(r["p95"], per[k][3], f"P95 of persona {k}")
if set(rows("by_persona", "by_persona")) != set(per):
    fail("personas differ")
mt = raw_increase("llm_tokens", "s.labels->>'model'")
mc = raw_increase("llm_cost_usd", "s.labels->>'model'")
for k, r in rows("by_model", "by_model").items():
    near(r["tokens"], mt[k], f"tokens of {k}")
    near(r["cost"], mc[k], f"cost of {k}", 1e-6)
print(f"breakdowns: {len(req)} endpoints, {len(per)} personas, {len(mt)} models - as the raw data")

# --- by hour (local) -------------------------------------------------------------------------
hour = f"to_char (date_trunc ('hour', x.ts, '{TZ}') AT TIME ZONE '{TZ}', 'HH24:00')"
hreq = raw_increase("api_requests_total", hour)
herr = raw_increase("api_requests_total", hour, "x.labels->>'status_code' ~ '^(?:5..)$'")
hlat = raw_dist("api_request_duration_seconds",
                f"to_char (date_trunc ('hour', d.ts, '{TZ}') AT TIME ZONE '{TZ}', 'HH24:00')")
got = rows("by_time", "by_time")
if len(got) != 24 or set(got) != set(hreq):
    fail(f"hours: {sorted(got)}")
for k in hreq:
    near(got[k]["requests"], hreq[k], f"requests at {k}")
    near(got[k]["errors"], herr.get(k, 0), f"errors at {k}")
    near(got[k]["p95"], hlat[k][3], f"P95 at {k}")
print("by hour: 24 local hours - as the raw data")

# --- charts: the same hours, points where there is data ----------------------------------------
charts = {c["id"]: c for c in REPORT["charts"]}
for cid in ("latency", "requests", "error_rate", "memory", "cpu"):
    if cid not in charts or len(charts[cid]["points"]) != 24:
        fail(f"chart {cid} missing or not 24 points")
for p in charts["requests"]["points"]:
    near(p["values"][0], hreq[p["label"]] / 60, f"request rate at {p['label']}")
for p in charts["latency"]["points"]:
    near(p["values"][1], hlat[p["label"]][3], f"charted P95 at {p['label']}")
print("charts: latency, request rate, error rate, memory, CPU over 24 hours")

# --- deploys ---------------------------------------------------------------------------------
want = sql(f"""SELECT to_char (d.ts AT TIME ZONE '{TZ}', 'YYYY-MM-DD HH24:MI'), d.service, d.version
                 FROM vigil.deploys d, {PERIOD} p WHERE d.ts >= p.period_from AND d.ts < p.period_to
                ORDER BY d.ts""")
got = [[d["local"], d["service"], d["version"]] for d in REPORT["deploys"]]
if not want or got != want:
    fail(f"deploys: {got} vs {want}")
section("deploys")
print(f"deploys: {got}")

# --- alerts: fired in the day (their transition to firing), their first ack, their resolution;
# from vigil.alert_transitions and vigil.alert_acks, not through vigil.alert_history -------------
raw = sql(f"""
    SELECT f.alert_id, a.labels->>'alertname', a.labels->>'severity',
           extract (epoch FROM f.at), extract (epoch FROM r.at), extract (epoch FROM k.first)
      FROM vigil.alert_transitions f JOIN vigil.alerts a USING (alert_id)
      LEFT JOIN vigil.alert_transitions r ON r.alert_id = f.alert_id AND r.to_state = 'resolved'
      LEFT JOIN (SELECT alert_id, min (acked_at) AS first FROM vigil.alert_acks GROUP BY 1) k
             ON k.alert_id = f.alert_id, {PERIOD} p
     WHERE f.to_state = 'firing' AND f.at >= p.period_from AND f.at < p.period_to""")
if not raw:
    fail("the fixture has no alerts in the day")


def alert_figures(alerts):
    waits = sorted(float(x[5]) - float(x[3]) for x in alerts if x[5] is not None)
    fixes = [float(x[4]) - float(x[3]) for x in alerts if x[4] is not None]
    n = len(waits)
    median = None if not n else (waits[n // 2] if n % 2 else (waits[n // 2 - 1] + waits[n // 2]) / 2)
    return {"fired": len(alerts), "acknowledged": n,
            "resolved_unacked": sum(1 for x in alerts if x[5] is None and x[4] is not None),
            "still_firing": sum(1 for x in alerts if x[4] is None),
            "ack_avg": sum(waits) / n if n else None, "ack_p50": median,
            "ack_max": max(waits) if n else None,
            "resolve_avg": sum(fixes) / len(fixes) if fixes else None}


want = alert_figures(raw)
for k, v in want.items():
    near(fig("alerts", k), v, f"alerts: {k}")
near(fig("alerts", "ack_rate"), want["acknowledged"] / want["fired"], "alerts: acknowledged share")
for label, col, tid in (("severity", 2, "by_severity"), ("alertname", 1, "by_alert")):
    got = rows("alerts", tid)
    keys = {x[col] for x in raw}
    if set(got) != keys:
        fail(f"alerts {tid}: {sorted(got)} vs {sorted(keys)}")
    for key in keys:
        w = alert_figures([x for x in raw if x[col] == key])
        for k in ("fired", "acknowledged", "ack_avg", "ack_max", "still_firing"):
            near(got[key][k], w[k], f"alerts {tid} {key}: {k}")
print(f"alerts: fired {want['fired']}, acknowledged {want['acknowledged']}, time to ack avg "
      f"{want['ack_avg']:.0f} s median {want['ack_p50']:.0f} s max {want['ack_max']:.0f} s, "
      f"{want['resolved_unacked']} resolved unacked, {want['still_firing']} firing - as the raw rows")

# --- the week-over-week P95 --------------------------------------------------------------------
t = section("trend")
weeks = t["tables"]["weeks"]["rows"]
values = [w["value"] for w in weeks]
for got_v, want_v in zip(values, (1.80, 1.85, 1.90, 1.95)):
    near(got_v, want_v, "weekly P95", 0.01)
if not t["warning"] or not t["warning"].startswith("⚠") or weeks[-1].get("note") != "⚠":
    fail(f"no drift warning: {t['warning']} {weeks[-1]}")
print(f"trend: {['%.3f' % v for v in values]} with {t['warning']!r}")
print("report_check: every section matches the raw data")
