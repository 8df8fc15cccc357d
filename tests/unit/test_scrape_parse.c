/*  test_scrape_parse.c - the exposition parser on valid and malformed text in
 *  both formats. Every sample handed over is rendered as one line,
 *
 *      type role family name{key="value",...} value [@timestamp_ms] [b=bound]
 *
 *  so a test states exactly what the parser must produce, and every error is
 *  checked by its full text with its line number.
 */
#include "scrape_parse.h"
#include "test_assert.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_error.h"

#define PROM SCRAPE_FORMAT_PROMETHEUS
#define OM   SCRAPE_FORMAT_OPENMETRICS

static const char *const s_roles[] = {"value", "created", "bucket", "sum", "count", "quantile"};

typedef struct {
    scrape_parse_t *parser;
    vg_buf_t out;
    scrape_result_t res;
    int rc;
} run_t;

static void
s_put_escaped (vg_buf_t *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            vg_buf_puts (out, "\\n");
        else if (*s == '"' || *s == '\\')
            vg_buf_printf (out, "\\%c", *s);
        else
            vg_buf_append (out, s, 1);
    }
}

static void
s_on_sample (void *arg, const scrape_sample_t *s)
{
    run_t *run = arg;
    vg_buf_t *out = &run->out;
    vg_buf_printf (out, "%s %s %s %s{", scrape_parse_type_name (s->type), s_roles[s->role],
                   s->family, s->name);
    for (size_t i = 0; i < s->nlabels; i++) {
        vg_buf_printf (out, "%s%s=\"", i ? "," : "", s->labels[i].key);
        s_put_escaped (out, s->labels[i].value);
        vg_buf_puts (out, "\"");
    }
    vg_buf_printf (out, "} %g", s->value);
    if (s->has_timestamp)
        vg_buf_printf (out, " @%lld", (long long)s->timestamp_ms);
    if (s->role == SCRAPE_ROLE_BUCKET || s->role == SCRAPE_ROLE_QUANTILE)
        vg_buf_printf (out, " b=%g", s->bound);
    vg_buf_puts (out, "\n");
}

/* Parses text; run->out holds the rendered samples ("" when none). */
static void
s_run_limits (run_t *run, scrape_format_t format, const char *text, const scrape_limits_t *limits)
{
    if (!run->parser)
        run->parser = scrape_parse_new ();
    vg_buf_reset (&run->out);
    vg_buf_puts (&run->out, "");
    run->rc = scrape_parse_run (run->parser, text, strlen (text), format, limits, s_on_sample, run,
                                &run->res);
}

static void
s_run (run_t *run, scrape_format_t format, const char *text)
{
    s_run_limits (run, format, text, NULL);
}

static void
s_done (run_t *run)
{
    scrape_parse_destroy (&run->parser);
    vg_buf_free (&run->out);
}

/* A well-formed exposition: no error, these samples. */
#define EXPECT_OK(run, format, text, want)                                                         \
    do {                                                                                           \
        s_run ((run), (format), (text));                                                           \
        if ((run)->res.errors)                                                                     \
            TEST_FAIL ("unexpected error: %s", (run)->res.first_error);                            \
        ASSERT_EQ ((run)->rc, VG_OK);                                                              \
        ASSERT_STR_EQ ((run)->out.data, (want));                                                   \
    } while (0)

/* The first error of text, which must be its only one. */
static const char *
s_error1 (run_t *run, scrape_format_t format, const char *text)
{
    s_run (run, format, text);
    if (run->res.errors != 1)
        TEST_FAIL ("%zu errors in \"%s\", want 1 (first: %s)", run->res.errors, text,
                   run->res.first_error);
    ASSERT_EQ (run->rc, VG_EPROTO);
    return run->res.first_error;
}

/* ---- Prometheus 0.0.4 ------------------------------------------------- */

static void
test_prometheus_basic (void)
{
    run_t run = {0};
    EXPECT_OK (
        &run, PROM,
        "# HELP http_requests_total The total number of HTTP requests.\n"
        "# TYPE http_requests_total counter\n"
        "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
        "http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n"
        "\n"
        "# A plain comment, then an untyped metric with a colon in its name\n"
        "job:rate5m 0.25\n"
        "  # indented comment\n"
        "\tmsdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find "
        "file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n"
        "# TYPE temp gauge\n"
        "temp{ room = \"a\" , } 21.5\r\n"
        "temp{room=\"b\"}22\n"
        "temp 23 -1000\n",
        "counter value http_requests_total http_requests_total{method=\"post\",code=\"200\"} "
        "1027 @1395066363000\n"
        "counter value http_requests_total http_requests_total{method=\"post\",code=\"400\"} "
        "3 @1395066363000\n"
        "untyped value job:rate5m job:rate5m{} 0.25\n"
        "untyped value msdos_file_access_time_seconds "
        "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find "
        "file:\\n\\\"FILE.TXT\\\"\"} 1.45826e+09\n"
        "gauge value temp temp{room=\"a\"} 21.5\n"
        "gauge value temp temp{room=\"b\"} 22\n"
        "gauge value temp temp{} 23 @-1000\n");
    ASSERT_EQ (run.res.lines, 13);
    ASSERT_EQ (run.res.samples, 7);
    ASSERT_EQ (run.res.first_error_line, 0);
    ASSERT_EQ (run.res.eof, 0);
    /* the unescaped value itself, not its rendering */
    s_run (&run, PROM, "x{a=\"1\\\\2\\\"3\\n4\"} 1\n");
    ASSERT_STR_EQ (run.out.data, "untyped value x x{a=\"1\\\\2\\\"3\\n4\"} 1\n");
    s_done (&run);
}

static void
test_prometheus_values (void)
{
    run_t run = {0};
    EXPECT_OK (&run, PROM,
               "a NaN\nb +Inf\nc -Inf\nd Inf\ne nan\nf 1e3\ng -0.5\nh .5\ni 1.\nj +7\nk 1E-2\n"
               "l infinity\nm 0042\n",
               "untyped value a a{} nan\nuntyped value b b{} inf\nuntyped value c c{} -inf\n"
               "untyped value d d{} inf\nuntyped value e e{} nan\nuntyped value f f{} 1000\n"
               "untyped value g g{} -0.5\nuntyped value h h{} 0.5\nuntyped value i i{} 1\n"
               "untyped value j j{} 7\nuntyped value k k{} 0.01\nuntyped value l l{} inf\n"
               "untyped value m m{} 42\n");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "a 1e999\n"), "line 1: invalid value \"1e999\"");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "a 0x10\n"), "line 1: invalid value \"0x10\"");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "a -NaN\n"), "line 1: invalid value \"-NaN\"");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "a 1e\n"), "line 1: invalid value \"1e\"");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "a .\n"), "line 1: invalid value \".\"");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "a 1 1.5\n"), "line 1: invalid timestamp \"1.5\"");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "a 1 99999999999999999999\n"),
                   "line 1: invalid timestamp \"99999999999999999999\"");
    s_done (&run);
}

static void
test_prometheus_histogram_summary (void)
{
    run_t run = {0};
    /* As the Python client writes them, _created gauges included. */
    EXPECT_OK (
        &run, PROM,
        "# HELP req_seconds Request latency.\n"
        "# TYPE req_seconds histogram\n"
        "req_seconds_bucket{path=\"/chat\",le=\"0.1\"} 3\n"
        "req_seconds_bucket{path=\"/chat\",le=\"1.0\"} 5\n"
        "req_seconds_bucket{path=\"/chat\",le=\"+Inf\"} 6\n"
        "req_seconds_count{path=\"/chat\"} 6\n"
        "req_seconds_sum{path=\"/chat\"} 4.5\n"
        "# HELP req_seconds_created Request latency.\n"
        "# TYPE req_seconds_created gauge\n"
        "req_seconds_created{path=\"/chat\"} 1.7e9\n"
        "# TYPE rpc_seconds summary\n"
        "rpc_seconds{quantile=\"0.5\"} 0.2\n"
        "rpc_seconds{quantile=\"0.99\"} NaN\n"
        "rpc_seconds_sum 10\n"
        "rpc_seconds_count 40\n"
        "# TYPE tokens_total counter\n"
        "tokens_total 99\n"
        "# TYPE tokens_created gauge\n"
        "tokens_created 1.7e9\n"
        "# TYPE other_created gauge\n"
        "other_created 5\n",
        "histogram bucket req_seconds req_seconds_bucket{path=\"/chat\",le=\"0.1\"} 3 b=0.1\n"
        "histogram bucket req_seconds req_seconds_bucket{path=\"/chat\",le=\"1.0\"} 5 b=1\n"
        "histogram bucket req_seconds req_seconds_bucket{path=\"/chat\",le=\"+Inf\"} 6 "
        "b=inf\n"
        "histogram count req_seconds req_seconds_count{path=\"/chat\"} 6\n"
        "histogram sum req_seconds req_seconds_sum{path=\"/chat\"} 4.5\n"
        "gauge created req_seconds_created req_seconds_created{path=\"/chat\"} 1.7e+09\n"
        "summary quantile rpc_seconds rpc_seconds{quantile=\"0.5\"} 0.2 b=0.5\n"
        "summary quantile rpc_seconds rpc_seconds{quantile=\"0.99\"} nan b=0.99\n"
        "summary sum rpc_seconds rpc_seconds_sum{} 10\n"
        "summary count rpc_seconds rpc_seconds_count{} 40\n"
        "counter value tokens_total tokens_total{} 99\n"
        "gauge created tokens_created tokens_created{} 1.7e+09\n"
        "gauge value other_created other_created{} 5\n");
    /* In 0.0.4 a counter's sample is its family's name: foo_total is untyped. */
    EXPECT_OK (&run, PROM, "# TYPE foo counter\nfoo_total 1\nfoo 2\n",
               "untyped value foo_total foo_total{} 1\ncounter value foo foo{} 2\n");
    /* A histogram's samples may come after another family's. */
    EXPECT_OK (&run, PROM,
               "# TYPE h histogram\nh_bucket{le=\"1\"} 1\n# TYPE g gauge\ng 1\nh_sum 3\n",
               "histogram bucket h h_bucket{le=\"1\"} 1 b=1\ngauge value g g{} 1\n"
               "histogram sum h h_sum{} 3\n");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "# TYPE h histogram\nh_bucket 1\n"),
                   "line 2: histogram bucket without a le label");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "# TYPE h histogram\nh_bucket{le=\"x\"} 1\n"),
                   "line 2: invalid le value \"x\"");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "# TYPE h histogram\nh_bucket{le=\"NaN\"} 1\n"),
                   "line 2: invalid le value \"NaN\"");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "# TYPE s summary\ns 1\n"),
                   "line 2: summary quantile without a quantile label");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "# TYPE h histogram\nh 1\n"),
                   "line 2: \"h\" is a histogram: its samples are named with _bucket, _sum or "
                   "_count");
    s_done (&run);
}

static void
test_prometheus_metadata_errors (void)
{
    run_t run = {0};
    ASSERT_STR_EQ (s_error1 (&run, PROM, "# TYPE a gauge\na 1\n# TYPE a gauge\n"),
                   "line 3: second TYPE line for \"a\"");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "# TYPE a gauge\n# TYPE a counter\na 1\n"),
                   "line 2: second TYPE line for \"a\"");
    ASSERT_STR_EQ (run.out.data, "gauge value a a{} 1\n"); /* the first TYPE stands */
    ASSERT_STR_EQ (s_error1 (&run, PROM, "b 1\n# TYPE b counter\n"),
                   "line 2: TYPE line for \"b\" after its samples");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "# HELP c one\n# HELP c two\n"),
                   "line 2: second HELP line for \"c\"");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "# TYPE c gaugehistogram\n"),
                   "line 1: TYPE: unknown type \"gaugehistogram\" (expected counter, gauge, "
                   "histogram, summary or untyped)");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "# TYPE c\n"),
                   "line 1: TYPE: expected a type after the metric name");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "# TYPE c gauge extra\n"),
                   "line 1: TYPE: unexpected text after the type");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "# TYPE 9c gauge\n"),
                   "line 1: TYPE: expected a metric name");
    ASSERT_STR_EQ (s_error1 (&run, PROM, "# HELP\n"), "line 1: HELP: expected a metric name");
    /* UNIT, EOF and anything else are comments in 0.0.4 */
    EXPECT_OK (&run, PROM, "# UNIT x seconds\n# EOF\n#TYPEx\nx 1\n", "untyped value x x{} 1\n");
    s_done (&run);
}

/* Each malformed line is reported with its number; the others are kept. */
static void
test_prometheus_malformed_lines (void)
{
    static const struct {
        const char *line, *error;
    } cases[] = {
        {"b{x=\"y\" 2", "expected ',' or '}' after label \"x\""},
        {"c", "expected a value after the metric name"},
        {"d{x=\"1\"}", "expected a value after the labels"},
        {"d{x=\"1\"}  ", "expected a value after the labels"},
        {"e abc", "invalid value \"abc\""},
        {"f 1 12x", "invalid timestamp \"12x\""},
        {"g 1 2 3", "unexpected text after the timestamp"},
        {"h{x=1} 1", "expected a quoted value for label \"x\""},
        {"i{x=\"1\",x=\"2\"} 1", "duplicate label \"x\""},
        {"j{=\"1\"} 1", "expected a label name"},
        {"j{x} 1", "expected '=' after label name \"x\""},
        {"k{x=\"abc} 1", "unterminated value of label \"x\""},
        {"k{x=\"abc\\\"} 1", "unterminated value of label \"x\""},
        {"l-m 1", "unexpected '-' after the metric name"},
        {"{x=\"1\"} 1", "expected a metric name"},
        {"9a 1", "expected a metric name"},
        {"m{x=\"a\\tb\"} 1", "invalid escape \\t in the value of label \"x\""},
        {"n{x=\"\xff\"} 1", "the value of label \"x\" is not valid UTF-8"},
        {"n{x=\"\xc0\xaf\"} 1", "the value of label \"x\" is not valid UTF-8"},
        {"n{x=\"\xed\xa0\x80\"} 1", "the value of label \"x\" is not valid UTF-8"},
        {"o{x=\"1\"}{y=\"2\"} 1", "invalid value \"{y=\"2\"}\""},
        {"p 1 # {a=\"b\"} 1", "invalid timestamp \"#\""},
    };
    run_t run = {0};
    vg_buf_t text = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vg_buf_reset (&text);
        vg_buf_printf (&text, "# TYPE a gauge\na 1\n%s\nz 2\n", cases[i].line);
        char want[256];
        snprintf (want, sizeof want, "line 3: %s", cases[i].error);
        ASSERT_STR_EQ (s_error1 (&run, PROM, text.data), want);
        ASSERT_EQ (run.res.first_error_line, 3);
        ASSERT_STR_EQ (run.out.data, "gauge value a a{} 1\nuntyped value z z{} 2\n");
    }
    /* many bad lines: all counted, the first reported */
    s_run (&run, PROM, "ok 1\nbad\nworse{\nok2 2\n   \nalso bad bad\n");
    ASSERT_EQ (run.res.errors, 3);
    ASSERT_EQ (run.res.samples, 2);
    ASSERT_EQ (run.res.first_error_line, 2);
    ASSERT_STR_EQ (run.res.first_error, "line 2: expected a value after the metric name");
    /* a NUL inside a label value, which C strings cannot carry */
    const char nul[] = "a{x=\"1\0002\"} 1\nb 2\n";
    run.rc = scrape_parse_run (run.parser, nul, sizeof nul - 1, PROM, NULL, NULL, NULL, &run.res);
    ASSERT_EQ (run.res.errors, 1);
    ASSERT_EQ (run.res.samples, 1);
    ASSERT_STR_EQ (run.res.first_error, "line 1: NUL byte in the value of label \"x\"");
    vg_buf_free (&text);
    s_done (&run);
}

/* ---- OpenMetrics 1.0 -------------------------------------------------- */

static void
test_openmetrics_full (void)
{
    run_t run = {0};
    EXPECT_OK (&run, OM,
               "# TYPE acme_http_router_request_seconds summary\n"
               "# UNIT acme_http_router_request_seconds seconds\n"
               "# HELP acme_http_router_request_seconds Latency though all of ACME's HTTP "
               "request router.\n"
               "acme_http_router_request_seconds_sum{path=\"/api/v1\",method=\"GET\"} 9036.32\n"
               "acme_http_router_request_seconds_count{path=\"/api/v1\",method=\"GET\"} 807283.0\n"
               "acme_http_router_request_seconds_created{path=\"/api/v1\",method=\"GET\"} "
               "1605281325.0\n"
               "# TYPE go_goroutines gauge\n"
               "# HELP go_goroutines Number of goroutines that currently exist.\n"
               "go_goroutines 69\n"
               "# TYPE process_cpu_seconds counter\n"
               "# UNIT process_cpu_seconds seconds\n"
               "# HELP process_cpu_seconds Total user and system CPU time spent in seconds.\n"
               "process_cpu_seconds_total 4.20072246e+06\n"
               "# TYPE foo counter\n"
               "foo_total 17.0 1520879607.789 # {trace_id=\"KOO5S4vxi0o\"} 0.67\n"
               "foo_created 1520430000.123 1520879607.789\n"
               "# TYPE lat histogram\n"
               "lat_bucket{le=\"0.01\"} 0\n"
               "lat_bucket{le=\"0.1\"} 8 # {} 0.054\n"
               "lat_bucket{le=\"1.0\"} 11 # {trace_id=\"a\\\\b\"} 0.5 123.4\n"
               "lat_bucket{le=\"+Inf\"} 17\n"
               "lat_count 17\n"
               "lat_sum 324789.3\n"
               "lat_created 1520430000.123\n"
               "# TYPE queue gaugehistogram\n"
               "queue_bucket{le=\"1\"} 3\n"
               "queue_bucket{le=\"+Inf\"} 5\n"
               "queue_gcount 5\n"
               "queue_gsum 7\n"
               "# TYPE state stateset\n"
               "state{state=\"a\"} 1\n"
               "state{state=\"b\"} 0\n"
               "# TYPE build info\n"
               "build_info{version=\"1.2\",name=\"pretty \\a name\"} 1\n"
               "# TYPE thing unknown\n"
               "thing 3 -5\n"
               "# EOF\n",
               "summary sum acme_http_router_request_seconds "
               "acme_http_router_request_seconds_sum{path=\"/api/v1\",method=\"GET\"} 9036.32\n"
               "summary count acme_http_router_request_seconds "
               "acme_http_router_request_seconds_count{path=\"/api/v1\",method=\"GET\"} 807283\n"
               "summary created acme_http_router_request_seconds "
               "acme_http_router_request_seconds_created{path=\"/api/v1\",method=\"GET\"} "
               "1.60528e+09\n"
               "gauge value go_goroutines go_goroutines{} 69\n"
               "counter value process_cpu_seconds process_cpu_seconds_total{} 4.20072e+06\n"
               "counter value foo foo_total{} 17 @1520879607789\n"
               "counter created foo foo_created{} 1.52043e+09 @1520879607789\n"
               "histogram bucket lat lat_bucket{le=\"0.01\"} 0 b=0.01\n"
               "histogram bucket lat lat_bucket{le=\"0.1\"} 8 b=0.1\n"
               "histogram bucket lat lat_bucket{le=\"1.0\"} 11 b=1\n"
               "histogram bucket lat lat_bucket{le=\"+Inf\"} 17 b=inf\n"
               "histogram count lat lat_count{} 17\n"
               "histogram sum lat lat_sum{} 324789\n"
               "histogram created lat lat_created{} 1.52043e+09\n"
               "gaugehistogram bucket queue queue_bucket{le=\"1\"} 3 b=1\n"
               "gaugehistogram bucket queue queue_bucket{le=\"+Inf\"} 5 b=inf\n"
               "gaugehistogram count queue queue_gcount{} 5\n"
               "gaugehistogram sum queue queue_gsum{} 7\n"
               "stateset value state state{state=\"a\"} 1\n"
               "stateset value state state{state=\"b\"} 0\n"
               "info value build build_info{version=\"1.2\",name=\"pretty \\\\a name\"} 1\n"
               "untyped value thing thing{} 3 @-5000\n");
    ASSERT_EQ (run.res.eof, 1);
    ASSERT_EQ (run.res.lines, 37);
    /* no trailing LF after # EOF is fine; a sample with no metadata is unknown */
    EXPECT_OK (&run, OM, "a{} 1\n# EOF", "untyped value a a{} 1\n");
    EXPECT_OK (&run, OM, "# EOF\n", "");
    s_done (&run);
}

static void
test_openmetrics_errors (void)
{
    run_t run = {0};
    ASSERT_STR_EQ (s_error1 (&run, OM, "a 1\nb 2\n"), "line 3: missing # EOF at the end");
    ASSERT_STR_EQ (run.out.data, "untyped value a a{} 1\nuntyped value b b{} 2\n");
    ASSERT_STR_EQ (s_error1 (&run, OM, "a 1\nb 2"), "line 3: missing # EOF at the end");
    ASSERT_STR_EQ (s_error1 (&run, OM, ""), "line 1: missing # EOF at the end");
    ASSERT_STR_EQ (s_error1 (&run, OM, "a 1\n# EOF\nb 2\n# EOF\n"), "line 3: text after # EOF");
    ASSERT_STR_EQ (run.out.data, "untyped value a a{} 1\n"); /* nothing after # EOF is read */
    ASSERT_STR_EQ (s_error1 (&run, OM, "a 1\n# EOF\n\n"), "line 3: text after # EOF");
    ASSERT_STR_EQ (s_error1 (&run, OM, "a 1\n\nb 2\n# EOF\n"),
                   "line 2: empty line: OpenMetrics has none");
    ASSERT_STR_EQ (s_error1 (&run, OM, "# just a comment\n# EOF\n"),
                   "line 1: expected # TYPE, # HELP, # UNIT or # EOF: OpenMetrics has no other "
                   "comments");
    ASSERT_STR_EQ (s_error1 (&run, OM, "# TYPE c counter\nc 1\n# EOF\n"),
                   "line 2: \"c\" is a counter: its samples are named with _total or _created");
    ASSERT_STR_EQ (s_error1 (&run, OM, "# TYPE i info\ni 1\n# EOF\n"),
                   "line 2: \"i\" is an info: its samples are named with _info");
    ASSERT_STR_EQ (s_error1 (&run, OM, "a  1\n# EOF\n"),
                   "line 1: expected a value after the metric name");
    ASSERT_STR_EQ (s_error1 (&run, OM, "a\t1\n# EOF\n"),
                   "line 1: unexpected '?' after the metric name");
    ASSERT_STR_EQ (s_error1 (&run, OM, "a 1 \n# EOF\n"), "line 1: unexpected text after the value");
    ASSERT_STR_EQ (s_error1 (&run, OM, "a{x=\"1\",} 1\n# EOF\n"), "line 1: expected a label name");
    ASSERT_STR_EQ (s_error1 (&run, OM, "a{x = \"1\"} 1\n# EOF\n"),
                   "line 1: expected '=' after label name \"x\"");
    ASSERT_STR_EQ (s_error1 (&run, OM, "a{x=\"1\"}1\n# EOF\n"),
                   "line 1: unexpected '1' after the labels");
    ASSERT_STR_EQ (s_error1 (&run, OM, "a 1 12x\n# EOF\n"), "line 1: invalid timestamp \"12x\"");
    ASSERT_STR_EQ (s_error1 (&run, OM, "a 1 NaN\n# EOF\n"), "line 1: invalid timestamp \"NaN\"");
    ASSERT_STR_EQ (s_error1 (&run, OM, "a 1 # x 1\n# EOF\n"),
                   "line 1: unexpected text after the value");
    ASSERT_STR_EQ (
        s_error1 (&run, OM, "# TYPE a_total counter\na_total 1\n# EOF\n"),
        "line 2: \"a_total\" is a counter: its samples are named with _total or _created");
    ASSERT_STR_EQ (s_error1 (&run, OM, "# TYPE a counter\na_total 1 # {x=\"1\"}\n# EOF\n"),
                   "line 2: exemplar: expected a value after the labels");
    ASSERT_STR_EQ (s_error1 (&run, OM, "# TYPE a counter\na_total 1 # {x=\"1\"} 2 3 4\n# EOF\n"),
                   "line 2: exemplar: invalid timestamp");
    ASSERT_STR_EQ (s_error1 (&run, OM, "# TYPE a counter\na_total 1 # {x=1} 2\n# EOF\n"),
                   "line 2: expected a quoted value for label \"x\"");
    ASSERT_STR_EQ (s_error1 (&run, OM, "# TYPE foo counter\n# UNIT foo seconds\n# EOF\n"),
                   "line 2: UNIT: the name \"foo\" does not end in _seconds");
    ASSERT_STR_EQ (
        s_error1 (&run, OM, "# TYPE foo_seconds counter\n# UNIT foo_seconds sec-onds\n# EOF\n"),
        "line 2: UNIT: invalid unit \"sec-onds\"");
    ASSERT_STR_EQ (s_error1 (&run, OM, "# TYPE foo untyped\n# EOF\n"),
                   "line 1: TYPE: unknown type \"untyped\" (expected counter, gauge, histogram, "
                   "gaugehistogram, summary, stateset, info or unknown)");
    ASSERT_STR_EQ (s_error1 (&run, OM, "# TYPE foo\n# EOF\n"),
                   "line 1: TYPE: expected a metric name and a space");
    ASSERT_STR_EQ (s_error1 (&run, OM, "# TYPE a gauge\n# TYPE a gauge\n# EOF\n"),
                   "line 2: second TYPE line for \"a\"");
    ASSERT_STR_EQ (s_error1 (&run, OM, "# UNIT a_s s\n# UNIT a_s s\n# EOF\n"),
                   "line 2: second UNIT line for \"a_s\"");
    ASSERT_STR_EQ (s_error1 (&run, OM, "#  EOF\n# EOF\n"),
                   "line 1: expected # TYPE, # HELP, # UNIT or # EOF: OpenMetrics has no other "
                   "comments");
    /* an undefined escape is kept as written, as the ABNF allows it */
    EXPECT_OK (&run, OM, "a{x=\"\\a\\\\\"} 1\n# EOF\n", "untyped value a a{x=\"\\\\a\\\\\"} 1\n");
    EXPECT_OK (&run, OM, "# UNIT a_bytes bytes\n# UNIT b \n# HELP c\na_bytes 1\n# EOF\n",
               "untyped value a_bytes a_bytes{} 1\n");
    s_done (&run);
}

/* ---- limits ----------------------------------------------------------- */

static void
test_limits (void)
{
    run_t run = {0};
    scrape_limits_t limits = {.max_samples = 3};
    s_run_limits (&run, PROM, "a 1\nb 2\nc{x=\"1\"} 3\nd 4\nbad line\ne 5\n", &limits);
    ASSERT_EQ (run.res.samples, 3);
    ASSERT_EQ (run.res.dropped_samples, 2);
    ASSERT_EQ (run.res.errors, 1); /* a malformed line past the cap is still reported */
    ASSERT_STR_EQ (run.res.first_error, "line 5: invalid value \"line\"");
    ASSERT_STR_EQ (run.out.data,
                   "untyped value a a{} 1\nuntyped value b b{} 2\nuntyped value c c{x=\"1\"} 3\n");

    limits = (scrape_limits_t){.max_label_count = 2};
    s_run_limits (&run, PROM,
                  "a{x=\"1\",y=\"2\"} 1\nb{x=\"1\",y=\"2\",z=\"3\"} 2\n"
                  "c{x=\"1\",y=\"1\",z=\"1\",z=\"1\"} 3\n",
                  &limits);
    ASSERT_EQ (run.res.samples, 1);
    ASSERT_EQ (run.res.dropped_labels, 2);
    ASSERT_EQ (run.res.errors, 0); /* a duplicate past the cap is not looked for */
    ASSERT_STR_EQ (run.out.data, "untyped value a a{x=\"1\",y=\"2\"} 1\n");

    limits = (scrape_limits_t){.max_label_length = 8};
    s_run_limits (&run, OM,
                  "# TYPE h histogram\n"
                  "h_bucket{x=\"abcdefgh\",le=\"1\"} 1\n"
                  "h_bucket{x=\"abcdefghi\",le=\"1\"} 1\n"
                  "h_bucket{x=\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\",le=\"1\"} 1\n"
                  "h_bucket{x=\"a\\\\\\\\bcdef\",le=\"1\"} 1\n"
                  "long_name 1\n"
                  "h_bucket{long_keys=\"1\",le=\"1\"} 1\n"
                  "lone 1\n"
                  "# EOF\n",
                  &limits);
    ASSERT_EQ (run.res.errors, 0);
    ASSERT_EQ (run.res.samples, 4);
    ASSERT_EQ (run.res.dropped_labels, 3); /* abcdefghi, and names of 9 bytes */
    ASSERT_STR_EQ (
        run.out.data,
        "histogram bucket h h_bucket{x=\"abcdefgh\",le=\"1\"} 1 b=1\n"
        "histogram bucket h h_bucket{x=\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\",le=\"1\"} 1 b=1\n"
        "histogram bucket h h_bucket{x=\"a\\\\\\\\bcdef\",le=\"1\"} 1 b=1\n"
        "untyped value lone lone{} 1\n");

    /* a line of 100,000 labels is dropped without storing them */
    vg_buf_t big = {0};
    vg_buf_puts (&big, "many{");
    for (int i = 0; i < 100000; i++)
        vg_buf_printf (&big, "%sl%d=\"v\"", i ? "," : "", i);
    vg_buf_puts (&big, "} 1\nafter 2\n");
    limits = (scrape_limits_t){.max_label_count = 64};
    s_run_limits (&run, PROM, big.data, &limits);
    ASSERT_EQ (run.res.dropped_labels, 1);
    ASSERT_STR_EQ (run.out.data, "untyped value after after{} 2\n");
    vg_buf_free (&big);
    s_done (&run);
}

/* ---- formats and reuse ------------------------------------------------ */

static void
test_formats (void)
{
    scrape_format_t f = PROM;
    ASSERT_EQ (scrape_parse_content_type ("application/openmetrics-text; version=1.0.0; "
                                          "charset=utf-8",
                                          &f),
               VG_OK);
    ASSERT_EQ (f, OM);
    ASSERT_EQ (scrape_parse_content_type ("text/plain; version=0.0.4; charset=utf-8", &f), VG_OK);
    ASSERT_EQ (f, PROM);
    ASSERT_EQ (scrape_parse_content_type ("  Application/OpenMetrics-Text", &f), VG_OK);
    ASSERT_EQ (f, OM);
    ASSERT_EQ (scrape_parse_content_type ("TEXT/PLAIN", &f), VG_OK);
    ASSERT_EQ (f, PROM);
    ASSERT_EQ (scrape_parse_content_type ("text/html; charset=utf-8", &f), VG_ENOTFOUND);
    ASSERT_EQ (scrape_parse_content_type ("text/plainer", &f), VG_ENOTFOUND);
    ASSERT_EQ (scrape_parse_content_type (NULL, &f), VG_ENOTFOUND);

    const char *om = "a 1\n# EOF\n", *om2 = "a 1\n# EOF \r\n\n", *prom = "a 1\n# EOFF\n";
    ASSERT_EQ (scrape_parse_guess_format (om, strlen (om)), OM);
    ASSERT_EQ (scrape_parse_guess_format (om2, strlen (om2)), OM);
    ASSERT_EQ (scrape_parse_guess_format ("# EOF", 5), OM);
    ASSERT_EQ (scrape_parse_guess_format (prom, strlen (prom)), PROM);
    ASSERT_EQ (scrape_parse_guess_format ("", 0), PROM);
    ASSERT_EQ (scrape_parse_guess_format (NULL, 0), PROM);
}

static void
test_reuse (void)
{
    run_t run = {0};
    /* families are per run: the same TYPE in the next run is no duplicate */
    EXPECT_OK (&run, PROM, "# TYPE a counter\na 1\n", "counter value a a{} 1\n");
    EXPECT_OK (&run, PROM, "# TYPE a gauge\na 2\n", "gauge value a a{} 2\n");
    EXPECT_OK (&run, PROM, "a 3\n", "untyped value a a{} 3\n");
    run.rc = scrape_parse_run (run.parser, NULL, 0, PROM, NULL, s_on_sample, &run, &run.res);
    ASSERT_EQ (run.rc, VG_OK);
    ASSERT_EQ (run.res.lines, 0);

    /* thousands of families, all typed, the table growing as it goes */
    vg_buf_t text = {0};
    for (int i = 0; i < 20000; i++)
        vg_buf_printf (&text, "# TYPE m%d_total counter\nm%d_total{i=\"%d\"} %d\n", i, i, i, i);
    s_run (&run, PROM, text.data);
    ASSERT_EQ (run.res.errors, 0);
    ASSERT_EQ (run.res.samples, 20000);
    ASSERT_STR_CONTAINS (run.out.data,
                         "counter value m19999_total m19999_total{i=\"19999\"} 19999\n");
    vg_buf_free (&text);
    s_done (&run);
}

int
main (void)
{
    test_prometheus_basic ();
    test_prometheus_values ();
    test_prometheus_histogram_summary ();
    test_prometheus_metadata_errors ();
    test_prometheus_malformed_lines ();
    test_openmetrics_full ();
    test_openmetrics_errors ();
    test_limits ();
    test_formats ();
    test_reuse ();
    printf ("test_scrape_parse: ok\n");
    return 0;
}
