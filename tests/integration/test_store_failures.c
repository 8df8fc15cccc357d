/*  test_store_failures.c - coll_store against a real PostgreSQL when something
 *  fails: a database that cannot be reached is named in the error and nothing
 *  is counted stored; a connection killed inside the data transaction leaves
 *  nothing of the batch, and the next write reconnects and stores it; work past
 *  max_statement_bytes goes in pieces, and a series no statement can carry is
 *  refused for what it carries. */
#include "coll_store.h"
#include "test_assert.h"
#include "test_pg.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_error.h"
#include "vg_time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *s_url;
static PGconn *s_db;

static void
s_test_unreachable (int64_t now)
{
    int port = test_free_port ();
    char url[128], where[64];
    snprintf (url, sizeof url, "postgresql://postgres@127.0.0.1:%d/postgres", port);
    snprintf (where, sizeof where, "127.0.0.1:%d", port);
    coll_store_t *st = coll_store_new (url);
    char err[1024] = "";
    ASSERT_EQ (coll_store_connect (st, err, sizeof err), VG_ERETRY);
    ASSERT_STR_CONTAINS (err, where);
    ASSERT_STR_CONTAINS (err, "unreachable");
    vg_batch_t *b = test_pg_batch ("agent-f", "host-f", 1, now);
    uint32_t s = vg_batch_series (b, "up", VG_KIND_GAUGE, NULL, 0);
    vg_batch_add_sample (b, s, now - 1000, 1.0);
    coll_store_item_t item = {.batch = b, .received_ms = now};
    err[0] = '\0';
    ASSERT_EQ (coll_store_write (st, &item, 1, err, sizeof err), VG_ERETRY);
    ASSERT_STR_CONTAINS (err, where);
    ASSERT_EQ (coll_store_flush_latest (st, err, sizeof err), 0); /* nothing to flush */
    ASSERT_EQ (coll_store_stats (st).failures, 1); /* the write; connect is not counted */
    ASSERT_EQ (coll_store_stats (st).batches_stored, 0);
    coll_store_destroy (&st);

    /* The right database works. */
    st = coll_store_new (s_url);
    ASSERT_EQ (coll_store_connect (st, err, sizeof err), 0);
    test_pg_write_ok (st, &item, 1);
    ASSERT_EQ (item.status, VG_ACK_STORED);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "agent-f"), 1);
    coll_store_destroy (&st);
    vg_batch_destroy (&b);
}

typedef struct {
    coll_store_t *st;
    coll_store_item_t *item;
    int rc;
    char err[1024];
} s_writer_t;

static void *
s_write_thread (void *arg)
{
    s_writer_t *w = arg;
    w->rc = coll_store_write (w->st, w->item, 1, w->err, sizeof w->err);
    return NULL;
}

/* The connection dies inside the data transaction, after the batch key and
 * the samples went in: nothing of it stays, and writing again works. */
static void
s_test_killed (coll_store_t *st, int64_t now)
{
    vg_batch_t *b = test_pg_batch ("agent-g", "host-g", 1, now);
    uint32_t s = vg_batch_series (b, "up", VG_KIND_GAUGE, NULL, 0);
    for (int i = 0; i < 100; i++)
        vg_batch_add_sample (b, s, now - 1000 * i, i);
    vg_batch_add_event (b, now - 10, "deploy", NULL, 0, "v2");
    coll_store_item_t item = {.batch = b, .received_ms = now};

    /* The events table is locked, so the write stops at its COPY. */
    PGconn *locker = test_pg_connect (s_url);
    test_pg_exec (locker, "BEGIN");
    test_pg_exec (locker, "LOCK TABLE vigil.events IN ACCESS EXCLUSIVE MODE");
    s_writer_t w = {.st = st, .item = &item, .rc = 1};
    pthread_t thread;
    ASSERT_EQ (pthread_create (&thread, NULL, s_write_thread, &w), 0);
    char *pid = NULL;
    for (int tries = 0; tries < 600 && !pid; tries++) {
        pid = test_pg_scalar (s_db, "SELECT pid FROM pg_stat_activity"
                                    " WHERE application_name = 'vigil-collector'"
                                    "   AND wait_event_type = 'Lock'"
                                    "   AND query LIKE 'COPY vigil.events%'");
        if (!pid)
            test_sleep_ms (50);
    }
    if (!pid)
        TEST_FAIL ("the store never waited for the events lock");
    const char *p[] = {pid};
    ASSERT_PG_VALUE (s_db, "SELECT pg_terminate_backend($1::integer)", 1, p, "t");
    ASSERT_EQ (pthread_join (thread, NULL), 0);
    test_pg_exec (locker, "ROLLBACK");
    PQfinish (locker);
    ASSERT_EQ (w.rc, VG_ERETRY);
    ASSERT_STR_CONTAINS (w.err, "writing events");
    ASSERT_EQ (test_pg_host_rows (s_db, "batches", "agent-g"), 0);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "agent-g"), 0);
    ASSERT_EQ (test_pg_host_rows (s_db, "events", "agent-g"), 0);

    /* The next call reconnects; the cached series ids are still right. */
    test_pg_write_ok (st, &item, 1);
    ASSERT_EQ (item.status, VG_ACK_STORED);
    ASSERT_EQ (test_pg_host_rows (s_db, "batches", "agent-g"), 1);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "agent-g"), 100);
    ASSERT_EQ (test_pg_host_rows (s_db, "events", "agent-g"), 1);
    const char *pa[] = {"agent-g"};
    ASSERT_EQ (
        test_pg_count_params (s_db,
                              "SELECT count(*) FROM vigil.samples x JOIN vigil.series s"
                              " USING (host_id, series_id) JOIN vigil.hosts h USING (host_id)"
                              " WHERE h.agent_id = $1 AND s.metric = 'up'",
                              1, pa),
        100);
    free (pid);
    vg_batch_destroy (&b);
}

/* ---- work past the statement bound goes in pieces ---- */

static void
s_test_pieces (int64_t now)
{
    coll_store_t *st = coll_store_new (s_url);
    coll_store_set_statement_bytes (st, 64 * 1024);
    char err[1024] = "";
    ASSERT_EQ (coll_store_connect (st, err, sizeof err), 0);
    uint64_t before = coll_store_stats (st).statements;

    /* 3,000 new series of ~110 bytes: their registration is ~2 MB of JSON
     * at the worst; 1,000 events of 200 bytes of text: ~260 KB of COPY. */
    char value[101];
    memset (value, 'v', 100);
    value[100] = '\0';
    vg_batch_t *big = test_pg_batch ("agent-pieces", "host-pieces", 1, now);
    for (int i = 0; i < 3000; i++) {
        char id[16];
        snprintf (id, sizeof id, "%d", i);
        vg_label_t l[] = {{"id", id}, {"pad", value}};
        uint32_t s = vg_batch_series (big, "pieces", VG_KIND_GAUGE, l, 2);
        vg_batch_add_sample (big, s, now - 1000, i);
    }
    char text[201];
    memset (text, 't', 200);
    text[200] = '\0';
    for (int i = 0; i < 1000; i++)
        vg_batch_add_event (big, now - 1000 + i, "pieces_event", NULL, 0, text);
    coll_store_item_t item = {.batch = big, .received_ms = now};
    test_pg_write_ok (st, &item, 1);
    ASSERT_EQ (item.status, VG_ACK_STORED);
    uint64_t after_big = coll_store_stats (st).statements;
    ASSERT_GE (after_big - before, 2000000 / 65536 + 260000 / 65536);

    /* 1,200 batches in one group: their keys are ~86 KB. */
    enum { N = 1200 };
    vg_batch_t *small[N];
    coll_store_item_t items[N];
    for (int i = 0; i < N; i++) {
        small[i] = test_pg_batch ("agent-pieces", "host-pieces", (uint64_t)(i + 2), now);
        uint32_t s = vg_batch_series (small[i], "pieces_small", VG_KIND_GAUGE, NULL, 0);
        vg_batch_add_sample (small[i], s, now - 2000 - i, i);
        items[i] = (coll_store_item_t){.batch = small[i], .received_ms = now};
    }
    test_pg_write_ok (st, items, N);
    for (int i = 0; i < N; i++)
        ASSERT_EQ (items[i].status, VG_ACK_STORED);
    /* Two pieces of keys, one of samples, and the transaction around them. */
    ASSERT_GE (coll_store_stats (st).statements - after_big, 3);
    ASSERT_EQ (test_pg_host_rows (s_db, "series", "agent-pieces"), 3001);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "agent-pieces"), 3000 + N);
    ASSERT_EQ (test_pg_host_rows (s_db, "events", "agent-pieces"), 1000);
    ASSERT_EQ (test_pg_host_rows (s_db, "batches", "agent-pieces"), N + 1);

    /* One series too big for any statement (20 labels of 4,000 bytes):
     * refused for what it carries. */
    char *huge = vg_malloc (4001);
    memset (huge, 'h', 4000);
    huge[4000] = '\0';
    vg_batch_t *bad = test_pg_batch ("agent-pieces", "host-pieces", 5000, now);
    vg_label_t l[20];
    char keys[20][8];
    for (int k = 0; k < 20; k++) {
        snprintf (keys[k], sizeof keys[k], "k%02d", k);
        l[k] = (vg_label_t){keys[k], huge};
    }
    uint32_t s = vg_batch_series (bad, "pieces_huge", VG_KIND_GAUGE, l, 20);
    vg_batch_add_sample (bad, s, now - 1000, 1);
    item = (coll_store_item_t){.batch = bad, .received_ms = now};
    ASSERT_EQ (coll_store_write (st, &item, 1, err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "max_statement_bytes");
    ASSERT_EQ (test_pg_host_rows (s_db, "batches", "agent-pieces"), N + 1);
    free (huge);
    vg_batch_destroy (&bad);
    for (int i = 0; i < N; i++)
        vg_batch_destroy (&small[i]);
    vg_batch_destroy (&big);
    coll_store_destroy (&st);
}

int
main (void)
{
    s_url = test_pg_fresh_db ("vigil_test_store_failures");
    s_db = test_pg_connect (s_url);
    int64_t now = vg_now_ms ();
    coll_store_t *st = coll_store_new (s_url);
    s_test_unreachable (now);
    s_test_killed (st, now);
    s_test_pieces (now);
    coll_store_destroy (&st);
    PQfinish (s_db);
    free (s_url);
    printf ("test_store_failures: ok\n");
    return 0;
}
