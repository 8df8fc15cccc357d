/*  test_rules_eval.c - the evaluator against values computed by hand from
 *  Prometheus's definitions: every function, counter resets and
 *  extrapolation, the lookback and staleness, vector matching, aggregations,
 *  classic histograms and merged sketches. */
#include "rules_eval.h"
#include "rules_mem.h"
#include "rules_parse.h"
#include "rules_values.h"
#include "test_assert.h"
#include "vg_sketch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN 60000

static rules_mem_t *s_mem;
static rules_arena_t *s_arena;

/* Loads a series in promtool's notation, one sample per step from t = 0. */
static void
s_load (const char *series, const char *values, int64_t step)
{
    rules_parse_error_t perr;
    rules_labels_t *l = rules_parse_series (series, &perr);
    if (!l)
        TEST_FAIL ("series %s: %s", series, perr.msg);
    rules_seqval_t *v;
    size_t n;
    char err[256];
    if (rules_values_parse (values, 100000, &v, &n, err, sizeof err) != 0)
        TEST_FAIL ("values %s: %s", values, err);
    rules_mem_series_t *s = rules_mem_series (s_mem, l, 0, 0);
    for (size_t i = 0; i < n; i++)
        if (v[i].kind != RULES_VALUE_OMITTED)
            rules_mem_add (s_mem, s, (int64_t)i * step, v[i].v);
    free (v);
    free (l);
}

/* The last expression evaluated: results may point into it (label names
 * written in the expression), so it lives until the next one. */
static rules_node_t *s_last;

static rules_value_t
s_eval (const char *expr, int64_t t)
{
    rules_parse_error_t perr;
    rules_ast_destroy (&s_last);
    rules_node_t *n = rules_parse (expr, strlen (expr), &perr);
    if (!n)
        TEST_FAIL ("parse %s: %s at %u", expr, perr.msg, perr.pos);
    rules_value_t out;
    char err[512];
    if (rules_eval (n, rules_mem_source (s_mem), t, s_arena, &out, err, sizeof err) != 0)
        TEST_FAIL ("eval %s: %s", expr, err);
    s_last = n;
    return out;
}

/* The evaluation fails with a message containing what. */
static void
s_eval_fails (const char *expr, int64_t t, const char *what)
{
    rules_parse_error_t perr;
    rules_node_t *n = rules_parse (expr, strlen (expr), &perr);
    if (!n)
        TEST_FAIL ("parse %s: %s", expr, perr.msg);
    rules_value_t out;
    char err[512] = "";
    int rc = rules_eval (n, rules_mem_source (s_mem), t, s_arena, &out, err, sizeof err);
    rules_ast_destroy (&n);
    if (rc == 0)
        TEST_FAIL ("%s evaluated, expected an error with \"%s\"", expr, what);
    if (!strstr (err, what))
        TEST_FAIL ("%s failed with \"%s\", expected \"%s\"", expr, err, what);
}

static char *
s_labels (const rules_labels_t *l)
{
    vg_buf_t b = {0};
    rules_labels_format (l, &b);
    return b.data;
}

/* The vector holds exactly these samples ("labels=value;..." in any
 * order, labels as Prometheus prints them). */
static void
s_expect (const char *expr, int64_t t, const char *expected, double tol)
{
    rules_value_t v = s_eval (expr, t);
    if (v.type == RULES_T_SCALAR)
        TEST_FAIL ("%s: got a scalar %g", expr, v.scalar);
    size_t want = 0;
    char *copy = strdup (expected);
    for (char *save, *item = strtok_r (copy, ";", &save); item;
         item = strtok_r (NULL, ";", &save)) {
        char *eq = strrchr (item, '=');
        *eq = '\0';
        double val = strcmp (eq + 1, "NaN") == 0 ? NAN : strtod (eq + 1, NULL);
        int found = 0;
        for (size_t i = 0; i < v.n; i++) {
            char *got = s_labels (v.samples[i].labels);
            if (strcmp (got, item) == 0) {
                found = 1;
                if (isnan (val) ? !isnan (v.samples[i].v)
                                : !(v.samples[i].v == val || fabs (v.samples[i].v - val) <= tol))
                    TEST_FAIL ("%s at %lld: %s = %.17g, expected %.17g", expr, (long long)t, item,
                               v.samples[i].v, val);
            }
            free (got);
        }
        if (!found) {
            fprintf (stderr, "got:\n");
            for (size_t i = 0; i < v.n; i++) {
                char *got = s_labels (v.samples[i].labels);
                fprintf (stderr, "  %s = %g\n", got, v.samples[i].v);
                free (got);
            }
            TEST_FAIL ("%s at %lld: no sample %s", expr, (long long)t, item);
        }
        want++;
    }
    free (copy);
    if (v.n != want) {
        for (size_t i = 0; i < v.n; i++) {
            char *got = s_labels (v.samples[i].labels);
            fprintf (stderr, "  %s = %g\n", got, v.samples[i].v);
            free (got);
        }
        TEST_FAIL ("%s at %lld: %zu samples, expected %zu", expr, (long long)t, v.n, want);
    }
    rules_arena_reset (s_arena);
}

static void
s_expect_empty (const char *expr, int64_t t)
{
    s_expect (expr, t, "", 0);
}

static void
s_expect_scalar (const char *expr, int64_t t, double expected, double tol)
{
    rules_value_t v = s_eval (expr, t);
    if (v.type != RULES_T_SCALAR)
        TEST_FAIL ("%s: not a scalar", expr);
    if (isnan (expected) ? !isnan (v.scalar) : !(fabs (v.scalar - expected) <= tol))
        TEST_FAIL ("%s = %.17g, expected %.17g", expr, v.scalar, expected);
    rules_arena_reset (s_arena);
}

static void
s_reset (void)
{
    rules_mem_destroy (&s_mem);
    s_mem = rules_mem_new (0);
}

static void
s_rates (void)
{
    s_reset ();
    s_load ("http_requests_total{job=\"api\"}", "0+10x10", MIN);
    /* (5m, 10m]: 60..100 at 6m..10m; 40 over 240 s, extrapolated 60 s back
     * (under 1.1 x the 60 s spacing) and not at all forward: 50 in 300 s. */
    s_expect ("increase(http_requests_total[5m])", 10 * MIN, "{job=\"api\"}=50", 1e-9);
    s_expect ("rate(http_requests_total[5m])", 10 * MIN, "{job=\"api\"}=0.16666666666666666",
              1e-12);
    /* Evaluated 30 s after the last sample: 30 s extrapolated forward. The
     * window (5.5m, 10.5m] holds 6m..10m again: 40 * (240+30+30)/240. */
    s_expect ("increase(http_requests_total[5m])", 10 * MIN + 30000, "{job=\"api\"}=50", 1e-9);
    /* One sample in the window: no rate. */
    s_expect_empty ("rate(http_requests_total[1m])", 10 * MIN);
    /* The window is open on the left: at 2m, [2m] holds 1m and 2m only. */
    s_expect ("increase(http_requests_total[2m])", 2 * MIN, "{job=\"api\"}=20", 1e-9);

    s_reset ();
    /* A counter reset: 0 10 20 5 15 is an increase of 20 + 15 = 35. */
    s_load ("c_total", "0 10 20 5 15", MIN);
    s_expect ("increase(c_total[5m])", 4 * MIN, "{}=35", 1e-9);
    s_expect ("rate(c_total[5m])", 4 * MIN, "{}=0.11666666666666667", 1e-12);
    s_expect ("resets(c_total[5m])", 4 * MIN, "{}=1", 0);
    s_expect ("changes(c_total[5m])", 4 * MIN, "{}=4", 0);
    /* delta does not treat the drop as a reset: 15 - 0, and the start is
     * extrapolated 60 s (no zero-point clamp for gauges): 15 * 300/240. */
    s_expect ("delta(c_total[5m])", 4 * MIN, "{}=18.75", 1e-9);
    /* irate/idelta: the last two samples, 5 -> 15 over 60 s. */
    s_expect ("irate(c_total[5m])", 4 * MIN, "{}=0.16666666666666666", 1e-12);
    s_expect ("idelta(c_total[5m])", 4 * MIN, "{}=10", 0);
    /* At 3m the last two are 20 -> 5: irate takes the reset as 5 in 60 s. */
    s_expect ("irate(c_total[5m])", 3 * MIN, "{}=0.08333333333333333", 1e-12);
    s_expect ("idelta(c_total[5m])", 3 * MIN, "{}=-15", 0);

    s_reset ();
    /* A series that starts inside the window: samples at 3m, 4m, 5m. The
     * start is 180 s from the window's, beyond 1.1 x 60 s, so it is
     * extrapolated by half a spacing: 20 * (120 + 30) / 120 = 25. */
    s_load ("late_total", "_ _ _ 10+10x2", MIN);
    s_expect ("increase(late_total[5m])", 5 * MIN, "{}=25", 1e-9);
    /* The zero point limits extrapolation: 1 -> 21 in 120 s would reach 0
     * 6 s before the first sample, which is less than 30 s: 20 * 126/120. */
    s_reset ();
    s_load ("z_total", "_ _ _ 1 11 21", MIN);
    s_expect ("increase(z_total[5m])", 5 * MIN, "{}=21", 1e-9);

    s_reset ();
    /* A gauge: 10 8 12; delta over (-1m, 2m] = 2 * 180/120. */
    s_load ("g", "10 8 12", MIN);
    s_expect ("delta(g[3m])", 2 * MIN, "{}=3", 1e-9);
}

static void
s_over_time (void)
{
    s_reset ();
    s_load ("m{host=\"a\"}", "1 2 3 4", MIN);
    int64_t t = 3 * MIN;
    s_expect ("avg_over_time(m[5m])", t, "{host=\"a\"}=2.5", 1e-12);
    s_expect ("min_over_time(m[5m])", t, "{host=\"a\"}=1", 0);
    s_expect ("max_over_time(m[5m])", t, "{host=\"a\"}=4", 0);
    s_expect ("sum_over_time(m[5m])", t, "{host=\"a\"}=10", 0);
    s_expect ("count_over_time(m[5m])", t, "{host=\"a\"}=4", 0);
    s_expect ("last_over_time(m[5m])", t, "m{host=\"a\"}=4", 0);
    s_expect ("stdvar_over_time(m[5m])", t, "{host=\"a\"}=1.25", 1e-12);
    s_expect ("stddev_over_time(m[5m])", t, "{host=\"a\"}=1.118033988749895", 1e-12);
    s_expect ("quantile_over_time(0.5, m[5m])", t, "{host=\"a\"}=2.5", 1e-12);
    s_expect ("quantile_over_time(0.9, m[5m])", t, "{host=\"a\"}=3.7", 1e-12);
    s_expect ("quantile_over_time(1.5, m[5m])", t, "{host=\"a\"}=Inf", 0);
    s_expect ("quantile_over_time(-1, m[5m])", t, "{host=\"a\"}=-Inf", 0);
    s_expect ("present_over_time(m[5m])", t, "{host=\"a\"}=1", 0);
    s_expect_empty ("absent_over_time(m[5m])", t);
    s_expect ("absent_over_time(nothing{job=\"x\", env=~\"p.*\"}[5m])", t, "{job=\"x\"}=1", 0);
    /* Two minutes: (1m, 3m] holds 3 and 4. */
    s_expect ("avg_over_time(m[2m])", t, "{host=\"a\"}=3.5", 1e-12);
    /* deriv and predict_linear: 0 60 120 at 0, 1m, 2m is 1 per second. */
    s_reset ();
    s_load ("disk_free_bytes", "0 60 120", MIN);
    s_expect ("deriv(disk_free_bytes[5m])", 2 * MIN, "{}=1", 1e-12);
    s_expect ("predict_linear(disk_free_bytes[5m], 60)", 2 * MIN, "{}=180", 1e-9);
    /* Predicted from a regression anchored at the evaluation time: at 2m30s
     * the line is at 150, 4 h later at 150 + 14400. */
    s_expect ("predict_linear(disk_free_bytes[5m], 4 * 3600)", 2 * MIN + 30000, "{}=14550", 1e-6);
    s_expect ("predict_linear(disk_free_bytes[5m], 4 * 3600) < 0", 2 * MIN, "", 0);
    /* A falling disk: 1000 900 800 per minute: empty in 8 min 20 s after 2m. */
    s_reset ();
    s_load ("free", "1000 900 800", MIN);
    s_expect ("predict_linear(free[5m], 600) < 0", 2 * MIN, "{}=-200", 1e-9);
    s_expect ("deriv(free[5m])", 2 * MIN, "{}=-1.6666666666666667", 1e-12);
}

static void
s_lookback_and_staleness (void)
{
    s_reset ();
    s_load ("x", "1 2", MIN);
    s_expect ("x", MIN, "x=2", 0);
    s_expect ("x", MIN + 299999, "x=2", 0);
    /* A sample exactly 5 minutes old is out (left-open, Prometheus 3). */
    s_expect_empty ("x", MIN + 300000);
    s_expect ("x offset 1m", MIN, "x=1", 0);
    s_expect ("x offset 1m", 2 * MIN, "x=2", 0);
    s_expect_empty ("x offset 10m", MIN);
    s_expect ("timestamp(x)", MIN + 5000, "{}=60", 0);
    s_expect ("timestamp(-x)", MIN + 5000, "{}=65", 0);
    s_reset ();
    s_load ("y", "1 stale 3", MIN);
    s_expect ("y", 30000, "y=1", 0);
    s_expect_empty ("y", MIN + 30000);
    s_expect ("y", 2 * MIN, "y=3", 0);
    /* Ranges leave markers out. */
    s_expect ("count_over_time(y[5m])", 2 * MIN, "{}=2", 0);
}

static void
s_matching (void)
{
    s_reset ();
    s_load ("errors{service=\"a\", code=\"500\"}", "5", MIN);
    s_load ("errors{service=\"b\", code=\"500\"}", "1", MIN);
    s_load ("requests{service=\"a\", team=\"x\"}", "100", MIN);
    s_load ("requests{service=\"b\", team=\"y\"}", "10", MIN);
    s_load ("errors_dup{service=\"a\", code=\"500\"}", "1", MIN);
    s_load ("errors_dup{service=\"a\", code=\"503\"}", "2", MIN);
    s_load ("other{service=\"c\"}", "7", MIN);
    int64_t t = 0;
    s_expect ("sum by (service) (errors) / sum by (service) (requests)", t,
              "{service=\"a\"}=0.05;{service=\"b\"}=0.1", 1e-12);
    s_expect ("sum by (service) (errors) / sum by (service) (requests) > 0.05", t,
              "{service=\"b\"}=0.1", 1e-12);
    s_expect ("errors / ignoring(code, team) requests", t,
              "{service=\"a\"}=0.05;{service=\"b\"}=0.1", 1e-12);
    s_expect ("errors / ignoring(code) requests", t, "", 0);
    s_expect ("sum without (code) (errors) / on(service) sum without (team) (requests)", t,
              "{service=\"a\"}=0.05;{service=\"b\"}=0.1", 1e-12);
    s_expect ("errors / on(service) group_left requests", t,
              "{code=\"500\", service=\"a\"}=0.05;{code=\"500\", service=\"b\"}=0.1", 1e-12);
    s_expect ("errors / on(service) group_left(team) requests", t,
              "{code=\"500\", service=\"a\", team=\"x\"}=0.05;"
              "{code=\"500\", service=\"b\", team=\"y\"}=0.1",
              1e-12);
    s_expect ("requests / on(service) group_right errors", t,
              "{code=\"500\", service=\"a\"}=20;{code=\"500\", service=\"b\"}=10", 1e-12);
    s_eval_fails ("requests / on() errors", t, "found duplicate series for the match group {}");
    s_eval_fails ("errors_dup + on(service) requests", t,
                  "multiple matches for labels: many-to-one matching must be explicit");
    s_eval_fails (
        "errors_dup + on(service) group_left requests / on(service) group_left errors_dup", t,
        "found duplicate series");
    /* comparisons filter, keep the name; bool gives 0/1 without it */
    s_expect ("requests > 50", t, "requests{service=\"a\", team=\"x\"}=100", 0);
    s_expect ("requests > bool 50", t,
              "{service=\"a\", team=\"x\"}=1;{service=\"b\", team=\"y\"}=0", 0);
    s_expect ("50 < requests", t, "requests{service=\"a\", team=\"x\"}=100", 0);
    s_expect ("requests * 2", t, "{service=\"a\", team=\"x\"}=200;{service=\"b\", team=\"y\"}=20",
              0);
    s_expect ("requests == on(service) group_left errors * 20", t,
              "requests{service=\"a\", team=\"x\"}=100", 0);
    s_expect_scalar ("2 * 3 + 1", t, 7, 0);
    s_expect_scalar ("2 ^ 3 ^ 2", t, 512, 0);
    s_expect_scalar ("7 % 4", t, 3, 0);
    s_expect_scalar ("1 > bool 2", t, 0, 0);
    s_expect_scalar ("1 atan2 1", t, M_PI / 4, 1e-15);
    /* set operators */
    s_expect ("requests and errors", t, "", 0);
    s_expect ("requests and on(service) errors", t,
              "requests{service=\"a\", team=\"x\"}=100;requests{service=\"b\", team=\"y\"}=10", 0);
    s_expect ("requests unless on(service) errors{service=\"a\"}", t,
              "requests{service=\"b\", team=\"y\"}=10", 0);
    s_expect ("other or on(service) requests", t,
              "other{service=\"c\"}=7;requests{service=\"a\", team=\"x\"}=100;"
              "requests{service=\"b\", team=\"y\"}=10",
              0);
    s_expect ("requests or other", t,
              "other{service=\"c\"}=7;requests{service=\"a\", team=\"x\"}=100;"
              "requests{service=\"b\", team=\"y\"}=10",
              0);
    s_expect ("nothing or other", t, "other{service=\"c\"}=7", 0);
    /* names dropped into one label set */
    s_eval_fails ("{__name__=~\"errors|errors_dup\", code=\"500\"} * 1", t,
                  "vector cannot contain metrics with the same labelset");
}

static void
s_aggregations (void)
{
    s_reset ();
    s_load ("x{i=\"1\", g=\"a\"}", "1", MIN);
    s_load ("x{i=\"2\", g=\"a\"}", "2", MIN);
    s_load ("x{i=\"3\", g=\"b\"}", "3", MIN);
    s_load ("x{i=\"4\", g=\"b\"}", "4", MIN);
    s_expect ("sum(x)", 0, "{}=10", 0);
    s_expect ("sum by (g) (x)", 0, "{g=\"a\"}=3;{g=\"b\"}=7", 0);
    s_expect ("sum without (i) (x)", 0, "{g=\"a\"}=3;{g=\"b\"}=7", 0);
    s_expect ("avg(x)", 0, "{}=2.5", 0);
    s_expect ("min(x)", 0, "{}=1", 0);
    s_expect ("max by (g) (x)", 0, "{g=\"a\"}=2;{g=\"b\"}=4", 0);
    s_expect ("count(x)", 0, "{}=4", 0);
    s_expect ("stdvar(x)", 0, "{}=1.25", 1e-12);
    s_expect ("stddev(x)", 0, "{}=1.118033988749895", 1e-12);
    s_expect ("group by (g) (x)", 0, "{g=\"a\"}=1;{g=\"b\"}=1", 0);
    s_expect ("quantile(0.5, x)", 0, "{}=2.5", 1e-12);
    s_expect ("quantile by (g) (0.5, x)", 0, "{g=\"a\"}=1.5;{g=\"b\"}=3.5", 1e-12);
    s_expect ("topk(2, x)", 0, "x{g=\"b\", i=\"4\"}=4;x{g=\"b\", i=\"3\"}=3", 0);
    s_expect ("bottomk(1, x)", 0, "x{g=\"a\", i=\"1\"}=1", 0);
    s_expect ("topk by (g) (1, x)", 0, "x{g=\"a\", i=\"2\"}=2;x{g=\"b\", i=\"4\"}=4", 0);
    s_expect ("topk(0, x)", 0, "", 0);
    s_expect ("topk(9, x)", 0,
              "x{g=\"a\", i=\"1\"}=1;x{g=\"a\", i=\"2\"}=2;x{g=\"b\", i=\"3\"}=3;"
              "x{g=\"b\", i=\"4\"}=4",
              0);
    s_expect ("sum(nothing)", 0, "", 0);
    s_eval_fails ("topk(scalar(nothing), x)", 0, "overflows int64");
}

static void
s_functions (void)
{
    s_reset ();
    s_load ("v{k=\"neg\"}", "-2.5", MIN);
    s_load ("v{k=\"pos\"}", "2.5", MIN);
    s_expect ("abs(v)", 0, "{k=\"neg\"}=2.5;{k=\"pos\"}=2.5", 0);
    s_expect ("ceil(v)", 0, "{k=\"neg\"}=-2;{k=\"pos\"}=3", 0);
    s_expect ("floor(v)", 0, "{k=\"neg\"}=-3;{k=\"pos\"}=2", 0);
    s_expect ("round(v)", 0, "{k=\"neg\"}=-2;{k=\"pos\"}=3", 0);
    s_expect ("round(v * 1.234, 0.1)", 0, "{k=\"neg\"}=-3.1;{k=\"pos\"}=3.1", 1e-12);
    s_expect ("sgn(v)", 0, "{k=\"neg\"}=-1;{k=\"pos\"}=1", 0);
    s_expect ("sqrt(v{k=\"pos\"} * 6.4)", 0, "{k=\"pos\"}=4", 1e-12);
    s_expect ("sqrt(v{k=\"neg\"})", 0, "{k=\"neg\"}=NaN", 0);
    s_expect ("exp(v * 0)", 0, "{k=\"neg\"}=1;{k=\"pos\"}=1", 0);
    s_expect ("ln(exp(v{k=\"pos\"}))", 0, "{k=\"pos\"}=2.5", 1e-12);
    s_expect ("log2(v{k=\"pos\"} * 3.2)", 0, "{k=\"pos\"}=3", 1e-12);
    s_expect ("log10(v{k=\"pos\"} * 400)", 0, "{k=\"pos\"}=3", 1e-12);
    s_expect ("clamp(v, -1, 1)", 0, "{k=\"neg\"}=-1;{k=\"pos\"}=1", 0);
    s_expect ("clamp(v, 1, -1)", 0, "", 0);
    s_expect ("clamp_min(v, 0)", 0, "{k=\"neg\"}=0;{k=\"pos\"}=2.5", 0);
    s_expect ("clamp_max(v, 0)", 0, "{k=\"neg\"}=-2.5;{k=\"pos\"}=0", 0);
    s_expect ("absent(v)", 0, "", 0);
    s_expect ("absent(nothing{job=\"x\", env=~\"p.*\", job=\"y\"})", 0, "{}=1", 0);
    s_expect ("absent(nothing{job=\"x\", instance=~\".*\"})", 0, "{job=\"x\"}=1", 0);
    s_expect ("absent(sum(nothing))", 0, "{}=1", 0);
    s_expect ("vector(3)", 0, "{}=3", 0);
    s_expect_scalar ("scalar(v{k=\"pos\"})", 0, 2.5, 0);
    s_expect_scalar ("scalar(v)", 0, NAN, 0);
    s_expect_scalar ("time()", 120000, 120, 0);
    s_expect ("minute(vector(3661))", 0, "{}=1", 0);
    s_expect ("hour(vector(3661))", 0, "{}=1", 0);
    s_expect ("day_of_week(vector(0))", 0, "{}=4", 0); /* 1970-01-01, a Thursday */
    s_expect ("day_of_month(vector(86400 * 31))", 0, "{}=1", 0);
    s_expect ("days_in_month(vector(86400 * 31))", 0, "{}=28", 0);
    s_expect ("month(vector(86400 * 31))", 0, "{}=2", 0);
    s_expect ("year(vector(86400 * 31))", 0, "{}=1970", 0);
    /* 2024-02-15T00:00:00Z: a leap February */
    s_expect ("days_in_month(vector(1707955200))", 0, "{}=29", 0);
    s_expect ("year(vector(1707955200))", 0, "{}=2024", 0);
    s_expect ("day_of_week(vector(1707955200))", 0, "{}=4", 0);
    /* 1969-12-31T23:59:59Z: before the epoch */
    s_expect ("year(vector(-1))", 0, "{}=1969", 0);
    s_expect ("hour(vector(-1))", 0, "{}=23", 0);
    /* with no argument: the evaluation time, 2 days and 3 h after the epoch */
    s_expect ("hour()", (2 * 86400 + 3 * 3600) * 1000LL, "{}=3", 0);
    s_expect ("day_of_month()", (2 * 86400 + 3 * 3600) * 1000LL, "{}=3", 0);
    s_reset ();
    s_load ("x{src=\"foo-bar\", a=\"1\", b=\"2\"}", "1", MIN);
    s_expect ("label_replace(x, \"dst\", \"$1\", \"src\", \"(.*)-.*\")", 0,
              "x{a=\"1\", b=\"2\", dst=\"foo\", src=\"foo-bar\"}=1", 0);
    s_expect ("label_replace(x, \"dst\", \"${2}_$1\", \"src\", \"(.*)-(.*)\")", 0,
              "x{a=\"1\", b=\"2\", dst=\"bar_foo\", src=\"foo-bar\"}=1", 0);
    s_expect ("label_replace(x, \"dst\", \"$name\", \"src\", \"(?P<name>[a-z]+)-.*\")", 0,
              "x{a=\"1\", b=\"2\", dst=\"foo\", src=\"foo-bar\"}=1", 0);
    /* $1x is the group named "1x", which does not exist: empty, so no label */
    s_expect ("label_replace(x, \"dst\", \"$1x\", \"src\", \"(.*)\")", 0,
              "x{a=\"1\", b=\"2\", src=\"foo-bar\"}=1", 0);
    s_expect ("label_replace(x, \"dst\", \"$$1\", \"src\", \"(.*)\")", 0,
              "x{a=\"1\", b=\"2\", dst=\"$1\", src=\"foo-bar\"}=1", 0);
    /* anchored: "foo" alone does not match "foo-bar" */
    s_expect ("label_replace(x, \"dst\", \"y\", \"src\", \"foo\")", 0,
              "x{a=\"1\", b=\"2\", src=\"foo-bar\"}=1", 0);
    s_expect ("label_replace(x, \"a\", \"\", \"src\", \".*\")", 0, "x{b=\"2\", src=\"foo-bar\"}=1",
              0);
    s_expect ("label_join(x, \"c\", \"-\", \"a\", \"b\", \"missing\")", 0,
              "x{a=\"1\", b=\"2\", c=\"1-2-\", src=\"foo-bar\"}=1", 0);
    /* regexes in selectors are anchored too */
    s_expect ("x{src=~\"foo\"}", 0, "", 0);
    s_expect ("x{src=~\"foo.*\"}", 0, "x{a=\"1\", b=\"2\", src=\"foo-bar\"}=1", 0);
    s_expect ("x{src!~\"f.*\"}", 0, "", 0);
    s_expect ("x{missing=\"\"}", 0, "x{a=\"1\", b=\"2\", src=\"foo-bar\"}=1", 0);
    s_expect ("x{missing=~\"|z\"}", 0, "x{a=\"1\", b=\"2\", src=\"foo-bar\"}=1", 0);
}

static void
s_histograms (void)
{
    s_reset ();
    /* cumulative buckets, as a scrape gives them */
    s_load ("lat_bucket{le=\"0.1\", path=\"/a\"}", "0+10x10", MIN);
    s_load ("lat_bucket{le=\"0.5\", path=\"/a\"}", "0+30x10", MIN);
    s_load ("lat_bucket{le=\"1\", path=\"/a\"}", "0+45x10", MIN);
    s_load ("lat_bucket{le=\"+Inf\", path=\"/a\"}", "0+50x10", MIN);
    int64_t t = 10 * MIN;
    /* rates are 10/60 30/60 45/60 50/60: rank 0.5 * 50/60 falls in (0.1,
     * 0.5] at 15/20 of the way: 0.4 */
    s_expect ("histogram_quantile(0.5, sum by (le) (rate(lat_bucket[5m])))", t, "{}=0.4", 1e-12);
    s_expect ("histogram_quantile(0.5, rate(lat_bucket[5m]))", t, "{path=\"/a\"}=0.4", 1e-12);
    /* rank 5 of 50 is half of the first bucket, which starts at 0 */
    s_expect ("histogram_quantile(0.1, lat_bucket)", t, "{path=\"/a\"}=0.05", 1e-12);
    /* in the +Inf bucket: the largest finite bound */
    s_expect ("histogram_quantile(0.95, lat_bucket)", t, "{path=\"/a\"}=1", 0);
    s_expect ("histogram_quantile(1.5, lat_bucket)", t, "{path=\"/a\"}=Inf", 0);
    s_expect ("histogram_quantile(-0.5, lat_bucket)", t, "{path=\"/a\"}=-Inf", 0);
    /* no +Inf bucket: NaN */
    s_expect ("histogram_quantile(0.5, lat_bucket{le!=\"+Inf\"})", t, "{path=\"/a\"}=NaN", 0);
    /* a bucket count that decreases is made monotonic */
    s_reset ();
    s_load ("h_bucket{le=\"1\"}", "10", MIN);
    s_load ("h_bucket{le=\"2\"}", "8", MIN);
    s_load ("h_bucket{le=\"4\"}", "20", MIN);
    s_load ("h_bucket{le=\"+Inf\"}", "20", MIN);
    /* counts 10 10 20 20: rank 15 is in (2, 4] at 5/10 */
    s_expect ("histogram_quantile(0.75, h_bucket)", 0, "{}=3", 1e-12);
}

static void
s_sketches (void)
{
    s_reset ();
    vg_label_t items[] = {{"__name__", "api_request_duration_seconds"}, {"host", "web1"}};
    rules_labels_t *l = rules_labels_dup (items, 2);
    rules_mem_series_t *s = rules_mem_series (s_mem, l, 1, 0);
    free (l);
    /* three intervals: 1..100 ms, 101..200 ms, 201..300 ms */
    vg_sketch_t *all = vg_sketch_new ();
    for (int k = 0; k < 3; k++) {
        vg_sketch_t *sk = vg_sketch_new ();
        for (int i = 1; i <= 100; i++) {
            vg_sketch_add (sk, (k * 100 + i) / 1000.0);
            vg_sketch_add (all, (k * 100 + i) / 1000.0);
        }
        rules_mem_add_sketch (s_mem, s, (int64_t)k * MIN, sk);
        vg_sketch_destroy (&sk);
    }
    /* The merge of all three: P95 of 1..300 ms is about 285 ms, within 1 %. */
    rules_value_t v =
        s_eval ("quantile_over_time(0.95, api_request_duration_seconds[5m])", 2 * MIN);
    ASSERT_EQ (v.n, 1);
    ASSERT_NEAR (v.samples[0].v, vg_sketch_quantile (all, 0.95), 1e-12);
    ASSERT_NEAR (v.samples[0].v, 0.285, 0.285 * 0.011);
    rules_arena_reset (s_arena);
    /* Only the last two are in (1m, 3m]... at 2m30s: (−2m30s, 2m30s] has all;
     * [1m] at 2m holds only the third: P50 of 201..300 ms. */
    v = s_eval ("quantile_over_time(0.5, api_request_duration_seconds[1m])", 2 * MIN);
    ASSERT_EQ (v.n, 1);
    ASSERT_NEAR (v.samples[0].v, 0.25, 0.25 * 0.011);
    rules_arena_reset (s_arena);
    /* Its value elsewhere is the mean of the newest sketch. */
    s_expect ("api_request_duration_seconds", 2 * MIN,
              "api_request_duration_seconds{host=\"web1\"}=0.2505", 1e-12);
    s_expect ("quantile_over_time(2, api_request_duration_seconds[5m])", 2 * MIN,
              "{host=\"web1\"}=Inf", 0);
    vg_sketch_destroy (&all);
}

static void
s_bounded_store (void)
{
    /* A store that keeps 3 samples per series drops the oldest. */
    rules_mem_t *m = rules_mem_new (3);
    vg_label_t items[] = {{"__name__", "b"}};
    rules_labels_t *l = rules_labels_dup (items, 1);
    rules_mem_series_t *s = rules_mem_series (m, l, 0, 0);
    for (int i = 0; i < 5; i++)
        rules_mem_add (m, s, i * 1000, i);
    rules_mem_add (m, s, 2500, 9); /* out of order, inside */
    rules_mem_stats_t st = rules_mem_stats (m);
    ASSERT_EQ (st.samples, 3);
    ASSERT_EQ (st.dropped, 3);
    ASSERT_EQ (rules_mem_series_last (s), 4000);
    /* only_watched: a series no watch reads is not kept */
    vg_label_t other[] = {{"__name__", "unwatched"}};
    rules_labels_t *l2 = rules_labels_dup (other, 1);
    ASSERT (rules_mem_series (m, l2, 0, 1) == NULL);
    free (l2);
    free (l);
    rules_mem_destroy (&m);
}

int
main (void)
{
    s_arena = rules_arena_new ();
    s_rates ();
    s_over_time ();
    s_lookback_and_staleness ();
    s_matching ();
    s_aggregations ();
    s_functions ();
    s_histograms ();
    s_sketches ();
    s_bounded_store ();
    rules_mem_destroy (&s_mem);
    rules_arena_destroy (&s_arena);
    rules_ast_destroy (&s_last);
    printf ("test_rules_eval: ok\n");
    return 0;
}
