/*  test_report_render.c - the report's renderers without a database: SVG
 *  charts (a circle per data point, lines broken where data is missing,
 *  deploy markers inside the window only, labels escaped, "no data"),
 *  figures formatted for people, markdown for Slack, JSON (null for what is
 *  missing, NaN and infinities) and the page's policy against fetching. */
#include "report_fmt.h"
#include "report_html.h"
#include "report_json.h"
#include "report_md.h"
#include "report_model.h"
#include "report_svg.h"
#include "test_assert.h"
#include "vg_alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static size_t
s_count (const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr (hay, needle); p; p = strstr (p + 1, needle))
        n++;
    return n;
}

static report_chart_t *
s_chart (report_t *r, size_t n)
{
    report_chart_t *c =
        report_model_chart (r, "latency", "Response <time>", REPORT_UNIT_SECONDS, n);
    for (size_t i = 0; i < n; i++) {
        c->ts_ms[i] = (int64_t)i * 3600000;
        c->labels[i] = vg_asprintf ("%02zu:00", i);
    }
    c->lines[0].name = "P95";
    c->lines[0].vals = vg_calloc (n, sizeof (report_val_t));
    c->nlines = 1;
    return c;
}

static void
s_test_svg (void)
{
    report_t *r = report_model_new ();
    report_chart_t *c = s_chart (r, 6);
    double v[] = {0.5, 1.5, -1, 2.0, NAN, 0.25}; /* -1: missing */
    for (int i = 0; i < 6; i++)
        c->lines[0].vals[i] = v[i] < 0 ? report_val_none () : report_val (v[i]);
    report_mark_t marks[] = {
        {.ts_ms = 2 * 3600000 + 600000, .when = "02:10", .service = "api", .version = "1.<2>"},
        {.ts_ms = 99 * 3600000LL, .when = "x", .service = "api", .version = "outside"},
    };
    report_svg_frame_t f = {
        .from_ms = 0, .to_ms = 6 * 3600000, .marks = marks, .nmarks = 2, .time_axis = "hour (UTC)"};
    vg_buf_t out = {0};
    size_t points = report_svg_chart (&out, c, &f);
    vg_buf_puts (&out, "");
    /* NaN and the missing step are not points; they break the line. */
    ASSERT_EQ (points, 4);
    ASSERT_EQ (s_count (out.data, "<circle class=\"pt\""), 4);
    ASSERT_EQ (s_count (out.data, "<polyline"), 3);
    ASSERT_STR_CONTAINS (out.data, "data-points=\"4\"");
    ASSERT_EQ (s_count (out.data, "class=\"deploy\""), 1);
    ASSERT_STR_CONTAINS (out.data, "1.&lt;2&gt;");
    ASSERT_STR_CONTAINS (out.data, "aria-label=\"Response &lt;time&gt;\"");
    ASSERT_STR_CONTAINS (out.data, "<title>03:00 P95: 2.00 s</title>");
    ASSERT (!strstr (out.data, "no data"));
    ASSERT (!strstr (out.data, "<time>"));
    /* Without any value: says so, draws nothing. */
    for (int i = 0; i < 6; i++)
        c->lines[0].vals[i] = report_val_none ();
    vg_buf_reset (&out);
    ASSERT_EQ (report_svg_chart (&out, c, &f), 0);
    vg_buf_puts (&out, "");
    ASSERT_STR_CONTAINS (out.data, "no data in this period");
    ASSERT_EQ (s_count (out.data, "<circle"), 0);
    vg_buf_free (&out);
    report_model_destroy (&r);
}

static void
s_fmt (const char *want, double v, report_unit_t unit)
{
    char buf[64];
    report_fmt_value (buf, sizeof buf, report_val (v), unit, "USD");
    ASSERT_STR_EQ (buf, want);
}

static void
s_test_fmt (void)
{
    s_fmt ("1,234,567", 1234567, REPORT_UNIT_COUNT);
    s_fmt ("-12", -12, REPORT_UNIT_COUNT);
    s_fmt ("2.93 %", 0.02929, REPORT_UNIT_PERCENT);
    s_fmt ("949 ms", 0.9491, REPORT_UNIT_SECONDS);
    s_fmt ("1.95 s", 1.954, REPORT_UNIT_SECONDS);
    s_fmt ("850 MB", 850e6, REPORT_UNIT_BYTES);
    s_fmt ("1.5 GB", 1.5e9, REPORT_UNIT_BYTES);
    s_fmt ("285.60 USD", 285.6, REPORT_UNIT_MONEY);
    s_fmt ("43.7 %", 43.71, REPORT_UNIT_CPU);
    s_fmt ("NaN", NAN, REPORT_UNIT_SECONDS);
    s_fmt ("+Inf", INFINITY, REPORT_UNIT_COUNT);
    s_fmt ("4.2 s", 4.2, REPORT_UNIT_DURATION);
    s_fmt ("45 s", 45, REPORT_UNIT_DURATION);
    s_fmt ("12m 30s", 750, REPORT_UNIT_DURATION);
    s_fmt ("3h 05m", 3 * 3600 + 5 * 60 + 10, REPORT_UNIT_DURATION);
    s_fmt ("2d 4h", 2 * 86400 + 4 * 3600 + 59, REPORT_UNIT_DURATION);
    char buf[16];
    report_fmt_value (buf, sizeof buf, report_val_none (), REPORT_UNIT_COUNT, NULL);
    ASSERT_STR_EQ (buf, "-");
    ASSERT_EQ (report_fmt_width ("⚠ a"), 3);
}

/* A small report through every renderer. */
static void
s_test_renderers (void)
{
    report_t *r = report_model_new ();
    r->kind = vg_strdup ("daily");
    r->tz = vg_strdup ("Asia/Seoul");
    r->selector = vg_strdup ("service=\"chat-api\"");
    r->first_day = vg_strdup ("2025-06-15");
    r->last_day = vg_strdup ("2025-06-15");
    r->currency = vg_strdup ("USD");
    report_section_t *s = report_model_section (r, "latency", "Response time");
    report_model_fig (s, "p95", "P95", report_val (1.95), REPORT_UNIT_SECONDS, NULL);
    report_model_fig (s, "p99", "P99", report_val (NAN), REPORT_UNIT_SECONDS, NULL);
    report_table_t *t = report_model_table (s, "by_endpoint", "By endpoint", "endpoint");
    report_model_col (t, "requests", "Requests", REPORT_UNIT_COUNT);
    report_model_row (t, "/chat")->vals[0] = report_val (52200);
    report_model_row (t, "/<script>")->vals[0] = report_val_none ();
    report_section_t *empty = report_model_section (r, "users", "Peak concurrent users");
    report_model_none (empty, "no data: app_concurrent_users has nothing");
    s_chart (r, 3);

    vg_buf_t md = {0}, json = {0}, html = {0};
    report_md_render (r, &md);
    ASSERT_STR_CONTAINS (md.data,
                         "*Daily report · 2025-06-15 (Asia/Seoul)* · `service=\"chat-api\"`");
    ASSERT_STR_CONTAINS (md.data, "• P95: *1.95 s*");
    ASSERT_STR_CONTAINS (md.data, "*Peak concurrent users* — _no data: app_concurrent_users");
    ASSERT_STR_CONTAINS (md.data,
                         "```\nendpoint   Requests\n/chat        52,200\n/<script>         -\n```");
    report_json_render (r, &json);
    ASSERT_STR_CONTAINS (json.data,
                         "\"p95\": {\"label\": \"P95\", \"value\": 1.95, \"unit\": \"seconds\"}");
    ASSERT_STR_CONTAINS (json.data, "\"p99\": {\"label\": \"P99\", \"value\": null");
    ASSERT_STR_CONTAINS (json.data, "\"none\": \"no data: app_concurrent_users has nothing\"");
    ASSERT_STR_CONTAINS (json.data, "{\"key\": \"/chat\", \"requests\": 52200}");
    report_html_render (r, &html);
    ASSERT_STR_CONTAINS (html.data, "default-src 'none'");
    ASSERT_STR_CONTAINS (html.data, "<td>/&lt;script&gt;</td>");
    ASSERT (!strstr (html.data, "<script"));
    ASSERT_EQ (s_count (html.data, "<svg "), 1);
    vg_buf_free (&md);
    vg_buf_free (&json);
    vg_buf_free (&html);
    report_model_destroy (&r);
}

int
main (void)
{
    s_test_svg ();
    s_test_fmt ();
    s_test_renderers ();
    printf ("test_report_render: ok\n");
    return 0;
}
