/*  test_codec.c - batches through protobuf and back; every rule the
 *  decoder enforces, on frames a broken or hostile peer could send.
 *
 *  Bad frames are made two ways: a batch with bad public fields or pushed bad
 *  indexes goes through the encoder, or raw protobuf fields are appended to a
 *  valid encoding (protobuf merges a concatenation: repeated fields append,
 *  a repeated scalar field overrides). Hand-made frames get their checksum
 *  trailer when they are decoded (test_codec_sealed), so each test reaches
 *  the rule it is about; test_codec_damage.c checks the trailer itself, and
 *  damaged frames. The reference batch is tests/helpers/test_codec_ref.c's;
 *  peeking and acks are test_codec_peek.c's.
 */
#include "test_assert.h"
#include "test_codec_check.h"
#include "test_codec_ref.h"
#include "test_pb.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_buf.h"
#include "vg_codec.h"
#include "vg_error.h"
#include "vg_wire.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 TEST_CODEC_T0

/* A raw Distribution (field 15 of Batch). */
typedef struct {
    uint32_t series;
    uint64_t count, zero_count;
    double sum, min, max;
    int64_t idx[4];
    uint64_t cnt[4];
    size_t nidx, ncnt;
    int negative; /* the buckets go to the negative store */
} raw_dist_t;

static void
pb_dist (vg_buf_t *b, const raw_dist_t *d)
{
    vg_buf_t sub = {0};
    test_pb_uint (&sub, 1, d->series);
    test_pb_uint (&sub, 3, d->count);
    test_pb_double (&sub, 4, d->sum);
    test_pb_double (&sub, 5, d->min);
    test_pb_double (&sub, 6, d->max);
    test_pb_uint (&sub, 7, d->zero_count);
    test_pb_packed_s (&sub, d->negative ? 10 : 8, d->idx, d->nidx);
    test_pb_packed_u (&sub, d->negative ? 11 : 9, d->cnt, d->ncnt);
    test_pb_msg (b, 15, &sub);
}

/* ---- tests ---- */

static void
test_round_trip (void)
{
    vg_batch_t *a = test_codec_reference ();
    size_t len;
    uint8_t *enc = test_codec_encode (a, &len);
    vg_batch_t *b = test_codec_decode_ok (enc, len, NULL);
    test_codec_assert_same (a, b);
    ASSERT_EQ (vg_batch_count (b), 25);
    ASSERT_EQ (b->dists[1].sketch->zero_count, 2);
    ASSERT_EQ (b->dists[1].sketch->neg.len > 0, 1);
    ASSERT_NEAR (vg_sketch_quantile (b->dists[1].sketch, 0.5), 0, 0);
    ASSERT (vg_sketch_quantile (b->dists[1].sketch, 0.05) < 0);

    /* A decoded batch re-encodes to the same bytes. */
    size_t len2;
    uint8_t *enc2 = test_codec_encode (b, &len2);
    ASSERT_EQ (len2, len);
    ASSERT (memcmp (enc, enc2, len) == 0);

    /* The builder works on a decoded batch: it finds the decoded series. */
    vg_label_t cpu_l[] = {{"mode", "user"}};
    ASSERT_EQ (vg_batch_series (b, "cpu", VG_KIND_GAUGE, cpu_l, 1), 0);
    ASSERT_EQ (vg_batch_series (b, "cpu", VG_KIND_COUNTER, cpu_l, 1), 3);

    free (enc);
    free (enc2);
    vg_batch_destroy (&a);
    vg_batch_destroy (&b);
}

static void
test_round_trip_large (void)
{
    vg_batch_t *a = vg_batch_new ("agent", "host");
    a->seq = 1;
    char name[32];
    for (int i = 0; i < 100000; i++) {
        snprintf (name, sizeof name, "m%d", i % 500);
        uint32_t s = vg_batch_series (a, name, i % 3 ? VG_KIND_GAUGE : VG_KIND_COUNTER, NULL, 0);
        vg_batch_add_sample (a, s, T0 + i, i * 1.5);
    }
    size_t len;
    uint8_t *enc = test_codec_encode (a, &len);
    vg_batch_t *b = test_codec_decode_ok (enc, len, NULL);
    test_codec_assert_same (a, b);
    ASSERT_EQ (b->nsamples, 100000);
    free (enc);
    vg_batch_destroy (&a);
    vg_batch_destroy (&b);
}

static void
test_empty_and_skipped (void)
{
    /* A batch with nothing in it is still a batch (a heartbeat). */
    vg_batch_t *a = vg_batch_new ("agent", "");
    a->seq = 1;
    size_t len;
    uint8_t *enc = test_codec_encode (a, &len);
    vg_batch_t *b = test_codec_decode_ok (enc, len, NULL);
    test_codec_assert_same (a, b);
    free (enc);
    vg_batch_destroy (&b);

    /* Empty sketches are left out rather than getting the batch rejected;
     * NaN and infinities are values like any other, bit for bit. */
    uint32_t g = vg_batch_series (a, "g", VG_KIND_GAUGE, NULL, 0);
    uint32_t d = vg_batch_series (a, "d", VG_KIND_DISTRIBUTION, NULL, 0);
    vg_batch_add_sample (a, g, T0, 1);
    vg_batch_add_sample (a, g, T0 + 1, 2);
    vg_batch_add_sample (a, g, T0 + 2, 3);
    vg_batch_add_value (a, g, T0 + 3, -INFINITY);
    a->sample_value[1] = NAN;
    vg_sketch_t *empty = vg_sketch_new ();
    vg_batch_add_dist (a, d, T0 - 100000, empty); /* also not the base time */
    vg_sketch_destroy (&empty);
    enc = test_codec_encode (a, &len);
    b = test_codec_decode_ok (enc, len, NULL);
    ASSERT_EQ (b->nsamples, 4);
    ASSERT (isnan (b->sample_value[1]));
    ASSERT_NEAR (b->sample_value[2], 3, 0);
    ASSERT_EQ (b->sample_ts_ms[2], T0 + 2);
    ASSERT (isinf (b->sample_value[3]) && b->sample_value[3] < 0);
    ASSERT_EQ (b->ndists, 0);
    free (enc);
    vg_batch_destroy (&b);

    /* Timestamps too far apart for one base are an encoding error. */
    vg_batch_add_sample (a, g, INT64_MIN, 1);
    vg_batch_add_sample (a, g, INT64_MAX, 1);
    uint8_t *out = (uint8_t *)1;
    ASSERT_EQ (vg_codec_encode_batch (a, &out, &len), VG_EINVAL);
    ASSERT (out == NULL);
    vg_batch_destroy (&a);
}

/* Unknown fields are skipped: fields are only ever added to the schema. */
static void
test_unknown_fields (void)
{
    vg_buf_t buf = test_codec_base ();
    test_pb_uint (&buf, 99, 12345);
    test_pb_bytes (&buf, 100, "future", 6);
    test_pb_double (&buf, 101, 1.5);
    vg_batch_t *b = test_codec_decode_ok (buf.data, buf.len, NULL);
    ASSERT_EQ (b->seq, 42);
    vg_batch_destroy (&b);
    vg_buf_free (&buf);
}

/* Rules on the batch's identity. */
static void
test_identity_rules (void)
{
    vg_buf_t buf = test_codec_base ();
    size_t base_len = buf.len;
    char big[400];

    test_pb_uint (&buf, 3, 0);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "seq is 0");
    buf.len = base_len;

    test_pb_bytes (&buf, 1, "", 0);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "agent_id is empty");
    buf.len = base_len;

    memset (big, 'a', sizeof big);
    test_pb_bytes (&buf, 1, big, VG_WIRE_MAX_AGENT_ID);
    vg_batch_t *ok = test_codec_decode_ok (buf.data, buf.len, NULL);
    ASSERT_EQ (strlen (ok->agent_id), VG_WIRE_MAX_AGENT_ID);
    vg_batch_destroy (&ok);
    buf.len = base_len;
    test_pb_bytes (&buf, 1, big, VG_WIRE_MAX_AGENT_ID + 1);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "agent_id is 129 bytes (limit 128)");
    buf.len = base_len;

    test_pb_bytes (&buf, 1, "agent\n1", 7);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO,
                 "agent_id byte 5 (0x0a) is not printable ASCII");
    buf.len = base_len;
    test_pb_bytes (&buf, 1, "agent-\xc3\xa9", 8);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO,
                 "agent_id byte 6 (0xc3) is not printable ASCII");
    buf.len = base_len;
    test_pb_bytes (&buf, 1, "a\0b", 3);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "agent_id contains a NUL byte");
    buf.len = base_len;

    test_pb_bytes (&buf, 2, big, 255);
    ok = test_codec_decode_ok (buf.data, buf.len, NULL);
    vg_batch_destroy (&ok);
    buf.len = base_len;
    test_pb_bytes (&buf, 2, big, 256);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "hostname is 256 bytes (limit 255)");
    buf.len = base_len;
    test_pb_bytes (&buf, 2, "host\xff", 5);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "hostname is not valid UTF-8");
    buf.len = base_len;

    test_pb_uint (&buf, 6, 5000);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO,
                 "relative accuracy 5000 ppm is not supported (only 10000)");
    buf.len = base_len;
    test_pb_uint (&buf, 6, 0); /* 0 means the default 1 % */
    ok = test_codec_decode_ok (buf.data, buf.len, NULL);
    vg_batch_destroy (&ok);
    vg_buf_free (&buf);
}

static void
test_string_rules (void)
{
    vg_buf_t buf = test_codec_base ();
    size_t base_len = buf.len;
    vg_batch_t *ref = test_codec_reference ();
    uint32_t n = ref->nstrings; /* the index the next string gets */
    vg_batch_destroy (&ref);
    char msg[128];

    test_pb_bytes (&buf, 10, "ok\xc3\x28", 4);
    snprintf (msg, sizeof msg, "string %u is not valid UTF-8 (byte 2)", n);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, msg);
    buf.len = base_len;

    const char *bad[] = {"\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        test_pb_bytes (&buf, 10, bad[i], strlen (bad[i]));
        snprintf (msg, sizeof msg, "string %u is not valid UTF-8 (byte 0)", n);
        EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, msg);
        buf.len = base_len;
    }
    test_pb_bytes (&buf, 10, "\xf0\x9f\x94\xa5 ok \xe2\x9c\x93", 11);
    vg_batch_t *ok = test_codec_decode_ok (buf.data, buf.len, NULL);
    vg_batch_destroy (&ok);
    buf.len = base_len;

    test_pb_bytes (&buf, 10, "a\0b", 3);
    snprintf (msg, sizeof msg, "string %u contains a NUL byte", n);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, msg);
    buf.len = base_len;

    vg_codec_limits_t lim = vg_codec_default_limits ();
    lim.max_strlen = 8;
    test_pb_bytes (&buf, 10, "123456789", 9);
    snprintf (msg, sizeof msg, "string %u is 9 bytes (limit 8)", n);
    EXPECT_FAIL (buf.data, buf.len, &lim, VG_ETOOBIG, msg);
    buf.len = base_len;

    lim = vg_codec_default_limits ();
    lim.max_strings = n;
    ok = test_codec_decode_ok (buf.data, buf.len, &lim);
    vg_batch_destroy (&ok);
    test_pb_bytes (&buf, 10, "one too many", 12);
    snprintf (msg, sizeof msg, "batch has %u strings (limit %u)", n + 1, n);
    EXPECT_FAIL (buf.data, buf.len, &lim, VG_ETOOBIG, msg);
    vg_buf_free (&buf);
}

static void
test_series_rules (void)
{
    vg_batch_t *b = test_codec_reference ();
    uint32_t nstr = b->nstrings;
    uint32_t user = vg_batch_intern (b, "user"), mode = vg_batch_intern (b, "mode");
    uint32_t path = vg_batch_intern (b, "path");
    char msg[160];
    size_t len;
    uint8_t *enc;

    vg_batch_push_series (b, 99, VG_KIND_GAUGE, NULL, 0);
    enc = test_codec_encode (b, &len);
    snprintf (msg, sizeof msg, "series 3: name index 99 out of range (batch has %u strings)", nstr);
    EXPECT_FAIL (enc, len, NULL, VG_EPROTO, msg);
    free (enc);
    b->nseries--;

    vg_batch_push_series (b, 0, (vg_kind_t)7, NULL, 0);
    enc = test_codec_encode (b, &len);
    EXPECT_FAIL (enc, len, NULL, VG_EPROTO,
                 "series 3: kind 7 is not gauge, counter or distribution");
    free (enc);
    b->nseries--;

    uint32_t oob[] = {mode, 500};
    vg_batch_push_series (b, 0, VG_KIND_GAUGE, oob, 1);
    enc = test_codec_encode (b, &len);
    snprintf (msg, sizeof msg,
              "series 3: label value index 500 out of range (batch has %u strings)", nstr);
    EXPECT_FAIL (enc, len, NULL, VG_EPROTO, msg);
    free (enc);
    b->nseries--;

    uint32_t unsorted[] = {path, user, mode, user};
    vg_batch_push_series (b, 0, VG_KIND_GAUGE, unsorted, 2);
    enc = test_codec_encode (b, &len);
    EXPECT_FAIL (enc, len, NULL, VG_EPROTO,
                 "series 3: label keys are not unique and ascending (key 1 after key 0)");
    free (enc);
    b->nseries--;

    uint32_t twice[] = {mode, user, mode, user};
    vg_batch_push_series (b, 0, VG_KIND_GAUGE, twice, 2);
    enc = test_codec_encode (b, &len);
    EXPECT_FAIL (enc, len, NULL, VG_EPROTO, "series 3: label keys are not unique and ascending");
    free (enc);
    b->nseries--;

    /* Labels per series: the reference has at most 2. */
    enc = test_codec_encode (b, &len);
    vg_codec_limits_t lim = vg_codec_default_limits ();
    lim.max_labels = 2;
    vg_batch_t *ok = test_codec_decode_ok (enc, len, &lim);
    vg_batch_destroy (&ok);
    lim.max_labels = 1;
    EXPECT_FAIL (enc, len, &lim, VG_ETOOBIG, "series 1: 2 labels (limit 1)");

    /* An odd label list cannot come from vg_batch_t: write it by hand. */
    vg_buf_t buf = {0};
    vg_buf_append (&buf, enc, len);
    vg_buf_t sub = {0};
    test_pb_uint (&sub, 1, 0);
    uint64_t odd[] = {mode, user, path};
    test_pb_packed_u (&sub, 3, odd, 3);
    test_pb_msg (&buf, 11, &sub);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "series 3: label list has odd length 3");
    vg_buf_free (&buf);
    free (enc);
    vg_batch_destroy (&b);
}

static void
test_sample_rules (void)
{
    vg_batch_t *b = test_codec_reference ();
    size_t len;
    uint8_t *enc;

    /* The reference's samples 0..22 alternate cpu (0) and requests (1). */
    b->sample_series[17] = 9;
    enc = test_codec_encode (b, &len);
    EXPECT_FAIL (enc, len, NULL, VG_EPROTO,
                 "sample 17: series index 9 out of range (batch has 3 series)");
    free (enc);

    b->sample_series[17] = 2;
    enc = test_codec_encode (b, &len);
    EXPECT_FAIL (enc, len, NULL, VG_EPROTO,
                 "sample 17: series 2 is a distribution, not a gauge or counter");
    free (enc);
    b->sample_series[17] = 1;

    vg_buf_t buf = test_codec_base ();
    size_t base_len = buf.len;
    uint64_t s1[] = {0};
    int64_t d1[] = {5};
    double one[] = {1.0}, nan[] = {NAN}, inf[] = {-INFINITY};

    /* NaN and infinities are values: decoded as sent. */
    test_pb_packed_u (&buf, 12, s1, 1);
    test_pb_packed_s (&buf, 13, d1, 1);
    test_pb_packed_d (&buf, 14, nan, 1);
    vg_batch_t *nb = test_codec_decode_ok (buf.data, buf.len, NULL);
    ASSERT (isnan (nb->sample_value[23]));
    vg_batch_destroy (&nb);
    buf.len = base_len;
    test_pb_packed_u (&buf, 12, s1, 1);
    test_pb_packed_s (&buf, 13, d1, 1);
    test_pb_packed_d (&buf, 14, inf, 1);
    nb = test_codec_decode_ok (buf.data, buf.len, NULL);
    ASSERT (isinf (nb->sample_value[23]) && nb->sample_value[23] < 0);
    vg_batch_destroy (&nb);
    buf.len = base_len;

    /* Columns of different lengths. */
    test_pb_packed_u (&buf, 12, s1, 1);
    test_pb_packed_d (&buf, 14, one, 1);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO,
                 "sample columns differ in length: 24 series, 23 timestamps, 24 values");
    buf.len = base_len;

    /* Unpacked encoding of the columns is valid protobuf and accepted. */
    test_pb_uint (&buf, 12, 0);
    test_pb_sint (&buf, 13, 5);
    test_pb_double (&buf, 14, 2.5);
    vg_batch_t *ok = test_codec_decode_ok (buf.data, buf.len, NULL);
    ASSERT_EQ (ok->nsamples, 24);
    ASSERT_NEAR (ok->sample_value[23], 2.5, 0);
    vg_batch_destroy (&ok);
    buf.len = base_len;

    /* A delta that overflows the base time. */
    int64_t huge[] = {INT64_MAX};
    test_pb_packed_u (&buf, 12, s1, 1);
    test_pb_packed_s (&buf, 13, huge, 1);
    test_pb_packed_d (&buf, 14, one, 1);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "sample 23: timestamp delta");
    vg_buf_free (&buf);
    vg_batch_destroy (&b);
}

static void
test_dist_rules (void)
{
    vg_batch_t *b = test_codec_reference ();
    size_t len;
    uint8_t *enc;

    b->dists[1].series = 7;
    enc = test_codec_encode (b, &len);
    EXPECT_FAIL (enc, len, NULL, VG_EPROTO,
                 "distribution 1: series index 7 out of range (batch has 3 series)");
    free (enc);
    b->dists[1].series = 0;
    enc = test_codec_encode (b, &len);
    EXPECT_FAIL (enc, len, NULL, VG_EPROTO,
                 "distribution 1: series 0 is a gauge, not a distribution");
    free (enc);
    b->dists[1].series = 2;

    vg_sketch_t *sk = b->dists[0].sketch;
    sk->count++;
    enc = test_codec_encode (b, &len);
    EXPECT_FAIL (enc, len, NULL, VG_EPROTO,
                 "distribution 0: zero_count + bucket counts = 1000, but count is 1001");
    free (enc);
    sk->count--;

    double min = sk->min;
    sk->min = sk->max + 1;
    enc = test_codec_encode (b, &len);
    EXPECT_FAIL (enc, len, NULL, VG_EPROTO, "distribution 0: min 251 above max 250");
    free (enc);
    sk->min = min;

    /* A store moved beyond what any double reaches. */
    int32_t offset = sk->pos.offset;
    sk->pos.offset = 40000;
    enc = test_codec_encode (b, &len);
    EXPECT_FAIL (enc, len, NULL, VG_EPROTO, "reach beyond any finite value");
    free (enc);
    sk->pos.offset = offset;

    /* Buckets per store. */
    enc = test_codec_encode (b, &len);
    vg_codec_limits_t lim = vg_codec_default_limits ();
    lim.max_buckets = 10;
    char msg[128];
    uint32_t nz = 0;
    for (uint32_t k = 0; k < sk->pos.len; k++)
        nz += sk->pos.counts[k] != 0;
    snprintf (msg, sizeof msg, "distribution 0: %u positive buckets (limit 10)", nz);
    EXPECT_FAIL (enc, len, &lim, VG_ETOOBIG, msg);
    free (enc);

    /* Hand-made distributions: what a sketch cannot hold. */
    vg_buf_t buf = test_codec_base ();
    size_t base_len = buf.len;
    raw_dist_t good = {.series = 2,
                       .count = 3,
                       .zero_count = 1,
                       .sum = 3,
                       .min = 0,
                       .max = 2,
                       .idx = {0, 35},
                       .cnt = {1, 1},
                       .nidx = 2,
                       .ncnt = 2};
    pb_dist (&buf, &good);
    vg_batch_t *ok = test_codec_decode_ok (buf.data, buf.len, NULL);
    ASSERT_EQ (ok->ndists, 3);
    ASSERT_EQ (ok->dists[2].sketch->count, 3);
    ASSERT_EQ (ok->dists[2].ts_ms, T0 - 5); /* base is the earliest time */
    vg_batch_destroy (&ok);
    buf.len = base_len;

    raw_dist_t d = good;
    d.count = 0;
    d.zero_count = 0;
    d.nidx = d.ncnt = 0;
    pb_dist (&buf, &d);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "distribution 2: count is 0");
    buf.len = base_len;

    d = good;
    d.sum = NAN;
    pb_dist (&buf, &d);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "distribution 2: sum nan, min 0, max 2 must");
    buf.len = base_len;
    d = good;
    d.max = INFINITY;
    pb_dist (&buf, &d);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "must all be finite");
    buf.len = base_len;

    d = good;
    d.ncnt = 1;
    d.count = 2;
    pb_dist (&buf, &d);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO,
                 "distribution 2: 2 positive bucket indexes but 1 counts");
    buf.len = base_len;

    d = good;
    d.idx[1] = 0;
    pb_dist (&buf, &d);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO,
                 "distribution 2: positive bucket index 0 not above the one before (0)");
    buf.len = base_len;
    d = good;
    d.idx[0] = 40;
    d.negative = 1;
    pb_dist (&buf, &d);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO,
                 "distribution 2: negative bucket index 35 not above the one before (40)");
    buf.len = base_len;

    d = good;
    d.cnt[1] = 0;
    d.count = 2;
    pb_dist (&buf, &d);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO,
                 "distribution 2: positive bucket 35 has count 0");
    buf.len = base_len;

    d = good;
    d.idx[0] = -5000;
    pb_dist (&buf, &d);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO,
                 "distribution 2: positive bucket indexes -5000..35 reach beyond any finite value");
    buf.len = base_len;

    d = good;
    d.cnt[0] = UINT64_MAX;
    pb_dist (&buf, &d);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "distribution 2: bucket counts overflow");
    buf.len = base_len;

    /* Wide but legal stores add up: the decoder refuses to expand too many. */
    d = good;
    d.idx[0] = -1036;
    d.idx[1] = 35488;
    pb_dist (&buf, &d);
    ok = test_codec_decode_ok (buf.data, buf.len, NULL);
    vg_batch_destroy (&ok);
    for (int i = 0; i < 200; i++)
        pb_dist (&buf, &d);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_ETOOBIG, "bucket ranges need more than");
    vg_buf_free (&buf);
    vg_batch_destroy (&b);
}

static void
test_event_rules (void)
{
    vg_batch_t *b = test_codec_reference ();
    size_t len;
    b->events[1].name = 300;
    uint8_t *enc = test_codec_encode (b, &len);
    char msg[128];
    snprintf (msg, sizeof msg, "event 1: name index 300 out of range (batch has %u strings)",
              b->nstrings);
    EXPECT_FAIL (enc, len, NULL, VG_EPROTO, msg);
    free (enc);
    b->events[1].name = 0;

    b->events[0].labels[1] = 301;
    enc = test_codec_encode (b, &len);
    EXPECT_FAIL (enc, len, NULL, VG_EPROTO, "event 0: label value index 301 out of range");
    free (enc);

    vg_buf_t buf = test_codec_base ();
    size_t base_len = buf.len;
    vg_buf_t sub = {0};
    test_pb_uint (&sub, 2, 0);
    test_pb_bytes (&sub, 4, "bad \xff text", 10);
    test_pb_msg (&buf, 16, &sub);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "event 2: text is not valid UTF-8 (byte 4)");
    buf.len = base_len;

    vg_codec_limits_t lim = vg_codec_default_limits ();
    lim.max_strlen = 20; /* the reference's longest string is shorter */
    test_pb_uint (&sub, 2, 0);
    test_pb_bytes (&sub, 4, "a text of twenty-one", 20);
    test_pb_msg (&buf, 16, &sub);
    vg_batch_t *ok = test_codec_decode_ok (buf.data, buf.len, &lim);
    vg_batch_destroy (&ok);
    buf.len = base_len;
    test_pb_uint (&sub, 2, 0);
    test_pb_bytes (&sub, 4, "a text of twenty-one!", 21);
    test_pb_msg (&buf, 16, &sub);
    EXPECT_FAIL (buf.data, buf.len, &lim, VG_ETOOBIG, "event 2: text is 21 bytes (limit 20)");
    buf.len = base_len;

    test_pb_uint (&sub, 2, 0);
    test_pb_sint (&sub, 1, INT64_MAX);
    test_pb_msg (&buf, 16, &sub);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "event 2: timestamp delta");
    vg_buf_free (&buf);
    vg_batch_destroy (&b);
}

static void
test_count_limits (void)
{
    vg_buf_t buf = test_codec_base ();
    vg_codec_limits_t lim = vg_codec_default_limits ();
    /* 23 samples + 2 distributions */
    lim.max_samples = 25;
    vg_batch_t *ok = test_codec_decode_ok (buf.data, buf.len, &lim);
    vg_batch_destroy (&ok);
    lim.max_samples = 24;
    EXPECT_FAIL (buf.data, buf.len, &lim, VG_ETOOBIG,
                 "batch has 23 samples and 2 distributions (limit 24 in all)");
    lim.max_samples = 22;
    EXPECT_FAIL (buf.data, buf.len, &lim, VG_ETOOBIG, "batch has 23 samples");

    /* Series and events are bounded by max_samples too, before unpacking. */
    lim.max_samples = 25;
    size_t base_len = buf.len;
    for (int i = 0; i < 23; i++) {
        vg_buf_t sub = {0};
        test_pb_uint (&sub, 1, 0);
        test_pb_msg (&buf, 11, &sub);
    }
    EXPECT_FAIL (buf.data, buf.len, &lim, VG_ETOOBIG, "batch has 26 series (limit 25)");
    buf.len = base_len;
    for (int i = 0; i < 24; i++) {
        vg_buf_t sub = {0};
        test_pb_uint (&sub, 2, 0);
        test_pb_msg (&buf, 16, &sub);
    }
    EXPECT_FAIL (buf.data, buf.len, &lim, VG_ETOOBIG, "batch has 26 events (limit 25)");
    buf.len = base_len;

    /* A million-sample column announced by a small frame is refused on the wire. */
    vg_buf_t col = {0};
    for (int i = 0; i < VG_WIRE_MAX_SAMPLES + 1; i++)
        test_pb_varint (&col, 0);
    test_pb_bytes (&buf, 12, col.data, col.len);
    vg_buf_free (&col);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_ETOOBIG, "batch has 1000024 samples");
    vg_buf_free (&buf);
}

/* What the schema cannot hold is refused with a reason, not stored wrong. */
static void
test_schema_ranges (void)
{
    vg_buf_t buf = test_codec_base ();
    size_t base_len = buf.len;

    /* seq is stored as bigint: 2^63 - 1 is the last that fits. */
    test_pb_uint (&buf, 3, (uint64_t)INT64_MAX);
    vg_batch_t *ok = test_codec_decode_ok (buf.data, buf.len, NULL);
    ASSERT_EQ (ok->seq, (uint64_t)INT64_MAX);
    vg_batch_destroy (&ok);
    buf.len = base_len;
    test_pb_uint (&buf, 3, (uint64_t)INT64_MAX + 1);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "seq 9223372036854775808 is above");
    buf.len = base_len;
    test_pb_uint (&buf, 3, UINT64_MAX);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "seq 18446744073709551615 is above");
    buf.len = base_len;

    /* Distribution counts above INT64_MAX. */
    raw_dist_t d = {.series = 2,
                    .count = (uint64_t)INT64_MAX + 5,
                    .sum = 1,
                    .min = 1,
                    .max = 1,
                    .zero_count = 0,
                    .idx = {0},
                    .cnt = {(uint64_t)INT64_MAX + 5},
                    .nidx = 1,
                    .ncnt = 1};
    pb_dist (&buf, &d);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "distribution 2: count 9223372036854775812");
    buf.len = base_len;
    d.count = (uint64_t)INT64_MAX + 5;
    d.zero_count = d.count;
    d.nidx = d.ncnt = 0;
    pb_dist (&buf, &d);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "is above 9223372036854775807");
    buf.len = base_len;

    /* Timestamps outside PostgreSQL's range, each kind of row. */
    const uint64_t s1[] = {0};
    const double one[] = {1.0};
    int64_t late[] = {VG_WIRE_END_TS_MS - T0};
    int64_t last[] = {VG_WIRE_END_TS_MS - 1 - T0};
    int64_t early[] = {VG_WIRE_MIN_TS_MS - 1 - T0};
    test_pb_uint (&buf, 5, (uint64_t)T0);
    test_pb_packed_u (&buf, 12, s1, 1);
    test_pb_packed_s (&buf, 13, last, 1);
    test_pb_packed_d (&buf, 14, one, 1);
    ok = test_codec_decode_ok (buf.data, buf.len, NULL);
    ASSERT_EQ (ok->sample_ts_ms[ok->nsamples - 1], VG_WIRE_END_TS_MS - 1);
    vg_batch_destroy (&ok);
    buf.len = base_len;
    test_pb_uint (&buf, 5, (uint64_t)T0);
    test_pb_packed_u (&buf, 12, s1, 1);
    test_pb_packed_s (&buf, 13, late, 1);
    test_pb_packed_d (&buf, 14, one, 1);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "is outside what the database can hold");
    buf.len = base_len;
    test_pb_uint (&buf, 5, (uint64_t)T0);
    test_pb_packed_u (&buf, 12, s1, 1);
    test_pb_packed_s (&buf, 13, early, 1);
    test_pb_packed_d (&buf, 14, one, 1);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "sample 23: timestamp delta");
    buf.len = base_len;
    vg_buf_t sub = {0};
    test_pb_uint (&sub, 2, 0);
    test_pb_sint (&sub, 1, early[0]);
    test_pb_uint (&buf, 5, (uint64_t)T0);
    test_pb_msg (&buf, 16, &sub);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "event 2: timestamp delta");
    buf.len = base_len;
    d = (raw_dist_t){.series = 2, .count = 1, .sum = 1, .min = 1, .max = 1, .zero_count = 1};
    test_pb_uint (&buf, 5, (uint64_t)VG_WIRE_END_TS_MS);
    pb_dist (&buf, &d);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "is outside what the database can hold");
    buf.len = base_len;

    /* A NUL inside an event's text would cut it short in the database. */
    test_pb_uint (&sub, 2, 0);
    test_pb_bytes (&sub, 4, "deployed\0 and more", 18);
    test_pb_msg (&buf, 16, &sub);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "event 2: text contains a NUL byte");
    buf.len = base_len;
    test_pb_bytes (&buf, 10, "cpu\0x", 5);
    EXPECT_FAIL (buf.data, buf.len, NULL, VG_EPROTO, "contains a NUL byte");
    vg_buf_free (&buf);
}

/* Decoded size: labels name strings sent once, so a small frame could
 * expand enormously; label and event bytes are bounded per batch. */
static void
test_expansion_limits (void)
{
    vg_batch_t *a = vg_batch_new ("agent", "host");
    a->seq = 1;
    char key[16], big[4001];
    memset (big, 'v', 4000);
    big[4000] = '\0';
    vg_label_t labels[64];
    for (int k = 0; k < 64; k++) {
        snprintf (key, sizeof key, "k%02d", k);
        labels[k].key = vg_strdup (key);
        labels[k].value = big;
    }
    /* 100 events of 64 labels of 4000 bytes: 25.6 MB named by a frame of
     * about 20 KB. */
    for (int i = 0; i < 100; i++)
        vg_batch_add_event (a, T0 + i, "deploy", labels, 64, "done");
    size_t len;
    uint8_t *enc = test_codec_encode (a, &len);
    ASSERT_LT (len, 64 * 1024);
    EXPECT_FAIL (enc, len, NULL, VG_ETOOBIG, "labels expand to 25");
    vg_codec_limits_t lim = vg_codec_default_limits ();
    lim.max_label_bytes = 64 * 1024 * 1024;
    EXPECT_FAIL (enc, len, &lim, VG_ETOOBIG, "events expand to 2");
    lim.max_event_bytes = 64 * 1024 * 1024;
    vg_batch_t *ok = test_codec_decode_ok (enc, len, &lim);
    ASSERT_EQ (ok->nevents, 100);
    vg_batch_destroy (&ok);
    free (enc);

    /* Series labels count too. */
    vg_batch_clear (a);
    for (int i = 0; i < 40; i++) {
        snprintf (key, sizeof key, "m%d", i);
        uint32_t s = vg_batch_series (a, key, VG_KIND_GAUGE, labels, 64);
        vg_batch_add_sample (a, s, T0, 1);
    }
    enc = test_codec_encode (a, &len);
    lim = vg_codec_default_limits ();
    EXPECT_FAIL (enc, len, &lim, VG_ETOOBIG, "labels expand to");
    lim.max_label_bytes = 40 * 64 * (4000 + 3);
    ok = test_codec_decode_ok (enc, len, &lim);
    vg_batch_destroy (&ok);
    lim.max_label_bytes--;
    EXPECT_FAIL (enc, len, &lim, VG_ETOOBIG, "labels expand to 10247680 bytes (limit 10247679)");
    free (enc);
    for (int k = 0; k < 64; k++)
        free ((char *)labels[k].key);
    vg_batch_destroy (&a);
}

int
main (void)
{
    test_round_trip ();
    test_round_trip_large ();
    test_empty_and_skipped ();
    test_unknown_fields ();
    test_identity_rules ();
    test_string_rules ();
    test_series_rules ();
    test_sample_rules ();
    test_dist_rules ();
    test_event_rules ();
    test_count_limits ();
    test_schema_ranges ();
    test_expansion_limits ();
    printf ("test_codec: ok\n");
    return 0;
}
