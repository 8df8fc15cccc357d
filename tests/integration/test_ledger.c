/*  test_ledger.c - the batch ledger over time against a real PostgreSQL: day
 *  partitions made ahead, batches from clocks ahead or without one, replays
 *  answered DUPLICATE across days, and trimming by dropping whole days. */
#include "coll_store.h"
#include "test_assert.h"
#include "test_pg.h"
#include "vg_batch.h"
#include "vg_time.h"

#include <stdio.h>
#include <stdlib.h>

#define DAY_MS 86400000LL

/* ---- the ledger over time: day partitions, trimmed by dropping them ---- */

static char *
s_ledger_part (PGconn *db, const char *agent)
{
    char sql[256];
    snprintf (sql, sizeof sql,
              "SELECT b.tableoid::regclass::text FROM vigil.batches b JOIN vigil.hosts h"
              " USING (host_id) WHERE h.agent_id = '%s'",
              agent);
    return test_pg_scalar (db, sql);
}

static void
s_day_name (int64_t ms, char *out, size_t outlen)
{
    char day[16];
    test_pg_day (ms, day, sizeof day);
    snprintf (out, outlen, "vigil.batches_%s", day);
}

static void
s_test_ledger (int64_t now)
{
    char *url = test_pg_fresh_db ("vigil_test_ledger");
    PGconn *db = test_pg_connect (url);
    coll_store_t *st = coll_store_new (url);
    char err[1024] = "", want[64];
    int dropped = -1;
    ASSERT_EQ (coll_store_maintain_ledger (st, now, 10, 2, &dropped, err, sizeof err), 0);
    ASSERT_EQ (dropped, 0);
    for (int d = 0; d <= 2; d++) {
        s_day_name (now + d * DAY_MS, want, sizeof want);
        const char *p[] = {want};
        PGresult *res =
            PQexecParams (db, "SELECT to_regclass($1) IS NOT NULL", 1, NULL, p, NULL, NULL, 0);
        ASSERT_STR_EQ (PQgetvalue (res, 0, 0), "t");
        PQclear (res);
    }

    /* Today's batch, one from a clock 5 days ahead, one with no clock. */
    vg_batch_t *b[3] = {test_pg_batch ("ledger-now", "h", 1, now - 500),
                        test_pg_batch ("ledger-ahead", "h", 1, now + 5 * DAY_MS),
                        test_pg_batch ("ledger-noclock", "h", 1, 0)};
    for (int i = 0; i < 3; i++) {
        uint32_t s = vg_batch_series (b[i], "up", VG_KIND_GAUGE, NULL, 0);
        vg_batch_add_sample (b[i], s, now - 1000, 1.0);
        coll_store_item_t item = {.batch = b[i], .received_ms = now};
        test_pg_write_ok (st, &item, 1);
        ASSERT_EQ (item.status, VG_ACK_STORED);
    }
    s_day_name (now, want, sizeof want);
    char *part = s_ledger_part (db, "ledger-now");
    ASSERT_STR_EQ (part, want);
    free (part);
    part = s_ledger_part (db, "ledger-ahead");
    ASSERT_STR_EQ (part, "vigil.batches_future");
    free (part);
    part = s_ledger_part (db, "ledger-noclock");
    ASSERT_STR_EQ (part, "vigil.batches_past");
    free (part);

    /* Five days on: the clock-ahead batch moves into its own day, and a
     * replay of it is still a duplicate. */
    ASSERT_EQ (coll_store_maintain_ledger (st, now + 5 * DAY_MS, 10, 2, &dropped, err, sizeof err),
               0);
    ASSERT_EQ (dropped, 0);
    s_day_name (now + 5 * DAY_MS, want, sizeof want);
    part = s_ledger_part (db, "ledger-ahead");
    ASSERT_STR_EQ (part, want);
    free (part);
    for (int i = 0; i < 3; i++) {
        coll_store_item_t item = {.batch = b[i], .received_ms = now + 5 * DAY_MS};
        test_pg_write_ok (st, &item, 1);
        ASSERT_EQ (item.status, VG_ACK_DUPLICATE);
    }
    /* Calling again changes nothing. */
    ASSERT_EQ (coll_store_maintain_ledger (st, now + 5 * DAY_MS, 10, 2, &dropped, err, sizeof err),
               0);
    ASSERT_EQ (dropped, 0);

    /* Twelve days on, with 10 kept: the past and the first two days are
     * dropped, whole; the batch five days ahead is still known. */
    ASSERT_EQ (coll_store_maintain_ledger (st, now + 12 * DAY_MS, 10, 2, &dropped, err, sizeof err),
               0);
    ASSERT_EQ (dropped, 3);
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.batches"), 1);
    s_day_name (now, want, sizeof want);
    const char *p[] = {want};
    PGresult *res = PQexecParams (db, "SELECT to_regclass($1) IS NULL", 1, NULL, p, NULL, NULL, 0);
    ASSERT_STR_EQ (PQgetvalue (res, 0, 0), "t");
    PQclear (res);
    coll_store_item_t item = {.batch = b[1], .received_ms = now + 12 * DAY_MS};
    test_pg_write_ok (st, &item, 1);
    ASSERT_EQ (item.status, VG_ACK_DUPLICATE);
    /* The ledger's partitions hold no dead rows: nothing was deleted. */
    ASSERT_EQ (test_pg_count (db, "SELECT coalesce(sum(n_tup_del), 0) FROM pg_stat_user_tables"
                                  " WHERE relname LIKE 'batches%'"),
               0);
    for (int i = 0; i < 3; i++)
        vg_batch_destroy (&b[i]);
    coll_store_destroy (&st);
    PQfinish (db);
    free (url);
}

int
main (void)
{
    s_test_ledger (vg_now_ms ());
    printf ("test_ledger: ok\n");
    return 0;
}
