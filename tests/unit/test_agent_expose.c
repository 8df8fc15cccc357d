/*  test_agent_expose.c - batches as Prometheus text: types, escapes, sorting,
 *  special values and distributions as summaries. */
#include "agent_expose.h"
#include "test_assert.h"
#include "vg_batch.h"
#include "vg_buf.h"
#include "vg_sketch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_expected =
    "# TYPE bad_name_x gauge\n"
    "bad_name_x 1\n"
    "# TYPE cpu_percent gauge\n"
    "cpu_percent{mode=\"system\"} 1.25\n"
    "cpu_percent{mode=\"user\"} 4\n"
    "# TYPE http_requests_total counter\n"
    "http_requests_total{msg=\"say \\\"hi\\\"\\nbye\",path=\"C:\\\\dir\"} 42\n"
    "# TYPE mem_used_bytes gauge\n"
    "mem_used_bytes 84718682112\n"
    "# TYPE request_seconds summary\n"
    "request_seconds{endpoint=\"/chat\",quantile=\"0.5\"} 0.25\n"
    "request_seconds{endpoint=\"/chat\",quantile=\"0.9\"} 0.25\n"
    "request_seconds{endpoint=\"/chat\",quantile=\"0.95\"} 0.25\n"
    "request_seconds{endpoint=\"/chat\",quantile=\"0.99\"} 0.25\n"
    "request_seconds_sum{endpoint=\"/chat\"} 1\n"
    "request_seconds_count{endpoint=\"/chat\"} 4\n"
    "# TYPE small gauge\n"
    "small 0.1\n"
    "small{x=\"\"} 1e-07\n";

static void
test_exact (void)
{
    vg_batch_t *b = vg_batch_new ("agent", "host");
    int64_t t = 1700000000000;
    vg_label_t user = {"mode", "user"}, sys = {"mode", "system"};
    /* Added out of order on purpose; the output is sorted. The batch keeps no
     * NaN or infinite sample, so temp and ratio have none and do not show. */
    uint32_t s = vg_batch_series (b, "temp", VG_KIND_GAUGE, NULL, 0);
    vg_batch_add_sample (b, s, t, NAN);
    s = vg_batch_series (b, "cpu_percent", VG_KIND_GAUGE, &user, 1);
    vg_batch_add_sample (b, s, t, 3.5);
    vg_batch_add_sample (b, s, t + 1000, 4); /* the latest sample wins */
    s = vg_batch_series (b, "cpu_percent", VG_KIND_GAUGE, &sys, 1);
    vg_batch_add_sample (b, s, t, 1.25);
    vg_label_t req[] = {{"path", "C:\\dir"}, {"msg", "say \"hi\"\nbye"}};
    s = vg_batch_series (b, "http_requests_total", VG_KIND_COUNTER, req, 2);
    vg_batch_add_sample (b, s, t, 42);
    s = vg_batch_series (b, "mem_used_bytes", VG_KIND_GAUGE, NULL, 0);
    vg_batch_add_sample (b, s, t, 84718682112.0);
    vg_label_t low = {"side", "low"}, high = {"side", "high"};
    s = vg_batch_series (b, "ratio", VG_KIND_GAUGE, &low, 1);
    vg_batch_add_sample (b, s, t, -INFINITY);
    s = vg_batch_series (b, "ratio", VG_KIND_GAUGE, &high, 1);
    vg_batch_add_sample (b, s, t, INFINITY);
    s = vg_batch_series (b, "bad-name.x", VG_KIND_GAUGE, NULL, 0);
    vg_batch_add_sample (b, s, t, 1);
    s = vg_batch_series (b, "small", VG_KIND_GAUGE, NULL, 0);
    vg_batch_add_sample (b, s, t, 0.1);
    vg_label_t empty = {"x", ""};
    s = vg_batch_series (b, "small", VG_KIND_GAUGE, &empty, 1);
    vg_batch_add_sample (b, s, t, 1e-7);

    vg_sketch_t *sk = vg_sketch_new ();
    for (int i = 0; i < 4; i++)
        vg_sketch_add (sk, 0.25);
    vg_label_t chat = {"endpoint", "/chat"};
    s = vg_batch_series (b, "request_seconds", VG_KIND_DISTRIBUTION, &chat, 1);
    vg_batch_add_dist (b, s, t, sk);
    vg_sketch_destroy (&sk);
    vg_batch_add_event (b, t, "deploy", NULL, 0, "v1.2"); /* not part of the format */

    vg_buf_t out = {0};
    agent_expose_batch (b, &out);
    if (!out.data || strcmp (out.data, s_expected) != 0)
        TEST_FAIL ("exposition differs.\n--- got:\n%s--- expected:\n%s", out.data ? out.data : "",
                   s_expected);
    vg_buf_free (&out);

    /* An empty batch gives nothing. */
    vg_batch_clear (b);
    agent_expose_batch (b, &out);
    ASSERT_EQ (out.len, 0);
    vg_buf_free (&out);
    vg_batch_destroy (&b);
}

/* A spread of values: each quantile line is within the sketch's 1 % of the
 * exact value, and sum/count are exact. */
static void
test_quantiles (void)
{
    vg_batch_t *b = vg_batch_new ("agent", "host");
    vg_sketch_t *sk = vg_sketch_new ();
    for (int i = 1; i <= 1000; i++)
        vg_sketch_add (sk, i);
    uint32_t s = vg_batch_series (b, "latency_ms", VG_KIND_DISTRIBUTION, NULL, 0);
    vg_batch_add_dist (b, s, 1, sk);
    vg_sketch_destroy (&sk);
    vg_buf_t out = {0};
    agent_expose_batch (b, &out);
    const char *qs[] = {"0.5", "0.9", "0.95", "0.99"};
    double exact[] = {500, 900, 950, 990};
    for (int i = 0; i < 4; i++) {
        char key[64];
        snprintf (key, sizeof key, "latency_ms{quantile=\"%s\"} ", qs[i]);
        const char *at = strstr (out.data, key);
        if (!at)
            TEST_FAIL ("no %s in:\n%s", key, out.data);
        double v = strtod (at + strlen (key), NULL);
        ASSERT_NEAR (v, exact[i], exact[i] * 0.0101);
    }
    ASSERT_STR_CONTAINS (out.data, "# TYPE latency_ms summary\n");
    ASSERT_STR_CONTAINS (out.data, "\nlatency_ms_sum 500500\n");
    ASSERT_STR_CONTAINS (out.data, "\nlatency_ms_count 1000\n");
    vg_buf_free (&out);
    vg_batch_destroy (&b);
}

int
main (void)
{
    test_exact ();
    test_quantiles ();
    printf ("test_agent_expose: OK\n");
    return 0;
}
