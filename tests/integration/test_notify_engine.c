/*  test_notify_engine.c - the notify stage against a real PostgreSQL, with
 *  the clock passed in: transitions made as the rules stage makes them (in
 *  a transaction, the hook called inside it), then ticks at chosen instants.
 *  Checks Alertmanager's group timers, digests and daily summaries on a
 *  zone's wall clock, silences, inhibition, escalation with and without an
 *  ack, an ack that expires, and a climb that falls due while nobody ticks
 *  (a collector that was down). */
#include "coll_migrate.h"
#include "notify_engine.h"
#include "notify_silence.h"
#include "test_alert.h"
#include "test_assert.h"
#include "test_pg.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIN  60000LL
#define HOUR 3600000LL

static PGconn *s_db;
static notify_engine_t *s_engine;

static const char *s_routes =
    "route:\n"
    "  receiver: team\n"
    "  group_by: [alertname]\n"
    "  routes:\n"
    "    - matchers: [severity=critical]\n"
    "      receiver: oncall\n"
    "      group_by: ['...']\n"
    "      group_wait: 0s\n"
    "      escalation: ladder\n"
    "    - matchers: [severity=warning]\n"
    "      receiver: digest\n"
    "      group_by: []\n"
    "      mode: digest 1h Europe/Berlin\n"
    "    - matchers: [severity=info]\n"
    "      receiver: morning\n"
    "      group_by: []\n"
    "      mode: daily 09:00 Asia/Seoul\n"
    "receivers:\n"
    "  - {name: team, webhook_configs: [{url: 'http://127.0.0.1:9/team'}]}\n"
    "  - {name: oncall, webhook_configs: [{url: 'http://127.0.0.1:9/oncall'}]}\n"
    "  - {name: digest, webhook_configs: [{url: 'http://127.0.0.1:9/digest'}]}\n"
    "  - {name: morning, webhook_configs: [{url: 'http://127.0.0.1:9/morning'}]}\n"
    "  - {name: l1, webhook_configs: [{url: 'http://127.0.0.1:9/l1'}]}\n"
    "  - {name: l2, webhook_configs: [{url: 'http://127.0.0.1:9/l2'}]}\n"
    "  - {name: l3, webhook_configs: [{url: 'http://127.0.0.1:9/l3'}]}\n"
    "  - {name: l4, webhook_configs: [{url: 'http://127.0.0.1:9/l4'}]}\n"
    "inhibit_rules:\n"
    "  - {source_matchers: [severity=critical], target_matchers: [severity=warning],"
    "     equal: [service]}\n"
    "escalation_policies:\n"
    "  - name: ladder\n"
    "    levels:\n"
    "      - {delay: 0s, receivers: [l1]}\n"
    "      - {delay: 15m, receivers: [l2]}\n"
    "      - {delay: 45m, receivers: [l3]}\n"
    "      - {delay: 2h, receivers: [l4]}\n";

static int64_t
s_utc (const char *text)
{
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    if (!strptime (text, "%Y-%m-%dT%H:%M:%S", &tm))
        TEST_FAIL ("bad time %s", text);
    return (int64_t)timegm (&tm) * 1000;
}

static long long
s_count (const char *receiver)
{
    char sql[256];
    snprintf (sql, sizeof sql, "SELECT count(*) FROM vigil.notifications WHERE receiver = '%s'",
              receiver);
    return test_pg_count (s_db, sql);
}

/* The newest notification's column for a receiver. */
static char *
s_last (const char *receiver, const char *column)
{
    char sql[256];
    snprintf (sql, sizeof sql,
              "SELECT %s FROM vigil.notifications WHERE receiver = '%s'"
              " ORDER BY notification_id DESC LIMIT 1",
              column, receiver);
    return test_pg_scalar (s_db, sql);
}

static int
s_tick (int64_t now)
{
    char err[1024];
    int rc = notify_engine_tick (s_engine, s_db, now, err, sizeof err);
    if (rc < 0)
        TEST_FAIL ("tick: %s", err);
    return rc;
}

static void
s_fire (test_alert_t *a, int64_t now)
{
    test_alert_transition (a, s_db, RULES_ALERT_FIRING, now, notify_engine_transition, s_engine);
}

static void
s_resolve (test_alert_t *a, int64_t now)
{
    test_alert_transition (a, s_db, RULES_ALERT_RESOLVED, now, notify_engine_transition, s_engine);
}

static void
test_immediate_and_rollback (void)
{
    const char *labels[] = {"alertname", "ApiDown", "severity", "critical", "service", "api", NULL};
    const char *ann[] = {"summary", "api is down", NULL};
    test_alert_t a;
    test_alert_init (&a, 101, labels, ann);
    int64_t t0 = s_utc ("2024-05-01T10:00:00");
    /* A transition whose transaction rolls back leaves no notification. */
    PQclear (PQexec (s_db, "BEGIN"));
    a.alert.state = RULES_ALERT_FIRING;
    a.alert.fired_ms = t0;
    char err[512];
    ASSERT_EQ (notify_engine_transition (s_db, &a.alert, RULES_ALERT_PENDING, t0, s_engine, err,
                                         sizeof err),
               VG_OK);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.notifications"), 1 + 1);
    PQclear (PQexec (s_db, "ROLLBACK"));
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.notifications"), 0);
    a.alert.state = RULES_ALERT_PENDING;

    /* Committed: the route's own notification and level 1, in that transaction. */
    s_fire (&a, t0);
    ASSERT_EQ (s_count ("oncall"), 1);
    ASSERT_EQ (s_count ("l1"), 1);
    char *body = s_last ("oncall", "body");
    ASSERT_STR_CONTAINS (body, "\"status\":\"firing\"");
    ASSERT_STR_CONTAINS (body, "\"endsAt\":\"0001-01-01T00:00:00Z\"");
    ASSERT_STR_CONTAINS (body, "\"startsAt\":\"2024-05-01T10:00:00Z\"");
    ASSERT_STR_CONTAINS (body, "\"version\":\"4\"");
    char fp[64];
    snprintf (fp, sizeof fp, "\"fingerprint\":\"%016llx\"",
              (unsigned long long)a.alert.fingerprint);
    ASSERT_STR_CONTAINS (body, fp);
    ASSERT_STR_CONTAINS (body, "\"groupKey\":\"{}/{severity=\\\"critical\\\"}:{alertname=\\\""
                               "ApiDown\\\", service=\\\"api\\\", severity=\\\"critical\\\"}\"");
    ASSERT_STR_CONTAINS (body, "\"ack_url\":\"https://vigil.example/ack/101?exp=");
    free (body);
    char *reason = s_last ("l1", "reason");
    ASSERT_STR_EQ (reason, "escalation level 1");
    free (reason);
    /* Nothing more until level 2 is due at 15 min. */
    ASSERT_EQ (s_tick (t0 + 14 * MIN), 0);
    ASSERT_EQ (s_tick (t0 + 15 * MIN), 1);
    ASSERT_EQ (s_count ("l2"), 1);
    /* Acknowledged at 20 min for an hour: 25 min were left to level 3. */
    PQclear (PQexec (s_db, "SELECT vigil.ack_alert(101, to_timestamp(1714557600 + 1200),"
                           " to_timestamp(1714557600 + 1200 + 3600), 'ann', 'looking', 'cli')"));
    ASSERT_EQ (s_tick (t0 + 45 * MIN), 0);
    ASSERT_EQ (s_count ("l3"), 0);
    /* The ack expires at 80 min while the alert fires: level 3 at 105 min. */
    s_tick (t0 + 80 * MIN);
    ASSERT_EQ (s_count ("l3"), 0);
    ASSERT_EQ (s_tick (t0 + 104 * MIN), 0);
    ASSERT_EQ (s_tick (t0 + 105 * MIN), 1);
    ASSERT_EQ (s_count ("l3"), 1);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.escalation_steps WHERE alert_id"
                                    " = 101 AND what = 'ack expired; the climb resumes'"),
               1);
    /* Resolved at 110 min: every level notified hears of it; the climb stops. */
    s_resolve (&a, t0 + 110 * MIN);
    ASSERT_EQ (s_count ("l1"), 2);
    ASSERT_EQ (s_count ("l2"), 2);
    ASSERT_EQ (s_count ("l3"), 2);
    ASSERT_EQ (s_count ("l4"), 0);
    body = s_last ("l3", "body");
    ASSERT_STR_CONTAINS (body, "\"status\":\"resolved\"");
    ASSERT_STR_CONTAINS (body, "\"endsAt\":\"2024-05-01T11:50:00Z\"");
    free (body);
    s_tick (t0 + 10 * HOUR);
    ASSERT_EQ (s_count ("l4"), 0);
}

static void
test_climb_while_down (void)
{
    const char *labels[] = {"alertname", "DbDown", "severity", "critical", "service", "db", NULL};
    test_alert_t a;
    test_alert_init (&a, 102, labels, NULL);
    int64_t t0 = s_utc ("2024-05-02T10:00:00");
    s_fire (&a, t0);
    ASSERT_EQ (s_tick (t0 + 15 * MIN), 1);
    long long l2 = s_count ("l2"), l3 = s_count ("l3"), l4 = s_count ("l4");
    /* Nobody ticks from 16 min to 3 h (the collector was down): levels 3 and
     * 4 fell due meanwhile; each goes once, late. */
    s_tick (t0 + 3 * HOUR);
    ASSERT_EQ (s_count ("l3"), l3 + 1);
    ASSERT_EQ (s_count ("l4"), l4 + 1);
    s_tick (t0 + 3 * HOUR + MIN);
    s_tick (t0 + 6 * HOUR);
    ASSERT_EQ (s_count ("l2"), l2);
    ASSERT_EQ (s_count ("l3"), l3 + 1);
    ASSERT_EQ (s_count ("l4"), l4 + 1);
    char *due = test_pg_scalar (s_db, "SELECT to_char(due_at AT TIME ZONE 'UTC', 'HH24:MI') || ' "
                                      "' || to_char(at AT TIME ZONE 'UTC', 'HH24:MI') FROM "
                                      "vigil.escalation_steps WHERE alert_id = 102 AND level = 3");
    ASSERT_STR_EQ (due, "10:45 13:00");
    free (due);
    s_resolve (&a, t0 + 7 * HOUR);
}

static void
test_group_timers (void)
{
    const char *l1[] = {"alertname", "Slow", "service", "api", NULL};
    const char *l2[] = {"alertname", "Slow", "service", "web", NULL};
    test_alert_t a, b;
    test_alert_init (&a, 201, l1, NULL);
    test_alert_init (&b, 202, l2, NULL);
    int64_t t0 = s_utc ("2024-05-03T10:00:00");
    s_fire (&a, t0);
    ASSERT_EQ (s_count ("team"), 0);
    ASSERT_EQ (s_tick (t0 + 29000), 0); /* group_wait 30s */
    ASSERT_EQ (s_tick (t0 + 30000), 1);
    char *reason = s_last ("team", "reason");
    ASSERT_STR_EQ (reason, "first notification");
    free (reason);
    /* A second alert waits for the group_interval tick (5 min after the flush). */
    s_fire (&b, t0 + 40000);
    ASSERT_EQ (s_tick (t0 + 60000), 0);
    ASSERT_EQ (s_tick (t0 + 30000 + 5 * MIN), 1);
    reason = s_last ("team", "reason");
    ASSERT_STR_EQ (reason, "new alerts added");
    free (reason);
    char *body = s_last ("team", "body");
    ASSERT_STR_CONTAINS (body, "\"groupKey\":\"{}:{alertname=\\\"Slow\\\"}\"");
    ASSERT_STR_CONTAINS (body, "\"groupLabels\":{\"alertname\":\"Slow\"}");
    ASSERT_STR_CONTAINS (body, "\"commonLabels\":{\"alertname\":\"Slow\"}");
    free (body);
    /* Nothing new: no notification at the next tick. */
    ASSERT_EQ (s_tick (t0 + 30000 + 10 * MIN), 0);
    s_resolve (&a, t0 + 11 * MIN);
    ASSERT_EQ (s_tick (t0 + 30000 + 15 * MIN), 1);
    reason = s_last ("team", "reason");
    ASSERT_STR_EQ (reason, "some alerts resolved");
    free (reason);
    /* The repeat interval (4 h) brings the unchanged group back. */
    long long before = s_count ("team");
    for (int64_t t = t0 + 30000 + 20 * MIN; t <= t0 + 30000 + 4 * HOUR + 15 * MIN; t += 5 * MIN)
        s_tick (t);
    ASSERT_EQ (s_count ("team"), before + 1);
    reason = s_last ("team", "reason");
    ASSERT_STR_EQ (reason, "repeat interval elapsed");
    free (reason);
    s_resolve (&b, t0 + 5 * HOUR);
    s_tick (t0 + 6 * HOUR);
    reason = s_last ("team", "reason");
    ASSERT_STR_EQ (reason, "all alerts resolved");
    free (reason);
    s_tick (t0 + 7 * HOUR);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.notify_groups WHERE receiver ="
                                    " 'team'"),
               0);
}

static void
test_digest_and_daily (void)
{
    /* Berlin's hourly digest: two warnings in the 10:00-11:00 hour (CEST)
     * arrive in one message at 11:00 local, 09:00 UTC. */
    const char *w1[] = {"alertname", "Mem", "severity", "warning", "service", "chat", NULL};
    const char *w2[] = {"alertname", "Cpu", "severity", "warning", "service", "chat", NULL};
    test_alert_t a, b;
    test_alert_init (&a, 301, w1, NULL);
    test_alert_init (&b, 302, w2, NULL);
    s_fire (&a, s_utc ("2024-05-04T08:20:00"));
    s_fire (&b, s_utc ("2024-05-04T08:40:00"));
    ASSERT_EQ (s_tick (s_utc ("2024-05-04T08:59:59")), 0);
    ASSERT_EQ (s_tick (s_utc ("2024-05-04T09:00:00")), 1);
    char *n = s_last ("digest", "array_length(alert_ids, 1)");
    ASSERT_STR_EQ (n, "2");
    free (n);
    /* Nothing new in the next hour: no digest. */
    ASSERT_EQ (s_tick (s_utc ("2024-05-04T10:00:00")), 0);
    ASSERT_EQ (s_count ("digest"), 1);

    /* The morning summary at 09:00 in Seoul (00:00 UTC). */
    const char *i1[] = {"alertname", "BackupDone", "severity", "info", NULL};
    test_alert_t c;
    test_alert_init (&c, 303, i1, NULL);
    s_fire (&c, s_utc ("2024-05-04T12:00:00"));
    ASSERT_EQ (s_tick (s_utc ("2024-05-04T23:59:00")), 0);
    ASSERT_EQ (s_tick (s_utc ("2024-05-05T00:00:00")), 1);
    ASSERT_EQ (s_count ("morning"), 1);
    s_resolve (&a, s_utc ("2024-05-05T01:00:00"));
    s_resolve (&b, s_utc ("2024-05-05T01:00:00"));
    s_resolve (&c, s_utc ("2024-05-05T01:00:00"));
}

static void
test_silence_and_inhibit (void)
{
    char err[512], id[64];
    int64_t t0 = s_utc ("2024-05-06T10:00:00");
    ASSERT_EQ (notify_silence_add (s_db, "service=\"api\"", t0 - MIN, t0 + 2 * HOUR, "test",
                                   "deploy 1.4", id, sizeof id, err, sizeof err),
               VG_OK);
    const char *l[] = {"alertname", "Errors", "service", "api", NULL};
    test_alert_t a;
    test_alert_init (&a, 401, l, NULL);
    long long before = s_count ("team");
    s_fire (&a, t0);
    s_tick (t0 + MIN); /* silenced (other tests' groups may still settle here) */
    ASSERT_EQ (s_count ("team"), before);
    /* Expired: the next group tick notifies it. */
    char got[64];
    ASSERT_EQ (notify_silence_expire (s_db, id, t0 + 2 * MIN, got, sizeof got, err, sizeof err),
               VG_OK);
    ASSERT_STR_EQ (got, id);
    ASSERT_EQ (notify_silence_expire (s_db, id, t0 + 3 * MIN, got, sizeof got, err, sizeof err),
               VG_ENOTFOUND);
    s_tick (t0 + 6 * MIN);
    ASSERT_EQ (s_count ("team"), before + 1);
    s_resolve (&a, t0 + 7 * MIN);

    /* A critical alert for chat inhibits chat's warnings, not web's. */
    const char *crit[] = {"alertname", "ChatDown", "severity", "critical", "service", "chat", NULL};
    const char *wc[] = {"alertname", "ChatSlow", "severity", "warning", "service", "chat", NULL};
    const char *ww[] = {"alertname", "WebSlow", "severity", "warning", "service", "web", NULL};
    test_alert_t c, w1, w2;
    test_alert_init (&c, 402, crit, NULL);
    test_alert_init (&w1, 403, wc, NULL);
    test_alert_init (&w2, 404, ww, NULL);
    int64_t t1 = s_utc ("2024-05-06T12:10:00");
    s_fire (&c, t1);
    s_fire (&w1, t1);
    s_fire (&w2, t1);
    long long digests = s_count ("digest");
    s_tick (s_utc ("2024-05-06T13:00:00"));
    ASSERT_EQ (s_count ("digest"), digests + 1);
    char *body = s_last ("digest", "body");
    ASSERT_STR_CONTAINS (body, "WebSlow");
    ASSERT (!strstr (body, "ChatSlow"));
    free (body);
}

int
main (void)
{
    char *url;
    s_db = test_pg_migrated ("vigil_test_notify_engine", &url);
    char err[1024];
    notify_config_t *cfg = notify_config_parse ("routes.yaml", s_routes, err, sizeof err);
    if (!cfg)
        TEST_FAIL ("%s", err);
    s_engine = notify_engine_new (&cfg, "test-secret", "https://vigil.example/", 24 * HOUR);
    test_immediate_and_rollback ();
    test_climb_while_down ();
    test_group_timers ();
    test_digest_and_daily ();
    test_silence_and_inhibit ();
    notify_engine_destroy (&s_engine);
    PQfinish (s_db);
    free (url);
    printf ("test_notify_engine: ok\n");
    return 0;
}
