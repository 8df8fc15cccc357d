/*  test_rollup_acc.c - rollup rows in memory: a bucket's row is the same
 *  whether its samples came in one pass, in pieces merged in either order, or
 *  out of order; NaN and infinities follow PromQL; counter resets count. */
#include "coll_rollup_acc.h"
#include "test_assert.h"
#include "vg_alloc.h"

#include <math.h>
#include <stdlib.h>

#define T0 1700000040000LL /* a minute boundary */

static coll_rollup_row_t
s_take_one (coll_rollup_acc_t *acc)
{
    coll_rollup_row_t *rows = NULL;
    size_t cap = 0;
    ASSERT_EQ (coll_rollup_acc_take (acc, INT64_MAX, &rows, &cap), 1);
    coll_rollup_row_t r = rows[0];
    free (rows);
    return r;
}

static void
s_same (const coll_rollup_row_t *a, const coll_rollup_row_t *b)
{
    ASSERT_EQ (a->count, b->count);
    ASSERT_EQ (a->bucket_ms, b->bucket_ms);
    ASSERT_EQ (a->first_ts_ms, b->first_ts_ms);
    ASSERT_EQ (a->last_ts_ms, b->last_ts_ms);
    ASSERT_NEAR (a->sum, b->sum, 0);
    ASSERT_NEAR (a->min, b->min, 0);
    ASSERT_NEAR (a->max, b->max, 0);
    ASSERT_NEAR (a->first, b->first, 0);
    ASSERT_NEAR (a->last, b->last, 0);
    ASSERT_NEAR (a->increase, b->increase, 0);
}

/* A counter with a reset: 10 12 15 3 7, one sample each 10 s. */
static const double s_counter[] = {10, 12, 15, 3, 7};

static void
s_test_one_pass (void)
{
    coll_rollup_acc_t *acc = coll_rollup_acc_new ();
    for (int i = 0; i < 5; i++)
        coll_rollup_acc_add_sample (acc, 1, 7, T0 + i * 10000, s_counter[i]);
    coll_rollup_row_t r = s_take_one (acc);
    ASSERT_EQ (r.host_id, 1);
    ASSERT_EQ (r.series_id, 7);
    ASSERT_EQ (r.bucket_ms, T0);
    ASSERT_EQ (r.count, 5);
    ASSERT_NEAR (r.sum, 47, 0);
    ASSERT_NEAR (r.min, 3, 0);
    ASSERT_NEAR (r.max, 15, 0);
    ASSERT_NEAR (r.first, 10, 0);
    ASSERT_NEAR (r.last, 7, 0);
    /* 2 + 3, then a reset to 3 (counted whole), then 4 */
    ASSERT_NEAR (r.increase, 12, 0);
    ASSERT (r.sketch == NULL);
    ASSERT_EQ (coll_rollup_acc_count (acc), 0);
    coll_rollup_acc_destroy (&acc);
}

/* Every split of the samples into two pieces, merged either way round,
 * gives the one-pass row; so does adding them in reverse order. */
static void
s_test_pieces (void)
{
    coll_rollup_acc_t *whole = coll_rollup_acc_new ();
    for (int i = 0; i < 5; i++)
        coll_rollup_acc_add_sample (whole, 1, 7, T0 + i * 10000, s_counter[i]);
    coll_rollup_row_t expect = s_take_one (whole);
    for (int cut = 1; cut < 5; cut++) {
        for (int order = 0; order < 2; order++) {
            coll_rollup_acc_t *a = coll_rollup_acc_new (), *b = coll_rollup_acc_new ();
            for (int i = 0; i < 5; i++)
                coll_rollup_acc_add_sample (i < cut ? a : b, 1, 7, T0 + i * 10000, s_counter[i]);
            coll_rollup_row_t ra = s_take_one (a), rb = s_take_one (b);
            coll_rollup_row_t *dst = order ? &rb : &ra, *src = order ? &ra : &rb;
            coll_rollup_acc_merge (dst, src);
            s_same (dst, &expect);
            coll_rollup_acc_destroy (&a);
            coll_rollup_acc_destroy (&b);
        }
    }
    /* The late part first: the table merges the early samples in front. */
    coll_rollup_acc_t *rev = coll_rollup_acc_new ();
    for (int i = 4; i >= 0; i--)
        coll_rollup_acc_add_sample (rev, 1, 7, T0 + i * 10000, s_counter[i]);
    coll_rollup_row_t r = s_take_one (rev);
    s_same (&r, &expect);
    coll_rollup_acc_destroy (&rev);
    coll_rollup_acc_destroy (&whole);
}

/* As PromQL's *_over_time: NaN is ignored by min and max (unless every
 * value is NaN) and poisons the sum; infinities are values. */
static void
s_test_nan_inf (void)
{
    coll_rollup_acc_t *acc = coll_rollup_acc_new ();
    coll_rollup_acc_add_sample (acc, 1, 1, T0 + 1000, NAN);
    coll_rollup_acc_add_sample (acc, 1, 1, T0 + 2000, 4);
    coll_rollup_acc_add_sample (acc, 1, 1, T0 + 3000, INFINITY);
    coll_rollup_acc_add_sample (acc, 1, 2, T0 + 1000, NAN);
    coll_rollup_acc_add_sample (acc, 1, 3, T0 + 1000, -INFINITY);
    coll_rollup_acc_add_sample (acc, 1, 3, T0 + 2000, INFINITY);
    coll_rollup_row_t *rows = NULL;
    size_t cap = 0;
    ASSERT_EQ (coll_rollup_acc_take (acc, INT64_MAX, &rows, &cap), 3);
    ASSERT_EQ (rows[0].series_id, 1);
    ASSERT_EQ (rows[0].count, 3);
    ASSERT (isnan (rows[0].sum));
    ASSERT_NEAR (rows[0].min, 4, 0);
    ASSERT (isinf (rows[0].max) && rows[0].max > 0);
    ASSERT (isnan (rows[0].first));
    ASSERT (isinf (rows[0].last));
    ASSERT (isnan (rows[1].min) && isnan (rows[1].max) && isnan (rows[1].sum));
    ASSERT (isnan (rows[2].sum)); /* -Inf + Inf */
    ASSERT (isinf (rows[2].min) && rows[2].min < 0);
    free (rows);
    coll_rollup_acc_destroy (&acc);
}

/* Distributions: the sketches merge; count, sum, min and max are the
 * sketches'; first and last are the means of the earliest and newest. */
static void
s_test_dists (void)
{
    coll_rollup_acc_t *acc = coll_rollup_acc_new ();
    vg_sketch_t *a = vg_sketch_new (), *b = vg_sketch_new ();
    vg_sketch_add (a, 1.0);
    vg_sketch_add (a, 3.0);
    vg_sketch_add (b, 10.0);
    coll_rollup_acc_add_dist (acc, 2, 9, T0 + 30000, b);
    coll_rollup_acc_add_dist (acc, 2, 9, T0 + 5000, a);
    ASSERT_GT (coll_rollup_acc_bytes (acc), 0);
    coll_rollup_row_t r = s_take_one (acc);
    ASSERT_EQ (r.count, 3);
    ASSERT_NEAR (r.sum, 14, 0);
    ASSERT_NEAR (r.min, 1, 0);
    ASSERT_NEAR (r.max, 10, 0);
    ASSERT_NEAR (r.first, 2, 0);
    ASSERT_NEAR (r.last, 10, 0);
    ASSERT (r.sketch != NULL);
    ASSERT_EQ (r.sketch->count, 3);
    ASSERT_NEAR (vg_sketch_quantile (r.sketch, 0.5), 3.0, 0.03);
    coll_rollup_acc_row_free (&r);
    vg_sketch_destroy (&a);
    vg_sketch_destroy (&b);
    coll_rollup_acc_destroy (&acc);
}

/* take moves out only the buckets before the bound, sorted by key; the rest
 * stay findable (a later sample merges into them). Rows given back with
 * add_row merge into what arrived meanwhile. */
static void
s_test_take (void)
{
    coll_rollup_acc_t *acc = coll_rollup_acc_new ();
    for (int host = 3; host >= 1; host--)
        for (int minute = 0; minute < 3; minute++)
            for (int series = 5; series >= 1; series--)
                coll_rollup_acc_add_sample (acc, host, series, T0 + minute * 60000 + 500, minute);
    ASSERT_EQ (coll_rollup_acc_count (acc), 45);
    coll_rollup_row_t *rows = NULL;
    size_t cap = 0;
    size_t n = coll_rollup_acc_take (acc, T0 + 60000, &rows, &cap);
    ASSERT_EQ (n, 15);
    for (size_t i = 1; i < n; i++) {
        ASSERT (
            rows[i - 1].host_id < rows[i].host_id ||
            (rows[i - 1].host_id == rows[i].host_id && rows[i - 1].series_id < rows[i].series_id));
        ASSERT_EQ (rows[i].bucket_ms, T0);
    }
    ASSERT_EQ (coll_rollup_acc_count (acc), 30);
    /* A late sample for a minute taken out makes a new row; giving the
     * taken row back merges the two. */
    coll_rollup_acc_add_sample (acc, 1, 1, T0 + 59000, 100);
    ASSERT_EQ (coll_rollup_acc_count (acc), 31);
    coll_rollup_acc_add_row (acc, &rows[0], 5);
    ASSERT_EQ (coll_rollup_acc_count (acc), 31);
    size_t m = coll_rollup_acc_take (acc, T0 + 1, &rows, &cap);
    ASSERT_EQ (m, 1);
    ASSERT_EQ (rows[0].count, 2);
    ASSERT_NEAR (rows[0].last, 100, 0);
    ASSERT_NEAR (rows[0].first, 0, 0);
    for (size_t i = 1; i < n; i++)
        coll_rollup_acc_row_free (&rows[i]);
    coll_rollup_acc_row_free (&rows[0]);
    free (rows);
    coll_rollup_acc_destroy (&acc);
}

/* Rows are stamped with the table's clock as samples arrive, and a
 * predicate that looks rows up (coll_rollup_acc_has_next) sees the whole
 * table, even the rows take_if moves: here it takes the rows whose series
 * has the next minute. Made in the order minute 1, 2, 0, minute 0's lookup
 * of minute 1 comes after minute 1 was taken and minute 2 kept. */
static int
s_moved_on (const coll_rollup_row_t *row, void *arg)
{
    return coll_rollup_acc_has_next (arg, row, COLL_ROLLUP_MINUTE_MS);
}

static void
s_test_clock_and_next (void)
{
    coll_rollup_acc_t *acc = coll_rollup_acc_new ();
    coll_rollup_acc_set_clock (acc, 100);
    coll_rollup_acc_add_sample (acc, 1, 1, T0 + 61000, 1);
    coll_rollup_acc_add_sample (acc, 1, 1, T0 + 121000, 2);
    coll_rollup_acc_add_sample (acc, 1, 1, T0 + 1000, 4);
    coll_rollup_row_t *rows = NULL;
    size_t cap = 0;
    ASSERT_EQ (coll_rollup_acc_take_if (acc, s_moved_on, acc, &rows, &cap), 2);
    ASSERT_EQ (rows[0].bucket_ms, T0);
    ASSERT_EQ (rows[1].bucket_ms, T0 + 60000);
    ASSERT_EQ (rows[0].made_ms, 100);
    ASSERT_EQ (rows[0].touched_ms, 100);
    /* Minute 2 stays and is found: more samples at clock 200 merge into it,
     * leaving its made time. */
    int64_t ts[] = {T0 + 122000, T0 + 123000}, host[] = {1, 1}, series[] = {1, 1};
    double value[] = {5, 6};
    coll_rollup_acc_set_clock (acc, 200);
    coll_rollup_acc_add_samples (acc, 2, host, series, ts, value);
    ASSERT_EQ (coll_rollup_acc_take_if (acc, s_moved_on, acc, &rows, &cap), 0);
    ASSERT_EQ (coll_rollup_acc_take (acc, INT64_MAX, &rows, &cap), 1);
    ASSERT_EQ (rows[0].bucket_ms, T0 + 120000);
    ASSERT_EQ (rows[0].count, 3);
    ASSERT_EQ (rows[0].made_ms, 100);
    ASSERT_EQ (rows[0].touched_ms, 200);
    coll_rollup_acc_row_free (&rows[0]);
    free (rows);
    coll_rollup_acc_destroy (&acc);
}

/* Which rows are due: a minute over and left alone goes; the newest
 * minute of its series, added to since the round before, is held, until
 * its series moves on or it was held max_hold_ms; a minute not over stays;
 * all takes everything. */
static void
s_test_due (void)
{
    coll_rollup_acc_t *acc = coll_rollup_acc_new ();
    coll_rollup_acc_set_clock (acc, 100);
    coll_rollup_acc_add_sample (acc, 1, 1, T0 + 1000, 1);  /* series 1, minute 0 */
    coll_rollup_acc_add_sample (acc, 1, 2, T0 + 61000, 1); /* series 2, minute 1 */
    coll_rollup_acc_set_clock (acc, 500);
    coll_rollup_acc_add_sample (acc, 1, 1, T0 + 62000, 1);  /* series 1, minute 1 */
    coll_rollup_acc_add_sample (acc, 1, 3, T0 + 121000, 1); /* series 3, minute 2 */
    coll_rollup_due_t due = {.width_ms = COLL_ROLLUP_MINUTE_MS,
                             .before_ms = T0 + 120000,
                             .since_ms = 400,
                             .now_ms = 1000,
                             .max_hold_ms = 10000};
    coll_rollup_row_t *rows = NULL;
    size_t cap = 0;
    /* Series 1's minute 0 (moved on) and series 2's minute 1 (left alone
     * since 100) go; series 1's minute 1 is held, series 3's minute 2 is
     * not over. */
    ASSERT_EQ (coll_rollup_acc_take_due (acc, &due, &rows, &cap), 2);
    ASSERT_EQ (rows[0].series_id, 1);
    ASSERT_EQ (rows[0].bucket_ms, T0);
    ASSERT_EQ (rows[1].series_id, 2);
    /* Held no longer than max_hold_ms from when it was made (500). */
    due.now_ms = 10499;
    ASSERT_EQ (coll_rollup_acc_take_due (acc, &due, &rows, &cap), 0);
    due.now_ms = 10500;
    ASSERT_EQ (coll_rollup_acc_take_due (acc, &due, &rows, &cap), 2);
    ASSERT_EQ (rows[0].series_id, 1);
    ASSERT_EQ (rows[1].series_id, 3); /* made at 500 too, though not over */
    coll_rollup_acc_add_sample (acc, 1, 4, T0 + 200000, 1);
    due.all = 1;
    ASSERT_EQ (coll_rollup_acc_take_due (acc, &due, &rows, &cap), 1);
    free (rows);
    coll_rollup_acc_destroy (&acc);
}

static void
s_test_bucket (void)
{
    ASSERT_EQ (coll_rollup_acc_bucket (T0 + 59999, COLL_ROLLUP_MINUTE_MS), T0);
    ASSERT_EQ (coll_rollup_acc_bucket (-1, COLL_ROLLUP_MINUTE_MS), -60000);
    ASSERT_EQ (coll_rollup_acc_bucket (-60000, COLL_ROLLUP_MINUTE_MS), -60000);
    ASSERT_EQ (coll_rollup_acc_bucket (3600000 * 5 + 7, COLL_ROLLUP_HOUR_MS), 3600000 * 5);
}

/* Many keys: the table grows and every key stays where it was put; the
 * batched call gives what one call per sample gives. */
static void
s_test_many (void)
{
    coll_rollup_acc_t *acc = coll_rollup_acc_new ();
    for (int s = 0; s < 20000; s++)
        coll_rollup_acc_add_sample (acc, 1 + s % 7, s, T0, 1);
    enum { N = 20003 };
    int64_t *host = vg_malloc (N * sizeof *host), *series = vg_malloc (N * sizeof *series);
    int64_t *ts = vg_malloc (N * sizeof *ts);
    double *value = vg_malloc (N * sizeof *value);
    for (int s = 0; s < N; s++) {
        host[s] = 1 + (s % 20000) % 7;
        series[s] = s % 20000; /* the last three come twice */
        ts[s] = T0 + 1000 + s / 20000;
        value[s] = s < 20000 ? 1 : 5;
    }
    coll_rollup_acc_add_samples (acc, N, host, series, ts, value);
    free (host);
    free (series);
    free (ts);
    free (value);
    ASSERT_EQ (coll_rollup_acc_count (acc), 20000);
    coll_rollup_row_t *rows = NULL;
    size_t cap = 0;
    size_t n = coll_rollup_acc_take (acc, INT64_MAX, &rows, &cap);
    ASSERT_EQ (n, 20000);
    for (size_t i = 0; i < n; i++) {
        ASSERT_EQ (rows[i].count, rows[i].series_id < 3 ? 3 : 2);
        ASSERT_NEAR (rows[i].increase, rows[i].series_id < 3 ? 4 : 0, 0);
    }
    free (rows);
    coll_rollup_acc_destroy (&acc);
}

/* Batches as agents send them - the same series in the same order batch
 * after batch, now and then in another order, across minutes, with rows
 * taken out between - give through the batched call exactly what one call
 * per sample gives. */
static void
s_test_like_agents (void)
{
    enum { HOSTS = 3, SERIES = 300, BATCHES = 400 };
    coll_rollup_acc_t *fast = coll_rollup_acc_new (), *slow = coll_rollup_acc_new ();
    int64_t host[SERIES], series[SERIES], ts[SERIES];
    double value[SERIES];
    coll_rollup_row_t *a = NULL, *b = NULL;
    size_t acap = 0, bcap = 0, compared = 0;
    uint64_t rng = 42;
    for (int k = 0; k < BATCHES; k++) {
        int h = k % HOSTS;
        int shuffled = k % 37 == 5, partial = k % 11 == 3;
        size_t n = partial ? SERIES / 3 : SERIES;
        for (size_t i = 0; i < n; i++) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            host[i] = 100 + h;
            series[i] = 1000 * h + (int64_t)(shuffled ? (rng >> 33) % SERIES : i);
            /* 10 s apart per host's batch; some samples a step behind */
            ts[i] = T0 + (k / HOSTS) * 10000 + (int64_t)i - ((rng >> 20) % 50 == 0 ? 20000 : 0);
            value[i] = (double)((rng >> 40) % 1000);
        }
        coll_rollup_acc_add_samples (fast, n, host, series, ts, value);
        for (size_t i = 0; i < n; i++)
            coll_rollup_acc_add_sample (slow, host[i], series[i], ts[i], value[i]);
        if (k % 50 == 49 || k == BATCHES - 1) {
            int64_t before = k == BATCHES - 1 ? INT64_MAX : T0 + (k / HOSTS) * 10000 - 60000;
            size_t na = coll_rollup_acc_take (fast, before, &a, &acap);
            size_t nb = coll_rollup_acc_take (slow, before, &b, &bcap);
            ASSERT_EQ (na, nb);
            for (size_t i = 0; i < na; i++) {
                ASSERT_EQ (a[i].host_id, b[i].host_id);
                ASSERT_EQ (a[i].series_id, b[i].series_id);
                s_same (&a[i], &b[i]);
            }
            compared += na;
            ASSERT_EQ (coll_rollup_acc_count (fast), coll_rollup_acc_count (slow));
        }
    }
    ASSERT_GE (compared, HOSTS * SERIES * 10);
    free (a);
    free (b);
    coll_rollup_acc_destroy (&fast);
    coll_rollup_acc_destroy (&slow);
}

int
main (void)
{
    s_test_one_pass ();
    s_test_pieces ();
    s_test_nan_inf ();
    s_test_dists ();
    s_test_take ();
    s_test_clock_and_next ();
    s_test_due ();
    s_test_bucket ();
    s_test_many ();
    s_test_like_agents ();
    printf ("test_rollup_acc: ok\n");
    return 0;
}
