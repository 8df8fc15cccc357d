/*  test_report_send.c - the daily report through the notify outbox, against
 *  a real PostgreSQL, with an injected clock:
 *    - at the time of day in its zone, the report of the local day before is
 *      queued once for every integration of the receiver (Slack and webhook:
 *      markdown, e-mail: HTML with the text), none for Alertmanager;
 *    - never twice for a day: not again the same day, not after a restart,
 *      not by a second collector; a collector that was down at the instant
 *      sends that day's report late, once, and only the newest missed one;
 *    - the day is the local day before, across a DST change;
 *    - a receiver or time that cannot work is refused with the key's name;
 *  then, with the real clock, the notify sender delivers a report to the
 *  recording HTTP sink and an SMTP sink. */
#include "coll_migrate.h"
#include "notify_engine.h"
#include "notify_sender.h"
#include "report_def.h"
#include "report_md.h"
#include "report_query.h"
#include "report_send.h"
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
#include <time.h>

static PGconn *s_db;

/* ms since the epoch of a UTC time. */
static int64_t
s_utc (int y, int mo, int d, int h, int mi)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm (&tm) * 1000;
}

static report_send_t *
s_new (const char *receiver, const char *at, const char *where, const report_def_t *def,
       const notify_config_t *cfg, char *err, size_t errlen)
{
    report_send_config_t c = {
        .receiver = receiver, .at = at, .selector = where, .def = def, .cfg = cfg};
    return report_send_new (&c, err, errlen);
}

static int
s_due (report_send_t *rs, int64_t now_ms)
{
    char err[1024];
    int rc = report_send_due (rs, s_db, now_ms, err, sizeof err);
    if (rc < 0)
        TEST_FAIL ("report_send_due: %s", err);
    return rc;
}

static char *
s_days (void)
{
    return test_pg_scalar (s_db, "SELECT string_agg (day::text || ':' || cardinality "
                                 "(notification_ids), ' ' ORDER BY day) FROM vigil.report_sends");
}

static void
s_refused (const char *receiver, const char *at, const notify_config_t *cfg, const char *want)
{
    char err[1024] = "";
    report_def_t *def = report_def_load (NULL, err, sizeof err);
    report_send_t *rs = s_new (receiver, at, "", def, cfg, err, sizeof err);
    ASSERT (!rs);
    ASSERT_STR_CONTAINS (err, want);
    report_def_destroy (&def);
}

int
main (void)
{
    char *db;
    s_db = test_pg_migrated ("vigil_test_report_send", &db);
    char err[1024];
    char *dir = test_tmpdir ("report_send");
    char *cert, *key;
    test_sink_make_cert (dir, &cert, &key);
    test_sink_t http, smtp;
    test_sink_start (&http, dir);
    test_sink_start_smtp (&smtp, dir, cert, key, 0);
    char *yaml = vg_asprintf (
        "global: {retry_min: 200ms, retry_max: 1s}\n"
        "route: {receiver: logs}\n"
        "receivers:\n"
        "  - name: logs\n"
        "    slack_configs: [{api_url: 'http://127.0.0.1:%d/slack', channel: '#production-logs'}]\n"
        "    webhook_configs: [{url: 'http://127.0.0.1:%d/hook'}]\n"
        "    alertmanager_configs: [{url: 'http://127.0.0.1:%d/am'}]\n"
        "    email_configs:\n"
        "      - {to: [team@example.com], from: vigil@example.com, smarthost: '127.0.0.1:%d',\n"
        "         ca_file: '%s', hello: vigil.test}\n"
        "  - {name: am-only, alertmanager_configs: [{url: 'http://127.0.0.1:%d/am'}]}\n",
        http.port, http.port, http.port, smtp.port, cert, http.port);
    notify_config_t *cfg = notify_config_parse ("routes.yaml", yaml, err, sizeof err);
    if (!cfg)
        TEST_FAIL ("%s", err);
    report_def_t *def = report_def_load (NULL, err, sizeof err);
    ASSERT (def);

    /* What cannot work is refused with the key it comes from. */
    s_refused ("nope", "09:00", cfg,
               "daily_report_receiver: routes.yaml has no receiver \"nope\" (it has: logs, "
               "am-only)");
    s_refused ("am-only", "09:00", cfg, "has only alertmanager_configs");
    s_refused ("logs", "25:00 Asia/Seoul", cfg, "daily_report_at: \"25:00 Asia/Seoul\": ");
    s_refused ("logs", "09:00 Mars/Olympus", cfg, "Mars/Olympus");
    s_refused ("logs", "09:00", NULL, "collector.yaml sets no routes_file");

    /* The fixture: a deploy and an alert of chat-api on 2025-06-15 (Seoul). */
    test_pg_exec (s_db, "SELECT vigil.deploy_add ('chat-api', '1.4.3',"
                        " '2025-06-15 10:30+09', '{}', 'faster personas', 'sql')");
    test_pg_exec (
        s_db, "INSERT INTO vigil.alerts (rule_key, rule_group, alertname, fingerprint, labels,"
              " state, expr, active_at, fired_at, resolved_at) VALUES ('g/ApiErrors', 'g',"
              " 'ApiErrors', '00000000000000a1', '{\"alertname\": \"ApiErrors\", \"severity\":"
              " \"warning\", \"service\": \"chat-api\"}', 'resolved', 'x', '2025-06-15 13:59+09',"
              " '2025-06-15 14:00+09', '2025-06-15 14:30+09')");
    test_pg_exec (s_db, "INSERT INTO vigil.alert_acks (alert_id, acked_at, acked_by, via)"
                        " SELECT alert_id, '2025-06-15 14:05+09', 'ann', 'cli' FROM vigil.alerts");

    /* --- the schedule, with an injected clock ----------------------------------------- */
    report_send_t *rs =
        s_new ("logs", "09:00 Asia/Seoul", "service=\"chat-api\"", def, cfg, err, sizeof err);
    if (!rs)
        TEST_FAIL ("%s", err);
    int64_t t0 = s_utc (2025, 6, 16, 0, 0); /* 2025-06-16 09:00 in Seoul */
    ASSERT_EQ (report_send_next (rs, t0 - 1000), t0);
    ASSERT_EQ (report_send_next (rs, t0), t0 + 86400000);
    /* Started before the instant, it sends the newest instant's report (the
     * day before yesterday's) at once, late: it had not gone out. */
    ASSERT_EQ (s_due (rs, t0 - 1000), 1);
    char *days = s_days ();
    ASSERT_STR_EQ (days, "2025-06-14:3");
    free (days);
    ASSERT_EQ (s_due (rs, t0 - 500), 0);
    /* At the instant: the report of 2025-06-15, for Slack, the webhook and
     * e-mail (Alertmanager takes alerts only). */
    ASSERT_EQ (s_due (rs, t0), 1);
    ASSERT_EQ (s_due (rs, t0 + 1800000), 0);
    days = s_days ();
    ASSERT_STR_EQ (days, "2025-06-14:3 2025-06-15:3");
    free (days);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count (*) FROM vigil.notifications WHERE group_key ="
                                    " 'report:daily:2025-06-15' AND kind IN ('slack', 'webhook',"
                                    " 'email') AND reason = 'daily report'"),
               3);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count (*) FROM vigil.notifications WHERE kind ="
                                    " 'alertmanager'"),
               0);
    /* A restart, and a second collector: nothing again. */
    report_send_destroy (&rs);
    rs = s_new ("logs", "09:00 Asia/Seoul", "service=\"chat-api\"", def, cfg, err, sizeof err);
    report_send_t *other =
        s_new ("logs", "09:00 Asia/Seoul", "service=\"chat-api\"", def, cfg, err, sizeof err);
    ASSERT_EQ (s_due (rs, t0 + 3600000), 0);
    ASSERT_EQ (s_due (other, t0 + 3600000), 0);
    report_send_destroy (&other);
    /* Down from before 2025-06-17 09:00 to 2025-06-18 15:00: the report of
     * 2025-06-17 goes out late, once; that of 2025-06-16 is not sent. */
    ASSERT_EQ (s_due (rs, t0 + 2 * 86400000LL + 6 * 3600000LL), 1);
    ASSERT_EQ (s_due (rs, t0 + 2 * 86400000LL + 6 * 3600000LL + 60000), 0);
    days = s_days ();
    ASSERT_STR_EQ (days, "2025-06-14:3 2025-06-15:3 2025-06-17:3");
    free (days);
    char *due = test_pg_scalar (s_db, "SELECT to_char (due_at AT TIME ZONE 'Asia/Seoul',"
                                      " 'YYYY-MM-DD HH24:MI') || ' ' || to_char (queued_at AT TIME"
                                      " ZONE 'Asia/Seoul', 'YYYY-MM-DD HH24:MI') FROM"
                                      " vigil.report_sends WHERE day = '2025-06-17'");
    ASSERT_STR_EQ (due, "2025-06-18 09:00 2025-06-18 15:00");
    free (due);
    report_send_destroy (&rs);

    /* Slack's text and the webhook's are the markdown report of the day, as
     * vigil report daily writes it; the webhook carries the JSON report too. */
    report_request_t req = {.kind = "daily",
                            .day = "2025-06-15",
                            .tz = "Asia/Seoul",
                            .selector = "service=\"chat-api\"",
                            .now_ms = t0};
    report_t *r = report_query_run (s_db, def, &req, err, sizeof err);
    if (!r)
        TEST_FAIL ("%s", err);
    vg_buf_t md = {0};
    report_md_render (r, &md);
    vg_buf_append (&md, "", 1);
    report_model_destroy (&r);
    char *slack = test_pg_scalar (s_db, "SELECT body::jsonb->>'text' FROM vigil.notifications"
                                        " WHERE kind = 'slack' AND group_key ="
                                        " 'report:daily:2025-06-15'");
    ASSERT_STR_EQ (slack, md.data);
    ASSERT_STR_CONTAINS (slack,
                         "*Daily report · 2025-06-15 (Asia/Seoul)* · `service=\"chat-api\"`");
    ASSERT_STR_CONTAINS (slack, "• Fired: *1*");
    ASSERT_STR_CONTAINS (slack, "• Time to acknowledge (average): *5m 00s*");
    ASSERT_STR_CONTAINS (slack, "• 2025-06-15 10:30  chat-api 1.4.3 — faster personas");
    char *hook = test_pg_scalar (
        s_db, "SELECT (b->>'text') = (SELECT body::jsonb->>'text' FROM vigil.notifications"
              "  WHERE kind = 'slack' AND group_key = 'report:daily:2025-06-15')"
              " AND b->>'kind' = 'report' AND b->'data'->>'report' = 'daily'"
              " AND b->'data'->'sections'->'alerts'->'figures'->'fired'->>'value' = '1'"
              " FROM (SELECT body::jsonb AS b FROM vigil.notifications WHERE kind = 'webhook'"
              "  AND group_key = 'report:daily:2025-06-15') x");
    ASSERT_STR_EQ (hook, "t");
    free (hook);
    free (slack);
    vg_buf_free (&md);

    /* The day is the local day before, on a 23-hour day too: at 00:30 in
     * Berlin after the spring change, the report of 2025-03-30. */
    test_pg_exec (s_db, "DELETE FROM vigil.report_sends");
    rs = s_new ("logs", "00:30 Europe/Berlin", "", def, cfg, err, sizeof err);
    ASSERT_EQ (s_due (rs, s_utc (2025, 3, 30, 22, 30)), 1);
    days = s_days ();
    ASSERT_STR_EQ (days, "2025-03-30:3");
    free (days);
    report_send_destroy (&rs);

    /* --- delivered by the notify sender, with the real clock ----------------------------- */
    test_pg_exec (s_db, "DELETE FROM vigil.notifications; DELETE FROM vigil.report_sends");
    rs = s_new ("logs", "00:00 UTC", "", def, cfg, err, sizeof err);
    ASSERT_EQ (s_due (rs, vg_now_ms ()), 1);
    report_send_destroy (&rs);
    char *day = test_pg_scalar (s_db, "SELECT day FROM vigil.report_sends");
    char *yesterday = test_pg_scalar (s_db, "SELECT (now () AT TIME ZONE 'UTC')::date - 1");
    ASSERT_STR_EQ (day, yesterday);
    notify_engine_t *engine = notify_engine_new (&cfg, NULL, "http://vigil.test", 3600000);
    notify_sender_t *sender = notify_sender_new (engine, db);
    for (int i = 0; i < 300; i++) {
        if (test_pg_count (s_db, "SELECT count (*) FROM vigil.notifications WHERE status <>"
                                 " 'delivered'") == 0)
            break;
        test_sleep_ms (100);
    }
    ASSERT_EQ (test_pg_count (s_db, "SELECT count (*) FROM vigil.notifications WHERE status ="
                                    " 'delivered'"),
               3);
    notify_sender_destroy (&sender);
    test_sink_req_t *reqs;
    size_t n = test_sink_requests (&http, &reqs);
    ASSERT_EQ (n, 2);
    char title[128];
    snprintf (title, sizeof title, "*Daily report · %s (UTC)*", day);
    for (size_t i = 0; i < n; i++) {
        ASSERT_STR_CONTAINS (reqs[i].body, title);
        ASSERT (reqs[i].key[0]);
        if (strcmp (reqs[i].path, "/slack") == 0) {
            ASSERT_STR_CONTAINS (reqs[i].body, "\"channel\":\"#production-logs\"");
            ASSERT_STR_CONTAINS (reqs[i].body, "\"mrkdwn\":true");
        } else {
            ASSERT_STR_EQ (reqs[i].path, "/hook");
            ASSERT_STR_CONTAINS (reqs[i].body, "\"kind\":\"report\"");
        }
    }
    test_sink_free_requests (reqs, n);
    char *mail = test_read_file (smtp.record);
    ASSERT (mail);
    snprintf (title, sizeof title, "\"subject\": \"Vigil daily report \\u00b7 %s (UTC)\"", day);
    ASSERT_STR_CONTAINS (mail, title);
    ASSERT_STR_CONTAINS (mail, "\"to\": [\"team@example.com\"]");
    ASSERT_STR_CONTAINS (mail, "\"status\": 250");
    ASSERT_STR_CONTAINS (mail, "class=\\\"chart\\\" data-chart=\\\"latency\\\"");
    ASSERT_STR_CONTAINS (mail, "*Response time*");
    free (mail);
    free (day);
    free (yesterday);

    test_sink_stop (&http);
    test_sink_stop (&smtp);
    notify_engine_destroy (&engine);
    report_def_destroy (&def);
    free (yaml);
    free (cert);
    free (key);
    free (dir);
    PQfinish (s_db);
    free (db);
    printf ("test_report_send: ok\n");
    return 0;
}
