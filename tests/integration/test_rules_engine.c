/*  test_rules_engine.c - the live rule engine with an injected clock, fed by
 *  a real collector (ZeroMQ, PostgreSQL) through the commit hook:
 *
 *    - a threshold crossing fires as the batch lands, a 'for' waits;
 *    - every transition is stored in vigil.alerts / alert_transitions, and
 *      the notify hook runs in the same transaction (a failing hook rolls
 *      it back; the transition is stored once, later);
 *    - a new engine (a restart) reads windows and alerts back: the firing
 *      alert is not fired again, the pending one keeps its start;
 *    - up{host} goes to 0 after three agent intervals without a batch;
 *      a host silent since before the engine started is down at once;
 *    - a reload that drops a rule resolves its alerts; a bad file changes
 *      nothing.
 */
#include "coll_config.h"
#include "coll_server.h"
#include "rules_engine.h"
#include "test_agent_peer.h"
#include "test_assert.h"
#include "test_pg.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_time.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEC 1000
#define MIN 60000

static const char *s_rules_v1 = "groups:\n"
                                "- name: host\n"
                                "  interval: 10s\n"
                                "  rules:\n"
                                "  - alert: HostDown\n"
                                "    expr: up == 0\n"
                                "    for: 1m\n"
                                "    labels: {severity: critical}\n"
                                "    annotations: {summary: '{{ $labels.host }} is down'}\n"
                                "  - alert: CpuHot\n"
                                "    expr: cpu_percent > 90\n"
                                "    labels: {severity: warning}\n"
                                "    annotations: {summary: 'CPU at {{ $value }}%'}\n"
                                "  - alert: CpuHotLong\n"
                                "    expr: cpu_percent > 90\n"
                                "    for: 5m\n"
                                "    labels: {severity: critical}\n";

/* The same without HostDown. */
static const char *s_rules_v2 = "groups:\n"
                                "- name: host\n"
                                "  interval: 10s\n"
                                "  rules:\n"
                                "  - alert: CpuHot\n"
                                "    expr: cpu_percent > 90\n"
                                "    labels: {severity: warning}\n"
                                "    annotations: {summary: 'CPU at {{ $value }}%'}\n"
                                "  - alert: CpuHotLong\n"
                                "    expr: cpu_percent > 90\n"
                                "    for: 5m\n"
                                "    labels: {severity: critical}\n";

static char s_dir[256], s_rules_path[300];
static char *s_url;
static PGconn *s_db;
static coll_server_t *s_server;
static test_agent_peer_t *s_peer;
static uint64_t s_seq;
static int64_t s_base;

/* The notify stage's stand-in is a real hook writing in the transaction. */
static int s_hook_calls, s_hook_fail;

static int
s_hook (PGconn *conn, const rules_alert_t *alert, rules_alert_state_t from, int64_t now_ms,
        void *arg, char *err, size_t errlen)
{
    (void)arg;
    (void)now_ms;
    s_hook_calls++;
    if (s_hook_fail) {
        snprintf (err, errlen, "notify refused (test)");
        return VG_EDB;
    }
    char id[32], st[8], fr[8];
    snprintf (id, sizeof id, "%lld", (long long)alert->id);
    snprintf (st, sizeof st, "%d", alert->state);
    snprintf (fr, sizeof fr, "%d", from);
    const char *params[] = {id, fr, st};
    PGresult *res = PQexecParams (conn,
                                  "INSERT INTO hooked (alert_id, from_state, to_state)"
                                  " VALUES ($1::bigint, $2::int, $3::int)",
                                  3, NULL, params, NULL, NULL, 0);
    int ok = PQresultStatus (res) == PGRES_COMMAND_OK;
    PQclear (res);
    if (!ok) {
        snprintf (err, errlen, "%s", PQerrorMessage (conn));
        return VG_EDB;
    }
    return 0;
}

static void *
s_serve (void *arg)
{
    coll_server_run (arg);
    return NULL;
}

static void
s_write_rules (const char *text)
{
    FILE *f = fopen (s_rules_path, "w");
    ASSERT (f);
    fputs (text, f);
    fclose (f);
}

/* A batch from web1: cpu_percent at base + at_ms. */
static void
s_send_cpu (int64_t at_ms, double cpu)
{
    vg_batch_t *b = vg_batch_new ("agent-web1", "web1");
    b->seq = ++s_seq;
    b->sent_ms = vg_now_ms ();
    b->interval_ms = 10000;
    uint32_t s = vg_batch_series (b, "cpu_percent", VG_KIND_GAUGE, NULL, 0);
    vg_batch_add_sample (b, s, s_base + at_ms, cpu);
    test_agent_peer_send_batch (s_peer, b);
    test_agent_peer_expect_ack (s_peer, s_seq, VG_ACK_STORED);
    vg_batch_destroy (&b);
}

/* A batch from db1 told to the engine directly, as ingest's writer would
 * after storing it, at the injected time. */
static void
s_observe_db1 (rules_engine_t *e, int64_t now)
{
    vg_batch_t *b = vg_batch_new ("agent-db1", "db1");
    b->interval_ms = 10000;
    uint32_t s = vg_batch_series (b, "cpu_percent", VG_KIND_GAUGE, NULL, 0);
    vg_batch_add_sample (b, s, now, 10);
    int64_t ids[] = {900001};
    coll_committed_t c = {.host_id = 900,
                          .hostname = "db1",
                          .batch = b,
                          .series_ids = ids,
                          .received_ms = now,
                          .committed_ms = now,
                          .min_ts_ms = now - 86400000,
                          .max_ts_ms = now + 86400000};
    rules_engine_observe (&c, 1, e);
    vg_batch_destroy (&b);
}

static size_t s_max_queue, s_max_backlog;

static rules_engine_t *
s_engine (int64_t now)
{
    char *files[] = {s_rules_path};
    rules_engine_config_t c = {.rule_files = files,
                               .nrule_files = 1,
                               .database_url = s_url,
                               .min_eval_interval_ms = 0,
                               .max_queue_bytes = s_max_queue,
                               .max_backlog = s_max_backlog,
                               .hook = s_hook};
    char err[2048];
    rules_engine_t *e = rules_engine_new (&c, err, sizeof err);
    if (!e)
        TEST_FAIL ("engine: %s", err);
    if (rules_engine_open (e, now, err, sizeof err) != 0)
        TEST_FAIL ("open: %s", err);
    return e;
}

/* The state of an alert in the database, "" if there is no row. */
static char *
s_state (const char *alertname)
{
    char sql[512];
    snprintf (sql, sizeof sql,
              "SELECT coalesce ((SELECT state FROM vigil.alerts WHERE alertname = '%s'"
              "                  ORDER BY alert_id DESC LIMIT 1), '')",
              alertname);
    return test_pg_scalar (s_db, sql);
}

static void
s_expect_state (const char *alertname, const char *state)
{
    char *got = s_state (alertname);
    if (strcmp (got, state) != 0)
        TEST_FAIL ("%s is \"%s\", expected \"%s\"", alertname, got, state);
    free (got);
}

static long long
s_count (const char *sql)
{
    return test_pg_count (s_db, sql);
}

int
main (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/vigil-rules-XXXXXX");
    ASSERT (mkdtemp (s_dir));
    snprintf (s_rules_path, sizeof s_rules_path, "%s/rules.yml", s_dir);
    s_write_rules (s_rules_v2);
    s_url = test_pg_fresh_db ("vigil_test_rules_engine");
    s_db = test_pg_connect (s_url);
    test_pg_exec (s_db, "CREATE TABLE hooked (alert_id bigint, from_state int, to_state int)");

    /* The collector, without the engine's observer at first: data stored
     * before the engine exists must be read back. */
    setenv ("VIGIL_DATABASE_URL", s_url, 1);
    char err[1024];
    coll_config_t *config = coll_config_load (NULL, err, sizeof err);
    ASSERT (config);
    free (config->listen);
    config->listen = vg_strdup ("tcp://127.0.0.1:*");

    s_base = vg_now_ms () / 1000 * 1000;
    int64_t now = s_base;
    rules_engine_t *e = s_engine (now);
    coll_commit_observers_t observers = {.items = {{rules_engine_observe, e}}, .n = 1};
    s_server = coll_server_new (config, &observers, err, sizeof err);
    if (!s_server)
        TEST_FAIL ("server: %s", err);
    pthread_t thread;
    ASSERT_EQ (pthread_create (&thread, NULL, s_serve, s_server), 0);
    s_peer = test_agent_peer_new (coll_server_endpoint (s_server));

    /* Calm, then hot: CpuHot fires as the batch lands; CpuHotLong waits. */
    s_send_cpu (0, 50);
    ASSERT_GT (rules_engine_step (e, now), 0);
    s_expect_state ("CpuHot", "");
    s_send_cpu (10 * SEC, 95);
    now = s_base + 10 * SEC;
    rules_engine_step (e, now);
    s_expect_state ("CpuHot", "firing");
    s_expect_state ("CpuHotLong", "pending");
    ASSERT_EQ (s_count ("SELECT count(*) FROM vigil.alert_transitions"), 2);
    ASSERT_EQ (s_count ("SELECT count(*) FROM hooked"), 2);
    ASSERT_EQ (s_hook_calls, 2);
    ASSERT_EQ (s_count ("SELECT count(*) FROM vigil.alerts WHERE alertname = 'CpuHot'"
                        " AND labels = '{\"alertname\": \"CpuHot\", \"host\": \"web1\","
                        " \"severity\": \"warning\"}'"
                        " AND annotations->>'summary' = 'CPU at 95%'"
                        " AND fingerprint ~ '^[0-9a-f]{16}$' AND severity = 'warning'"),
               1);
    rules_engine_stats_t st = rules_engine_stats (e);
    ASSERT_EQ (st.open_alerts, 2);
    ASSERT_EQ (st.transitions, 2);

    /* A restart: a new engine reads alerts and windows back. */
    coll_server_interrupt (s_server, SIGTERM);
    pthread_join (thread, NULL);
    coll_server_destroy (&s_server);
    rules_engine_destroy (&e);
    now = s_base + 20 * SEC;
    e = s_engine (now);
    observers.items[0].arg = e;
    s_server = coll_server_new (config, &observers, err, sizeof err);
    ASSERT (s_server);
    ASSERT_EQ (pthread_create (&thread, NULL, s_serve, s_server), 0);
    test_agent_peer_destroy (&s_peer);
    s_peer = test_agent_peer_new (coll_server_endpoint (s_server));
    s_hook_calls = 0;
    rules_engine_step (e, now);
    /* Nothing fired again, nothing forgotten. */
    ASSERT_EQ (s_hook_calls, 0);
    ASSERT_EQ (s_count ("SELECT count(*) FROM vigil.alert_transitions"), 2);
    s_expect_state ("CpuHot", "firing");
    s_expect_state ("CpuHotLong", "pending");
    /* Still hot: CpuHotLong fires 5 minutes after it became pending (at
     * 10 s), not 5 minutes after the restart. */
    s_send_cpu (4 * MIN, 96);
    rules_engine_step (e, s_base + 5 * MIN + 9 * SEC);
    s_expect_state ("CpuHotLong", "pending");
    now = s_base + 5 * MIN + 10 * SEC;
    rules_engine_step (e, now);
    s_expect_state ("CpuHotLong", "firing");
    ASSERT_EQ (s_count ("SELECT count(*) FROM vigil.alerts WHERE alertname = 'CpuHotLong'"), 1);
    ASSERT_EQ (s_count ("SELECT (extract (epoch FROM fired_at - active_at))::bigint"
                        "  FROM vigil.alerts WHERE alertname = 'CpuHotLong'"),
               300);

    /* The hook fails: nothing of the transition is stored; it is tried
     * again at the next round, and stored once. */
    s_hook_fail = 1;
    s_send_cpu (5 * MIN + 20 * SEC, 40);
    now = s_base + 5 * MIN + 20 * SEC;
    rules_engine_step (e, now);
    s_expect_state ("CpuHot", "firing");
    ASSERT_EQ (rules_engine_stats (e).backlog, 2);
    s_hook_fail = 0;
    now += 6 * SEC; /* past the retry delay */
    rules_engine_step (e, now);
    ASSERT_EQ (rules_engine_stats (e).backlog, 0);
    s_expect_state ("CpuHot", "resolved");
    s_expect_state ("CpuHotLong", "resolved");
    ASSERT_EQ (s_count ("SELECT count(*) FROM vigil.alert_transitions WHERE to_state = 'resolved'"),
               2);
    ASSERT_EQ (s_count ("SELECT count(*) FROM hooked WHERE to_state = 3"), 2);

    /* up: a reload adds HostDown. web1 has sent nothing since the start
     * (its last contact is the collector's clock then, minutes before the
     * injected now): down, so HostDown is pending at once. db1 talks to the
     * engine through its observer, with the injected clock as the
     * collector's: up while batches come, down after three of its agent's
     * 10 s intervals without one, firing a minute later. */
    char rerr[2048];
    s_write_rules (s_rules_v1);
    ASSERT_EQ (rules_engine_reload (e, NULL, 0, rerr, sizeof rerr), 0);
    now += SEC;
    s_observe_db1 (e, now);
    rules_engine_step (e, now);
    ASSERT_EQ (rules_engine_stats (e).rules, 3);
    ASSERT_EQ (s_count ("SELECT count(*) FROM vigil.alerts WHERE alertname = 'HostDown'"
                        " AND state = 'pending' AND labels->>'host' = 'web1'"
                        " AND annotations->>'summary' = 'web1 is down'"),
               1);
    ASSERT_EQ (s_count ("SELECT count(*) FROM vigil.alerts WHERE labels->>'host' = 'db1'"), 0);
    int64_t db1_last = now;
    rules_engine_step (e, db1_last + 30 * SEC);
    ASSERT_EQ (s_count ("SELECT count(*) FROM vigil.alerts WHERE labels->>'host' = 'db1'"), 0);
    rules_engine_step (e, db1_last + 30 * SEC + 1);
    ASSERT_EQ (s_count ("SELECT count(*) FROM vigil.alerts WHERE labels->>'host' = 'db1'"
                        " AND state = 'pending'"),
               1);
    rules_engine_step (e, db1_last + 90 * SEC + 1);
    ASSERT_EQ (s_count ("SELECT count(*) FROM vigil.alerts WHERE labels->>'host' = 'db1'"
                        " AND state = 'firing'"),
               1);
    /* db1 is back: resolved at once. */
    now = db1_last + 100 * SEC;
    s_observe_db1 (e, now);
    rules_engine_step (e, now);
    ASSERT_EQ (s_count ("SELECT count(*) FROM vigil.alerts WHERE labels->>'host' = 'db1'"
                        " AND state = 'resolved'"),
               1);

    /* A reload with a bad file changes nothing; one without HostDown
     * resolves web1's firing alert. */
    rules_engine_step (e, now += MIN);
    ASSERT_EQ (s_count ("SELECT count(*) FROM vigil.alerts WHERE labels->>'host' = 'web1'"
                        " AND alertname = 'HostDown' AND state = 'firing'"),
               1);
    s_write_rules ("groups:\n- name: host\n  rules:\n  - alert: X\n    expr: rate(x[5m] @ 1)\n");
    ASSERT_NE (rules_engine_reload (e, NULL, 0, rerr, sizeof rerr), 0);
    ASSERT_STR_CONTAINS (rerr, "rules.yml:5:22: group \"host\", rule 1 (X): expr: the @ modifier");
    rules_engine_step (e, now += SEC);
    ASSERT_EQ (rules_engine_stats (e).rules, 3);
    s_write_rules (s_rules_v2);
    ASSERT_EQ (rules_engine_reload (e, NULL, 0, rerr, sizeof rerr), 0);
    rules_engine_step (e, now += SEC);
    ASSERT_EQ (s_count ("SELECT count(*) FROM vigil.alerts WHERE alertname = 'HostDown'"
                        " AND state IN ('pending', 'firing')"),
               0);
    ASSERT_EQ (rules_engine_stats (e).rules, 2);

    /* Transitions that cannot be stored are kept up to max_backlog; past
     * it the oldest go, counted. */
    coll_server_interrupt (s_server, SIGTERM);
    pthread_join (thread, NULL);
    coll_server_destroy (&s_server);
    rules_engine_destroy (&e);
    s_max_backlog = 1;
    s_max_queue = 1; /* no batch fits: every one is read back instead */
    now += MIN;
    e = s_engine (now);
    observers.items[0].arg = e;
    s_server = coll_server_new (config, &observers, err, sizeof err);
    ASSERT (s_server);
    ASSERT_EQ (pthread_create (&thread, NULL, s_serve, s_server), 0);
    test_agent_peer_destroy (&s_peer);
    s_peer = test_agent_peer_new (coll_server_endpoint (s_server));
    rules_engine_step (e, now);
    long long before = s_count ("SELECT count(*) FROM vigil.alert_transitions");
    /* The batch does not fit in the queue: the engine reads the windows
     * back from the database, where the batch is, and evaluates on them. */
    s_hook_fail = 1;
    s_send_cpu (now - s_base, 99);
    rules_engine_step (e, now += SEC);
    st = rules_engine_stats (e);
    ASSERT_EQ (st.batches_lost, 1);
    ASSERT (st.ready);
    ASSERT_EQ (st.open_alerts, 2); /* CpuHot firing, CpuHotLong pending */
    ASSERT_EQ (st.backlog, 1);
    ASSERT_EQ (st.backlog_dropped, 1);
    s_hook_fail = 0;
    rules_engine_step (e, now += 6 * SEC);
    ASSERT_EQ (rules_engine_stats (e).backlog, 0);
    ASSERT_EQ (s_count ("SELECT count(*) FROM vigil.alert_transitions"), before + 1);

    /* Exactly one row per transition, and no alert without its history. */
    ASSERT_EQ (s_count ("SELECT count(*) FROM vigil.alerts a WHERE NOT EXISTS"
                        " (SELECT 1 FROM vigil.alert_transitions t WHERE t.alert_id = a.alert_id)"),
               0);
    ASSERT_EQ (s_count ("SELECT count(*) FROM vigil.alert_transitions"),
               s_count ("SELECT count(*) FROM hooked"));

    coll_server_interrupt (s_server, SIGTERM);
    pthread_join (thread, NULL);
    coll_server_destroy (&s_server);
    rules_engine_destroy (&e);
    test_agent_peer_destroy (&s_peer);
    coll_config_destroy (&config);
    PQfinish (s_db);
    free (s_url);
    unlink (s_rules_path);
    rmdir (s_dir);
    printf ("test_rules_engine: ok\n");
    return 0;
}
