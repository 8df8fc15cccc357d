/*  test_sketch.c - the distribution sketch against exact quantiles of a million
 *  values from uniform, exponential, Pareto and log-normal distributions. */
#include "test_assert.h"
#include "vg_error.h"
#include "vg_sketch.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define N 1000000

/* The four the checklists read, and low ones for the negative and zero ranks. */
static const double s_qs[] = {0.5, 0.9, 0.95, 0.99, 0.01, 0.1, 0.25, 0.35};

/* splitmix64: a fixed seed gives the same values on every run. */
static uint64_t s_state;

static uint64_t
s_next (void)
{
    uint64_t z = (s_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in (0, 1): never 0, so logs and powers stay finite. */
static double
s_unit (void)
{
    return ((double)(s_next () >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double
s_normal (void)
{
    return sqrt (-2.0 * log (s_unit ())) * cos (2.0 * M_PI * s_unit ());
}

static double
s_uniform (void)
{
    return 1000.0 * s_unit ();
}

static double
s_exponential (void)
{
    return -log (s_unit ()) * 250.0;
}

static double
s_pareto (void)
{
    return 1.0 / pow (s_unit (), 1.0 / 1.16); /* the 80/20 shape: a heavy tail */
}

static double
s_lognormal (void)
{
    return exp (3.0 + 1.5 * s_normal ());
}

/* Values around zero: negatives, exact zeros and positives. */
static double
s_mixed (void)
{
    uint64_t r = s_next () % 10;
    if (r < 3)
        return -s_exponential ();
    if (r < 4)
        return 0.0;
    return s_lognormal ();
}

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The exact q-quantile with the sketch's rank definition: floor (q * (n - 1)). */
static double
s_exact (const double *sorted, size_t n, double q)
{
    return sorted[(size_t)floor (q * (double)(n - 1))];
}

static double
s_rel_error (double got, double want)
{
    if (want == 0)
        return fabs (got);
    return fabs (got - want) / fabs (want);
}

static void
s_check_distribution (const char *name, double (*gen) (void))
{
    double *v = malloc (N * sizeof *v);
    ASSERT (v);
    vg_sketch_t *sk = vg_sketch_new ();
    double sum = 0;
    for (size_t i = 0; i < N; i++) {
        v[i] = gen ();
        sum += v[i];
        ASSERT_EQ (vg_sketch_add (sk, v[i]), 0);
    }
    qsort (v, N, sizeof *v, s_cmp);
    ASSERT_EQ (sk->count, N);
    ASSERT_NEAR (sk->min, v[0], 0);
    ASSERT_NEAR (sk->max, v[N - 1], 0);
    ASSERT_NEAR (sk->sum, sum, fabs (sum) * 1e-12);
    for (size_t k = 0; k < sizeof s_qs / sizeof s_qs[0]; k++) {
        double want = s_exact (v, N, s_qs[k]);
        double got = vg_sketch_quantile (sk, s_qs[k]);
        double rel = s_rel_error (got, want);
        printf ("%-12s p%-4g exact %-14.6g sketch %-14.6g rel.error %.5f %%\n", name, s_qs[k] * 100,
                want, got, rel * 100);
        if (!(rel <= VG_SKETCH_ALPHA))
            TEST_FAIL ("%s p%g: sketch %.17g vs exact %.17g: relative error %g > 1 %%", name,
                       s_qs[k] * 100, got, want, rel);
    }
    /* The extremes are exact: the answer is clamped to [min, max]. */
    ASSERT_NEAR (vg_sketch_quantile (sk, 0.0), v[0], 0);
    ASSERT_NEAR (vg_sketch_quantile (sk, 1.0), v[N - 1], 0);

    /* Two halves merged answer exactly like the whole. */
    vg_sketch_t *a = vg_sketch_new (), *b = vg_sketch_new ();
    for (size_t i = 0; i < N; i++)
        vg_sketch_add (i % 2 ? a : b, v[(i * 7919) % N]); /* interleaved, not sorted halves */
    vg_sketch_merge (a, b);
    ASSERT_EQ (a->count, sk->count);
    ASSERT_EQ (a->zero_count, sk->zero_count);
    ASSERT_NEAR (a->min, sk->min, 0);
    ASSERT_NEAR (a->max, sk->max, 0);
    ASSERT_NEAR (a->sum, sk->sum, fabs (sk->sum) * 1e-9);
    for (double q = 0; q <= 1.0; q += 0.01)
        ASSERT_NEAR (vg_sketch_quantile (a, q), vg_sketch_quantile (sk, q), 0);

    vg_sketch_destroy (&a);
    vg_sketch_destroy (&b);
    vg_sketch_destroy (&sk);
    free (v);
}

static void
test_mapping (void)
{
    double log_gamma = log ((1 + VG_SKETCH_ALPHA) / (1 - VG_SKETCH_ALPHA));
    ASSERT_EQ (vg_sketch_index (1.0), 0);
    ASSERT_EQ (vg_sketch_index (DBL_MAX), (int32_t)ceil (log (DBL_MAX) / log_gamma));
    ASSERT_EQ (vg_sketch_index (VG_SKETCH_MIN_VALUE),
               (int32_t)ceil (log (VG_SKETCH_MIN_VALUE) / log_gamma));
    /* Every value is within alpha of its bucket's representative. */
    s_state = 7;
    for (int i = 0; i < 100000; i++) {
        double v = exp ((s_unit () - 0.5) * 1400.0);
        if (v < VG_SKETCH_MIN_VALUE || !isfinite (v))
            continue;
        double rep = vg_sketch_bucket_value (vg_sketch_index (v));
        ASSERT (s_rel_error (rep, v) <= VG_SKETCH_ALPHA);
    }
    for (int32_t i = -1000; i < 1000; i++) {
        /* Bucket i holds (gamma^(i-1), gamma^i]. */
        double upper = exp (i * log_gamma);
        ASSERT (vg_sketch_index (upper * (1 + 1e-9)) == i + 1);
        ASSERT (vg_sketch_index (upper * (1 - 1e-9)) == i);
    }
}

static void
test_bucket_range (void)
{
    vg_sketch_t *sk = vg_sketch_new ();
    int32_t lo = vg_sketch_index (VG_SKETCH_MIN_VALUE);
    int32_t hi = vg_sketch_index (DBL_MAX);
    ASSERT_EQ (vg_sketch_add_bucket (sk, 0, lo, 1), 0);
    ASSERT_EQ (vg_sketch_add_bucket (sk, 0, hi, 1), 0);
    ASSERT_EQ (vg_sketch_add_bucket (sk, 1, lo, 1), 0);
    ASSERT_EQ (vg_sketch_add_bucket (sk, 1, hi, 1), 0);
    ASSERT_EQ (vg_sketch_add_bucket (sk, 0, lo - 1, 1), VG_EINVAL);
    ASSERT_EQ (vg_sketch_add_bucket (sk, 0, hi + 1, 1), VG_EINVAL);
    ASSERT_EQ (vg_sketch_add_bucket (sk, 1, INT32_MIN, 1), VG_EINVAL);
    ASSERT_EQ (vg_sketch_add_bucket (sk, 1, INT32_MAX, 1), VG_EINVAL);
    /* The store spans the whole reachable range and no more. */
    ASSERT_EQ (sk->pos.offset, lo);
    ASSERT_EQ (sk->pos.len, (uint32_t)(hi - lo + 1));
    ASSERT_EQ (sk->pos.counts[0], 1);
    ASSERT_EQ (sk->pos.counts[hi - lo], 1);
    /* add_bucket leaves count/sum/min/max to the caller. */
    ASSERT_EQ (sk->count, 0);
    vg_sketch_destroy (&sk);
}

static void
test_basics (void)
{
    vg_sketch_t *sk = vg_sketch_new ();
    ASSERT (isnan (vg_sketch_quantile (sk, 0.5)));
    ASSERT_EQ (vg_sketch_add (sk, NAN), VG_EINVAL);
    ASSERT_EQ (vg_sketch_add (sk, INFINITY), VG_EINVAL);
    ASSERT_EQ (vg_sketch_add (sk, -INFINITY), VG_EINVAL);
    ASSERT_EQ (sk->count, 0);
    ASSERT (isnan (vg_sketch_quantile (sk, 0.5)));

    /* Values added in falling, then rising order grow the store at both ends. */
    for (int i = 100; i >= 1; i--)
        ASSERT_EQ (vg_sketch_add (sk, i), 0);
    for (int i = 101; i <= 200; i++)
        ASSERT_EQ (vg_sketch_add (sk, i), 0);
    ASSERT_EQ (sk->count, 200);
    ASSERT_NEAR (sk->sum, 20100, 0);
    ASSERT_NEAR (sk->min, 1, 0);
    ASSERT_NEAR (sk->max, 200, 0);
    for (int k = 0; k <= 100; k++) {
        double q = k / 100.0;
        double want = 1 + floor (q * 199);
        ASSERT (s_rel_error (vg_sketch_quantile (sk, q), want) <= VG_SKETCH_ALPHA);
    }
    ASSERT (isnan (vg_sketch_quantile (sk, -0.1)));
    ASSERT (isnan (vg_sketch_quantile (sk, 1.1)));
    ASSERT (isnan (vg_sketch_quantile (sk, NAN)));

    /* A copy is deep and answers the same. */
    vg_sketch_t *copy = vg_sketch_dup (sk);
    ASSERT (copy->pos.counts != sk->pos.counts);
    ASSERT_NEAR (vg_sketch_quantile (copy, 0.95), vg_sketch_quantile (sk, 0.95), 0);
    vg_sketch_reset (sk);
    ASSERT_EQ (sk->count, 0);
    ASSERT (isnan (vg_sketch_quantile (sk, 0.5)));
    ASSERT_EQ (copy->count, 200);

    /* add_n counts n times. */
    ASSERT_EQ (vg_sketch_add_n (sk, 5.0, 10), 0);
    ASSERT_EQ (vg_sketch_add_n (sk, 7.0, 0), 0);
    ASSERT_EQ (sk->count, 10);
    ASSERT_NEAR (sk->sum, 50, 0);
    ASSERT_NEAR (vg_sketch_quantile (sk, 0.5), 5.0, 0); /* clamped to min = max = 5 */

    /* Merging into an empty sketch takes the other's min and max. */
    vg_sketch_t *empty = vg_sketch_new ();
    vg_sketch_merge (empty, copy);
    ASSERT_NEAR (empty->min, 1, 0);
    ASSERT_NEAR (empty->max, 200, 0);
    vg_sketch_merge (empty, sk);
    ASSERT_EQ (empty->count, 210);
    vg_sketch_destroy (&empty);
    vg_sketch_destroy (&copy);
    vg_sketch_destroy (&sk);
    vg_sketch_destroy (&sk); /* accepts NULL */
}

static void
test_negative_and_zero (void)
{
    vg_sketch_t *sk = vg_sketch_new ();
    /* -3 -2 -1 0 0 1e-12 (counts as zero) 1 2 3 */
    double in[] = {3, -1, 0, 2, -3, 1e-12, 1, 0, -2};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        ASSERT_EQ (vg_sketch_add (sk, in[i]), 0);
    ASSERT_EQ (sk->count, 9);
    ASSERT_EQ (sk->zero_count, 3);
    ASSERT_NEAR (sk->min, -3, 0);
    ASSERT_NEAR (sk->max, 3, 0);
    double want[] = {-3, -2, -1, 0, 0, 0, 1, 2, 3};
    for (int r = 0; r < 9; r++) {
        double got = vg_sketch_quantile (sk, r / 8.0);
        ASSERT (s_rel_error (got, want[r]) <= VG_SKETCH_ALPHA);
    }
    vg_sketch_destroy (&sk);
}

int
main (void)
{
    test_mapping ();
    test_bucket_range ();
    test_basics ();
    test_negative_and_zero ();
    s_state = 42;
    s_check_distribution ("uniform", s_uniform);
    s_check_distribution ("exponential", s_exponential);
    s_check_distribution ("pareto", s_pareto);
    s_check_distribution ("lognormal", s_lognormal);
    s_check_distribution ("mixed", s_mixed);
    printf ("test_sketch: ok\n");
    return 0;
}
