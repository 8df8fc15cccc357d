/*  test_store_parts.c - a day of samples in parts (vigil.ensure_partitions
 *  with sample_parts, coll_store_set_sample_parts) against a real
 *  PostgreSQL: each host's rows in its part, a group spanning parts, a day
 *  made whole before, a part dropped by hand, what the upkeep functions make
 *  of days in parts (vigil.partitions, index_partitions, drop_partition,
 *  partitions ahead), and the bounds the function enforces. */
#include "coll_store.h"
#include "test_assert.h"
#include "test_pg.h"
#include "vg_batch.h"
#include "vg_error.h"
#include "vg_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

static char *s_url;
static PGconn *s_db;

static long long
s_host_id (const char *agent)
{
    return test_pg_count_params (s_db, "SELECT host_id FROM vigil.hosts WHERE agent_id = $1", 1,
                                 (const char *const[]){agent});
}

/* A batch of agent with n samples at ts. */
static vg_batch_t *
s_batch (const char *agent, uint64_t seq, int64_t now, int64_t ts, int n)
{
    vg_batch_t *b = test_pg_batch (agent, agent, seq, now);
    uint32_t s = vg_batch_series (b, "parts_value", VG_KIND_GAUGE, NULL, 0);
    for (int i = 0; i < n; i++)
        vg_batch_add_sample (b, s, ts + i, (double)i);
    return b;
}

/* The tables agent's samples are in, "table:rows" joined by spaces. */
static char *
s_where (const char *agent)
{
    return test_pg_value (s_db,
                          "SELECT string_agg(t || ':' || n, ' ' ORDER BY t) FROM"
                          " (SELECT x.tableoid::regclass::text AS t, count(*) AS n"
                          "    FROM vigil.samples x JOIN vigil.hosts h USING (host_id)"
                          "   WHERE h.agent_id = $1 GROUP BY 1) q",
                          1, (const char *const[]){agent});
}

static void
s_assert_in_part (const char *agent, const char *day, int parts, int rows)
{
    char want[128];
    snprintf (want, sizeof want, "vigil.samples_%s_p%lld:%d", day, s_host_id (agent) % parts, rows);
    char *got = s_where (agent);
    ASSERT_STR_EQ (got, want);
    free (got);
}

/* ---- each host's rows in its part ---- */

/* Writes, as a login member of vigil_writer with INSERT on the day's table
 * parent revoked: one host's batch (into its part), then a group of hosts of
 * both parts (into parent: refused). */
static void
s_as_writer_without (const char *parent, int64_t now, int64_t ts)
{
    test_pg_exec (s_db, "DO $$ BEGIN"
                        " IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'parts_collector')"
                        " THEN CREATE ROLE parts_collector LOGIN; END IF; END $$");
    test_pg_exec (s_db, "GRANT vigil_writer TO parts_collector");
    char sql[160];
    snprintf (sql, sizeof sql, "REVOKE INSERT ON %s FROM vigil_writer", parent);
    test_pg_exec (s_db, sql);
    const char *at = strchr (s_url, '@');
    ASSERT (at != NULL);
    char url[512];
    snprintf (url, sizeof url, "postgresql://parts_collector%s", at);
    coll_store_t *st = coll_store_new (url);
    coll_store_set_sample_parts (st, 2);

    vg_batch_t *b = s_batch ("parts-b", 3, now, ts + 200, 1);
    test_pg_store_one (st, &b, now);
    coll_store_item_t items[2] = {
        {.batch = s_batch ("parts-a", 4, now, ts + 300, 1), .received_ms = now},
        {.batch = s_batch ("parts-b", 4, now, ts + 300, 1), .received_ms = now},
    };
    char err[1024] = "";
    ASSERT_EQ (coll_store_write (st, items, 2, err, sizeof err), VG_EDB);
    ASSERT_STR_CONTAINS (err, "permission denied for table samples_");
    vg_batch_destroy (&items[0].batch);
    vg_batch_destroy (&items[1].batch);
    coll_store_destroy (&st);
    snprintf (sql, sizeof sql, "GRANT INSERT ON %s TO vigil_writer", parent);
    test_pg_exec (s_db, sql);
    s_assert_in_part ("parts-b", parent + strlen ("vigil.samples_"), 2, 8);
}

static void
s_test_parts (coll_store_t *st, int64_t now)
{
    int64_t ts = now - 10 * DAY_MS;
    char day[16], parent[64];
    test_pg_day (ts, day, sizeof day);
    snprintf (parent, sizeof parent, "vigil.samples_%s", day);
    const char *p[] = {parent};

    /* One host per group: its COPY goes to its part. */
    vg_batch_t *b = s_batch ("parts-a", 1, now, ts, 3);
    test_pg_store_one (st, &b, now);
    ASSERT_PG_VALUE (s_db, "SELECT relkind FROM pg_class WHERE oid = to_regclass($1)", 1, p, "p");
    char want[160];
    snprintf (want, sizeof want,
              "samples_%s_p0 FOR VALUES IN ('0'), samples_%s_p1 FOR VALUES IN ('1')", day, day);
    ASSERT_PG_VALUE (s_db,
                     "SELECT string_agg(c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid),"
                     "                  ', ' ORDER BY c.relname)"
                     "  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                     " WHERE i.inhparent = to_regclass($1)",
                     1, p, want);
    s_assert_in_part ("parts-a", day, 2, 3);

    /* Two hosts, one in each part, in one group: both stored, each row in
     * its host's part (PostgreSQL routes them). */
    b = s_batch ("parts-b", 1, now, ts, 2);
    test_pg_store_one (st, &b, now); /* registers parts-b */
    ASSERT (s_host_id ("parts-a") % 2 != s_host_id ("parts-b") % 2);
    coll_store_item_t items[2] = {
        {.batch = s_batch ("parts-a", 2, now, ts + 100, 4), .received_ms = now},
        {.batch = s_batch ("parts-b", 2, now, ts + 100, 5), .received_ms = now},
    };
    test_pg_write_ok (st, items, 2);
    ASSERT_EQ (items[0].status, VG_ACK_STORED);
    ASSERT_EQ (items[1].status, VG_ACK_STORED);
    s_assert_in_part ("parts-a", day, 2, 7);
    s_assert_in_part ("parts-b", day, 2, 7);
    vg_batch_destroy (&items[0].batch);
    vg_batch_destroy (&items[1].batch);

    /* The COPY goes into the part itself, not through the day: a member of
     * vigil_writer that may not insert into the day's table stores a group
     * of one part, and is refused a group of two. */
    s_as_writer_without (parent, now, ts);

    /* The distributions of that day stay whole. */
    char dists[64];
    snprintf (dists, sizeof dists, "vigil.distributions_%s", day);
    ASSERT_PG_VALUE (s_db, "SELECT relkind FROM pg_class WHERE oid = to_regclass($1)", 1,
                     (const char *const[]){dists}, "r");
}

/* ---- a part dropped by hand is made again ---- */

static void
s_test_dropped_part (coll_store_t *st, int64_t now)
{
    int64_t ts = now - 10 * DAY_MS;
    char day[16], drop[80];
    test_pg_day (ts, day, sizeof day);
    snprintf (drop, sizeof drop, "DROP TABLE vigil.samples_%s_p%lld", day,
              s_host_id ("parts-a") % 2);
    test_pg_exec (s_db, drop);
    /* The COPY into the part fails (transient, and nothing is stored);
     * the days are learnt again, the part made again, and the batch stored. */
    coll_store_item_t item = {.batch = s_batch ("parts-a", 5, now, ts + 400, 2),
                              .received_ms = now};
    char err[1024] = "";
    ASSERT_EQ (coll_store_write (st, &item, 1, err, sizeof err), VG_ERETRY);
    test_pg_write_ok (st, &item, 1);
    ASSERT_EQ (item.status, VG_ACK_STORED);
    s_assert_in_part ("parts-a", day, 2, 2);
    vg_batch_destroy (&item.batch);
}

/* ---- a day made whole before stays whole ---- */

static void
s_test_whole_day (coll_store_t *st, int64_t now)
{
    int64_t ts = now - 12 * DAY_MS;
    char day[16], date[16];
    test_pg_day (ts, day, sizeof day);
    snprintf (date, sizeof date, "%.4s-%.2s-%.2s", day, day + 4, day + 6);
    const char *p[] = {date};
    char *v = test_pg_value (s_db, "SELECT vigil.ensure_partitions($1::date)", 1, p);
    free (v);
    ASSERT_PG_VALUE (s_db, "SELECT vigil.ensure_partitions($1::date, 2)", 1, p, "1");
    vg_batch_t *b = s_batch ("parts-a", 3, now, ts, 6);
    test_pg_store_one (st, &b, now);
    char want[64];
    snprintf (want, sizeof want, "vigil.samples_%s:6", day);
    ASSERT_PG_VALUE (s_db,
                     "SELECT string_agg(t || ':' || n, ' ') FROM"
                     " (SELECT x.tableoid::regclass::text AS t, count(*) AS n"
                     "    FROM vigil.samples x JOIN vigil.hosts h USING (host_id)"
                     "   WHERE h.agent_id = 'parts-a' AND x.ts < $1::date + 1"
                     "     AND x.ts >= $1::date GROUP BY 1) q",
                     1, p, want);
}

/* ---- the upkeep of days in parts ---- */

static void
s_test_upkeep (int64_t now)
{
    char day[16], name[64];
    test_pg_day (now - 10 * DAY_MS, day, sizeof day);
    snprintf (name, sizeof name, "samples_%s", day);
    const char *p[] = {name};

    /* Bytes and rows are the parts'. */
    test_pg_exec (s_db, "ANALYZE vigil.samples");
    ASSERT_PG_VALUE (s_db, "SELECT bytes > 0 FROM vigil.partitions() WHERE partition = $1", 1, p,
                     "t");
    ASSERT_PG_VALUE (s_db, "SELECT rows_estimate FROM vigil.partitions() WHERE partition = $1", 1,
                     p, "10"); /* parts-b's 8, and parts-a's 2 since its part was dropped */

    /* An index for the day reaches every part. */
    ASSERT_GE (test_pg_count (s_db, "SELECT vigil.index_partitions("
                                    "(now() AT TIME ZONE 'UTC')::date)"),
               1);
    ASSERT_PG_VALUE (s_db,
                     "SELECT count(*) FROM pg_inherits i JOIN pg_index x ON x.indrelid = i.inhrelid"
                     " WHERE i.inhparent = ('vigil.' || $1)::regclass",
                     1, p, "2");

    /* Partitions ahead are made in parts; a day is dropped with its parts. */
    ASSERT_PG_SCALAR (s_db, "SELECT vigil.ensure_partitions_ahead(now(), 1, 3)", "2");
    char ahead[16], parent[64];
    test_pg_day (now + DAY_MS, ahead, sizeof ahead);
    snprintf (parent, sizeof parent, "vigil.samples_%s", ahead);
    ASSERT_EQ (test_pg_count_params (s_db,
                                     "SELECT count(*) FROM pg_inherits"
                                     " WHERE inhparent = to_regclass($1)",
                                     1, (const char *const[]){parent}),
               3);
    ASSERT_PG_VALUE (s_db, "SELECT vigil.drop_partition($1)", 1, p, "t");
    char part[80];
    snprintf (part, sizeof part, "vigil.%s_p0", name);
    ASSERT_PG_VALUE (s_db, "SELECT to_regclass($1) IS NULL", 1, (const char *const[]){part}, "t");
}

/* ---- bounds ---- */

static void
s_test_bounds (void)
{
    static const char *const bad[] = {"0", "65", "-1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        PGresult *res = PQexecParams (s_db, "SELECT vigil.ensure_partitions(current_date, $1::int)",
                                      1, NULL, &bad[i], NULL, NULL, 0);
        ASSERT_EQ (PQresultStatus (res), PGRES_FATAL_ERROR);
        ASSERT_STR_CONTAINS (PQresultErrorMessage (res), "expected 1 to 64");
        PQclear (res);
    }
}

int
main (void)
{
    s_url = test_pg_fresh_db ("vigil_test_store_parts");
    s_db = test_pg_connect (s_url);
    int64_t now = vg_now_ms ();
    coll_store_t *st = coll_store_new (s_url);
    coll_store_set_sample_parts (st, 2);
    char err[1024] = "";
    if (coll_store_connect (st, err, sizeof err) != 0)
        TEST_FAIL ("connect: %s", err);

    s_test_parts (st, now);
    s_test_dropped_part (st, now);
    s_test_whole_day (st, now);
    s_test_upkeep (now);
    s_test_bounds ();

    coll_store_destroy (&st);
    PQfinish (s_db);
    free (s_url);
    printf ("test_store_parts: ok\n");
    return 0;
}
