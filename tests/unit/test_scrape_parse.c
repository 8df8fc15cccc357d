/*  test_scrape_parse.c - the exposition parser on valid and invalid text in
 *  both formats. Every sample handed over is rendered as one line,
 *
 *      type role family name{key="value",...} value [@timestamp_ms] [b=bound]
 *
 *  so a test states exactly what the parser must produce; every error is
 *  checked by its rule and its full text, line and column included. One
 *  small case per rule, in files, is tests/data/exposition/ (test_scrape_corpus).
 */
#include "scrape_format.h"
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
s_run_opts (run_t *run, scrape_format_t format, const char *text, const scrape_options_t *opts)
{
    if (!run->parser)
        run->parser = scrape_parse_new ();
    vg_buf_reset (&run->out);
    vg_buf_puts (&run->out, "");
    run->rc = scrape_parse_run (run->parser, text, strlen (text), format, opts, s_on_sample, run,
                                &run->res);
}

static void
s_run (run_t *run, scrape_format_t format, const char *text)
{
    s_run_opts (run, format, text, NULL);
}

/* The same with keep_valid_lines. */
static void
s_run_keep (run_t *run, scrape_format_t format, const char *text)
{
    scrape_options_t opts = {.keep_valid_lines = 1};
    s_run_opts (run, format, text, &opts);
}

static void
s_done (run_t *run)
{
    scrape_parse_destroy (&run->parser);
    vg_buf_free (&run->out);
}

/* A valid exposition: no error, these samples. */
#define EXPECT_OK(run, format, text, want)                                                         \
    do {                                                                                           \
        s_run ((run), (format), (text));                                                           \
        if ((run)->res.errors)                                                                     \
            TEST_FAIL ("line %d: unexpected error: %s [%s]", __LINE__, (run)->res.first_error,     \
                       scrape_rule_name ((run)->res.first_rule));                                  \
        ASSERT_EQ ((run)->rc, VG_OK);                                                              \
        ASSERT_STR_EQ ((run)->out.data, (want));                                                   \
    } while (0)

/* An invalid exposition: nothing handed over, the first error breaks rule,
 * and its message is want. */
#define EXPECT_ERR(run, format, text, rule, want)                                                  \
    s_expect_err (__LINE__, (run), (format), (text), (rule), (want))

static void
s_expect_err (int line, run_t *run, scrape_format_t format, const char *text, scrape_rule_t rule,
              const char *want)
{
    s_run (run, format, text);
    if (run->res.errors != 1)
        TEST_FAIL ("line %d: %zu errors in \"%s\", want 1 (first: %s)", line, run->res.errors, text,
                   run->res.first_error);
    if (run->res.first_rule != rule)
        TEST_FAIL ("line %d: rule %s, want %s (%s)", line, scrape_rule_name (run->res.first_rule),
                   scrape_rule_name (rule), run->res.first_error);
    if (strcmp (run->res.first_error, want) != 0)
        TEST_FAIL ("line %d: error \"%s\", want \"%s\"", line, run->res.first_error, want);
    ASSERT_EQ (run->rc, VG_EPROTO);
    ASSERT_EQ (run->res.samples, 0);
    ASSERT_STR_EQ (run->out.data, ""); /* an invalid exposition gives nothing */
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
        "temp{ room = \"a\" , } 21.5  \n"
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
    ASSERT_EQ (run.res.first_rule, SCRAPE_RULE_NONE);
    ASSERT_EQ (run.res.eof, 0);
    /* the unescaped value itself, not its rendering */
    s_run (&run, PROM, "x{a=\"1\\\\2\\\"3\\n4\"} 1\n");
    ASSERT_STR_EQ (run.out.data, "untyped value x x{a=\"1\\\\2\\\"3\\n4\"} 1\n");
    /* nothing at all is a valid exposition of nothing */
    EXPECT_OK (&run, PROM, "", "");
    EXPECT_OK (&run, PROM, "\n\n# just comments\n", "");
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
    EXPECT_ERR (&run, PROM, "a 1e999\n", SCRAPE_RULE_VALUE,
                "line 1, column 3: invalid value \"1e999\"");
    EXPECT_ERR (&run, PROM, "a 0x10\n", SCRAPE_RULE_VALUE,
                "line 1, column 3: invalid value \"0x10\"");
    EXPECT_ERR (&run, PROM, "a -NaN\n", SCRAPE_RULE_VALUE,
                "line 1, column 3: invalid value \"-NaN\"");
    EXPECT_ERR (&run, PROM, "a  1e\n", SCRAPE_RULE_VALUE, "line 1, column 4: invalid value \"1e\"");
    EXPECT_ERR (&run, PROM, "a .\n", SCRAPE_RULE_VALUE, "line 1, column 3: invalid value \".\"");
    EXPECT_ERR (&run, PROM, "a 1 1.5\n", SCRAPE_RULE_TIMESTAMP,
                "line 1, column 5: invalid timestamp \"1.5\"");
    EXPECT_ERR (&run, PROM, "a 1 99999999999999999999\n", SCRAPE_RULE_TIMESTAMP,
                "line 1, column 5: invalid timestamp \"99999999999999999999\"");
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
    /* 0.0.4 lets a histogram's samples come after another family's, and a
     * histogram's metrics interleave; each is checked on its own */
    EXPECT_OK (&run, PROM,
               "# TYPE h histogram\nh_bucket{a=\"1\",le=\"1\"} 1\nh_bucket{a=\"2\",le=\"1\"} 1\n"
               "# TYPE g gauge\ng 1\nh_bucket{a=\"1\",le=\"+Inf\"} 2\nh_sum{a=\"1\"} 3\n"
               "h_bucket{a=\"2\",le=\"+Inf\"} 1\n",
               "histogram bucket h h_bucket{a=\"1\",le=\"1\"} 1 b=1\n"
               "histogram bucket h h_bucket{a=\"2\",le=\"1\"} 1 b=1\ngauge value g g{} 1\n"
               "histogram bucket h h_bucket{a=\"1\",le=\"+Inf\"} 2 b=inf\n"
               "histogram sum h h_sum{a=\"1\"} 3\n"
               "histogram bucket h h_bucket{a=\"2\",le=\"+Inf\"} 1 b=inf\n");
    EXPECT_ERR (&run, PROM, "# TYPE h histogram\nh_bucket 1\n", SCRAPE_RULE_BUCKET_LABEL,
                "line 2, column 9: histogram bucket \"h_bucket\" has no le label");
    EXPECT_ERR (&run, PROM, "# TYPE h histogram\nh_bucket{le=\"x\"} 1\n", SCRAPE_RULE_BUCKET_LABEL,
                "line 2, column 9: le=\"x\" is not a number");
    EXPECT_ERR (&run, PROM, "# TYPE h histogram\nh_bucket{le=\"NaN\"} 1\n",
                SCRAPE_RULE_BUCKET_LABEL, "line 2, column 9: le=\"NaN\" is not a number");
    EXPECT_ERR (&run, PROM, "# TYPE s summary\ns 1\n", SCRAPE_RULE_QUANTILE_LABEL,
                "line 2, column 2: summary quantile \"s\" has no quantile label");
    EXPECT_ERR (&run, PROM, "# TYPE h histogram\nh 1\n", SCRAPE_RULE_SUFFIX,
                "line 2, column 1: \"h\" is a histogram: its samples are named with _bucket, _sum "
                "or _count");
    /* the exposition format: a +Inf bucket, equal to _count; buckets and
     * quantiles in increasing order */
    EXPECT_ERR (&run, PROM, "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\n",
                SCRAPE_RULE_BUCKET_INF,
                "line 2, column 1: histogram \"h\" has no le=\"+Inf\" bucket");
    EXPECT_ERR (&run, PROM, "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 3\n",
                SCRAPE_RULE_COUNT_MISMATCH,
                "line 3, column 9: histogram \"h\": the count 3 differs from the +Inf bucket 2");
    EXPECT_ERR (&run, PROM, "# TYPE h histogram\nh_count 3\nh_bucket{le=\"+Inf\"} 2\n",
                SCRAPE_RULE_COUNT_MISMATCH,
                "line 3, column 21: histogram \"h\": the count 3 differs from the +Inf bucket 2");
    EXPECT_ERR (&run, PROM,
                "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n"
                "h_bucket{le=\"+Inf\"} 1\n",
                SCRAPE_RULE_BUCKET_ORDER,
                "line 3, column 9: histogram \"h\": bucket le=1 after le=2; buckets go up, each "
                "once");
    EXPECT_ERR (&run, PROM, "# TYPE s summary\ns{quantile=\"0.9\"} 1\ns{quantile=\"0.5\"} 1\n",
                SCRAPE_RULE_QUANTILE_ORDER,
                "line 3, column 2: summary \"s\": quantile 0.5 after 0.9; quantiles go up, each "
                "once");
    /* Prometheus's own parser refuses negative buckets and counts */
    EXPECT_ERR (&run, PROM, "# TYPE h histogram\nh_bucket{le=\"+Inf\"} -1\n",
                SCRAPE_RULE_COUNTER_VALUE,
                "line 2, column 21: histogram \"h\": h_bucket is negative (-1)");
    s_done (&run);
}

static void
test_prometheus_metadata_errors (void)
{
    run_t run = {0};
    EXPECT_ERR (&run, PROM, "# TYPE a gauge\na 1\n# TYPE a gauge\n", SCRAPE_RULE_METADATA_REPEATED,
                "line 3, column 8: second TYPE line for \"a\"");
    EXPECT_ERR (&run, PROM, "# TYPE a gauge\n# TYPE a counter\na 1\n",
                SCRAPE_RULE_METADATA_REPEATED, "line 2, column 8: second TYPE line for \"a\"");
    EXPECT_ERR (&run, PROM, "b 1\n# TYPE b counter\n", SCRAPE_RULE_METADATA_AFTER_SAMPLES,
                "line 2, column 8: TYPE line for \"b\" after its samples");
    EXPECT_ERR (&run, PROM, "# HELP c one\n# HELP c two\n", SCRAPE_RULE_METADATA_REPEATED,
                "line 2, column 8: second HELP line for \"c\"");
    EXPECT_ERR (&run, PROM, "# TYPE c gaugehistogram\n", SCRAPE_RULE_TYPE_UNKNOWN,
                "line 1, column 10: TYPE: unknown type \"gaugehistogram\" (expected counter, "
                "gauge, histogram, summary or untyped)");
    EXPECT_ERR (&run, PROM, "# TYPE c COUNTER\n", SCRAPE_RULE_TYPE_UNKNOWN,
                "line 1, column 10: TYPE: unknown type \"COUNTER\" (expected counter, gauge, "
                "histogram, summary or untyped)");
    EXPECT_ERR (&run, PROM, "# TYPE c\n", SCRAPE_RULE_METADATA_SYNTAX,
                "line 1, column 9: TYPE: expected a type after the metric name");
    EXPECT_ERR (&run, PROM, "# TYPE c gauge extra\n", SCRAPE_RULE_METADATA_SYNTAX,
                "line 1, column 15: TYPE: unexpected text after the type");
    EXPECT_ERR (&run, PROM, "# TYPE 9c gauge\n", SCRAPE_RULE_METADATA_SYNTAX,
                "line 1, column 8: TYPE: expected a metric name");
    EXPECT_ERR (&run, PROM, "# HELP\n", SCRAPE_RULE_METADATA_SYNTAX,
                "line 1, column 7: HELP: expected a metric name");
    /* HELP text: \\ and \n are its only escapes, and it is UTF-8 */
    EXPECT_ERR (&run, PROM, "# HELP c a\\tb\n", SCRAPE_RULE_ESCAPE,
                "line 1, column 11: HELP: invalid escape \\t");
    EXPECT_ERR (&run, PROM, "# HELP c say \\\"hi\\\"\n", SCRAPE_RULE_ESCAPE,
                "line 1, column 14: HELP: invalid escape \\\"");
    EXPECT_ERR (&run, PROM, "# HELP c caf\xe9\n", SCRAPE_RULE_UTF8,
                "line 1, column 13: HELP: the text is not valid UTF-8");
    /* HELP after samples is fine in 0.0.4 (not in OpenMetrics) */
    EXPECT_OK (&run, PROM, "a 1\n# HELP a \\\\ \\n \"\n", "untyped value a a{} 1\n");
    /* UNIT, EOF and anything else are comments in 0.0.4 */
    EXPECT_OK (&run, PROM, "# UNIT x seconds\n# EOF\n#TYPEx\nx 1\n", "untyped value x x{} 1\n");
    s_done (&run);
}

/* Each broken line is reported with its line and column; without
 * keep_valid_lines nothing is kept, with it the other lines are. */
static void
test_prometheus_malformed_lines (void)
{
    static const struct {
        const char *line;
        scrape_rule_t rule;
        const char *error;
    } cases[] = {
        {"b{x=\"y\" 2", SCRAPE_RULE_LABEL_SYNTAX,
         "column 9: expected ',' or '}' after label \"x\""},
        {"c", SCRAPE_RULE_LINE_SYNTAX, "column 2: expected a value after the metric name"},
        {"d{x=\"1\"}", SCRAPE_RULE_LINE_SYNTAX, "column 9: expected a value after the labels"},
        {"d{x=\"1\"}  ", SCRAPE_RULE_LINE_SYNTAX, "column 9: expected a value after the labels"},
        {"e abc", SCRAPE_RULE_VALUE, "column 3: invalid value \"abc\""},
        {"f 1 12x", SCRAPE_RULE_TIMESTAMP, "column 5: invalid timestamp \"12x\""},
        {"g 1 2 3", SCRAPE_RULE_LINE_SYNTAX, "column 6: unexpected text after the timestamp"},
        {"h{x=1} 1", SCRAPE_RULE_LABEL_SYNTAX, "column 5: expected a quoted value for label \"x\""},
        {"i{x=\"1\",x=\"2\"} 1", SCRAPE_RULE_LABEL_DUPLICATE, "column 9: duplicate label \"x\""},
        {"j{=\"1\"} 1", SCRAPE_RULE_LABEL_SYNTAX, "column 3: expected a label name"},
        {"j{1=\"1\"} 1", SCRAPE_RULE_LABEL_NAME,
         "column 3: a label name begins with a letter or an underscore"},
        {"j{x} 1", SCRAPE_RULE_LABEL_SYNTAX, "column 4: expected '=' after label name \"x\""},
        {"k{x=\"abc} 1", SCRAPE_RULE_LABEL_SYNTAX, "column 5: unterminated value of label \"x\""},
        {"k{x=\"abc\\\"} 1", SCRAPE_RULE_LABEL_SYNTAX,
         "column 5: unterminated value of label \"x\""},
        {"l-m 1", SCRAPE_RULE_METRIC_NAME, "column 2: unexpected '-' after the metric name"},
        {"{x=\"1\"} 1", SCRAPE_RULE_METRIC_NAME, "column 1: expected a metric name"},
        {"9a 1", SCRAPE_RULE_METRIC_NAME, "column 1: expected a metric name"},
        {"m{x=\"a\\tb\"} 1", SCRAPE_RULE_ESCAPE,
         "column 6: invalid escape \\t in the value of label \"x\""},
        {"n{x=\"\xff\"} 1", SCRAPE_RULE_UTF8,
         "column 6: the value of label \"x\" is not valid UTF-8"},
        {"n{x=\"\xc0\xaf\"} 1", SCRAPE_RULE_UTF8,
         "column 6: the value of label \"x\" is not valid UTF-8"},
        {"n{x=\"\xed\xa0\x80\"} 1", SCRAPE_RULE_UTF8,
         "column 6: the value of label \"x\" is not valid UTF-8"},
        {"n{__name__=\"x\"} 1", SCRAPE_RULE_RESERVED_NAME,
         "column 3: label name \"__name__\" is reserved"},
        {"o{x=\"1\"}{y=\"2\"} 1", SCRAPE_RULE_VALUE, "column 9: invalid value \"{y=\"2\"}\""},
        {"p 1 # {a=\"b\"} 1", SCRAPE_RULE_TIMESTAMP, "column 5: invalid timestamp \"#\""},
        {"\xef\xbb\xbfq 1", SCRAPE_RULE_LINE_SYNTAX,
         "column 1: a byte order mark: there must be none"},
    };
    run_t run = {0};
    vg_buf_t text = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vg_buf_reset (&text);
        vg_buf_printf (&text, "# TYPE a gauge\na 1\n%s\nz 2\n", cases[i].line);
        char want[256];
        snprintf (want, sizeof want, "line 3, %s", cases[i].error);
        s_expect_err (__LINE__, &run, PROM, text.data, cases[i].rule, want);
        ASSERT_EQ (run.res.first_error_line, 3);
        /* keep_valid_lines: the other lines are kept */
        s_run_keep (&run, PROM, text.data);
        ASSERT_EQ (run.rc, VG_EPROTO);
        ASSERT_EQ (run.res.errors, 1);
        ASSERT_STR_EQ (run.res.first_error, want);
        ASSERT_STR_EQ (run.out.data, "gauge value a a{} 1\nuntyped value z z{} 2\n");
    }
    /* a rule about several lines (a metric without its +Inf bucket) drops
     * nothing, and the next metric's samples are kept */
    s_run_keep (
        &run, OM,
        "# TYPE h histogram\nh_bucket{x=\"1\",le=\"1\"} 1\nh_bucket{x=\"2\",le=\"+Inf\"} 1\n"
        "# EOF\n");
    ASSERT_EQ (run.res.errors, 1);
    ASSERT_EQ (run.res.first_rule, SCRAPE_RULE_BUCKET_INF);
    ASSERT_EQ (run.res.first_error_line, 2);
    ASSERT_STR_EQ (run.out.data, "histogram bucket h h_bucket{x=\"1\",le=\"1\"} 1 b=1\n"
                                 "histogram bucket h h_bucket{x=\"2\",le=\"+Inf\"} 1 b=inf\n");
    /* many bad lines: all counted with keep_valid_lines, the first reported */
    s_run_keep (&run, PROM, "ok 1\nbad\nworse{\nok2 2\n   \nalso bad bad\n");
    ASSERT_EQ (run.res.errors, 3);
    ASSERT_EQ (run.res.samples, 2);
    ASSERT_EQ (run.res.first_error_line, 2);
    ASSERT_EQ (run.res.first_error_column, 4);
    ASSERT_STR_EQ (run.res.first_error, "line 2, column 4: expected a value after the metric name");
    /* without it, the first error ends the run */
    s_run (&run, PROM, "ok 1\nbad\nworse{\nok2 2\n   \nalso bad bad\n");
    ASSERT_EQ (run.res.errors, 1);
    ASSERT_EQ (run.res.samples, 0);
    s_done (&run);
    vg_buf_free (&text);
}

/* Lines end with a LF alone, and the last one too. */
static void
test_prometheus_line_ends (void)
{
    run_t run = {0};
    EXPECT_ERR (&run, PROM, "a 1\nb 2\r\nc 3\n", SCRAPE_RULE_CARRIAGE_RETURN,
                "line 2, column 4: a carriage return ends the line: lines end with a line feed "
                "alone");
    /* keep_valid_lines reads such a line all the same, as it always did */
    s_run_keep (&run, PROM, "a 1\r\nb 2\r\n");
    ASSERT_EQ (run.res.errors, 2);
    ASSERT_STR_EQ (run.out.data, "untyped value a a{} 1\nuntyped value b b{} 2\n");
    EXPECT_ERR (&run, PROM, "a 1\nb 2", SCRAPE_RULE_FINAL_NEWLINE,
                "line 2, column 4: the last line does not end with a line feed");
    s_run_keep (&run, PROM, "a 1\nb 2");
    ASSERT_STR_EQ (run.out.data, "untyped value a a{} 1\nuntyped value b b{} 2\n");
    /* a NUL in a label value is valid: stored as U+FFFD, counted */
    const char nul[] = "a{x=\"1\0002\"} 1\nb 2\n";
    run.rc = scrape_parse_run (run.parser, nul, sizeof nul - 1, PROM, NULL, NULL, NULL, &run.res);
    ASSERT_EQ (run.rc, VG_OK);
    ASSERT_EQ (run.res.samples, 2);
    ASSERT_EQ (run.res.nul_replaced, 1);
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
    /* empty HELP and UNIT are as good as none */
    EXPECT_OK (&run, OM, "# HELP a \n# UNIT a \na 1\n# EOF\n", "untyped value a a{} 1\n");
    /* a timestamp far from now is still a timestamp; milliseconds saturate */
    EXPECT_OK (&run, OM, "a 1 12345678901234567890.1\n# EOF\n",
               "untyped value a a{} 1 @9223372036854775807\n");
    s_done (&run);
}

static void
test_openmetrics_syntax (void)
{
    run_t run = {0};
    EXPECT_ERR (&run, OM, "a 1\nb 2\n", SCRAPE_RULE_EOF_MISSING,
                "line 3, column 1: missing # EOF at the end");
    EXPECT_ERR (&run, OM, "", SCRAPE_RULE_EOF_MISSING,
                "line 1, column 1: missing # EOF at the end");
    EXPECT_ERR (&run, OM, "a 1\n# EOF\nb 2\n# EOF\n", SCRAPE_RULE_AFTER_EOF,
                "line 3, column 1: text after # EOF");
    EXPECT_ERR (&run, OM, "a 1\n# EOF\n\n", SCRAPE_RULE_AFTER_EOF,
                "line 3, column 1: text after # EOF");
    EXPECT_ERR (&run, OM, "a 1\n\nb 2\n# EOF\n", SCRAPE_RULE_BLANK_LINE,
                "line 2, column 1: empty line: OpenMetrics has none");
    EXPECT_ERR (&run, OM, "# just a comment\n# EOF\n", SCRAPE_RULE_COMMENT,
                "line 1, column 1: expected # TYPE, # HELP, # UNIT or # EOF: OpenMetrics has no "
                "other comments");
    EXPECT_ERR (&run, OM, "#  EOF\n# EOF\n", SCRAPE_RULE_COMMENT,
                "line 1, column 1: expected # TYPE, # HELP, # UNIT or # EOF: OpenMetrics has no "
                "other comments");
    EXPECT_ERR (&run, OM, "a 1\r\n# EOF\n", SCRAPE_RULE_CARRIAGE_RETURN,
                "line 1, column 4: a carriage return ends the line: lines end with a line feed "
                "alone");
    EXPECT_ERR (&run, OM, "a  1\n# EOF\n", SCRAPE_RULE_LINE_SYNTAX,
                "line 1, column 3: expected a value after the metric name");
    EXPECT_ERR (&run, OM, "a\t1\n# EOF\n", SCRAPE_RULE_LINE_SYNTAX,
                "line 1, column 2: unexpected '?' after the metric name");
    EXPECT_ERR (&run, OM, "a 1 \n# EOF\n", SCRAPE_RULE_LINE_SYNTAX,
                "line 1, column 4: unexpected text after the value");
    EXPECT_ERR (&run, OM, " a 1\n# EOF\n", SCRAPE_RULE_METRIC_NAME,
                "line 1, column 1: expected a metric name");
    EXPECT_ERR (&run, OM, "a{x=\"1\",} 1\n# EOF\n", SCRAPE_RULE_LABEL_SYNTAX,
                "line 1, column 9: expected a label name");
    EXPECT_ERR (&run, OM, "a{x = \"1\"} 1\n# EOF\n", SCRAPE_RULE_LABEL_SYNTAX,
                "line 1, column 4: expected '=' after label name \"x\"");
    EXPECT_ERR (&run, OM, "a{x=\"1\"}1\n# EOF\n", SCRAPE_RULE_LINE_SYNTAX,
                "line 1, column 9: unexpected '1' after the labels");
    EXPECT_ERR (&run, OM, "a 1 12x\n# EOF\n", SCRAPE_RULE_TIMESTAMP,
                "line 1, column 5: invalid timestamp \"12x\"");
    EXPECT_ERR (&run, OM, "a 1 NaN\n# EOF\n", SCRAPE_RULE_TIMESTAMP,
                "line 1, column 5: invalid timestamp \"NaN\"");
    EXPECT_ERR (&run, OM, "a 1 # x 1\n# EOF\n", SCRAPE_RULE_EXEMPLAR,
                "line 1, column 7: exemplar: expected its labels in braces");
    EXPECT_ERR (&run, OM, "_a 1\n# EOF\n", SCRAPE_RULE_RESERVED_NAME,
                "line 1, column 1: metric name \"_a\" begins with an underscore: such names are "
                "reserved");
    EXPECT_ERR (&run, OM, "a{_x=\"1\"} 1\n# EOF\n", SCRAPE_RULE_RESERVED_NAME,
                "line 1, column 3: label name \"_x\" begins with an underscore: such names are "
                "reserved");
    EXPECT_ERR (&run, OM, "# TYPE foo untyped\n# EOF\n", SCRAPE_RULE_TYPE_UNKNOWN,
                "line 1, column 12: TYPE: unknown type \"untyped\" (expected counter, gauge, "
                "histogram, gaugehistogram, summary, stateset, info or unknown)");
    EXPECT_ERR (&run, OM, "# TYPE foo\n# EOF\n", SCRAPE_RULE_METADATA_SYNTAX,
                "line 1, column 11: TYPE: expected a metric name and a space");
    EXPECT_ERR (&run, OM, "# HELP foo\n# EOF\n", SCRAPE_RULE_METADATA_SYNTAX,
                "line 1, column 11: HELP: expected a metric name and a space");
    EXPECT_ERR (&run, OM, "# HELP foo caf\xe9\n# EOF\n", SCRAPE_RULE_UTF8,
                "line 1, column 15: HELP: the text is not valid UTF-8");
    /* an undefined escape is kept as written, as the ABNF allows it */
    EXPECT_OK (&run, OM, "a{x=\"\\a\\\\\"} 1\n# EOF\n", "untyped value a a{x=\"\\\\a\\\\\"} 1\n");
    EXPECT_OK (&run, OM, "# HELP a \\t \\q\na 1\n# EOF\n", "untyped value a a{} 1\n");
    s_done (&run);
}

static void
test_openmetrics_metadata (void)
{
    run_t run = {0};
    EXPECT_ERR (&run, OM, "# TYPE a gauge\n# TYPE a gauge\n# EOF\n", SCRAPE_RULE_METADATA_REPEATED,
                "line 2, column 8: second TYPE line for \"a\"");
    EXPECT_ERR (&run, OM, "# UNIT a_s s\n# UNIT a_s s\n# EOF\n", SCRAPE_RULE_METADATA_REPEATED,
                "line 2, column 8: second UNIT line for \"a_s\"");
    EXPECT_ERR (&run, OM, "# HELP a \n# HELP a \n# EOF\n", SCRAPE_RULE_METADATA_REPEATED,
                "line 2, column 8: second HELP line for \"a\"");
    /* any metadata after samples, HELP too */
    EXPECT_ERR (&run, OM, "# TYPE a gauge\na 1\n# HELP a x\n# EOF\n",
                SCRAPE_RULE_METADATA_AFTER_SAMPLES,
                "line 3, column 8: HELP line for \"a\" after its samples");
    EXPECT_ERR (&run, OM, "# TYPE foo counter\n# UNIT foo seconds\n# EOF\n", SCRAPE_RULE_UNIT,
                "line 2, column 12: UNIT: the name \"foo\" does not end in _seconds");
    EXPECT_ERR (&run, OM, "# TYPE foo_seconds counter\n# UNIT foo_seconds sec-onds\n# EOF\n",
                SCRAPE_RULE_METADATA_SYNTAX,
                "line 2, column 23: UNIT: \"sec-onds\" is not a unit ([a-zA-Z0-9_:]*)");
    EXPECT_ERR (&run, OM, "# TYPE x_u info\n# UNIT x_u u\n# EOF\n", SCRAPE_RULE_UNIT,
                "line 1, column 1: info \"x_u\" has a unit, which infos cannot have");
    EXPECT_ERR (&run, OM, "# UNIT x_u u\n# TYPE x_u stateset\nx_u{x_u=\"a\"} 1\n# EOF\n",
                SCRAPE_RULE_UNIT,
                "line 1, column 1: stateset \"x_u\" has a unit, which statesets cannot have");
    /* TYPE, UNIT and HELP in any order */
    EXPECT_OK (&run, OM, "# HELP a_s x\n# UNIT a_s s\n# TYPE a_s gauge\na_s 1\n# EOF\n",
               "gauge value a_s a_s{} 1\n");
    s_done (&run);
}

/* Suffixes and values each type allows. */
static void
test_openmetrics_values (void)
{
    run_t run = {0};
    EXPECT_ERR (&run, OM, "# TYPE c counter\nc 1\n# EOF\n", SCRAPE_RULE_SUFFIX,
                "line 2, column 1: \"c\" is a counter: its samples are named with _total or "
                "_created");
    EXPECT_ERR (&run, OM, "# TYPE i info\ni 1\n# EOF\n", SCRAPE_RULE_SUFFIX,
                "line 2, column 1: \"i\" is an info: its samples are named with _info");
    EXPECT_ERR (&run, OM, "# TYPE a counter\na_total -1\n# EOF\n", SCRAPE_RULE_COUNTER_VALUE,
                "line 2, column 9: counter \"a\": a_total is negative (-1)");
    EXPECT_ERR (&run, OM, "# TYPE a counter\na_total NaN\n# EOF\n", SCRAPE_RULE_COUNTER_VALUE,
                "line 2, column 9: counter \"a\": a_total is NaN");
    EXPECT_ERR (&run, OM, "# TYPE a summary\na_count 1.5\n# EOF\n", SCRAPE_RULE_INTEGER_VALUE,
                "line 2, column 9: summary \"a\": a_count is a count, and 1.5 is no integer");
    EXPECT_ERR (&run, OM, "# TYPE a summary\na{quantile=\"0.5\"} -1\n# EOF\n",
                SCRAPE_RULE_QUANTILE_VALUE,
                "line 2, column 19: summary \"a\": a quantile's value is negative (-1)");
    EXPECT_ERR (&run, OM, "# TYPE a summary\na{quantile=\"1.5\"} 1\n# EOF\n",
                SCRAPE_RULE_QUANTILE_LABEL, "line 2, column 2: quantile=\"1.5\" is outside 0 to 1");
    EXPECT_ERR (&run, OM, "# TYPE a summary\na_count{quantile=\"1\"} 1\na_sum 1\n# EOF\n",
                SCRAPE_RULE_RESERVED_NAME,
                "line 2, column 8: summary \"a\": a_count has a quantile label, which only "
                "quantiles may have");
    EXPECT_ERR (&run, OM, "# TYPE s stateset\ns{s=\"a\"} 2\n# EOF\n", SCRAPE_RULE_STATESET,
                "line 2, column 10: stateset \"s\": a state is 1 or 0, not 2");
    EXPECT_ERR (&run, OM, "# TYPE s stateset\ns{t=\"a\"} 1\n# EOF\n", SCRAPE_RULE_STATESET,
                "line 2, column 2: stateset \"s\": the sample has no label s naming its state");
    EXPECT_ERR (&run, OM, "# TYPE i info\ni_info{v=\"1\"} 2\n# EOF\n", SCRAPE_RULE_INFO_VALUE,
                "line 2, column 15: info \"i\": the value is always 1, not 2");
    /* NaN is a value like any other where counting is not meant */
    EXPECT_OK (&run, OM,
               "# TYPE g gauge\ng NaN\n# TYPE s summary\ns{quantile=\"0.5\"} NaN\n"
               "# TYPE c counter\nc_total +Inf\n# EOF\n",
               "gauge value g g{} nan\nsummary quantile s s{quantile=\"0.5\"} nan b=0.5\n"
               "counter value c c_total{} inf\n");
    s_done (&run);
}

static void
test_openmetrics_histograms (void)
{
    run_t run = {0};
    EXPECT_ERR (&run, OM,
                "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 0\n# EOF\n",
                SCRAPE_RULE_BUCKET_CUMULATIVE,
                "line 3, column 21: histogram \"h\": bucket le=+Inf counts 0, fewer than the 1 "
                "below it");
    EXPECT_ERR (&run, OM, "# TYPE h histogram\nh_bucket{le=\"inf\"} 1\n# EOF\n",
                SCRAPE_RULE_BUCKET_LABEL,
                "line 2, column 9: le=\"inf\": positive infinity is written +Inf");
    EXPECT_ERR (&run, OM, "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n# EOF\n",
                SCRAPE_RULE_COUNT_SUM,
                "line 2, column 1: histogram \"h\" has _sum but no _count: they come together");
    EXPECT_ERR (&run, OM,
                "# TYPE h histogram\nh_bucket{le=\"-1\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n"
                "h_sum 0\n# EOF\n",
                SCRAPE_RULE_NEGATIVE_BUCKET_SUM,
                "line 2, column 1: histogram \"h\" has a negative bucket, so it can have no _sum");
    EXPECT_ERR (&run, OM, "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1.5\n# EOF\n",
                SCRAPE_RULE_INTEGER_VALUE,
                "line 2, column 21: histogram \"h\": h_bucket is a count, and 1.5 is no integer");
    EXPECT_ERR (&run, OM, "# TYPE h histogram\nh_count{le=\"1\"} 0\n# EOF\n",
                SCRAPE_RULE_RESERVED_NAME,
                "line 2, column 8: histogram \"h\": h_count has a le label, which only buckets "
                "may have");
    /* exemplars: on counter totals and buckets, within 128 characters and
     * within their bucket */
    EXPECT_ERR (&run, OM, "# TYPE h histogram\nh_bucket{le=\"1\"} 1 # {} 2\n# EOF\n",
                SCRAPE_RULE_EXEMPLAR_VALUE,
                "line 2, column 20: the exemplar's value 2 is not within its bucket (le=1)");
    EXPECT_ERR (&run, OM, "# TYPE g gauge\ng 1 # {} 2\n# EOF\n", SCRAPE_RULE_EXEMPLAR_PLACEMENT,
                "line 2, column 5: an exemplar on g, which is no counter total or histogram "
                "bucket");
    /* a negative bucket with no sum is fine, and so is a gauge histogram's
     * negative sum beside one */
    EXPECT_OK (&run, OM,
               "# TYPE h histogram\nh_bucket{le=\"-1\"} 0\nh_bucket{le=\"+Inf\"} 1\n"
               "# TYPE g gaugehistogram\ng_bucket{le=\"-1\"} 1\ng_bucket{le=\"+Inf\"} 1\n"
               "g_gcount 1\ng_gsum -3\n# EOF\n",
               "histogram bucket h h_bucket{le=\"-1\"} 0 b=-1\n"
               "histogram bucket h h_bucket{le=\"+Inf\"} 1 b=inf\n"
               "gaugehistogram bucket g g_bucket{le=\"-1\"} 1 b=-1\n"
               "gaugehistogram bucket g g_bucket{le=\"+Inf\"} 1 b=inf\n"
               "gaugehistogram count g g_gcount{} 1\ngaugehistogram sum g g_gsum{} -3\n");
    s_done (&run);
}

/* Families, metrics and metric points come together, timestamps go up. */
static void
test_openmetrics_order (void)
{
    run_t run = {0};
    EXPECT_ERR (&run, OM, "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n# EOF\n",
                SCRAPE_RULE_FAMILY_INTERLEAVED,
                "line 5, column 1: a sample of family \"a\" after other families' lines; a "
                "family's lines come together");
    EXPECT_ERR (&run, OM, "# TYPE a gauge\na 1\n# TYPE b gauge\n# HELP a x\n# EOF\n",
                SCRAPE_RULE_FAMILY_INTERLEAVED,
                "line 4, column 8: HELP of family \"a\" after other families' lines; a family's "
                "lines come together");
    EXPECT_ERR (&run, OM, "# TYPE a_created gauge\n# TYPE a counter\n# EOF\n",
                SCRAPE_RULE_NAME_CLASH,
                "line 2, column 1: counter \"a\" and gauge \"a_created\" could both write the "
                "same sample name");
    EXPECT_ERR (&run, OM, "# TYPE a histogram\n# TYPE a_count gauge\n# EOF\n",
                SCRAPE_RULE_NAME_CLASH,
                "line 2, column 1: gauge \"a_count\" and histogram \"a\" could both write the "
                "same sample name");
    EXPECT_ERR (&run, OM, "a{x=\"1\"} 1\na{x=\"2\"} 1\na{x=\"1\"} 2\n# EOF\n",
                SCRAPE_RULE_METRIC_INTERLEAVED,
                "line 3, column 2: a: this metric of \"a\" came earlier, before another one's "
                "samples; a metric's samples come together");
    EXPECT_ERR (&run, OM, "a 1 2\na 1 1\n# EOF\n", SCRAPE_RULE_TIMESTAMP_ORDER,
                "line 2, column 5: a: timestamp 1 is before the metric's previous one, 2");
    EXPECT_ERR (&run, OM, "a 1\na 1 1\n# EOF\n", SCRAPE_RULE_TIMESTAMP_ORDER,
                "line 2, column 5: a: a metric's samples all have a timestamp or none has");
    /* a metric's points in order, each whole */
    EXPECT_OK (
        &run, OM,
        "# TYPE s summary\ns_count{a=\"b\"} 0 123\ns_sum{a=\"b\"} 0 123\n"
        "s_count{a=\"b\"} 1 456\ns_sum{a=\"b\"} 2 456\ns_count{a=\"c\"} 0 123\n"
        "s_sum{a=\"c\"} 0 123\n# EOF\n",
        "summary count s s_count{a=\"b\"} 0 @123000\nsummary sum s s_sum{a=\"b\"} 0 @123000\n"
        "summary count s s_count{a=\"b\"} 1 @456000\nsummary sum s s_sum{a=\"b\"} 2 @456000\n"
        "summary count s s_count{a=\"c\"} 0 @123000\n"
        "summary sum s s_sum{a=\"c\"} 0 @123000\n");
    EXPECT_ERR (&run, OM,
                "# TYPE s summary\ns_count{a=\"b\"} 0 123\ns_count{a=\"b\"} 0 456\n"
                "s_sum{a=\"b\"} 0 123\n# EOF\n",
                SCRAPE_RULE_TIMESTAMP_ORDER,
                "line 4, column 16: s_sum: timestamp 123 is before the metric's previous one, 456");
    /* a sample repeated in its point, or a point in the millisecond of the
     * one before: the first is kept, the repeat counted */
    EXPECT_OK (&run, OM, "a 1\na 2\nb 1 0\nb 2 0.0001\nb 3 0.001\n# EOF\n",
               "untyped value a a{} 1\nuntyped value b b{} 1 @0\nuntyped value b b{} 3 @1\n");
    ASSERT_EQ (run.res.duplicates, 2);
    s_done (&run);
}

/* ---- where the formats differ ------------------------------------------ */

static void
test_format_differences (void)
{
    run_t run = {0};
    /* families interleave in 0.0.4 */
    const char *interleaved = "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x=\"1\"} 2\n";
    EXPECT_OK (&run, PROM, interleaved,
               "gauge value a a{} 1\ngauge value b b{} 1\ngauge value a a{x=\"1\"} 2\n");
    s_run (&run, OM, interleaved);
    ASSERT_EQ (run.res.first_rule, SCRAPE_RULE_FAMILY_INTERLEAVED);
    /* a counter and its _created gauge, as prometheus_client writes 0.0.4 */
    const char *created = "# TYPE t counter\nt_total 1\n# TYPE t_created gauge\nt_created 5\n";
    EXPECT_OK (&run, PROM, created,
               "untyped value t_total t_total{} 1\ngauge created t_created t_created{} 5\n");
    s_run (&run, OM, "# TYPE t counter\nt_total 1\n# TYPE t_created gauge\nt_created 5\n# EOF\n");
    ASSERT_EQ (run.res.first_rule, SCRAPE_RULE_NAME_CLASH);
    /* 0.0.4 counters may be negative or NaN; OpenMetrics counters may not */
    EXPECT_OK (&run, PROM, "# TYPE c counter\nc -1\n", "counter value c c{} -1\n");
    s_run (&run, OM, "# TYPE c counter\nc_total -1\n# EOF\n");
    ASSERT_EQ (run.res.first_rule, SCRAPE_RULE_COUNTER_VALUE);
    /* quantiles in any order in OpenMetrics, increasing in 0.0.4 */
    const char *quantiles = "# TYPE s summary\ns{quantile=\"0.9\"} 1\ns{quantile=\"0.5\"} 1\n";
    s_run (&run, PROM, quantiles);
    ASSERT_EQ (run.res.first_rule, SCRAPE_RULE_QUANTILE_ORDER);
    vg_buf_t om = {0};
    vg_buf_printf (&om, "%s# EOF\n", quantiles);
    EXPECT_OK (&run, OM, om.data,
               "summary quantile s s{quantile=\"0.9\"} 1 b=0.9\n"
               "summary quantile s s{quantile=\"0.5\"} 1 b=0.5\n");
    vg_buf_free (&om);
    /* a _count without _sum is fine in 0.0.4 */
    EXPECT_OK (&run, PROM, "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",
               "histogram bucket h h_bucket{le=\"+Inf\"} 1 b=inf\nhistogram count h h_count{} 1\n");
    s_run (&run, OM, "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n# EOF\n");
    ASSERT_EQ (run.res.first_rule, SCRAPE_RULE_COUNT_SUM);
    /* timestamps: integer milliseconds in 0.0.4, seconds in OpenMetrics */
    EXPECT_OK (&run, PROM, "a 1 1500\n", "untyped value a a{} 1 @1500\n");
    EXPECT_OK (&run, OM, "a 1 1.5\n# EOF\n", "untyped value a a{} 1 @1500\n");
    s_done (&run);
}

/* ---- limits ----------------------------------------------------------- */

static void
test_limits (void)
{
    run_t run = {0};
    scrape_options_t opts = {.max_samples = 3};
    const char *five = "a 1\nb 2\nc{x=\"1\"} 3\nd 4\ne 5\n";
    s_run_opts (&run, PROM, five, &opts);
    ASSERT_EQ (run.rc, VG_ETOOBIG);
    ASSERT_EQ (run.res.first_rule, SCRAPE_RULE_SAMPLE_LIMIT);
    ASSERT_STR_EQ (run.res.first_error, "line 4, column 1: more than max_samples (3) samples");
    ASSERT_STR_EQ (run.out.data, "");
    /* keep_valid_lines: the first ones are kept, the rest counted */
    opts.keep_valid_lines = 1;
    s_run_opts (&run, PROM, "a 1\nb 2\nc{x=\"1\"} 3\nd 4\nbad line\ne 5\n", &opts);
    ASSERT_EQ (run.res.samples, 3);
    ASSERT_EQ (run.res.dropped_samples, 2);
    ASSERT_EQ (run.res.errors, 1); /* a broken line past the cap is still reported */
    ASSERT_STR_EQ (run.res.first_error, "line 5, column 5: invalid value \"line\"");
    ASSERT_STR_EQ (run.out.data,
                   "untyped value a a{} 1\nuntyped value b b{} 2\nuntyped value c c{x=\"1\"} 3\n");

    opts = (scrape_options_t){.max_label_count = 2};
    s_run_opts (&run, PROM, "a{x=\"1\",y=\"2\"} 1\nb{x=\"1\",y=\"2\",z=\"3\"} 2\n", &opts);
    ASSERT_EQ (run.rc, VG_ETOOBIG);
    ASSERT_STR_EQ (run.res.first_error, "line 2, column 15: label \"z\" is past max_label_count");
    opts.keep_valid_lines = 1;
    s_run_opts (&run, PROM,
                "a{x=\"1\",y=\"2\"} 1\nb{x=\"1\",y=\"2\",z=\"3\"} 2\n"
                "c{x=\"1\",y=\"1\",z=\"1\",z=\"1\"} 3\n",
                &opts);
    ASSERT_EQ (run.res.samples, 1);
    ASSERT_EQ (run.res.dropped_labels, 2);
    ASSERT_EQ (run.res.errors, 0); /* a duplicate past the cap is not looked for */
    ASSERT_STR_EQ (run.out.data, "untyped value a a{x=\"1\",y=\"2\"} 1\n");

    opts = (scrape_options_t){.max_label_length = 8, .keep_valid_lines = 1};
    s_run_opts (&run, PROM,
                "a{x=\"abcdefgh\"} 1\n"
                "b{x=\"abcdefghi\"} 1\n"
                "c{x=\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"} 1\n"
                "d{x=\"a\\\\\\\\bcdef\"} 1\n"
                "e{long_keys=\"1\"} 1\n"
                "long_name 1\n"
                "lone 1\n",
                &opts);
    ASSERT_EQ (run.res.errors, 0);
    ASSERT_EQ (run.res.dropped_labels, 3); /* abcdefghi, and names of 9 bytes */
    ASSERT_STR_EQ (run.out.data, "untyped value a a{x=\"abcdefgh\"} 1\n"
                                 "untyped value c c{x=\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"} 1\n"
                                 "untyped value d d{x=\"a\\\\\\\\bcdef\"} 1\n"
                                 "untyped value lone lone{} 1\n");
    opts.keep_valid_lines = 0;
    s_run_opts (&run, OM, "abcdefghi 1\n# EOF\n", &opts);
    ASSERT_EQ (run.rc, VG_ETOOBIG);
    ASSERT_EQ (run.res.first_rule, SCRAPE_RULE_LABEL_LIMIT);

    /* a line of 100,000 labels is dropped without storing them */
    vg_buf_t big = {0};
    vg_buf_puts (&big, "many{");
    for (int i = 0; i < 100000; i++)
        vg_buf_printf (&big, "%sl%d=\"v\"", i ? "," : "", i);
    vg_buf_puts (&big, "} 1\nafter 2\n");
    opts = (scrape_options_t){.max_label_count = 64, .keep_valid_lines = 1};
    s_run_opts (&run, PROM, big.data, &opts);
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
    ASSERT_EQ (scrape_format_from_content_type ("application/openmetrics-text; version=1.0.0; "
                                                "charset=utf-8",
                                                &f),
               VG_OK);
    ASSERT_EQ (f, OM);
    ASSERT_EQ (scrape_format_from_content_type ("text/plain; version=0.0.4; charset=utf-8", &f),
               VG_OK);
    ASSERT_EQ (f, PROM);
    ASSERT_EQ (scrape_format_from_content_type ("  Application/OpenMetrics-Text", &f), VG_OK);
    ASSERT_EQ (f, OM);
    ASSERT_EQ (scrape_format_from_content_type ("application/openmetrics-text;version=0.0.1", &f),
               VG_OK);
    ASSERT_EQ (f, OM);
    ASSERT_EQ (scrape_format_from_content_type ("TEXT/PLAIN", &f), VG_OK);
    ASSERT_EQ (f, PROM);
    ASSERT_EQ (scrape_format_from_content_type ("text/plain; charset=\"utf-8\"", &f), VG_OK);
    ASSERT_EQ (scrape_format_from_content_type ("text/html; charset=utf-8", &f), VG_ENOTFOUND);
    ASSERT_EQ (scrape_format_from_content_type ("text/plainer", &f), VG_ENOTFOUND);
    ASSERT_EQ (scrape_format_from_content_type ("text/plain; version", &f), VG_ENOTFOUND);
    ASSERT_EQ (scrape_format_from_content_type ("text/plain; charset=\"utf-8", &f), VG_ENOTFOUND);
    ASSERT_EQ (scrape_format_from_content_type ("text/", &f), VG_ENOTFOUND);
    ASSERT_EQ (scrape_format_from_content_type ("", &f), VG_ENOTFOUND);
    ASSERT_EQ (scrape_format_from_content_type ("application/vnd.google.protobuf; "
                                                "proto=io.prometheus.client.MetricFamily; "
                                                "encoding=delimited",
                                                &f),
               VG_ENOTFOUND);
    ASSERT_EQ (scrape_format_from_content_type (NULL, &f), VG_ENOTFOUND);

    const char *om = "a 1\n# EOF\n", *om2 = "a 1\n# EOF \r\n\n", *prom = "a 1\n# EOFF\n";
    ASSERT_EQ (scrape_format_guess (om, strlen (om)), OM);
    ASSERT_EQ (scrape_format_guess (om2, strlen (om2)), OM);
    ASSERT_EQ (scrape_format_guess ("# EOF", 5), OM);
    ASSERT_EQ (scrape_format_guess (prom, strlen (prom)), PROM);
    ASSERT_EQ (scrape_format_guess ("", 0), PROM);
    ASSERT_EQ (scrape_format_guess (NULL, 0), PROM);
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

    /* thousands of families and metrics, all typed, the tables growing */
    vg_buf_t text = {0};
    for (int i = 0; i < 20000; i++)
        vg_buf_printf (&text, "# TYPE m%d counter\nm%d_total{i=\"%d\"} %d\nm%d_total{i=\"x\"} 1\n",
                       i, i, i, i, i);
    vg_buf_puts (&text, "# EOF\n");
    s_run (&run, OM, text.data);
    ASSERT_EQ (run.res.errors, 0);
    ASSERT_EQ (run.res.samples, 40000);
    ASSERT_STR_CONTAINS (run.out.data, "counter value m19999 m19999_total{i=\"19999\"} 19999\n");
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
    test_prometheus_line_ends ();
    test_openmetrics_full ();
    test_openmetrics_syntax ();
    test_openmetrics_metadata ();
    test_openmetrics_values ();
    test_openmetrics_histograms ();
    test_openmetrics_order ();
    test_format_differences ();
    test_limits ();
    test_formats ();
    test_reuse ();
    printf ("test_scrape_parse: ok\n");
    return 0;
}
