/*  test_codec_ref.c - the codec tests' reference batch (test_codec_ref.h). */
#include "test_codec_ref.h"
#include "test_assert.h"
#include "vg_codec.h"
#include "vg_wire.h"

#include <float.h>
#include <stdlib.h>

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
