/*  test_notify_alertmanager.c - Debian's prometheus-alertmanager as a real
 *  peer. Vigil's Alertmanager receiver posts two alerts to it; its webhook
 *  reaches the sink. The same alerts go through Vigil's own webhook receiver,
 *  routed and grouped as that Alertmanager is configured. The two payloads
 *  must have the same keys, types, fingerprints and group key
 *  (tests/helpers/compare_webhooks.py). */
#include "coll_migrate.h"
#include "notify_engine.h"
#include "notify_sender.h"
#include "test_alert.h"
#include "test_assert.h"
#include "test_pg.h"
#include "test_proc.h"
#include "test_sink.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_time.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ALERTMANAGER "/usr/bin/prometheus-alertmanager"

static notify_engine_t *s_to_webhook, *s_to_alertmanager;

/* The rules stage calls one hook; here it feeds both engines. */
static int
s_both (PGconn *conn, const rules_alert_t *a, rules_alert_state_t from, int64_t now, void *arg,
        char *err, size_t errlen)
{
    (void)arg;
    int rc = notify_engine_transition (conn, a, from, now, s_to_webhook, err, errlen);
    return rc ? rc : notify_engine_transition (conn, a, from, now, s_to_alertmanager, err, errlen);
}

static int
s_ready (int port)
{
    char *url = vg_asprintf ("http://127.0.0.1:%d/-/ready", port);
    CURL *c = curl_easy_init ();
    curl_easy_setopt (c, CURLOPT_URL, url);
    curl_easy_setopt (c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt (c, CURLOPT_TIMEOUT, 2L);
    long status = 0;
    if (curl_easy_perform (c) == CURLE_OK)
        curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup (c);
    free (url);
    return status == 200;
}

static size_t
s_count (const test_sink_t *sink, const char *path)
{
    test_sink_req_t *r;
    size_t n = test_sink_requests (sink, &r), k = 0;
    for (size_t i = 0; i < n; i++)
        k += strcmp (r[i].path, path) == 0;
    test_sink_free_requests (r, n);
    return k;
}

int
main (void)
{
    if (access (ALERTMANAGER, X_OK) != 0)
        TEST_FAIL ("%s is missing: apt-get install prometheus-alertmanager", ALERTMANAGER);
    char *db;
    PGconn *conn = test_pg_migrated ("vigil_test_notify_alertmanager", &db);
    char err[1024];
    char *dir = test_tmpdir ("notify_alertmanager");
    test_sink_t sink;
    test_sink_start (&sink, dir);

    /* Alertmanager: a child route (two matchers, which the group key lists
     * sorted) grouping by alertname, a webhook to the sink. */
    int am_port = test_free_port ();
    char *am_conf = vg_asprintf ("%s/alertmanager.yml", dir);
    char *am_yaml = vg_asprintf ("route:\n  receiver: web\n  group_by: [alertname]\n"
                                 "  group_wait: 1s\n  group_interval: 1s\n"
                                 "  routes:\n    - matchers: ['severity=\"critical\"',"
                                 " 'job=~\"api|web\"']\n"
                                 "receivers:\n  - name: web\n    webhook_configs:\n"
                                 "      - url: http://127.0.0.1:%d/am\n",
                                 sink.port);
    test_write_file (am_conf, am_yaml);
    char *flag_conf = vg_asprintf ("--config.file=%s", am_conf);
    char *flag_data = vg_asprintf ("--storage.path=%s/am-data", dir);
    char *flag_listen = vg_asprintf ("--web.listen-address=127.0.0.1:%d", am_port);
    char *am_log = vg_asprintf ("%s/alertmanager.log", dir);
    char *argv[] = {ALERTMANAGER,
                    flag_conf,
                    flag_data,
                    flag_listen,
                    "--cluster.listen-address=",
                    "--web.external-url=http://alertmanager.test",
                    NULL};
    pid_t am = test_spawn (argv, am_log);
    int up = 0;
    for (int i = 0; i < 200 && !up; i++) {
        up = s_ready (am_port);
        if (!up)
            test_sleep_ms (50);
    }
    if (!up) {
        char *text = test_read_file (am_log);
        TEST_FAIL ("Alertmanager did not start:\n%s", text ? text : "");
    }

    /* Vigil: the same grouping to the sink; and everything to Alertmanager. */
    char *recv =
        vg_asprintf ("receivers:\n"
                     "  - {name: web, webhook_configs: [{url: 'http://127.0.0.1:%d/vigil'}]}\n"
                     "  - {name: am, alertmanager_configs: [{url: 'http://127.0.0.1:%d'}]}\n",
                     sink.port, am_port);
    char *ya = vg_asprintf ("route:\n  receiver: web\n  group_by: [alertname]\n  group_wait: 1s\n"
                            "  routes:\n    - matchers: ['severity=\"critical\"', "
                            "'job=~\"api|web\"']\n%s",
                            recv);
    char *yb = vg_asprintf ("route: {receiver: am, group_by: ['...'], group_wait: 0s}\n%s", recv);
    notify_config_t *ca = notify_config_parse ("a.yaml", ya, err, sizeof err);
    notify_config_t *cb = notify_config_parse ("b.yaml", yb, err, sizeof err);
    if (!ca || !cb)
        TEST_FAIL ("%s", err);
    s_to_webhook = notify_engine_new (&ca, NULL, "http://vigil.test", 3600000);
    s_to_alertmanager = notify_engine_new (&cb, NULL, "http://vigil.test", 3600000);

    const char *l1[] = {"alertname", "HighLatency", "instance", "api-1:8000", "job",
                        "api",       "severity",    "critical", NULL};
    const char *l2[] = {"alertname", "HighLatency", "instance", "api-2:8000", "job",
                        "api",       "severity",    "critical", NULL};
    const char *ann[] = {"summary", "P95 above 5 s", "runbook_url", "https://wiki.example/rb",
                         NULL};
    test_alert_t a, b;
    test_alert_init (&a, 1, l1, ann);
    test_alert_init (&b, 2, l2, ann);
    int64_t now = vg_now_ms () / 1000 * 1000;
    test_alert_transition (&a, conn, RULES_ALERT_FIRING, now, s_both, NULL);
    test_alert_transition (&b, conn, RULES_ALERT_FIRING, now, s_both, NULL);

    /* One sender delivers both engines' outbox (engine a knows both receivers). */
    notify_sender_t *sender = notify_sender_new (s_to_webhook, db);
    for (int i = 0; i < 300 && !(s_count (&sink, "/am") >= 1 && s_count (&sink, "/vigil") >= 1);
         i++)
        test_sleep_ms (50);
    notify_sender_destroy (&sender);
    ASSERT_GE (s_count (&sink, "/am"), 1);
    ASSERT_EQ (s_count (&sink, "/vigil"), 1);
    ASSERT_EQ (test_pg_count (conn, "SELECT count(*) FROM vigil.notifications WHERE receiver ="
                                    " 'am' AND status = 'delivered'"),
               2);

    char *cmd = vg_asprintf ("/usr/bin/python3 %s/tests/helpers/compare_webhooks.py %s /am /vigil",
                             getenv ("VIGIL_SOURCE_DIR"), sink.record);
    int rc = system (cmd);
    ASSERT_EQ (rc, 0);

    test_kill_wait (am, SIGTERM);
    test_sink_stop (&sink);
    notify_engine_destroy (&s_to_webhook);
    notify_engine_destroy (&s_to_alertmanager);
    free (cmd);
    free (recv);
    free (ya);
    free (yb);
    free (am_conf);
    free (am_yaml);
    free (flag_conf);
    free (flag_data);
    free (flag_listen);
    free (am_log);
    free (dir);
    PQfinish (conn);
    free (db);
    printf ("test_notify_alertmanager: ok\n");
    return 0;
}
