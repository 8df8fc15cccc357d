/*  test_notify_sender.c - the outbox delivered to a real HTTP sink on
 *  127.0.0.1: retries with the same idempotency key, 429 and 503 with
 *  Retry-After in seconds and as an HTTP date (never retried earlier), a
 *  target that hangs, one that refuses (400: not retried), one that stays
 *  down (given up after give_up_after), Slack paced at one message a second,
 *  and every attempt recorded. */
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

static const char *s_targets[][2] = {
    {"ok", "/ok"},
    {"flaky", "/flaky?status=429&fail=2&retry_after=1"},
    {"dated", "/dated?status=503&fail=1&retry_date=2"},
    {"hang", "/hang?status=500&fail=1&hang_ms=3000"},
    {"bad", "/bad?status=400"},
    {"down", "/down?status=500"},
};
#define NTARGETS (sizeof s_targets / sizeof s_targets[0])

static char *
s_routes (int port)
{
    vg_buf_t y = {0};
    vg_buf_printf (&y, "global: {give_up_after: 4s, retry_min: 200ms, retry_max: 1s}\n"
                       "route:\n  receiver: ok\n  group_by: ['...']\n  group_wait: 0s\n"
                       "  routes:\n");
    for (size_t i = 1; i < NTARGETS; i++)
        vg_buf_printf (&y, "    - {matchers: [to=%s], receiver: %s}\n", s_targets[i][0],
                       s_targets[i][0]);
    vg_buf_printf (&y, "    - {matchers: [to=slack], receiver: slack}\n");
    vg_buf_printf (&y, "receivers:\n");
    for (size_t i = 0; i < NTARGETS; i++)
        vg_buf_printf (&y,
                       "  - {name: %s, webhook_configs: [{url: 'http://127.0.0.1:%d%s', "
                       "timeout: 1s}]}\n",
                       s_targets[i][0], port, s_targets[i][1]);
    vg_buf_printf (
        &y, "  - {name: slack, slack_configs: [{api_url: 'http://127.0.0.1:%d/slack'}]}\n", port);
    return y.data;
}

static long long
s_pending (void)
{
    return test_pg_count (s_db,
                          "SELECT count(*) FROM vigil.notifications WHERE status = 'pending'");
}

static char *
s_row (const char *receiver, const char *column)
{
    char sql[256];
    snprintf (sql, sizeof sql,
              "SELECT %s FROM vigil.notifications WHERE receiver = '%s' ORDER BY 1 LIMIT 1", column,
              receiver);
    return test_pg_scalar (s_db, sql);
}

/* Requests to path in arrival order. */
static size_t
s_on_path (test_sink_req_t *all, size_t n, const char *path, test_sink_req_t **out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp (all[i].path, path) == 0)
            out[k++] = &all[i];
    return k;
}

int
main (void)
{
    char *url;
    s_db = test_pg_migrated ("vigil_test_notify_sender", &url);
    char err[1024];
    char *dir = test_tmpdir ("notify_sender");
    test_sink_t sink;
    test_sink_start (&sink, dir);
    char *yaml = s_routes (sink.port);
    notify_config_t *cfg = notify_config_parse ("routes.yaml", yaml, err, sizeof err);
    if (!cfg)
        TEST_FAIL ("%s\n%s", err, yaml);
    notify_engine_t *engine = notify_engine_new (&cfg, NULL, "http://vigil.test", 3600000);

    /* One alert per target, three for Slack; all written before the sender runs. */
    int64_t now = vg_now_ms ();
    test_alert_t alerts[NTARGETS + 3];
    const char *labels[NTARGETS + 3][7];
    char names[NTARGETS + 3][32];
    for (size_t i = 0; i < NTARGETS + 3; i++) {
        snprintf (names[i], sizeof names[i], "Alert%zu", i);
        labels[i][0] = "alertname";
        labels[i][1] = names[i];
        labels[i][2] = "to";
        labels[i][3] = i < NTARGETS ? s_targets[i][0] : "slack";
        labels[i][4] = NULL;
        test_alert_init (&alerts[i], (int64_t)i + 1, labels[i], NULL);
        test_alert_transition (&alerts[i], s_db, RULES_ALERT_FIRING, now, notify_engine_transition,
                               engine);
    }
    ASSERT_EQ (s_pending (), NTARGETS + 3);

    notify_sender_t *sender = notify_sender_new (engine, url);
    ASSERT (sender);
    for (int i = 0; i < 300 && s_pending () > 0; i++)
        test_sleep_ms (100);
    ASSERT_EQ (s_pending (), 0);
    notify_sender_destroy (&sender);

    test_sink_req_t *reqs;
    size_t n = test_sink_requests (&sink, &reqs);
    test_sink_req_t *on[64];

    /* Delivered once, on the first try. */
    ASSERT_EQ (s_on_path (reqs, n, "/ok", on), 1);
    char *status = s_row ("ok", "status");
    ASSERT_STR_EQ (status, "delivered");
    free (status);

    /* 429 twice with Retry-After: 1: three requests, each a second or more
     * after the one before, all with the same key; three attempts stored. */
    ASSERT_EQ (s_on_path (reqs, n, "/flaky", on), 3);
    ASSERT (on[0]->key[0]);
    ASSERT_STR_EQ (on[0]->key, on[1]->key);
    ASSERT_STR_EQ (on[0]->key, on[2]->key);
    ASSERT_GE ((on[1]->t - on[0]->t) * 1000, 1000);
    ASSERT_GE ((on[2]->t - on[1]->t) * 1000, 1000);
    ASSERT_EQ (on[2]->status, 200);
    ASSERT_STR_CONTAINS (on[0]->body, "\"version\":\"4\"");
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.notification_attempts a JOIN "
                                    "vigil.notifications n USING (notification_id) WHERE "
                                    "n.receiver = 'flaky' AND a.http_status = 429 AND a.outcome "
                                    "= 'retry' AND a.retry_after_ms = 1000"),
               2);
    status = s_row ("flaky", "status || ' ' || attempts");
    ASSERT_STR_EQ (status, "delivered 3");
    free (status);

    /* 503 with Retry-After as an HTTP date two seconds ahead (whole seconds). */
    ASSERT_EQ (s_on_path (reqs, n, "/dated", on), 2);
    ASSERT_GE ((on[1]->t - on[0]->t) * 1000, 1000);
    status = s_row ("dated", "status");
    ASSERT_STR_EQ (status, "delivered");
    free (status);

    /* A target that hangs past the timeout is tried again. */
    ASSERT_EQ (s_on_path (reqs, n, "/hang", on), 2);
    char *err1 = test_pg_scalar (s_db, "SELECT a.error FROM vigil.notification_attempts a JOIN "
                                       "vigil.notifications n USING (notification_id) WHERE "
                                       "n.receiver = 'hang' AND a.attempt = 1");
    ASSERT_STR_CONTAINS (err1, "timed out");
    free (err1);

    /* 400 is not retried. */
    ASSERT_EQ (s_on_path (reqs, n, "/bad", on), 1);
    status = s_row ("bad", "status || ': ' || last_error");
    ASSERT_STR_CONTAINS (status, "failed: HTTP 400");
    free (status);

    /* Down for good: given up after give_up_after, with the reason. */
    ASSERT_GE (s_on_path (reqs, n, "/down", on), 2);
    status = s_row ("down", "status || ': ' || last_error");
    ASSERT_STR_CONTAINS (status, "failed: gave up after");
    ASSERT_STR_CONTAINS (status, "HTTP 500");
    free (status);

    /* Slack: three messages, started a second apart at least. */
    ASSERT_EQ (s_on_path (reqs, n, "/slack", on), 3);
    ASSERT_GE (test_pg_count (s_db, "SELECT min(gap) FROM (SELECT extract(epoch FROM started_at -"
                                    " lag(started_at) OVER (ORDER BY started_at)) * 1000 AS gap"
                                    " FROM vigil.notification_attempts JOIN vigil.notifications"
                                    " USING (notification_id) WHERE receiver = 'slack') g"),
               1000);
    ASSERT_STR_CONTAINS (on[0]->body, "\"attachments\":[{\"color\":\"#439FE0\"");

    test_sink_free_requests (reqs, n);
    test_sink_stop (&sink);
    notify_engine_destroy (&engine);
    free (yaml);
    free (dir);
    PQfinish (s_db);
    free (url);
    printf ("test_notify_sender: ok\n");
    return 0;
}
