/*  test_rollup.c - per-minute and per-hour rollups, kept by a collector
 *  running in this process against a real PostgreSQL, fed over a real
 *  ZeroMQ socket:
 *    - every rollup row equals the aggregate recomputed by SQL from the raw
 *      samples and distributions (count, sum, min, max, first, last, counter
 *      increase with a reset, merged sketch buckets), NaN and infinities
 *      included;
 *    - late data (ten minutes replayed after the rest, half a minute sent in
 *      two batches) lands in the rows it falls into;
 *    - a quantile from the merged hour sketches is within 1 % of the exact
 *      quantile of every value sent;
 *    - a round of more rows than a piece, spread out between its pieces, is
 *      written whole by the timer alone, and by a stop in the middle of it;
 *    - an old minute still arriving when a round comes is held, not written
 *      half and merged (an agent replaying its spool);
 *    - the SQL helpers of the merges are inlined by the planner. */
#include "test_assert.h"
#include "test_collector.h"
#include "test_pg.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINUTES  150
#define TICKS    6 /* per minute: one sample each 10 s */
#define PER_TICK 5 /* values per distribution */
#define LATE_LO  40
#define LATE_HI  50 /* host 0's minutes [LATE_LO, LATE_HI) are sent last */
#define SPLIT    60 /* host 1's minute SPLIT is sent in two halves */
#define NVALUES  (2 * MINUTES * TICKS * PER_TICK)

static double s_values[NVALUES];
static size_t s_nvalues;
static int64_t s_base; /* an hour boundary, three hours ago */

static double
s_gauge (int t)
{
    return (double)((t * 7) % 13) * 0.5;
}

static double
s_weird (int t)
{
    switch (t % 50) {
    case 7:
        return NAN;
    case 19:
        return INFINITY;
    case 33:
        return -INFINITY;
    default:
        return t * 0.25;
    }
}

/* A running total of t % 5 per tick, reset to 0 at tick 400. */
static double
s_counter (int t)
{
    double total = 0;
    for (int j = t >= 400 ? 400 : 0; j <= t; j++)
        total += j % 5;
    return total;
}

/* Values spread log-uniformly over 0.01 .. 20, from a fixed sequence. */
static double
s_value (int host, int t, int k)
{
    uint64_t x =
        (uint64_t)(host * 1000003 + t * 31 + k) * 6364136223846793005ULL + 1442695040888963407ULL;
    x ^= x >> 29;
    double u = (double)(x % 1000000) / 1e6;
    return 0.01 * pow (2000.0, u);
}

static vg_batch_t *
s_batch (int host, uint64_t seq, int minute, int tick_lo, int tick_hi)
{
    char agent[32], hostname[32];
    snprintf (agent, sizeof agent, "agent-rollup-%d", host);
    snprintf (hostname, sizeof hostname, "host-%d", host);
    vg_batch_t *b = vg_batch_new (agent, hostname);
    b->seq = seq;
    b->sent_ms = vg_now_ms ();
    vg_label_t l = {"service", "api"};
    uint32_t gauge = vg_batch_series (b, "rt_gauge", VG_KIND_GAUGE, &l, 1);
    uint32_t weird = vg_batch_series (b, "rt_weird", VG_KIND_GAUGE, &l, 1);
    uint32_t counter = vg_batch_series (b, "rt_requests_total", VG_KIND_COUNTER, &l, 1);
    uint32_t dist = vg_batch_series (b, "rt_latency_seconds", VG_KIND_DISTRIBUTION, &l, 1);
    for (int tick = tick_lo; tick < tick_hi; tick++) {
        int t = minute * TICKS + tick;
        int64_t ts = s_base + (int64_t)t * 10000 + 250;
        vg_batch_add_value (b, gauge, ts, s_gauge (t));
        vg_batch_add_value (b, weird, ts, s_weird (t));
        vg_batch_add_value (b, counter, ts, s_counter (t) + host * 1000);
        vg_sketch_t *sk = vg_sketch_new ();
        for (int k = 0; k < PER_TICK; k++) {
            double v = s_value (host, t, k);
            vg_sketch_add (sk, v);
            s_values[s_nvalues++] = v;
        }
        vg_batch_take_dist (b, dist, ts, &sk);
    }
    return b;
}

static void
s_send (test_collector_t *tc, int host, uint64_t *seq, int minute, int lo, int hi)
{
    vg_batch_t *b = s_batch (host, (*seq)++, minute, lo, hi);
    test_collector_store (tc, b);
    vg_batch_destroy (&b);
}

/* Rows of rollup table whose figures differ from the raw samples' in
 * buckets of width ("minute" or "hour"), or that one side lacks. */
static long long
s_sample_mismatches (PGconn *db, const char *table, const char *width)
{
    char sql[4096];
    snprintf (sql, sizeof sql,
              "WITH s AS (SELECT x.*, date_trunc ('%s', x.ts) AS b,"
              "                  lag (x.value) OVER (PARTITION BY x.host_id, x.series_id,"
              "                     date_trunc ('%s', x.ts) ORDER BY x.ts) AS prev"
              "             FROM vigil.samples x),"
              " raw AS (SELECT host_id, series_id, b, count (*) AS n, sum (value) AS sum,"
              "                coalesce (min (value) FILTER (WHERE value <> 'NaN'), 'NaN') AS min,"
              "                coalesce (max (value) FILTER (WHERE value <> 'NaN'), 'NaN') AS max,"
              "                (array_agg (value ORDER BY ts))[1] AS first,"
              "                (array_agg (value ORDER BY ts DESC))[1] AS last,"
              "                min (ts) AS first_ts, max (ts) AS last_ts,"
              "                sum (coalesce (vigil.counter_delta (prev, value), 0)) AS inc"
              "           FROM s GROUP BY 1, 2, 3)"
              " SELECT count (*) FROM raw FULL JOIN"
              "   (SELECT * FROM vigil.%s WHERE zero_count IS NULL) r"
              "   ON r.host_id = raw.host_id AND r.series_id = raw.series_id AND r.ts = raw.b"
              " WHERE r.count IS DISTINCT FROM raw.n OR r.sum IS DISTINCT FROM raw.sum"
              "    OR r.min IS DISTINCT FROM raw.min OR r.max IS DISTINCT FROM raw.max"
              "    OR r.first IS DISTINCT FROM raw.first OR r.last IS DISTINCT FROM raw.last"
              "    OR r.first_ts IS DISTINCT FROM raw.first_ts"
              "    OR r.last_ts IS DISTINCT FROM raw.last_ts"
              "    OR r.increase IS DISTINCT FROM raw.inc",
              width, width, table);
    return test_pg_count (db, sql);
}

/* The same for distributions: counts, sums, extremes and merged buckets. */
static long long
s_dist_mismatches (PGconn *db, const char *table, const char *width)
{
    char sql[4096];
    snprintf (sql, sizeof sql,
              "WITH d AS (SELECT *, date_trunc ('%s', ts) AS b FROM vigil.distributions),"
              " tot AS (SELECT host_id, series_id, b, sum (count) AS n, sum (sum) AS sum,"
              "                min (min) AS min, max (max) AS max, sum (zero_count) AS z"
              "           FROM d GROUP BY 1, 2, 3),"
              " bk AS (SELECT host_id, series_id, b, u.i, sum (u.c) AS c"
              "          FROM d, unnest (d.bucket_index, d.bucket_count) AS u (i, c)"
              "         GROUP BY 1, 2, 3, 4),"
              " arr AS (SELECT host_id, series_id, b, array_agg (i ORDER BY i) AS idx,"
              "                array_agg (c::bigint ORDER BY i) AS cnt FROM bk GROUP BY 1, 2, 3),"
              " raw AS (SELECT tot.*, arr.idx, arr.cnt FROM tot JOIN arr USING (host_id,"
              "                series_id, b))"
              " SELECT count (*) FROM raw FULL JOIN"
              "   (SELECT * FROM vigil.%s WHERE zero_count IS NOT NULL) r"
              "   ON r.host_id = raw.host_id AND r.series_id = raw.series_id AND r.ts = raw.b"
              " WHERE r.count IS DISTINCT FROM raw.n OR abs (r.sum - raw.sum) > 1e-9 * raw.sum"
              "    OR r.sum IS NULL OR r.min IS DISTINCT FROM raw.min"
              "    OR r.max IS DISTINCT FROM raw.max OR r.zero_count IS DISTINCT FROM raw.z"
              "    OR r.bucket_index IS DISTINCT FROM raw.idx"
              "    OR r.bucket_count IS DISTINCT FROM raw.cnt"
              "    OR r.neg_bucket_index <> '{}'",
              width, table);
    return test_pg_count (db, sql);
}

static void
s_check_all (PGconn *db)
{
    ASSERT_EQ (s_sample_mismatches (db, "rollup_minute", "minute"), 0);
    ASSERT_EQ (s_sample_mismatches (db, "rollup_hour", "hour"), 0);
    ASSERT_EQ (s_dist_mismatches (db, "rollup_minute", "minute"), 0);
    ASSERT_EQ (s_dist_mismatches (db, "rollup_hour", "hour"), 0);
}

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The quantile of every value sent, from the hour rows' merged sketches
 * (through vigil.dist_quantile), against the exact one. */
static void
s_check_quantiles (PGconn *db)
{
    qsort (s_values, s_nvalues, sizeof *s_values, s_cmp);
    static const double qs[] = {0.5, 0.9, 0.95, 0.99, 0.999};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        double exact = s_values[(size_t)floor (qs[i] * (double)(s_nvalues - 1))];
        char sql[1024];
        snprintf (sql, sizeof sql,
                  "SELECT vigil.dist_quantile (%g, array_agg (ROW (r.host_id, r.ts, r.series_id,"
                  " r.count, r.sum, r.min, r.max, r.zero_count, r.bucket_index, r.bucket_count,"
                  " r.neg_bucket_index, r.neg_bucket_count)::vigil.distributions))"
                  "  FROM vigil.rollup_hour r WHERE r.zero_count IS NOT NULL",
                  qs[i]);
        char *text = test_pg_scalar (db, sql);
        ASSERT (text != NULL);
        double got = strtod (text, NULL);
        free (text);
        printf ("  P%g: exact %.6f, from merged hour sketches %.6f (%.3f %%)\n", qs[i] * 100, exact,
                got, 100 * fabs (got - exact) / exact);
        ASSERT_NEAR (got, exact, 0.01 * exact);
    }
}

/* One batch of host-paced: PACED_SERIES gauges at one instant of minute. */
#define PACED_SERIES (2 * COLL_ROLLUP_PIECE_ROWS + 500)
static void
s_send_paced (test_collector_t *tc, uint64_t seq, int minute)
{
    vg_batch_t *b = vg_batch_new ("agent-rollup-paced", "host-paced");
    b->seq = seq;
    b->sent_ms = vg_now_ms ();
    for (int i = 0; i < PACED_SERIES; i++) {
        char value[16];
        snprintf (value, sizeof value, "s%05d", i);
        vg_label_t l = {"series", value};
        uint32_t g = vg_batch_series (b, "rt_paced", VG_KIND_GAUGE, &l, 1);
        vg_batch_add_value (b, g, s_base + minute * 60000 + 1000, (double)i);
    }
    test_collector_store (tc, b);
    vg_batch_destroy (&b);
}

static long long
s_paced_rows (PGconn *db, int minute)
{
    char sql[512];
    snprintf (sql, sizeof sql,
              "SELECT count (*) FROM vigil.rollup_minute r JOIN vigil.hosts h USING (host_id)"
              " WHERE h.hostname = 'host-paced' AND r.count = 1 AND r.sum = r.first"
              "   AND r.ts = to_timestamp (%lld / 1000.0)",
              (long long)(s_base + minute * 60000));
    return test_pg_count (db, sql);
}

/* A timed round of three pieces: the timer writes it all, no sync asked;
 * then a stop while the next round pauses between pieces writes the rest. */
static void
s_test_paced (PGconn *db, const char *url)
{
    test_collector_t *tc = test_collector_start (url, "rollup_flush_interval: 1s\n");
    s_send_paced (tc, 1, 0);
    int64_t deadline = vg_mono_ms () + 60000;
    while (s_paced_rows (db, 0) < PACED_SERIES && vg_mono_ms () < deadline)
        test_sleep_ms (50);
    ASSERT_EQ (s_paced_rows (db, 0), PACED_SERIES);
    coll_rollup_stats_t st = coll_rollup_stats (tc->rollup);
    ASSERT (st.pieces >= 3);
    uint64_t pieces = st.pieces;
    s_send_paced (tc, 2, 1);
    while (coll_rollup_stats (tc->rollup).pieces == pieces && vg_mono_ms () < deadline)
        test_sleep_ms (1);
    ASSERT (coll_rollup_stats (tc->rollup).pieces > pieces);
    test_collector_stop (&tc);
    ASSERT_EQ (s_paced_rows (db, 1), PACED_SERIES);
    ASSERT_EQ (test_pg_count (db, "SELECT count (*) FROM vigil.rollup_hour r"
                                  " JOIN vigil.hosts h USING (host_id)"
                                  " WHERE h.hostname = 'host-paced' AND r.count = 2"),
               PACED_SERIES);
}

/* An agent replaying old minutes: host 2 sends minute 0 and half of minute
 * 1; the timer writes minute 0 and holds minute 1, its series' newest, added
 * to since the round before. The other half comes before the next round, and
 * no row is ever merged. */
static void
s_test_replay (PGconn *db, const char *url)
{
    /* Rounds 5 s apart: the second half is sent well before the next one
     * even on a slow machine. */
    test_collector_t *tc = test_collector_start (url, "rollup_flush_interval: 5s\n");
    s_nvalues = 0; /* the quantiles were checked: room for host 2's values */
    uint64_t seq = 1;
    s_send (tc, 2, &seq, 0, 0, TICKS);
    s_send (tc, 2, &seq, 1, 0, TICKS / 2);
    int64_t deadline = vg_mono_ms () + 60000;
    while (coll_rollup_stats (tc->rollup).rows_written == 0 && vg_mono_ms () < deadline)
        test_sleep_ms (1);
    s_send (tc, 2, &seq, 1, TICKS / 2, TICKS);
    coll_rollup_stats_t st = coll_rollup_stats (tc->rollup);
    ASSERT_EQ (st.rows_written, 4); /* minute 0's four series */
    s_send (tc, 2, &seq, 2, 0, TICKS);
    test_collector_sync (tc);
    st = coll_rollup_stats (tc->rollup);
    ASSERT_EQ (st.rows_written, 4 * 3 + 4); /* and the hour */
    ASSERT_EQ (st.rows_merged, 0);
    test_collector_stop (&tc);
    s_check_all (db);
    ASSERT_EQ (test_pg_count (db,
                              "SELECT count (*) FROM vigil.rollup_minute r"
                              " JOIN vigil.hosts h USING (host_id)"
                              " JOIN vigil.series s USING (host_id, series_id)"
                              " WHERE h.hostname = 'host-2' AND s.metric <> 'rt_latency_seconds'"
                              "   AND r.count = 6"),
               3 * 3);
}

/* Each call of a SQL function the planner cannot inline costs an executor
 * start (STRICT with a CASE body is one): the merges' helpers must show up
 * as plain expressions in the plan. Their answers, NULL included, stay. */
static void
s_test_inlined (PGconn *db)
{
    char *plan = test_pg_scalar (db, "EXPLAIN (VERBOSE, COSTS OFF, FORMAT JSON)"
                                     " SELECT vigil.fmin (min, max), vigil.fmax (min, max),"
                                     " vigil.counter_delta (first, last) FROM vigil.rollup_minute");
    ASSERT (plan != NULL);
    ASSERT (strstr (plan, "fmin") == NULL && strstr (plan, "fmax") == NULL &&
            strstr (plan, "counter_delta") == NULL);
    ASSERT (strstr (plan, "LEAST") != NULL && strstr (plan, "GREATEST") != NULL);
    free (plan);
    char *got = test_pg_scalar (
        db, "SELECT concat_ws (' ', vigil.fmin ('NaN', 2), vigil.fmin (3, 'NaN'),"
            " vigil.fmax (1, 4), vigil.fmax ('NaN', 'NaN'), vigil.fmin (NULL, 1) IS NULL,"
            " vigil.fmax (1, NULL) IS NULL, vigil.counter_delta (5, 2),"
            " vigil.counter_delta (2, 5), vigil.counter_delta (NULL, 5) IS NULL)");
    ASSERT_STR_EQ (got, "2 3 4 NaN t t 2 3 t");
    free (got);
}

int
main (void)
{
    char *url = test_pg_fresh_db ("vigil_test_rollup");
    PGconn *db = test_pg_connect (url);
    test_pg_exec (db, "SET TIME ZONE 'UTC'");
    int64_t now = vg_now_ms ();
    s_base = now - now % 3600000 - 3 * 3600000;

    test_collector_t *tc = test_collector_start (url, "rollup_flush_interval: 1s\n");
    uint64_t seq[2] = {1, 1};
    for (int minute = 0; minute < MINUTES; minute++)
        for (int host = 0; host < 2; host++) {
            if (host == 0 && minute >= LATE_LO && minute < LATE_HI)
                continue;
            if (host == 1 && minute == SPLIT)
                s_send (tc, host, &seq[host], minute, 0, TICKS / 2);
            else
                s_send (tc, host, &seq[host], minute, 0, TICKS);
        }
    test_collector_sync (tc);
    s_check_all (db);
    ASSERT_EQ (test_pg_count (db, "SELECT count (*) FROM vigil.rollup_minute r"
                                  " JOIN vigil.hosts h USING (host_id)"
                                  " WHERE h.hostname = 'host-0'"),
               4 * (MINUTES - (LATE_HI - LATE_LO)));
    long long hour_count_before =
        test_pg_count (db, "SELECT r.count FROM vigil.rollup_hour r"
                           " JOIN vigil.hosts h USING (host_id)"
                           " JOIN vigil.series s USING (host_id, series_id)"
                           " WHERE h.hostname = 'host-0' AND s.metric = 'rt_gauge'"
                           "   AND r.ts = (SELECT min (ts) FROM vigil.rollup_hour)");

    /* Late: host 0's missing minutes, as an agent replays its spool, and
     * the second half of host 1's split minute. */
    for (int minute = LATE_LO; minute < LATE_HI; minute++)
        s_send (tc, 0, &seq[0], minute, 0, TICKS);
    s_send (tc, 1, &seq[1], SPLIT, TICKS / 2, TICKS);
    test_collector_sync (tc);
    s_check_all (db);
    ASSERT_EQ (test_pg_count (db, "SELECT count (*) FROM vigil.rollup_minute r"
                                  " JOIN vigil.hosts h USING (host_id)"
                                  " WHERE h.hostname = 'host-0'"),
               4 * MINUTES);
    /* Minutes 40..49 fall in the first hour: its row grew by their samples. */
    ASSERT_EQ (test_pg_count (db, "SELECT r.count FROM vigil.rollup_hour r"
                                  " JOIN vigil.hosts h USING (host_id)"
                                  " JOIN vigil.series s USING (host_id, series_id)"
                                  " WHERE h.hostname = 'host-0' AND s.metric = 'rt_gauge'"
                                  "   AND r.ts = (SELECT min (ts) FROM vigil.rollup_hour)"),
               hour_count_before + (LATE_HI - LATE_LO) * TICKS);
    ASSERT_EQ (test_pg_count (db, "SELECT count (*) FROM vigil.rollup_minute r"
                                  " JOIN vigil.hosts h USING (host_id)"
                                  " JOIN vigil.series s USING (host_id, series_id)"
                                  " WHERE h.hostname = 'host-1' AND s.metric = 'rt_gauge'"
                                  "   AND r.count = 6"),
               MINUTES);
    /* The counter's reset is counted, not taken for a fall: its increase
     * over everything is what the running totals added. */
    double expect_inc = 0;
    for (int t = 1; t < MINUTES * TICKS; t++)
        expect_inc += t == 400 ? s_counter (t) : s_counter (t) - s_counter (t - 1);
    char *inc = test_pg_scalar (db, "SELECT sum (r.increase) + sum (vigil.counter_delta (r.prev,"
                                    " r.first)) FROM (SELECT r.*, lag (r.last) OVER (ORDER BY r.ts)"
                                    "   AS prev FROM vigil.rollup_hour r"
                                    "   JOIN vigil.hosts h USING (host_id)"
                                    "   JOIN vigil.series s USING (host_id, series_id)"
                                    "  WHERE h.hostname = 'host-0'"
                                    "    AND s.metric = 'rt_requests_total') r");
    ASSERT_NEAR (strtod (inc, NULL), expect_inc, 1e-9);
    free (inc);
    s_check_quantiles (db);

    coll_rollup_stats_t st = coll_rollup_stats (tc->rollup);
    ASSERT_EQ (st.values_in, 2 * MINUTES * TICKS * 4);
    ASSERT_EQ (st.rows_dropped, 0);
    ASSERT_EQ (st.rows_in_memory, 0);
    test_collector_stop (&tc);

    /* A restarted collector does not know which rows are stored: its first
     * write into a stored minute is taken for new, refused by the database,
     * and merged instead. */
    tc = test_collector_start (url, "rollup_flush_interval: 1s\n");
    vg_batch_t *b = vg_batch_new ("agent-rollup-0", "host-0");
    b->seq = seq[0]++;
    b->sent_ms = vg_now_ms ();
    vg_label_t l = {"service", "api"};
    uint32_t gauge = vg_batch_series (b, "rt_gauge", VG_KIND_GAUGE, &l, 1);
    vg_batch_add_value (b, gauge, s_base + 70 * 60000 + 55250, 99.5);
    test_collector_store (tc, b);
    vg_batch_destroy (&b);
    test_collector_sync (tc);
    s_check_all (db);
    ASSERT_EQ (test_pg_count (db, "SELECT r.count FROM vigil.rollup_minute r"
                                  " JOIN vigil.hosts h USING (host_id)"
                                  " JOIN vigil.series s USING (host_id, series_id)"
                                  " WHERE h.hostname = 'host-0' AND s.metric = 'rt_gauge'"
                                  "   AND r.ts = (SELECT min (ts) FROM vigil.rollup_minute)"
                                  "              + interval '70 minutes'"),
               TICKS + 1);
    ASSERT_EQ (coll_rollup_stats (tc->rollup).rows_dropped, 0);
    test_collector_stop (&tc);

    s_test_paced (db, url);
    s_test_replay (db, url);
    s_test_inlined (db);
    PQfinish (db);
    free (url);
    printf ("test_rollup: ok\n");
    return 0;
}
