/*  test_isolation.c - the writers against a real PostgreSQL when something
 *  fails: a batch the database refuses among healthy ones is found and
 *  refused alone while the rest are stored; a connection killed mid-group
 *  loses and doubles nothing; an error no batch causes is answered RETRY; a
 *  batch with an absurdly large series (the poison of many 4 KiB labels) is
 *  refused before it reaches the database. Agents are shared out among the
 *  writers in turn, then each follows its host's part of the day. */
#include "coll_config.h"
#include "coll_writer.h"
#include "test_assert.h"
#include "test_pg.h"
#include "test_poison.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define WAIT_MS 60000

static char *s_url;
static PGconn *s_db;
static void *s_ctx;

typedef struct {
    coll_writer_item_t *items[256];
    size_t n;
} s_answers_t;

static void
s_on_answer (coll_writer_item_t *item, void *arg)
{
    s_answers_t *a = arg;
    if (a->n >= sizeof a->items / sizeof a->items[0])
        TEST_FAIL ("too many answers");
    a->items[a->n++] = item;
}

/* Reads answers until there are want of them (or the writers are done). */
static void
s_collect (coll_writer_t *w, s_answers_t *a, size_t want)
{
    int64_t deadline = vg_mono_ms () + WAIT_MS;
    while (a->n < want) {
        if (vg_mono_ms () > deadline)
            TEST_FAIL ("only %zu of %zu answers came", a->n, want);
        zmq_pollitem_t item = {coll_writer_socket (w), 0, ZMQ_POLLIN, 0};
        zmq_poll (&item, 1, 100);
        int rc;
        while ((rc = coll_writer_recv (w, s_on_answer, a, NULL)) == 0)
            ;
        if (rc == 1)
            break;
    }
}

static const coll_writer_item_t *
s_find (const s_answers_t *a, const char *agent, uint64_t seq)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->items[i]->seq == seq && a->items[i]->rid_len == strlen (agent) &&
            memcmp (a->items[i]->rid, agent, strlen (agent)) == 0)
            return a->items[i];
    TEST_FAIL ("no answer for %s seq %llu", agent, (unsigned long long)seq);
}

static void
s_free_answers (s_answers_t *a)
{
    for (size_t i = 0; i < a->n; i++)
        coll_writer_item_destroy (&a->items[i]);
    a->n = 0;
}

/* Stops the writers and returns their final figures. */
static coll_writer_stats_t
s_finish (coll_writer_t **w)
{
    coll_writer_stop (*w);
    coll_writer_stats_t stats = {0};
    s_answers_t rest = {0};
    int64_t deadline = vg_mono_ms () + WAIT_MS;
    for (int done = 0; !done;) {
        if (vg_mono_ms () > deadline)
            TEST_FAIL ("the writers did not stop");
        zmq_pollitem_t item = {coll_writer_socket (*w), 0, ZMQ_POLLIN, 0};
        zmq_poll (&item, 1, 100);
        int rc;
        while ((rc = coll_writer_recv (*w, s_on_answer, &rest, &stats)) == 0)
            ;
        done = rc == 1;
    }
    ASSERT_EQ (rest.n, 0);
    coll_writer_destroy (w);
    return stats;
}

static coll_config_t *
s_config (int writers)
{
    setenv ("VIGIL_DATABASE_URL", s_url, 1);
    char err[512];
    coll_config_t *config = coll_config_load (NULL, err, sizeof err);
    if (!config)
        TEST_FAIL ("config: %s", err);
    config->writers = writers;
    config->latest_flush_interval_ms = 200;
    return config;
}

/* A batch of nsamples samples of one series; the routing id is the agent id,
 * so answers can be told apart. */
static void
s_submit (coll_writer_t *w, const char *agent, uint64_t seq, int nsamples, double value)
{
    vg_batch_t *b = vg_batch_new (agent, agent);
    int64_t now = vg_now_ms ();
    b->seq = seq;
    b->sent_ms = now;
    vg_label_t l[] = {{"test", "isolation"}};
    uint32_t s = vg_batch_series (b, "iso_value", VG_KIND_GAUGE, l, 1);
    for (int i = 0; i < nsamples; i++)
        vg_batch_add_sample (b, s, now - 1000 - i, i == nsamples - 1 ? value : (double)i);
    coll_writer_item_t *item = coll_writer_item_new (agent, strlen (agent), &b, now);
    coll_writer_submit (w, &item);
}

/* Waits until a backend of the collector waits for a lock on a statement
 * starting with query; returns its pid (caller owns it). */
static char *
s_wait_blocked (const char *query)
{
    char sql[512];
    snprintf (sql, sizeof sql,
              "SELECT pid FROM pg_stat_activity WHERE application_name = 'vigil-collector'"
              " AND wait_event_type = 'Lock' AND query LIKE '%s%%' LIMIT 1",
              query);
    for (int tries = 0; tries < 1200; tries++) {
        char *pid = test_pg_scalar (s_db, sql);
        if (pid)
            return pid;
        test_sleep_ms (25);
    }
    TEST_FAIL ("no writer waited on \"%s\"", query);
}

/* ---- a batch the database refuses, among healthy ones ---------------- */

static void
s_test_data_error (void)
{
    coll_config_t *config = s_config (2);
    coll_writer_t *w = coll_writer_new (s_ctx, config, NULL);
    /* Register the hosts and series first, so the groups below differ only in
     * their data. */
    enum { AGENTS = 12, BAD = 9 };
    char agents[AGENTS][32];
    for (int a = 0; a < AGENTS; a++) {
        snprintf (agents[a], sizeof agents[a], "iso-data-%02d", a);
        s_submit (w, agents[a], 1, 5, 1.0);
    }
    s_answers_t answers = {0};
    s_collect (w, &answers, AGENTS);
    s_free_answers (&answers);
    test_pg_exec (s_db, "ALTER TABLE vigil.samples ADD CONSTRAINT iso_no_666 CHECK (value <> 666)");

    /* The ledger locked: the writers stall on their first groups, and the
     * rest of the batches queue up behind them into one group. */
    PGconn *locker = test_pg_connect (s_url);
    test_pg_exec (locker, "BEGIN");
    test_pg_exec (locker, "LOCK TABLE vigil.batches IN ACCESS EXCLUSIVE MODE");
    s_submit (w, agents[0], 2, 10, 1.0);
    s_submit (w, agents[1], 2, 10, 1.0);
    free (s_wait_blocked ("INSERT INTO vigil.batches"));
    for (int a = 2; a < AGENTS; a++)
        s_submit (w, agents[a], 2, 10, a == BAD ? 666.0 : 1.0);
    test_sleep_ms (200);
    test_pg_exec (locker, "COMMIT");
    PQfinish (locker);

    s_collect (w, &answers, AGENTS);
    for (int a = 0; a < AGENTS; a++) {
        const coll_writer_item_t *it = s_find (&answers, agents[a], 2);
        if (a == BAD) {
            ASSERT_EQ (it->status, VG_ACK_REJECTED);
            ASSERT_STR_CONTAINS (it->reason, "iso_no_666");
            ASSERT_STR_CONTAINS (it->reason, "SQLSTATE 23514");
            ASSERT_EQ (test_pg_host_rows (s_db, "samples", agents[a]), 5);
            ASSERT_EQ (test_pg_host_rows (s_db, "batches", agents[a]), 1);
        } else {
            ASSERT_EQ (it->status, VG_ACK_STORED);
            ASSERT (it->reason == NULL);
            ASSERT_EQ (test_pg_host_rows (s_db, "samples", agents[a]), 15);
            ASSERT_EQ (test_pg_host_rows (s_db, "batches", agents[a]), 2);
        }
    }
    s_free_answers (&answers);
    coll_writer_stats_t stats = s_finish (&w);
    ASSERT_EQ (stats.batches_rejected, 1);
    ASSERT_EQ (stats.batches_stored, 2 * AGENTS - 1);
    ASSERT_GE (stats.splits, 1); /* the group was narrowed down, not refused whole */
    test_pg_exec (s_db, "ALTER TABLE vigil.samples DROP CONSTRAINT iso_no_666");
    coll_config_destroy (&config);
}

/* ---- the connection killed mid-group -------------------------------- */

static void
s_test_killed (void)
{
    coll_config_t *config = s_config (1);
    coll_writer_t *w = coll_writer_new (s_ctx, config, NULL);
    enum { N = 6 };
    char agents[N][32];
    for (int a = 0; a < N; a++)
        snprintf (agents[a], sizeof agents[a], "iso-kill-%d", a);
    s_submit (w, agents[0], 1, 3, 1.0);
    s_answers_t answers = {0};
    s_collect (w, &answers, 1);
    s_free_answers (&answers);

    PGconn *locker = test_pg_connect (s_url);
    test_pg_exec (locker, "BEGIN");
    test_pg_exec (locker, "LOCK TABLE vigil.samples IN ACCESS EXCLUSIVE MODE");
    for (int a = 0; a < N; a++)
        s_submit (w, agents[a], 2, 100, 1.0);
    char *pid = s_wait_blocked ("COPY vigil.samples");
    char sql[128];
    snprintf (sql, sizeof sql, "SELECT pg_terminate_backend(%s)", pid);
    test_pg_exec (s_db, sql);
    test_pg_exec (locker, "COMMIT");
    PQfinish (locker);
    free (pid);

    s_collect (w, &answers, N);
    for (int a = 0; a < N; a++) {
        ASSERT_EQ (s_find (&answers, agents[a], 2)->status, VG_ACK_STORED);
        ASSERT_EQ (test_pg_host_rows (s_db, "samples", agents[a]), a == 0 ? 103 : 100);
        ASSERT_EQ (test_pg_host_rows (s_db, "batches", agents[a]), a == 0 ? 2 : 1);
    }
    s_free_answers (&answers);
    /* The same batches again are duplicates: nothing doubled. */
    for (int a = 0; a < N; a++)
        s_submit (w, agents[a], 2, 100, 1.0);
    s_collect (w, &answers, N);
    for (int a = 0; a < N; a++) {
        ASSERT_EQ (s_find (&answers, agents[a], 2)->status, VG_ACK_DUPLICATE);
        ASSERT_EQ (test_pg_host_rows (s_db, "samples", agents[a]), a == 0 ? 103 : 100);
    }
    s_free_answers (&answers);
    coll_writer_stats_t stats = s_finish (&w);
    ASSERT_EQ (stats.batches_rejected, 0);
    ASSERT_EQ (stats.batches_retry, 0);
    coll_config_destroy (&config);
}

/* ---- an error no batch causes --------------------------------------- */

static void
s_test_system_error (void)
{
    coll_config_t *config = s_config (1);
    coll_writer_t *w = coll_writer_new (s_ctx, config, NULL);
    s_submit (w, "iso-sys", 1, 3, 1.0);
    s_answers_t answers = {0};
    s_collect (w, &answers, 1);
    s_free_answers (&answers);
    test_pg_exec (s_db, "ALTER TABLE vigil.batches RENAME TO batches_away");
    s_submit (w, "iso-sys", 2, 3, 1.0);
    s_collect (w, &answers, 1);
    const coll_writer_item_t *it = s_find (&answers, "iso-sys", 2);
    ASSERT_EQ (it->status, VG_ACK_RETRY);
    ASSERT_STR_CONTAINS (it->reason, "SQLSTATE 42P01");
    s_free_answers (&answers);
    test_pg_exec (s_db, "ALTER TABLE vigil.batches_away RENAME TO batches");
    /* The agent sends it again, and now it goes in. */
    s_submit (w, "iso-sys", 2, 3, 1.0);
    s_collect (w, &answers, 1);
    ASSERT_EQ (s_find (&answers, "iso-sys", 2)->status, VG_ACK_STORED);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "iso-sys"), 6);
    s_free_answers (&answers);
    coll_writer_stats_t stats = s_finish (&w);
    ASSERT_EQ (stats.batches_retry, 1);
    coll_config_destroy (&config);
}

/* ---- the poison: 720 series x 64 labels of 4,096 control characters --- */

static void
s_test_poison (void)
{
    coll_config_t *config = s_config (2);
    coll_writer_t *w = coll_writer_new (s_ctx, config, NULL);
    vg_batch_t *b = test_poison_batch ("iso-poison", 1, vg_now_ms ());
    int64_t start = vg_mono_ms ();
    coll_writer_item_t *item = coll_writer_item_new ("iso-poison", 10, &b, vg_now_ms ());
    coll_writer_submit (w, &item);
    s_submit (w, "iso-healthy", 1, 10, 1.0);
    s_answers_t answers = {0};
    s_collect (w, &answers, 2);
    const coll_writer_item_t *it = s_find (&answers, "iso-poison", 1);
    ASSERT_EQ (it->status, VG_ACK_REJECTED);
    ASSERT_STR_CONTAINS (it->reason, "max_series_bytes");
    ASSERT_EQ (s_find (&answers, "iso-healthy", 1)->status, VG_ACK_STORED);
    ASSERT_LT (vg_mono_ms () - start, 10000);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.hosts"
                                    " WHERE agent_id = 'iso-poison'"),
               0);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "iso-healthy"), 10);
    s_free_answers (&answers);
    s_finish (&w);
    coll_config_destroy (&config);
}

/* ---- a metric name longer than the index of metric names takes ------- */

/* A batch of one sample of a series named metric, without labels. */
static void
s_submit_metric (coll_writer_t *w, const char *agent, uint64_t seq, const char *metric)
{
    vg_batch_t *b = vg_batch_new (agent, agent);
    int64_t now = vg_now_ms ();
    b->seq = seq;
    b->sent_ms = now;
    uint32_t s = vg_batch_series (b, metric, VG_KIND_GAUGE, NULL, 0);
    vg_batch_add_sample (b, s, now - 1000, (double)seq);
    coll_writer_item_t *item = coll_writer_item_new (agent, strlen (agent), &b, now);
    coll_writer_submit (w, &item);
}

static void
s_test_long_metric (void)
{
    coll_config_t *config = s_config (2);
    coll_writer_t *w = coll_writer_new (s_ctx, config, NULL);
    /* Pseudo-random letters, which the index cannot compress much. */
    char name[COLL_METRIC_NAME_MAX + 2];
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sizeof name - 1; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        name[i] = (char)('a' + x % 26);
    }
    name[sizeof name - 1] = '\0';
    s_submit_metric (w, "iso-longname", 1, name);
    s_submit (w, "iso-shortname", 1, 10, 1.0);
    s_answers_t answers = {0};
    s_collect (w, &answers, 2);
    const coll_writer_item_t *it = s_find (&answers, "iso-longname", 1);
    ASSERT_EQ (it->status, VG_ACK_REJECTED);
    ASSERT_STR_CONTAINS (it->reason, "metric name of 2049 bytes");
    ASSERT_EQ (s_find (&answers, "iso-shortname", 1)->status, VG_ACK_STORED);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "iso-shortname"), 10);
    /* The longest name allowed is stored, index and all. */
    name[COLL_METRIC_NAME_MAX] = '\0';
    s_submit_metric (w, "iso-longname", 2, name);
    s_collect (w, &answers, 3);
    ASSERT_EQ (s_find (&answers, "iso-longname", 2)->status, VG_ACK_STORED);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "iso-longname"), 1);
    s_free_answers (&answers);
    s_finish (&w);
    coll_config_destroy (&config);
}

/* ---- cardinality limits per agent ---------------------------------- */

/* A batch of n series, each with one sample. */
static void
s_submit_series (coll_writer_t *w, const char *agent, uint64_t seq, int first, int n)
{
    vg_batch_t *b = vg_batch_new (agent, agent);
    int64_t now = vg_now_ms ();
    b->seq = seq;
    b->sent_ms = now;
    for (int i = first; i < first + n; i++) {
        char id[16];
        snprintf (id, sizeof id, "%d", i);
        vg_label_t l[] = {{"id", id}};
        uint32_t s = vg_batch_series (b, "iso_card", VG_KIND_GAUGE, l, 1);
        vg_batch_add_sample (b, s, now - 1000, i);
    }
    coll_writer_item_t *item = coll_writer_item_new (agent, strlen (agent), &b, now);
    coll_writer_submit (w, &item);
}

static void
s_test_limits (void)
{
    coll_config_t *config = s_config (2);
    config->max_series_per_agent = 300;
    config->max_new_series_per_minute = 200;
    coll_writer_t *w = coll_writer_new (s_ctx, config, NULL);
    s_answers_t answers = {0};

    /* More than the agent may have in all: refused, with the reason; a
     * healthy agent alongside is stored. */
    s_submit_series (w, "iso-card", 1, 0, 400);
    s_submit_series (w, "iso-card-ok", 1, 0, 150);
    s_collect (w, &answers, 2);
    const coll_writer_item_t *it = s_find (&answers, "iso-card", 1);
    ASSERT_EQ (it->status, VG_ACK_REJECTED);
    ASSERT_STR_CONTAINS (it->reason, "max_series_per_agent");
    ASSERT_EQ (s_find (&answers, "iso-card-ok", 1)->status, VG_ACK_STORED);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "iso-card"), 0);
    ASSERT_EQ (test_pg_host_rows (s_db, "batches", "iso-card"), 0);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "iso-card-ok"), 150);
    s_free_answers (&answers);

    /* Within the limits: 150 new, then 40 more, then known ones freely;
     * then 100 new at once is past the 200 a minute. */
    s_submit_series (w, "iso-card", 2, 0, 150);
    s_collect (w, &answers, 1);
    ASSERT_EQ (s_find (&answers, "iso-card", 2)->status, VG_ACK_STORED);
    s_free_answers (&answers);
    s_submit_series (w, "iso-card", 3, 150, 40);
    s_collect (w, &answers, 1);
    ASSERT_EQ (s_find (&answers, "iso-card", 3)->status, VG_ACK_STORED);
    s_free_answers (&answers);
    s_submit_series (w, "iso-card", 4, 0, 190);
    s_collect (w, &answers, 1);
    ASSERT_EQ (s_find (&answers, "iso-card", 4)->status, VG_ACK_STORED);
    s_free_answers (&answers);
    s_submit_series (w, "iso-card", 5, 190, 100);
    s_collect (w, &answers, 1);
    it = s_find (&answers, "iso-card", 5);
    ASSERT_EQ (it->status, VG_ACK_REJECTED);
    ASSERT_STR_CONTAINS (it->reason, "max_new_series_per_minute");
    s_free_answers (&answers);
    ASSERT_EQ (test_pg_host_rows (s_db, "series", "iso-card"), 190);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "iso-card"), 380);
    coll_writer_stats_t stats = s_finish (&w);
    ASSERT_EQ (stats.batches_rejected, 2);
    coll_config_destroy (&config);
}

/* ---- a batch the ledger refuses: the failure inside the pipeline that
 * opens the transaction and records the keys ---- */

static void
s_test_ledger_error (void)
{
    coll_config_t *config = s_config (1);
    coll_writer_t *w = coll_writer_new (s_ctx, config, NULL);
    s_submit (w, "iso-ledger-a", 1, 5, 1.0);
    s_answers_t answers = {0};
    s_collect (w, &answers, 1);
    s_free_answers (&answers);
    test_pg_exec (s_db, "ALTER TABLE vigil.batches ADD CONSTRAINT iso_no_13 CHECK (samples <> 13)");
    s_submit (w, "iso-ledger-a", 2, 13, 1.0);
    s_submit (w, "iso-ledger-a", 3, 12, 1.0);
    s_submit (w, "iso-ledger-a", 4, 14, 1.0);
    s_collect (w, &answers, 3);
    const coll_writer_item_t *it = s_find (&answers, "iso-ledger-a", 2);
    ASSERT_EQ (it->status, VG_ACK_REJECTED);
    ASSERT_STR_CONTAINS (it->reason, "iso_no_13");
    ASSERT_EQ (s_find (&answers, "iso-ledger-a", 3)->status, VG_ACK_STORED);
    ASSERT_EQ (s_find (&answers, "iso-ledger-a", 4)->status, VG_ACK_STORED);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "iso-ledger-a"), 5 + 12 + 14);
    ASSERT_EQ (test_pg_host_rows (s_db, "batches", "iso-ledger-a"), 3);
    s_free_answers (&answers);
    s_finish (&w);
    test_pg_exec (s_db, "ALTER TABLE vigil.batches DROP CONSTRAINT iso_no_13");
    coll_config_destroy (&config);
}

/* ---- agents shared out among the writers ---------------------------- */

static long long
s_host_id (const char *agent)
{
    return test_pg_count_params (s_db, "SELECT host_id FROM vigil.hosts WHERE agent_id = $1", 1,
                                 (const char *const[]){agent});
}

static void
s_test_shared_out (void)
{
    coll_config_t *config = s_config (2);
    coll_writer_t *w = coll_writer_new (s_ctx, config, NULL);
    static const char *agents[] = {"iso-share-a", "iso-share-b", "iso-share-c", "iso-share-d"};
    for (size_t i = 0; i < 4; i++)
        s_submit (w, agents[i], 1, 3, 1.0);
    s_answers_t answers = {0};
    s_collect (w, &answers, 4);
    /* New agents in the order they appeared: a and c to one writer, b and
     * d to the other. */
    unsigned a1 = s_find (&answers, "iso-share-a", 1)->pref;
    ASSERT_EQ (s_find (&answers, "iso-share-b", 1)->pref, 1 - a1);
    ASSERT_EQ (s_find (&answers, "iso-share-c", 1)->pref, a1);
    ASSERT_EQ (s_find (&answers, "iso-share-d", 1)->pref, 1 - a1);
    for (size_t i = 0; i < 4; i++)
        ASSERT_EQ (s_find (&answers, agents[i], 1)->status, VG_ACK_STORED);
    s_free_answers (&answers);

    /* Once stored, each follows its host: to the writer whose part of the
     * day holds the host's samples, twice over. */
    for (uint64_t seq = 2; seq <= 3; seq++) {
        for (size_t i = 0; i < 4; i++)
            s_submit (w, agents[i], seq, 3, 1.0);
        s_collect (w, &answers, 4);
        for (size_t i = 0; i < 4; i++) {
            const coll_writer_item_t *it = s_find (&answers, agents[i], seq);
            ASSERT_EQ (it->status, VG_ACK_STORED);
            ASSERT_EQ (it->pref, (unsigned)(s_host_id (agents[i]) % 2));
        }
        s_free_answers (&answers);
    }
    for (size_t i = 0; i < 4; i++) {
        char want[64];
        snprintf (want, sizeof want, "_p%lld", s_host_id (agents[i]) % 2);
        char *parts = test_pg_value (s_db,
                                     "SELECT string_agg(DISTINCT x.tableoid::regclass::text, ' ')"
                                     "  FROM vigil.samples x JOIN vigil.hosts h USING (host_id)"
                                     " WHERE h.agent_id = $1",
                                     1, &agents[i]);
        ASSERT_STR_CONTAINS (parts, want);
        ASSERT (strchr (parts, ' ') == NULL);
        free (parts);
        ASSERT_EQ (test_pg_host_rows (s_db, "samples", agents[i]), 9);
    }
    s_finish (&w);
    coll_config_destroy (&config);
}

int
main (void)
{
    s_url = test_pg_fresh_db ("vigil_test_isolation");
    s_db = test_pg_connect (s_url);
    s_ctx = zmq_ctx_new ();
    s_test_data_error ();
    s_test_killed ();
    s_test_system_error ();
    s_test_poison ();
    s_test_long_metric ();
    s_test_limits ();
    s_test_ledger_error ();
    s_test_shared_out ();
    zmq_ctx_term (s_ctx);
    PQfinish (s_db);
    free (s_url);
    printf ("test_isolation: ok\n");
    return 0;
}
