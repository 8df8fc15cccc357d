/*  scrape_bench.c - how many samples a second the exposition parser reads,
 *  built twice by tests/bench/scrape.sh: against the parser of the tree, and
 *  with -DSCRAPE_BENCH_BASELINE against the parser before expositions were
 *  checked whole (its files taken from git), so both are measured in one run
 *  on the same pages.
 *
 *      scrape_bench gen prometheus|openmetrics SERIES FILE   writes a page
 *      scrape_bench run prometheus|openmetrics FILE SECONDS  parses it for a while
 *
 *  run prints one line: "<samples/s> <samples per parse> <parses> <errors>",
 *  the rate over the process's CPU time.
 *  The callback counts the samples and adds their values, the least a
 *  consumer does, so the figure is the parser's.
 */
#include "scrape_parse.h"
#include "vg_buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef SCRAPE_BENCH_BASELINE
typedef scrape_limits_t bench_options_t;
#else
typedef scrape_options_t bench_options_t;
#endif

typedef struct {
    size_t samples;
    double sum;
} tally_t;

static void
s_on_sample (void *arg, const scrape_sample_t *s)
{
    tally_t *t = arg;
    t->samples++;
    t->sum += s->value + (double)s->nlabels;
}

/* The process's CPU time: on a machine others share, wall time measures them too. */
static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A page of series samples, shaped like a busy web application's: request
 * counters by method, path and code, gauges, latency histograms (12 buckets,
 * _sum, _count) and summaries (3 quantiles, _sum, _count), in that
 * proportion (40 %, 20 %, 35 %, 5 %). */
static void
s_gen (int om, long series, FILE *out)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE"};
    static const char *const codes[] = {"200", "201", "400", "404", "500"};
    static const double les[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    long counters = series * 40 / 100, gauges = series * 20 / 100;
    long hists = series * 35 / 100 / 14, sums = series * 5 / 100 / 5;
    counters += series - counters - gauges - hists * 14 - sums * 5; /* exactly series */
    fprintf (out, "# HELP http_requests Requests served.\n# TYPE http_requests%s counter\n",
             om ? "" : "_total");
    for (long i = 0; i < counters; i++)
        fprintf (out,
                 "http_requests_total{method=\"%s\",path=\"/api/v1/items/%ld\",code=\"%s\"} %ld\n",
                 methods[i % 4], i / 20, codes[(i / 4) % 5], i * 37 % 100003);
    fprintf (out, "# HELP queue_length Items waiting.\n# TYPE queue_length gauge\n");
    for (long i = 0; i < gauges; i++)
        fprintf (out, "queue_length{queue=\"q%ld\",shard=\"%ld\"} %.3f\n", i / 8, i % 8,
                 (double)(i % 977) / 7.0);
    fprintf (out, "# HELP request_seconds Latency.\n# TYPE request_seconds histogram\n");
    for (long i = 0; i < hists; i++) {
        long total = 1000 + i % 5000, c = 0;
        for (size_t b = 0; b < sizeof les / sizeof les[0]; b++) {
            c += total / 12;
            fprintf (out, "request_seconds_bucket{handler=\"/h%ld\",method=\"%s\",le=\"%g\"} %ld\n",
                     i, methods[i % 4], les[b], c);
        }
        fprintf (out, "request_seconds_bucket{handler=\"/h%ld\",method=\"%s\",le=\"+Inf\"} %ld\n",
                 i, methods[i % 4], total);
        fprintf (out, "request_seconds_sum{handler=\"/h%ld\",method=\"%s\"} %.6f\n", i,
                 methods[i % 4], (double)total * 0.137);
        fprintf (out, "request_seconds_count{handler=\"/h%ld\",method=\"%s\"} %ld\n", i,
                 methods[i % 4], total);
    }
    fprintf (out, "# HELP rpc_seconds RPC latency.\n# TYPE rpc_seconds summary\n");
    for (long i = 0; i < sums; i++) {
        static const char *const qs[] = {"0.5", "0.9", "0.99"};
        for (int q = 0; q < 3; q++)
            fprintf (out, "rpc_seconds{service=\"s%ld\",quantile=\"%s\"} %.4f\n", i, qs[q],
                     0.01 * (q + 1) + (double)(i % 100) / 1000.0);
        fprintf (out, "rpc_seconds_sum{service=\"s%ld\"} %.3f\n", i, (double)i * 1.5);
        fprintf (out, "rpc_seconds_count{service=\"s%ld\"} %ld\n", i, i * 10);
    }
    if (om)
        fputs ("# EOF\n", out);
}

static char *
s_read (const char *path, size_t *len)
{
    FILE *f = fopen (path, "rb");
    if (!f) {
        perror (path);
        exit (2);
    }
    vg_buf_t b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread (chunk, 1, sizeof chunk, f)) > 0)
        vg_buf_append (&b, chunk, n);
    fclose (f);
    *len = b.len;
    return b.data;
}

int main (int argc, char **argv);

int
main (int argc, char **argv)
{
    if (argc != 5 ||
        (strcmp (argv[2], "prometheus") != 0 && strcmp (argv[2], "openmetrics") != 0)) {
        fprintf (stderr, "usage: scrape_bench gen prometheus|openmetrics SERIES FILE\n"
                         "       scrape_bench run prometheus|openmetrics FILE SECONDS\n");
        return 2;
    }
    int om = strcmp (argv[2], "openmetrics") == 0;
    if (strcmp (argv[1], "gen") == 0) {
        FILE *out = fopen (argv[4], "w");
        if (!out) {
            perror (argv[4]);
            return 2;
        }
        s_gen (om, atol (argv[3]), out);
        return fclose (out) == 0 ? 0 : 2;
    }
    size_t len;
    char *text = s_read (argv[3], &len);
    double seconds = atof (argv[4]);
    scrape_format_t format = om ? SCRAPE_FORMAT_OPENMETRICS : SCRAPE_FORMAT_PROMETHEUS;
    bench_options_t opts;
    memset (&opts, 0, sizeof opts); /* no limits, and the default mode */
    scrape_parse_t *parser = scrape_parse_new ();
    scrape_result_t res;
    tally_t t = {0};
    /* one parse to warm the parser's tables and the caches */
    scrape_parse_run (parser, text, len, format, &opts, s_on_sample, &t, &res);
    size_t per_parse = t.samples, errors = res.errors;
    long parses = 0;
    t.samples = 0;
    double t0 = s_now (), t1;
    do {
        scrape_parse_run (parser, text, len, format, &opts, s_on_sample, &t, &res);
        parses++;
        t1 = s_now ();
    } while (t1 - t0 < seconds);
    printf ("%.0f %zu %ld %zu\n", (double)t.samples / (t1 - t0), per_parse, parses, errors);
    if (t.sum == 0.5) /* keeps the sum alive */
        putchar ('\n');
    scrape_parse_destroy (&parser);
    free (text);
    return 0;
}
