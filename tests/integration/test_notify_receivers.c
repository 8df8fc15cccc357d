/*  test_notify_receivers.c - Slack and e-mail as they arrive at real sinks
 *  on 127.0.0.1: Slack's colour by severity, the labels as fields, the
 *  summary, the runbook and ack links; e-mail over SMTP with STARTTLS
 *  (required, verified against a certificate made here), with its text and
 *  HTML parts, retried after a 451 with the same Message-ID. */
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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PGconn *s_db;

int
main (void)
{
    char *db;
    s_db = test_pg_migrated ("vigil_test_notify_receivers", &db);
    char err[1024];
    char *dir = test_tmpdir ("notify_receivers");
    char *cert, *key;
    test_sink_make_cert (dir, &cert, &key);
    test_sink_t http, smtp;
    test_sink_start (&http, dir);
    test_sink_start_smtp (&smtp, dir, cert, key, 1);
    char *yaml = vg_asprintf (
        "global: {retry_min: 200ms, retry_max: 1s}\n"
        "route:\n  receiver: chat\n  group_by: ['...']\n  group_wait: 0s\n  group_interval: 1s\n"
        "  routes:\n    - {matchers: [severity=critical], receiver: mail, continue: true}\n"
        "    - {matchers: ['severity=~\".+\"'], receiver: chat}\n"
        "receivers:\n"
        "  - {name: chat, slack_configs: [{api_url: 'http://127.0.0.1:%d/slack', channel: "
        "'#production-alerts', send_resolved: true}]}\n"
        "  - name: mail\n"
        "    email_configs:\n"
        "      - {to: [oncall@example.com], from: vigil@example.com, smarthost: '127.0.0.1:%d',\n"
        "         ca_file: '%s', hello: vigil.test}\n",
        http.port, smtp.port, cert);
    notify_config_t *cfg = notify_config_parse ("routes.yaml", yaml, err, sizeof err);
    if (!cfg)
        TEST_FAIL ("%s", err);
    notify_engine_t *engine = notify_engine_new (&cfg, "k", "https://vigil.example", 3600000);

    const char *crit[] = {"alertname", "HighLatency", "severity", "critical",
                          "service",   "chat",        NULL};
    const char *ann[] = {"summary", "P95 above 5 s <for chat>", "runbook_url",
                         "https://wiki.example/runbooks/latency", NULL};
    const char *warn[] = {"alertname", "MemoryHigh", "severity", "warning",
                          "service",   "chat",       NULL};
    test_alert_t a, b;
    test_alert_init (&a, 1, crit, ann);
    test_alert_init (&b, 2, warn, NULL);
    int64_t now = vg_now_ms ();
    test_alert_transition (&a, s_db, RULES_ALERT_FIRING, now, notify_engine_transition, engine);
    test_alert_transition (&b, s_db, RULES_ALERT_FIRING, now, notify_engine_transition, engine);
    test_alert_transition (&b, s_db, RULES_ALERT_RESOLVED, now + 1000, notify_engine_transition,
                           engine);
    notify_sender_t *sender = notify_sender_new (engine, db);
    /* The warning's resolution goes at its group's next tick (1 s). */
    test_sleep_ms (1500);
    for (int i = 0; i < 200; i++) {
        if (test_pg_count (s_db, "SELECT count(*) FROM vigil.notifications WHERE status <>"
                                 " 'delivered'") == 0)
            break;
        test_sleep_ms (100);
    }
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.notifications WHERE status <>"
                                    " 'delivered'"),
               0);
    notify_sender_destroy (&sender);

    /* Slack: the critical alert in red with its summary, runbook, ack link and
     * labels as fields; the warning in amber; its resolution in green. */
    test_sink_req_t *r;
    size_t n = test_sink_requests (&http, &r);
    ASSERT_EQ (n, 3);
    const char *c = NULL, *w = NULL, *g = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strstr (r[i].body, "\"color\":\"danger\""))
            c = r[i].body;
        if (strstr (r[i].body, "\"color\":\"warning\""))
            w = r[i].body;
        if (strstr (r[i].body, "\"color\":\"good\""))
            g = r[i].body;
    }
    ASSERT (c && w && g);
    ASSERT_STR_CONTAINS (c, "\"channel\":\"#production-alerts\"");
    ASSERT_STR_CONTAINS (c, "\"title\":\"[FIRING:1] HighLatency chat critical\"");
    /* (JSON as Go writes it: <, > and & escaped.) */
    ASSERT_STR_CONTAINS (c, "*P95 above 5 s \\u0026lt;for chat\\u0026gt;*");
    ASSERT_STR_CONTAINS (c, "\\u003chttps://wiki.example/runbooks/latency|Runbook\\u003e");
    ASSERT_STR_CONTAINS (c, "\\u003chttps://vigil.example/ack/1?exp=");
    ASSERT_STR_CONTAINS (c, "|Acknowledge\\u003e");
    ASSERT_STR_CONTAINS (c, "{\"title\":\"service\",\"value\":\"chat\",\"short\":true}");
    ASSERT_STR_CONTAINS (c, "{\"title\":\"severity\",\"value\":\"critical\",\"short\":true}");
    ASSERT_STR_CONTAINS (g, "[RESOLVED]");
    ASSERT (!strstr (g, "Acknowledge"));
    test_sink_free_requests (r, n);

    /* E-mail: refused once with 451, then delivered over STARTTLS with the
     * same Message-ID; both parts there. */
    char *rec = test_read_file (smtp.record);
    ASSERT (rec);
    ASSERT_STR_CONTAINS (rec, "\"status\": 451");
    ASSERT_STR_CONTAINS (rec, "\"status\": 250");
    ASSERT (!strstr (rec, "\"tls\": false"));
    ASSERT_STR_CONTAINS (rec, "\"subject\": \"[FIRING:1] HighLatency chat critical\"");
    ASSERT_STR_CONTAINS (rec, "\"to\": [\"oncall@example.com\"]");
    ASSERT_STR_CONTAINS (rec, "FIRING: P95 above 5 s <for chat>");
    ASSERT_STR_CONTAINS (rec, "Runbook: https://wiki.example/runbooks/latency");
    ASSERT_STR_CONTAINS (rec, "<h3 style=\\\"color:#c00\\\">FIRING: P95 above 5 s &lt;for "
                              "chat&gt;</h3>");
    ASSERT_STR_CONTAINS (rec, ">Acknowledge</a>");
    char *ikey = test_pg_scalar (s_db, "SELECT idempotency_key FROM vigil.notifications WHERE kind"
                                       " = 'email'");
    char want[96];
    snprintf (want, sizeof want, "\"message_id\": \"<%s@vigil>\"", ikey);
    const char *first = strstr (rec, want);
    ASSERT (first && strstr (first + 1, want));
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.notification_attempts a JOIN "
                                    "vigil.notifications n USING (notification_id) WHERE n.kind = "
                                    "'email' AND a.http_status = 451 AND a.outcome = 'retry'"),
               1);
    free (ikey);
    free (rec);

    test_sink_stop (&http);
    test_sink_stop (&smtp);
    notify_engine_destroy (&engine);
    free (yaml);
    free (cert);
    free (key);
    free (dir);
    PQfinish (s_db);
    free (db);
    printf ("test_notify_receivers: ok\n");
    return 0;
}
