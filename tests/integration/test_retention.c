/*  test_retention.c - partitions ahead and retention per tier, against a
 *  real PostgreSQL: at a fixed "now", a pass makes the partitions of every
 *  tier two days ahead and drops exactly the partitions whose whole range
 *  is past each tier's retention - raw 14 days, minute 90 days, hour 2
 *  years - keeping every row of the others; 0 keeps a tier; a second pass
 *  does nothing; vigil.drop_partition refuses what is not a partition. */
#include "coll_config.h"
#include "coll_migrate.h"
#include "coll_retention.h"
#include "test_assert.h"
#include "test_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2025-06-15 12:00:00 UTC */
#define NOW_MS 1749988800000LL

static long long
s_parts (PGconn *db, const char *tier)
{
    char sql[256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM vigil.partitions () WHERE tier = '%s'", tier);
    return test_pg_count (db, sql);
}

static int
s_exists (PGconn *db, const char *name)
{
    char sql[256];
    snprintf (sql, sizeof sql, "SELECT to_regclass ('vigil.%s') IS NOT NULL", name);
    char *v = test_pg_scalar (db, sql);
    int yes = v && strcmp (v, "t") == 0;
    free (v);
    return yes;
}

int
main (void)
{
    char *url = test_pg_fresh_db ("vigil_test_retention");
    PGconn *db = test_pg_connect (url);
    char err[1024];
    ASSERT_EQ (coll_migrate_apply (db, NULL, err, sizeof err), 0);
    test_pg_exec (db, "SET TIME ZONE 'Asia/Seoul'"); /* days are UTC days whatever this says */

    /* Raw days 2025-05-26 .. 06-15, minute days 03-07 .. 06-15, and the
     * first day of every month since 2023-01 (its minute day and its hour
     * month), one row in each partition. */
    test_pg_exec (db, "SELECT vigil.ensure_partitions (d::date)"
                      "  FROM generate_series (date '2025-05-26', date '2025-06-15', '1 day') d");
    test_pg_exec (db, "SELECT vigil.ensure_rollup_partitions (d::date)"
                      "  FROM generate_series (date '2025-03-07', date '2025-06-15', '1 day') d");
    test_pg_exec (db, "SELECT vigil.ensure_rollup_partitions (d::date)"
                      "  FROM generate_series (date '2023-01-01', date '2025-06-01', '1 month') d");
    test_pg_exec (db, "INSERT INTO vigil.samples SELECT 1, p.lo + interval '1 hour', 1, 1"
                      "  FROM vigil.partitions () p WHERE p.parent = 'samples'");
    test_pg_exec (db, "INSERT INTO vigil.rollup_minute (host_id, series_id, ts, count, sum, min,"
                      "  max, first, first_ts, last, last_ts, increase)"
                      " SELECT 1, 1, p.lo, 1, 1, 1, 1, 1, p.lo, 1, p.lo, 0"
                      "  FROM vigil.partitions () p WHERE p.tier = 'minute'");
    test_pg_exec (db, "INSERT INTO vigil.rollup_hour (host_id, series_id, ts, count, sum, min,"
                      "  max, first, first_ts, last, last_ts, increase)"
                      " SELECT 1, 1, p.lo, 1, 1, 1, 1, 1, p.lo, 1, p.lo, 0"
                      "  FROM vigil.partitions () p WHERE p.tier = 'hour'");
    ASSERT_EQ (s_parts (db, "raw"), 2 * 21);
    long long minute_days =
        test_pg_count (db, "SELECT count (*) FROM vigil.partitions () WHERE tier = 'minute'");
    ASSERT_EQ (s_parts (db, "hour"), 30);

    coll_config_t *config = coll_config_load (NULL, err, sizeof err);
    ASSERT (config != NULL);
    ASSERT_EQ (config->retention_raw_ms, 14 * 86400000LL);
    ASSERT_EQ (config->retention_minute_ms, 90 * 86400000LL);
    ASSERT_EQ (config->retention_hour_ms, 730 * 86400000LL);
    coll_retention_result_t res;
    ASSERT_EQ (coll_retention_run (db, config, NOW_MS, &res, err, sizeof err), 0);
    ASSERT_EQ (res.failed, 0);

    /* raw: a day goes once it ended 14 days before now (06-01 12:00): the
     * days up to 05-31; 06-01 stays. */
    ASSERT (!s_exists (db, "samples_20250531"));
    ASSERT (!s_exists (db, "distributions_20250526"));
    ASSERT (s_exists (db, "samples_20250601"));
    ASSERT (s_exists (db, "distributions_20250601"));
    /* minute: up to 03-16 goes (ended before 03-17 12:00), 03-17 stays. */
    ASSERT (!s_exists (db, "rollup_minute_20250316"));
    ASSERT (s_exists (db, "rollup_minute_20250317"));
    ASSERT (!s_exists (db, "rollup_minute_20240101"));
    /* hour: up to 2023-05 goes (ended before 2023-06-16 12:00), 2023-06 stays. */
    ASSERT (!s_exists (db, "rollup_hour_202305"));
    ASSERT (s_exists (db, "rollup_hour_202306"));
    /* Two days ahead in every tier. */
    ASSERT (s_exists (db, "samples_20250617"));
    ASSERT (s_exists (db, "distributions_20250617"));
    ASSERT (s_exists (db, "rollup_minute_20250617"));
    ASSERT (!s_exists (db, "samples_20250618"));

    /* Exactly those, and every row of what stays is there. */
    /* months 2023-01 .. 2025-03 had a minute day each (27), plus 03-07 .. 03-16 */
    int raw_dropped = 2 * 6, minute_dropped = 10 + 27, hour_dropped = 5;
    ASSERT_EQ (res.dropped, raw_dropped + minute_dropped + hour_dropped);
    ASSERT_EQ (s_parts (db, "raw"), 2 * (21 - 6 + 2));
    ASSERT_EQ (s_parts (db, "minute"), minute_days - minute_dropped + 2);
    ASSERT_EQ (s_parts (db, "hour"), 30 - hour_dropped);
    ASSERT_EQ (test_pg_count (db, "SELECT count (*) FROM vigil.samples"), 21 - 6);
    ASSERT_EQ (test_pg_count (db, "SELECT count (*) FROM vigil.rollup_minute"),
               minute_days - minute_dropped);
    ASSERT_EQ (test_pg_count (db, "SELECT count (*) FROM vigil.rollup_hour"), 30 - hour_dropped);
    ASSERT_EQ (test_pg_count (db, "SELECT count (*) FROM vigil.samples"
                                  " WHERE ts < '2025-06-01 00:00+00'"),
               0);

    /* Again: nothing left to do. */
    ASSERT_EQ (coll_retention_run (db, config, NOW_MS, &res, err, sizeof err), 0);
    ASSERT_EQ (res.dropped, 0);

    /* 0 keeps a tier for good; a shorter raw retention drops more. */
    config->retention_raw_ms = 7 * 86400000LL;
    config->retention_minute_ms = 0;
    config->retention_hour_ms = 0;
    ASSERT_EQ (
        coll_retention_run (db, config, NOW_MS + 30 * 86400000LL * 12, &res, err, sizeof err), 0);
    ASSERT_EQ (s_parts (db, "hour"), 30 - hour_dropped + 1); /* 2026-06, ahead */
    ASSERT_EQ (test_pg_count (db, "SELECT count (*) FROM vigil.samples"), 0);
    ASSERT_EQ (test_pg_count (db, "SELECT count (*) FROM vigil.rollup_hour"), 30 - hour_dropped);

    /* Only partitions of the tiers can be dropped this way. */
    PGresult *r = PQexec (db, "SELECT vigil.drop_partition ('hosts')");
    ASSERT_EQ (PQresultStatus (r), PGRES_FATAL_ERROR);
    ASSERT_STR_CONTAINS (PQresultErrorMessage (r), "not a partition of a Vigil tier");
    PQclear (r);
    ASSERT (s_exists (db, "hosts"));
    char *v = test_pg_scalar (db, "SELECT vigil.drop_partition ('samples_19990101')");
    ASSERT_STR_EQ (v, "f");
    free (v);

    coll_config_destroy (&config);
    PQfinish (db);
    free (url);
    printf ("test_retention: ok\n");
    return 0;
}
