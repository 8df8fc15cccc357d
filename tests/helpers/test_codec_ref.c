/*  test_codec_ref.c - the codec tests' reference batch (test_codec_ref.h). */
#include "test_codec_ref.h"
#include "test_assert.h"
#include "vg_codec.h"
#include "vg_wire.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

vg_batch_t *
test_codec_reference (void)
{
    vg_batch_t *b = vg_batch_new ("agent-7f3a", "web-1.example.com");
    b->seq = 42;
    b->incarnation = 0x9e3779b97f4a7c15ULL; /* above INT64_MAX: all 64 bits travel */
    b->interval_ms = 10000;
    b->sent_ms = TEST_CODEC_T0 + 10000;
    vg_label_t cpu_l[] = {{"mode", "user"}};
    vg_label_t req_l[] = {{"path", "/"}, {"method", "GET"}};
    vg_label_t lat_l[] = {{"path", "/chat"}};
    uint32_t cpu = vg_batch_series (b, "cpu", VG_KIND_GAUGE, cpu_l, 1);
    uint32_t req = vg_batch_series (b, "requests", VG_KIND_COUNTER, req_l, 2);
    uint32_t lat = vg_batch_series (b, "latency", VG_KIND_DISTRIBUTION, lat_l, 1);
    ASSERT_EQ (cpu, 0);
    ASSERT_EQ (req, 1);
    ASSERT_EQ (lat, 2);
    for (int i = 0; i < 10; i++) {
        vg_batch_add_sample (b, cpu, TEST_CODEC_T0 + i * 1000, 12.5 + i);
        vg_batch_add_sample (b, req, TEST_CODEC_T0 + i * 1000, 1e12 + i);
    }
    vg_batch_add_sample (b, cpu, TEST_CODEC_T0 - 5, -0.0);
    vg_batch_add_sample (b, cpu, TEST_CODEC_T0 + 7, DBL_MAX);
    vg_batch_add_sample (b, cpu, TEST_CODEC_T0 + 8, -DBL_MIN);

    vg_sketch_t *pos = vg_sketch_new (), *mixed = vg_sketch_new ();
    for (int i = 1; i <= 1000; i++)
        vg_sketch_add (pos, i * 0.25);
    for (int i = -300; i <= 300; i++)
        vg_sketch_add (mixed, i * 3.0); /* includes 0 */
    vg_sketch_add (mixed, 1e-12);       /* counts as zero */
    vg_batch_take_dist (b, lat, TEST_CODEC_T0 + 10000, &pos);
    vg_batch_take_dist (b, lat, TEST_CODEC_T0 + 20000, &mixed);

    vg_label_t ev_l[] = {{"version", "1.4.2"}, {"env", "prod"}};
    vg_batch_add_event (b, TEST_CODEC_T0 + 3000, "deploy", ev_l, 2, "deployed 1.4.2 \xe2\x9c\x93");
    vg_batch_add_event (b, TEST_CODEC_T0 + 4000, "backup", NULL, 0, NULL);
    return b;
}

vg_buf_t
test_codec_frame (vg_batch_t **batch_p)
{
    size_t len;
    uint8_t *enc = NULL;
    ASSERT_EQ (vg_codec_encode_batch (*batch_p, &enc, &len), 0);
    vg_buf_t buf = {0};
    vg_buf_append (&buf, enc, len - VG_WIRE_CRC_TRAILER);
    free (enc);
    vg_batch_destroy (batch_p);
    return buf;
}

vg_buf_t
test_codec_base (void)
{
    vg_batch_t *b = test_codec_reference ();
    return test_codec_frame (&b);
}

/* ---- comparing batches ---- */

static void
s_assert_labels (const vg_batch_t *a, const uint32_t *la, const vg_batch_t *b, const uint32_t *lb,
                 uint32_t n)
{
    for (uint32_t k = 0; k < 2 * n; k++)
        ASSERT_STR_EQ (a->strings[la[k]], b->strings[lb[k]]);
}

static void
s_assert_store (const vg_sketch_store_t *a, const vg_sketch_store_t *b)
{
    /* Same non-empty buckets, whatever the dense layout. */
    size_t na = 0, nb = 0;
    for (uint32_t k = 0; k < a->len; k++)
        if (a->counts[k]) {
            na++;
            int64_t k2 = (int64_t)a->offset + k - b->offset;
            ASSERT (k2 >= 0 && k2 < (int64_t)b->len);
            ASSERT_EQ (b->counts[k2], a->counts[k]);
        }
    for (uint32_t k = 0; k < b->len; k++)
        nb += b->counts[k] != 0;
    ASSERT_EQ (na, nb);
}

void
test_codec_assert_same (const vg_batch_t *a, const vg_batch_t *b)
{
    ASSERT_STR_EQ (a->agent_id, b->agent_id);
    ASSERT_STR_EQ (a->hostname, b->hostname);
    ASSERT_EQ (a->seq, b->seq);
    ASSERT (a->incarnation == b->incarnation);
    ASSERT_EQ (a->interval_ms, b->interval_ms);
    ASSERT_EQ (a->sent_ms, b->sent_ms);
    ASSERT_EQ (a->nseries, b->nseries);
    for (uint32_t i = 0; i < a->nseries; i++) {
        ASSERT_STR_EQ (a->strings[a->series[i].name], b->strings[b->series[i].name]);
        ASSERT_EQ (a->series[i].kind, b->series[i].kind);
        ASSERT_EQ (a->series[i].nlabels, b->series[i].nlabels);
        s_assert_labels (a, a->series[i].labels, b, b->series[i].labels, a->series[i].nlabels);
    }
    ASSERT_EQ (a->nsamples, b->nsamples);
    for (size_t i = 0; i < a->nsamples; i++) {
        ASSERT_EQ (a->sample_series[i], b->sample_series[i]);
        ASSERT_EQ (a->sample_ts_ms[i], b->sample_ts_ms[i]);
        ASSERT (memcmp (&a->sample_value[i], &b->sample_value[i], 8) == 0); /* bit-exact, -0 */
    }
    ASSERT_EQ (a->ndists, b->ndists);
    for (size_t i = 0; i < a->ndists; i++) {
        const vg_sketch_t *x = a->dists[i].sketch, *y = b->dists[i].sketch;
        ASSERT_EQ (a->dists[i].series, b->dists[i].series);
        ASSERT_EQ (a->dists[i].ts_ms, b->dists[i].ts_ms);
        ASSERT_EQ (x->count, y->count);
        ASSERT_EQ (x->zero_count, y->zero_count);
        ASSERT_NEAR (x->sum, y->sum, 0);
        ASSERT_NEAR (x->min, y->min, 0);
        ASSERT_NEAR (x->max, y->max, 0);
        s_assert_store (&x->pos, &y->pos);
        s_assert_store (&x->neg, &y->neg);
        for (int q = 0; q <= 100; q++)
            ASSERT_NEAR (vg_sketch_quantile (x, q / 100.0), vg_sketch_quantile (y, q / 100.0), 0);
    }
    ASSERT_EQ (a->nevents, b->nevents);
    for (size_t i = 0; i < a->nevents; i++) {
        ASSERT_EQ (a->events[i].ts_ms, b->events[i].ts_ms);
        ASSERT_STR_EQ (a->strings[a->events[i].name], b->strings[b->events[i].name]);
        ASSERT_EQ (a->events[i].nlabels, b->events[i].nlabels);
        s_assert_labels (a, a->events[i].labels, b, b->events[i].labels, a->events[i].nlabels);
        ASSERT_STR_EQ (a->events[i].text, b->events[i].text);
    }
}
