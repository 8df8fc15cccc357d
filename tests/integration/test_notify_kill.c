/*  test_notify_kill.c - vigil-collector killed with SIGKILL while an
 *  escalation climbs and while the outbox holds a notification its target
 *  answers with 429 and Retry-After: 3. Alerts are made by this test as the
 *  rules stage makes them (a transition in a transaction, the notify hook
 *  inside it); the collector's notify thread delivers to a real HTTP sink.
 *
 *  Afterwards every notification in the outbox has arrived answered 200
 *  exactly once (each idempotency key once), no retry came before its
 *  Retry-After, and the level that fell due while the collector was down was
 *  sent once, late. */
#include "notify_engine.h"
#include "test_alert.h"
#include "test_assert.h"
#include "test_pg.h"
#include "test_proc.h"
#include "test_sink.h"
#include "vg_alloc.h"
#include "vg_time.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PGconn *s_db;

static long long
s_q (const char *sql)
{
    return test_pg_count (s_db, sql);
}

/* Requests the sink got on path with status (0: any). */
static size_t
s_hits (const test_sink_t *sink, const char *path, int status)
{
    test_sink_req_t *r;
    size_t n = test_sink_requests (sink, &r), k = 0;
    for (size_t i = 0; i < n; i++)
        k += strcmp (r[i].path, path) == 0 && (!status || r[i].status == status);
    test_sink_free_requests (r, n);
    return k;
}

static void
s_wait (const char *what, int (*cond) (const test_sink_t *), const test_sink_t *sink,
        const char *log)
{
    for (int i = 0; i < 600; i++) {
        if (cond (sink))
            return;
        test_sleep_ms (50);
    }
    char *text = test_read_file (log);
    TEST_FAIL ("timed out waiting for %s; collector log:\n%s", what, text ? text : "");
}

static int
s_first_round (const test_sink_t *sink)
{
    return s_hits (sink, "/l1", 200) == 1 && s_hits (sink, "/flaky", 429) == 1 &&
           s_q ("SELECT count(*) FROM vigil.notification_attempts") == 2;
}

/* The second 429, and every request the sink answered recorded as an
 * attempt: a kill between a receiver's 200 and its record makes the next
 * collector send again (same idempotency key), which no sender can avoid, so
 * the kill waits for level 2, sent late beside the retry, to be recorded. */
static int
s_second_429 (const test_sink_t *sink)
{
    test_sink_req_t *r;
    size_t answered = test_sink_requests (sink, &r);
    test_sink_free_requests (r, answered);
    return s_hits (sink, "/flaky", 429) == 2 &&
           s_q ("SELECT count(*) FROM vigil.notification_attempts WHERE http_status = 429") == 2 &&
           s_q ("SELECT count(*) FROM vigil.notification_attempts") == (long long)answered;
}

static int
s_all_done (const test_sink_t *sink)
{
    (void)sink;
    return s_q ("SELECT count(*) FROM vigil.notifications WHERE status <> 'delivered'") == 0 &&
           s_q ("SELECT count(*) FROM vigil.escalations WHERE state = 'top'") == 1;
}

int
main (void)
{
    char *db = test_pg_fresh_db ("vigil_test_notify_kill");
    s_db = test_pg_connect (db);
    char *dir = test_tmpdir ("notify_kill");
    test_sink_t sink;
    test_sink_start (&sink, dir);
    char *routes = vg_asprintf ("%s/routes.yaml", dir),
         *conf = vg_asprintf ("%s/collector.yaml", dir);
    char *log = vg_asprintf ("%s/collector.log", dir);
    char *yaml = vg_asprintf (
        "global: {retry_min: 500ms, retry_max: 2s}\n"
        "route: {receiver: flaky, group_by: ['...'], group_wait: 0s, escalation: ladder}\n"
        "receivers:\n"
        "  - {name: flaky, webhook_configs: [{url: 'http://127.0.0.1:%d/flaky?status=429&fail=2&"
        "retry_after=3', timeout: 2s}]}\n"
        "  - {name: l1, webhook_configs: [{url: 'http://127.0.0.1:%d/l1', timeout: 2s}]}\n"
        "  - {name: l2, webhook_configs: [{url: 'http://127.0.0.1:%d/l2', timeout: 2s}]}\n"
        "  - {name: l3, webhook_configs: [{url: 'http://127.0.0.1:%d/l3', timeout: 2s}]}\n"
        "escalation_policies:\n"
        "  - {name: ladder, levels: [{delay: 0s, receivers: [l1]}, {delay: 3s, receivers: [l2]},"
        " {delay: 9s, receivers: [l3]}]}\n",
        sink.port, sink.port, sink.port, sink.port);
    test_write_file (routes, yaml);
    char *cyaml = vg_asprintf ("listen: tcp://127.0.0.1:%d\ndatabase_url: %s\nroutes_file: %s\n"
                               "http_listen: 127.0.0.1:0\nack_key: kill-test\n",
                               test_free_port (), db, routes);
    test_write_file (conf, cyaml);
    char *bin = test_build_path ("collector/vigil-collector");
    char *argv[] = {bin, "-c", conf, NULL};
    pid_t pid = test_spawn (argv, log);
    /* The collector migrates; wait for notify's tables. */
    for (int i = 0; i < 200; i++) {
        char *v = test_pg_scalar (s_db, "SELECT to_regclass('vigil.alert_acks') IS NOT NULL");
        int ok = v && strcmp (v, "t") == 0;
        free (v);
        if (ok)
            break;
        test_sleep_ms (50);
    }

    char err[512];
    notify_config_t *cfg = notify_config_load (routes, err, sizeof err);
    if (!cfg)
        TEST_FAIL ("%s", err);
    notify_engine_t *engine = notify_engine_new (&cfg, "kill-test", "http://127.0.0.1", 3600000);
    const char *labels[] = {"alertname", "ApiDown", "severity", "critical", NULL};
    test_alert_t a;
    test_alert_init (&a, 9, labels, NULL);
    int64_t fired = vg_now_ms ();
    test_alert_transition (&a, s_db, RULES_ALERT_FIRING, fired, notify_engine_transition, engine);

    /* Level 1 delivered, the flaky target answered 429; then killed. */
    s_wait ("level 1 and the first 429", s_first_round, &sink, log);
    test_kill_wait (pid, SIGKILL);
    /* Down past level 2's instant (3 s) and past the Retry-After. */
    test_sleep_ms (4000);
    pid = test_spawn (argv, log);
    /* The second 429; killed again at once, back a second later. */
    s_wait ("the second 429", s_second_429, &sink, log);
    test_kill_wait (pid, SIGKILL);
    test_sleep_ms (1000);
    pid = test_spawn (argv, log);
    s_wait ("every notification delivered and the top level reached", s_all_done, &sink, log);
    test_sleep_ms (500);
    test_kill_wait (pid, SIGTERM);

    /* Each notification arrived answered 200 once: one per key, keys = rows. */
    test_sink_req_t *r;
    size_t n = test_sink_requests (&sink, &r);
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        if (r[i].status != 200)
            continue;
        ok++;
        for (size_t j = i + 1; j < n; j++)
            if (r[j].status == 200 && strcmp (r[i].key, r[j].key) == 0)
                TEST_FAIL ("notification %s delivered twice", r[i].key);
    }
    ASSERT_EQ (ok, s_q ("SELECT count(*) FROM vigil.notifications"));
    ASSERT_EQ (ok, 4); /* flaky, l1, l2, l3 */
    /* No retry before its Retry-After. */
    double last429 = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp (r[i].path, "/flaky") != 0)
            continue;
        if (last429 > 0)
            ASSERT_GE ((r[i].t - last429) * 1000, 3000);
        last429 = r[i].status == 429 ? r[i].t : 0;
    }
    ASSERT_EQ (s_hits (&sink, "/flaky", 0), 3);
    test_sink_free_requests (r, n);
    /* Level 2 fell due while the collector was down: sent once, late. */
    ASSERT_EQ (s_hits (&sink, "/l2", 0), 1);
    ASSERT_EQ (s_q ("SELECT count(*) FROM vigil.escalation_steps WHERE level = 2 AND"
                    " at > due_at + interval '500 milliseconds'"),
               1);
    ASSERT_EQ (s_hits (&sink, "/l3", 0), 1);
    ASSERT_EQ (s_hits (&sink, "/l1", 0), 1);

    test_sink_stop (&sink);
    notify_engine_destroy (&engine);
    free (bin);
    free (yaml);
    free (cyaml);
    free (routes);
    free (conf);
    free (log);
    free (dir);
    PQfinish (s_db);
    free (db);
    printf ("test_notify_kill: ok\n");
    return 0;
}
