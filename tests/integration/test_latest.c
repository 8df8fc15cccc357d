/*  test_latest.c - the newest value of every series and the last contact of
 *  every host, kept by coll_store in memory and written in rounds against a
 *  real PostgreSQL: nothing is written per sample; a round writes the newest
 *  value (not the last sent) of every series written since the last, and a
 *  host's contact, sequence and clock skew; an older batch arriving late moves
 *  nothing backwards but the last contact; and a round ends although values
 *  keep arriving between its pieces. */
#include "coll_store.h"
#include "test_assert.h"
#include "test_pg.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_error.h"
#include "vg_sketch.h"
#include "vg_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PGconn *s_db;

/* agent-a's batch before the others: two user-mode values (the newer one
 * last), a gauge without labels and a distribution. */
static void
s_write_agent_a (coll_store_t *st, int64_t now)
{
    vg_batch_t *b = test_pg_batch ("agent-a", "host-a", 1, now);
    vg_label_t user[] = {{"mode", "user"}};
    uint32_t cpu = vg_batch_series (b, "cpu_seconds_total", VG_KIND_COUNTER, user, 1);
    uint32_t mem = vg_batch_series (b, "mem_used_bytes", VG_KIND_GAUGE, NULL, 0);
    uint32_t lat = vg_batch_series (b, "latency_ms", VG_KIND_DISTRIBUTION, NULL, 0);
    vg_batch_add_sample (b, cpu, now - 2000, 13.0);
    vg_batch_add_sample (b, cpu, now - 1000, 13.25);
    vg_batch_add_sample (b, mem, now - 1000, 1048576.0);
    vg_sketch_t *sk = vg_sketch_new ();
    vg_sketch_add (sk, 5.0);
    vg_batch_add_dist (b, lat, now - 1000, sk);
    vg_sketch_destroy (&sk);
    test_pg_store_one (st, &b, now);
}

static void
s_test_latest (coll_store_t *st, int64_t now)
{
    vg_batch_t *b = test_pg_batch ("agent-e", "host-e", 5, now + 1500);
    uint32_t s = vg_batch_series (b, "load1", VG_KIND_GAUGE, NULL, 0);
    uint32_t ds = vg_batch_series (b, "latency_ms", VG_KIND_DISTRIBUTION, NULL, 0);
    vg_batch_add_sample (b, s, now - 3000, 3.0);
    vg_batch_add_sample (b, s, now - 1000, 1.0); /* the newest, not the last */
    vg_batch_add_sample (b, s, now - 2000, 2.0);
    vg_sketch_t *sk = vg_sketch_new ();
    vg_sketch_add (sk, 10.0);
    vg_sketch_add (sk, 30.0);
    vg_batch_add_dist (b, ds, now - 1000, sk);
    vg_sketch_destroy (&sk);
    test_pg_store_one (st, &b, now);
    const char *p[] = {"agent-e"};
    /* Nothing is written per sample. */
    ASSERT_PG_VALUE (s_db,
                     "SELECT count(last_ts) FROM vigil.series JOIN vigil.hosts"
                     " USING (host_id) WHERE agent_id = $1",
                     1, p, "0");
    test_pg_flush_latest_ok (st);
    char *want_ts = vg_asprintf ("%lld", (long long)(now - 1000));
    char *want_seen = vg_asprintf ("%lld", (long long)now);
    static const char latest[] =
        "SELECT s.last_value::text, ((extract(epoch FROM s.last_ts) * 1000)::bigint)::text"
        "  FROM vigil.series s JOIN vigil.hosts h USING (host_id)"
        " WHERE h.agent_id = $1 AND s.metric = $2";
    PGresult *res = test_pg_query (s_db, latest, 2, (const char *const[]){"agent-e", "load1"});
    ASSERT_STR_EQ (PQgetvalue (res, 0, 0), "1");
    ASSERT_STR_EQ (PQgetvalue (res, 0, 1), want_ts);
    PQclear (res);
    res = test_pg_query (s_db, latest, 2, (const char *const[]){"agent-e", "latency_ms"});
    ASSERT_STR_EQ (PQgetvalue (res, 0, 0), "20"); /* a distribution's mean */
    PQclear (res);
    static const char host[] =
        "SELECT ((extract(epoch FROM last_seen) * 1000)::bigint)::text, last_seq::text,"
        "       clock_skew_ms::text FROM vigil.hosts WHERE agent_id = $1";
    res = test_pg_query (s_db, host, 1, p);
    ASSERT_STR_EQ (PQgetvalue (res, 0, 0), want_seen);
    ASSERT_STR_EQ (PQgetvalue (res, 0, 1), "5");
    ASSERT_STR_EQ (PQgetvalue (res, 0, 2), "1500");
    PQclear (res);

    /* An older batch arriving late moves nothing backwards but last contact. */
    vg_batch_t *old = test_pg_batch ("agent-e", "host-e", 4, now - 20000);
    s = vg_batch_series (old, "load1", VG_KIND_GAUGE, NULL, 0);
    vg_batch_add_sample (old, s, now - 5000, 9.0);
    test_pg_store_one (st, &old, now + 100);
    test_pg_flush_latest_ok (st);
    res = test_pg_query (s_db, latest, 2, (const char *const[]){"agent-e", "load1"});
    ASSERT_STR_EQ (PQgetvalue (res, 0, 0), "1");
    ASSERT_STR_EQ (PQgetvalue (res, 0, 1), want_ts);
    PQclear (res);
    char *seen2 = vg_asprintf ("%lld", (long long)(now + 100));
    res = test_pg_query (s_db, host, 1, p);
    ASSERT_STR_EQ (PQgetvalue (res, 0, 0), seen2);
    ASSERT_STR_EQ (PQgetvalue (res, 0, 1), "5");
    ASSERT_STR_EQ (PQgetvalue (res, 0, 2), "1500");
    PQclear (res);
    /* Every series written so far has its newest value, agent-a's too. */
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.series s JOIN vigil.hosts h"
                                    " USING (host_id) WHERE h.agent_id = 'agent-a'"
                                    " AND s.kind <> 2 AND s.last_ts IS NULL"),
               0);
    ASSERT_PG_SCALAR (s_db,
                      "SELECT s.last_value FROM vigil.series s JOIN vigil.hosts h USING (host_id)"
                      " WHERE h.agent_id = 'agent-a' AND s.labels = '{\"mode\": \"user\"}'",
                      "13.25");
    /* Nothing new: nothing to do. */
    test_pg_flush_latest_ok (st);
    free (want_ts);
    free (want_seen);
    free (seen2);
}

/* A batch of agent-r with its ten series at value seq. */
static void
s_write_round (coll_store_t *st, uint64_t seq, int64_t now)
{
    vg_batch_t *b = test_pg_batch ("agent-r", "host-r", seq, now);
    for (int i = 0; i < 10; i++) {
        char value[16];
        snprintf (value, sizeof value, "%d", i);
        vg_label_t l[] = {{"i", value}};
        uint32_t s = vg_batch_series (b, "round", VG_KIND_GAUGE, l, 1);
        vg_batch_add_sample (b, s, now - 60000 + (int64_t)seq, (double)seq);
    }
    test_pg_store_one (st, &b, now);
}

/* A round of newest values ends although every series gets a newer value
 * between its pieces (a collector under steady load), and what was noted
 * meanwhile is written by the next round. */
static void
s_test_latest_rounds (coll_store_t *st, int64_t now)
{
    test_pg_flush_latest_ok (st);
    uint64_t seq = 1;
    s_write_round (st, seq, now);
    char err[1024] = "";
    int more = 1, pieces = 0;
    while (more && pieces < 20) {
        ASSERT_EQ (coll_store_flush_latest_piece (st, 3, &more, err, sizeof err), 0);
        pieces++;
        s_write_round (st, ++seq, now);
    }
    ASSERT_EQ (pieces, 4); /* ten series, three a piece */
    ASSERT_PG_SCALAR (s_db,
                      "SELECT count(*) FROM vigil.series s JOIN vigil.hosts h USING (host_id)"
                      " WHERE h.agent_id = 'agent-r' AND s.last_value IS NOT NULL",
                      "10");
    test_pg_flush_latest_ok (st);
    ASSERT_PG_SCALAR (s_db,
                      "SELECT min(s.last_value)::text || ' ' || max(s.last_value)::text"
                      "  FROM vigil.series s JOIN vigil.hosts h USING (host_id)"
                      " WHERE h.agent_id = 'agent-r'",
                      "5 5");
}

int
main (void)
{
    char *url = test_pg_fresh_db ("vigil_test_latest");
    s_db = test_pg_connect (url);
    int64_t now = vg_now_ms ();
    coll_store_t *st = coll_store_new (url);
    s_write_agent_a (st, now);
    s_test_latest (st, now);
    s_test_latest_rounds (st, now);
    coll_store_destroy (&st);
    PQfinish (s_db);
    free (url);
    printf ("test_latest: ok\n");
    return 0;
}
