/*  test_alert_path.c - from a sample to a notification, end to end, through
 *  the real vigil-collector: two scripted agents send batches that cross a
 *  rule's threshold; the rules stage fires the alerts and the notify stage,
 *  called inside the transaction that stores them, writes the outbox; the
 *  collector's sender delivers Alertmanager's webhook payload (version 4) to
 *  a recording HTTP sink on 127.0.0.1. `vigil alerts` lists them firing.
 *
 *  Both alerts climb an escalation ladder; one is acknowledged with `vigil
 *  ack` and stops, the other reaches the next level. Then the values fall
 *  back: the resolutions arrive, at the webhook and at every level that was
 *  told. Nothing here is made by the test but the agents' batches: a
 *  collector whose stages are not wired sends nothing, and the test fails.
 *
 *  The sink's record is read through PostgreSQL's JSON parser, so every
 *  payload is also checked to be valid JSON. The rules stage's figures are
 *  read from the collector's /metrics along the way, and promtool checks the
 *  page. */
#include "test_agent_peer.h"
#include "test_alert.h"
#include "test_assert.h"
#include "test_pg.h"
#include "test_proc.h"
#include "test_sink.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_time.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static const char *s_rules = "groups:\n"
                             "  - name: hosts\n"
                             "    interval: 1s\n"
                             "    rules:\n"
                             "      - alert: CpuHigh\n"
                             "        expr: cpu_percent > 90\n"
                             "        labels: {severity: critical}\n"
                             "        annotations:\n"
                             "          summary: 'CPU at {{ $value }}% on {{ $labels.host }}'\n"
                             /* Fails while more than one host runs hot: for the failure count. */
                             "  - name: limited\n"
                             "    interval: 1s\n"
                             "    limit: 1\n"
                             "    rules:\n"
                             "      - record: cpu:above90\n"
                             "        expr: cpu_percent > 90\n";

/* Level 2 comes 4 s after an alert fires: time enough to acknowledge one. */
#define S_ROUTES                                                                                   \
    "route:\n"                                                                                     \
    "  receiver: hook\n"                                                                           \
    "  group_by: ['...']\n"                                                                        \
    "  group_wait: 0s\n"                                                                           \
    "  group_interval: 1s\n"                                                                       \
    "  repeat_interval: 1h\n"                                                                      \
    "  escalation: ladder\n"                                                                       \
    "receivers:\n"                                                                                 \
    "  - {name: hook, webhook_configs: [{url: 'http://127.0.0.1:%d/hook', timeout: 5s}]}\n"        \
    "  - {name: l1, webhook_configs: [{url: 'http://127.0.0.1:%d/l1', timeout: 5s}]}\n"            \
    "  - {name: l2, webhook_configs: [{url: 'http://127.0.0.1:%d/l2', timeout: 5s}]}\n"            \
    "escalation_policies:\n"                                                                       \
    "  - name: ladder\n"                                                                           \
    "    levels:\n"                                                                                \
    "      - {delay: 0s, receivers: [l1]}\n"                                                       \
    "      - {delay: 4s, receivers: [l2]}\n"

static char *s_db_url, *s_dir, *s_log;
static int s_http_port;
static PGconn *s_db;
static test_sink_t s_sink;

/* A batch of host's agent with cpu_percent = cpu; waits for its ack. */
static void
s_send (test_agent_peer_t *peer, const char *host, uint64_t seq, double cpu)
{
    char id[64];
    snprintf (id, sizeof id, "alert-path-%s", host);
    vg_batch_t *b = vg_batch_new (id, host);
    b->seq = seq;
    b->sent_ms = vg_now_ms ();
    b->interval_ms = 10000;
    uint32_t s = vg_batch_series (b, "cpu_percent", VG_KIND_GAUGE, NULL, 0);
    vg_batch_add_sample (b, s, b->sent_ms, cpu);
    test_agent_peer_send_batch (peer, b);
    test_agent_peer_expect_ack (peer, seq, VG_ACK_STORED);
    vg_batch_destroy (&b);
}

/* Runs sql with the sink's record as $1 (and p2..p4 as $2..$4; NULL for
 * none); returns the single value (caller frees), or NULL for SQL NULL. */
static char *
s_sink_query (const char *sql, const char *p2, const char *p3, const char *p4)
{
    char *record = test_read_file (s_sink.record);
    const char *params[] = {record ? record : "", p2, p3, p4};
    int n = p4 ? 4 : p3 ? 3 : p2 ? 2 : 1;
    PGresult *res = PQexecParams (s_db, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK)
        TEST_FAIL ("reading the sink's record: %s", PQresultErrorMessage (res));
    char *v =
        PQntuples (res) && !PQgetisnull (res, 0, 0) ? vg_strdup (PQgetvalue (res, 0, 0)) : NULL;
    PQclear (res);
    free (record);
    return v;
}

/* The requests of the record, as (path, body jsonb, body text) rows. */
#define S_REQUESTS                                                                                 \
    "(SELECT j->>'path' AS path, (j->>'body')::jsonb AS body, j->>'body' AS text"                  \
    "   FROM (SELECT l::jsonb AS j FROM regexp_split_to_table (rtrim ($1, E'\\n'), E'\\n') l"      \
    "          WHERE l <> '') lines) req"

/* How many alerts with status and host the requests to path carried. */
static long long
s_alerts_at (const char *path, const char *status, const char *host)
{
    char *v = s_sink_query ("SELECT count (*) FROM " S_REQUESTS ","
                            "  jsonb_array_elements (req.body->'alerts') a"
                            " WHERE req.path = $2 AND a->>'status' = $3"
                            "   AND a->'labels'->>'host' = $4",
                            path, status, host);
    long long n = v ? atoll (v) : 0;
    free (v);
    return n;
}

/* The body (as sent) of the first request to path whose first alert is
 * host's with status; NULL if none yet. */
static char *
s_body_of (const char *path, const char *status, const char *host)
{
    return s_sink_query ("SELECT text FROM " S_REQUESTS
                         " WHERE req.path = $2 AND req.body->'alerts'->0->>'status' = $3"
                         "   AND req.body->'alerts'->0->'labels'->>'host' = $4 LIMIT 1",
                         path, status, host);
}

/* A field of a JSON text, by path ('{alerts,0,endsAt}'). */
static char *
s_json (const char *body, const char *path)
{
    const char *params[] = {body, path};
    PGresult *res =
        PQexecParams (s_db, "SELECT $1::jsonb #>> $2::text[]", 2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK)
        TEST_FAIL ("%s is not JSON: %s", body, PQresultErrorMessage (res));
    char *v = PQgetisnull (res, 0, 0) ? vg_strdup ("(null)") : vg_strdup (PQgetvalue (res, 0, 0));
    PQclear (res);
    return v;
}

static void
s_expect_json (const char *body, const char *path, const char *want)
{
    char *v = s_json (body, path);
    if (strcmp (v, want) != 0)
        TEST_FAIL ("%s of the payload is \"%s\", not \"%s\"; payload:\n%s", path, v, want, body);
    free (v);
}

/* The same, compared as JSON values (key order aside). */
static void
s_expect_jsonb (const char *body, const char *path, const char *want)
{
    const char *params[] = {body, path, want};
    PGresult *res = PQexecParams (s_db, "SELECT ($1::jsonb #> $2::text[]) = $3::jsonb", 3, NULL,
                                  params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK)
        TEST_FAIL ("%s is not JSON: %s", body, PQresultErrorMessage (res));
    if (PQgetisnull (res, 0, 0) || strcmp (PQgetvalue (res, 0, 0), "t") != 0)
        TEST_FAIL ("%s of the payload is not %s; payload:\n%s", path, want, body);
    PQclear (res);
}

static void
s_fail_with_log (const char *what)
{
    char *log = test_read_file (s_log);
    char *record = test_read_file (s_sink.record);
    TEST_FAIL ("timed out after 30 s waiting for %s\nthe sink received:\n%s\ncollector log:\n%s",
               what, record ? record : "(nothing)", log ? log : "");
}

/* Waits until the requests to path carried n alerts of host with status. */
static void
s_wait_alerts (const char *path, const char *status, const char *host, long long n)
{
    for (int i = 0; i < 600; i++) {
        if (s_alerts_at (path, status, host) >= n)
            return;
        test_sleep_ms (50);
    }
    char what[256];
    snprintf (what, sizeof what, "%lld %s alert(s) of %s at %s", n, status, host, path);
    s_fail_with_log (what);
}

/* Runs `vigil ARGS --db URL` and returns its output (caller frees). */
static char *
s_vigil (const char *const *args, int expect_status)
{
    return test_vigil (s_dir, s_db_url, args, expect_status);
}

static size_t
s_write (char *data, size_t size, size_t n, void *arg)
{
    vg_buf_append (arg, data, size * n);
    return size * n;
}

/* The collector's /metrics (caller frees). */
static char *
s_metrics (void)
{
    char url[64];
    snprintf (url, sizeof url, "http://127.0.0.1:%d/metrics", s_http_port);
    vg_buf_t body = {0};
    long status = 0;
    for (int i = 0; i < 100 && status != 200; i++) {
        vg_buf_reset (&body);
        CURL *c = curl_easy_init ();
        curl_easy_setopt (c, CURLOPT_URL, url);
        curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, s_write);
        curl_easy_setopt (c, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt (c, CURLOPT_TIMEOUT, 10L);
        if (curl_easy_perform (c) == CURLE_OK)
            curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup (c);
        if (status != 200)
            test_sleep_ms (100); /* still starting */
    }
    if (status != 200)
        s_fail_with_log ("the collector's /metrics");
    vg_buf_append (&body, "", 1);
    return body.data;
}

/* The value of the sample "name" (with its labels, as written) in text. */
static double
s_metric (const char *text, const char *name)
{
    char pat[256];
    snprintf (pat, sizeof pat, "\n%s ", name);
    const char *p = strstr (text, pat);
    if (!p)
        TEST_FAIL ("/metrics lacks %s:\n%s", name, text);
    return strtod (p + strlen (pat), NULL);
}

/* Waits until /metrics gives name the value want. */
static void
s_wait_metric (const char *name, double want)
{
    for (int i = 0; i < 300; i++) {
        char *text = s_metrics ();
        double v = s_metric (text, name);
        free (text);
        if (v == want)
            return;
        test_sleep_ms (100);
    }
    char what[256];
    snprintf (what, sizeof what, "%s to be %g on /metrics", name, want);
    s_fail_with_log (what);
}

/* The rules stage's figures on the real endpoint, checked by promtool too. */
static void
s_check_rules_metrics (int alerts_firing)
{
    s_wait_metric ("vigil_rules_alerts{state=\"firing\"}", alerts_firing);
    char *text = s_metrics ();
    ASSERT_EQ (s_metric (text, "vigil_rules_alerts{state=\"pending\"}"), 0);
    double evals = s_metric (text, "vigil_rules_evaluations_total");
    ASSERT_GT (evals, 0);
    /* Every evaluation is timed. */
    ASSERT_EQ (s_metric (text, "vigil_rules_evaluation_duration_seconds_count"), evals);
    ASSERT_EQ (s_metric (text, "vigil_rules_evaluation_duration_seconds_bucket{le=\"+Inf\"}"),
               evals);
    ASSERT (s_metric (text, "vigil_rules_evaluation_duration_seconds_sum") > 0);
    ASSERT_STR_CONTAINS (text, "# TYPE vigil_rules_evaluation_duration_seconds histogram\n");
    ASSERT_STR_CONTAINS (text, "# TYPE vigil_rules_queue_depth gauge\n");
    ASSERT_GE (s_metric (text, "vigil_rules_queue_depth"), 0);
    ASSERT_EQ (s_metric (text, "vigil_rules_ready"), 1);
    ASSERT_EQ (s_metric (text, "vigil_rules_rules"), 2);
    ASSERT_EQ (s_metric (text, "vigil_rules_series"), 2); /* cpu_percent of web1, web2 */
    /* Beside ingest's and notify's. */
    ASSERT_GT (s_metric (text, "vigil_ingest_batches_stored_total"), 0);
    ASSERT_STR_CONTAINS (text, "vigil_notify_attempts_total{outcome=\"delivered\"}");
    /* Prometheus reads it: promtool's parser and linter. */
    char *file = vg_asprintf ("%s/metrics.txt", s_dir);
    test_write_file (file, text);
    char *cmd = vg_asprintf ("promtool check metrics < %s > %s.out 2>&1", file, file);
    if (system (cmd) != 0) {
        char *out = vg_asprintf ("%s.out", file);
        char *why = test_read_file (out);
        TEST_FAIL ("promtool check metrics refused /metrics:\n%s\n%s", why ? why : "", text);
    }
    free (cmd);
    free (file);
    free (text);
}

/* The firing payload of host's alert: Alertmanager's webhook, version 4. */
static void
s_check_firing_payload (const char *host)
{
    char *body = s_body_of ("/hook", "firing", host);
    ASSERT (body);
    /* Keys in Alertmanager's order. */
    ASSERT_STR_CONTAINS (body, "{\"receiver\":\"hook\",\"status\":\"firing\",\"alerts\":[{"
                               "\"status\":\"firing\",\"labels\":{");
    ASSERT_STR_CONTAINS (body, "\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":");
    ASSERT_STR_CONTAINS (body, "],\"groupLabels\":{");
    ASSERT_STR_CONTAINS (body, ",\"version\":\"4\",\"groupKey\":");
    ASSERT_STR_CONTAINS (body, ",\"truncatedAlerts\":0}\n");
    s_expect_json (body, "{version}", "4");
    s_expect_json (body, "{status}", "firing");
    s_expect_json (body, "{receiver}", "hook");
    char want[256];
    snprintf (want, sizeof want, "{}:{alertname=\"CpuHigh\", host=\"%s\", severity=\"critical\"}",
              host);
    s_expect_json (body, "{groupKey}", want);
    s_expect_json (body, "{alerts,1}", "(null)"); /* one alert per group */
    snprintf (want, sizeof want,
              "{\"host\": \"%s\", \"alertname\": \"CpuHigh\", \"severity\": \"critical\"}", host);
    s_expect_jsonb (body, "{alerts,0,labels}", want);
    s_expect_jsonb (body, "{groupLabels}", want);
    s_expect_jsonb (body, "{commonLabels}", want);
    snprintf (want, sizeof want, "CPU at 95%% on %s", host);
    s_expect_json (body, "{alerts,0,annotations,summary}", want);
    s_expect_json (body, "{alerts,0,status}", "firing");
    s_expect_json (body, "{alerts,0,endsAt}", "0001-01-01T00:00:00Z");
    vg_label_t labels[] = {{"alertname", "CpuHigh"}, {"host", host}, {"severity", "critical"}};
    snprintf (want, sizeof want, "%016" PRIx64, test_alert_fingerprint (labels, 3));
    s_expect_json (body, "{alerts,0,fingerprint}", want);
    char *starts = s_json (body, "{alerts,0,startsAt}");
    ASSERT (strncmp (starts, "20", 2) == 0); /* a real time, this century */
    free (starts);
    free (body);
}

int
main (void)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
    s_db_url = test_pg_fresh_db ("vigil_test_alert_path");
    s_db = test_pg_connect (s_db_url);
    s_dir = test_tmpdir ("alert_path");
    test_sink_start (&s_sink, s_dir);

    char *path = vg_asprintf ("%s/alerts.yml", s_dir);
    test_write_file (path, s_rules);
    free (path);
    path = vg_asprintf ("%s/routes.yaml", s_dir);
    char *yaml = vg_asprintf (S_ROUTES, s_sink.port, s_sink.port, s_sink.port);
    test_write_file (path, yaml);
    free (yaml);
    int port = test_free_port ();
    s_http_port = test_free_port ();
    yaml = vg_asprintf ("listen: tcp://127.0.0.1:%d\n"
                        "database_url: %s\n"
                        "rule_files: [alerts.yml]\n"
                        "rules_evaluation_interval: 1s\n"
                        "rules_min_interval: 0s\n"
                        "routes_file: %s\n"
                        "http_listen: 127.0.0.1:%d\n",
                        port, s_db_url, path, s_http_port);
    free (path);
    char *config = vg_asprintf ("%s/collector.yaml", s_dir);
    test_write_file (config, yaml);
    free (yaml);
    s_log = vg_asprintf ("%s/collector.log", s_dir);
    char *collector = test_build_path ("collector/vigil-collector");
    char *argv[] = {collector, "-c", config, NULL};
    pid_t pid = test_spawn (argv, s_log);

    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    test_agent_peer_t *web1 = test_agent_peer_new (endpoint);
    test_agent_peer_t *web2 = test_agent_peer_new (endpoint);

    /* Below the threshold: nothing is sent, nothing fails. */
    s_send (web1, "web1", 1, 40);
    s_send (web2, "web2", 1, 40);
    s_wait_metric ("vigil_rules_series", 2);
    char *text = s_metrics ();
    ASSERT_EQ (s_metric (text, "vigil_rules_evaluation_failures_total"), 0);
    free (text);
    /* Across it: each host's alert fires and is delivered. */
    s_send (web1, "web1", 2, 95);
    s_send (web2, "web2", 2, 95);
    s_wait_alerts ("/hook", "firing", "web1", 1);
    s_wait_alerts ("/hook", "firing", "web2", 1);
    s_check_firing_payload ("web1");
    s_check_firing_payload ("web2");
    s_check_rules_metrics (2);
    /* Two hosts above 90: the limited group fails each time. */
    text = s_metrics ();
    ASSERT_GT (s_metric (text, "vigil_rules_evaluation_failures_total"), 0);
    ASSERT_GE (s_metric (text, "vigil_rules_transitions_stored_total"), 2);
    free (text);
    /* Level 1 of the ladder, at once. */
    s_wait_alerts ("/l1", "firing", "web1", 1);
    s_wait_alerts ("/l1", "firing", "web2", 1);
    char *body = s_body_of ("/l1", "firing", "web1");
    s_expect_json (body, "{receiver}", "l1");
    free (body);

    /* vigil alerts shows them firing. */
    const char *list[] = {"alerts", NULL};
    char *out = s_vigil (list, 0);
    ASSERT_STR_CONTAINS (out, "firing");
    ASSERT_STR_CONTAINS (out, "CpuHigh");
    ASSERT_STR_CONTAINS (out, "host=web1");
    ASSERT_STR_CONTAINS (out, "host=web2");
    ASSERT_STR_CONTAINS (out, "CPU at 95% on web1");
    free (out);

    /* web1's alert is acknowledged by the fingerprint its webhook carried. */
    body = s_body_of ("/hook", "firing", "web1");
    char *fp = s_json (body, "{alerts,0,fingerprint}");
    free (body);
    const char *ack[] = {"ack", fp, "--comment", "looking", "--by", "ann", NULL};
    out = s_vigil (ack, 0);
    free (out);
    free (fp);
    /* web2's climbs to level 2; web1's does not, then or later. */
    s_wait_alerts ("/l2", "firing", "web2", 1);
    test_sleep_ms (1500);
    ASSERT_EQ (s_alerts_at ("/l2", "firing", "web1"), 0);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count (*) FROM vigil.escalations e"
                                    " JOIN vigil.alerts a ON a.alert_id = e.alert_id"
                                    " WHERE a.labels->>'host' = 'web1' AND e.state = 'acked'"),
               1);
    /* Each alert was sent once to the webhook while it fired. */
    ASSERT_EQ (s_alerts_at ("/hook", "firing", "web1"), 1);
    ASSERT_EQ (s_alerts_at ("/hook", "firing", "web2"), 1);

    /* The values fall back: the resolutions arrive, with a real endsAt, at
     * the webhook and at each level that was told. */
    s_send (web1, "web1", 3, 20);
    s_send (web2, "web2", 3, 20);
    s_wait_alerts ("/hook", "resolved", "web1", 1);
    s_wait_alerts ("/hook", "resolved", "web2", 1);
    body = s_body_of ("/hook", "resolved", "web1");
    s_expect_json (body, "{status}", "resolved");
    char *ends = s_json (body, "{alerts,0,endsAt}");
    ASSERT (strncmp (ends, "20", 2) == 0);
    free (ends);
    free (body);
    s_wait_alerts ("/l1", "resolved", "web1", 1);
    s_wait_alerts ("/l1", "resolved", "web2", 1);
    s_wait_alerts ("/l2", "resolved", "web2", 1);
    ASSERT_EQ (s_alerts_at ("/l2", "resolved", "web1"), 0);
    out = s_vigil (list, 0);
    ASSERT_STR_CONTAINS (out, "no alerts match");
    free (out);
    s_check_rules_metrics (0);

    int status = test_kill_wait (pid, SIGTERM);
    ASSERT (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    test_agent_peer_destroy (&web1);
    test_agent_peer_destroy (&web2);
    test_sink_stop (&s_sink);
    PQfinish (s_db);
    free (collector);
    free (config);
    free (s_log);
    free (s_dir);
    free (s_db_url);
    printf ("test_alert_path: ok\n");
    return 0;
}
