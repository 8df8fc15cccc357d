/*  test_names.c - an agent that names the same series batch after batch,
 *  against a collector in this process and a real PostgreSQL: from its
 *  second batch on, the collector reads neither the strings nor the series
 *  again (vg_codec_decode_batch_named) nor looks them up (the registry knows
 *  the shared names), and every sample still lands on its own series - when
 *  the list changes a label, when it changes order, when it comes back. */
#include "test_assert.h"
#include "test_collector.h"
#include "test_pg.h"
#include "vg_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSERIES 10

/* Series m{k="<prefix><i>"} in order (reversed if asked), sample i of batch
 * seq valued seq * 100 + i. */
static void
s_send (test_collector_t *tc, uint64_t seq, const char *prefix, int reversed, int64_t ts)
{
    vg_batch_t *b = vg_batch_new ("agent-names", "host-names");
    b->seq = seq;
    b->sent_ms = vg_now_ms ();
    for (int j = 0; j < NSERIES; j++) {
        int i = reversed ? NSERIES - 1 - j : j;
        char value[16];
        snprintf (value, sizeof value, "%s%d", prefix, i);
        vg_label_t l = {"k", value};
        uint32_t s = vg_batch_series (b, "names_gauge", VG_KIND_GAUGE, &l, 1);
        vg_batch_add_sample (b, s, ts, (double)seq * 100 + i);
    }
    test_collector_store (tc, b);
    vg_batch_destroy (&b);
}

/* Samples of batch seq whose value does not match their series' label. */
static long long
s_misplaced (PGconn *db, uint64_t seq, const char *prefix)
{
    char sql[512];
    snprintf (sql, sizeof sql,
              "SELECT count (*) FROM vigil.samples x JOIN vigil.series s USING (host_id, series_id)"
              " WHERE x.value >= %llu AND x.value < %llu"
              "   AND s.labels->>'k' <> '%s' || (x.value - %llu)::int",
              (unsigned long long)seq * 100, (unsigned long long)seq * 100 + 100, prefix,
              (unsigned long long)seq * 100);
    return test_pg_count (db, sql);
}

int
main (void)
{
    char *url = test_pg_fresh_db ("vigil_test_names");
    PGconn *db = test_pg_connect (url);
    test_collector_t *tc = test_collector_start (url, NULL);
    int64_t t = vg_now_ms () - 60000;

    s_send (tc, 1, "v", 0, t);
    s_send (tc, 2, "v", 0, t + 1000); /* the same names: shared */
    s_send (tc, 3, "w", 0, t + 2000); /* other label values */
    s_send (tc, 4, "w", 1, t + 3000); /* the same, in reverse */
    s_send (tc, 5, "w", 1, t + 4000); /* shared */
    s_send (tc, 6, "v", 0, t + 5000); /* back to the first */
    s_send (tc, 7, "v", 0, t + 6000); /* shared */
    coll_server_stats_t st = coll_server_stats (tc->server);
    ASSERT_EQ (st.batches_accepted, 7);
    ASSERT_EQ (st.batches_names_known, 3);

    ASSERT_EQ (test_pg_count (db, "SELECT count (*) FROM vigil.samples"), 7 * NSERIES);
    ASSERT_EQ (test_pg_count (db, "SELECT count (*) FROM vigil.series"), 2 * NSERIES);
    const char *prefix[] = {"", "v", "v", "w", "w", "w", "v", "v"};
    for (uint64_t seq = 1; seq <= 7; seq++)
        ASSERT_EQ (s_misplaced (db, seq, prefix[seq]), 0);
    /* Each series holds one sample of each batch that named it. */
    ASSERT_EQ (test_pg_count (db, "SELECT count (*) FROM (SELECT series_id FROM vigil.samples"
                                  " GROUP BY 1 HAVING count (*) <> CASE WHEN series_id IN"
                                  " (SELECT series_id FROM vigil.series WHERE labels->>'k' LIKE"
                                  " 'v%') THEN 4 ELSE 3 END) x"),
               0);

    test_collector_stop (&tc);
    PQfinish (db);
    free (url);
    printf ("test_names: ok\n");
    return 0;
}
