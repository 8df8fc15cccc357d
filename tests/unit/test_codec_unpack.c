/*  test_codec_unpack.c - the codec reads a Batch's bytes with a reader of its
 *  own (common/vg_codec_unpack.c); it must accept and refuse what protobuf-c
 *  does and read the same fields. Each frame here is read by both and
 *  compared (tests/helpers/test_unpack.c): hand-made frames for every wire
 *  rule, then a full batch cut short and mutated.
 */
#include "test_assert.h"
#include "test_codec_ref.h"
#include "test_pb.h"
#include "test_rng.h"
#include "test_unpack.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_buf.h"
#include "vg_codec.h"
#include "vg_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1700000000000LL

/* Both read the frame (want_read 1) or both refuse it (0), and agree. */
static void
s_expect (const vg_buf_t *buf, int want_read, const char *what)
{
    char why[256] = "";
    int read = -1;
    if (test_unpack_same ((const uint8_t *)buf->data, buf->len, &read, why, sizeof why))
        TEST_FAIL ("%s: the readers differ: %s", what, why);
    if (read != want_read)
        TEST_FAIL ("%s: %s by both, expected %s", what, read ? "read" : "refused",
                   want_read ? "read" : "refused");
}

/* agent_id, seq and one string: the start of most frames here. */
static vg_buf_t
s_head (void)
{
    vg_buf_t b = {0};
    test_pb_bytes (&b, 1, "agent", 5);
    test_pb_uint (&b, 3, 7);
    test_pb_bytes (&b, 10, "cpu", 3);
    return b;
}

/* A full batch: strings, series with labels, samples, a distribution and an
 * event, as the agent encodes it (without the checksum trailer). */
static vg_buf_t
s_full (void)
{
    vg_batch_t *b = vg_batch_new ("agent-1", "web-1");
    b->seq = 42;
    b->incarnation = 9;
    b->interval_ms = 10000;
    b->sent_ms = T0;
    vg_label_t labels[] = {{"core", "0"}, {"mode", "user"}};
    uint32_t g = vg_batch_series (b, "cpu", VG_KIND_GAUGE, labels, 2);
    uint32_t c = vg_batch_series (b, "bytes", VG_KIND_COUNTER, NULL, 0);
    uint32_t d = vg_batch_series (b, "latency", VG_KIND_DISTRIBUTION, labels, 1);
    for (int i = 0; i < 20; i++) {
        vg_batch_add_sample (b, g, T0 + i * 1000, 0.5 * i);
        vg_batch_add_sample (b, c, T0 + i * 1000, 1e6 * i);
    }
    vg_sketch_t *sk = vg_sketch_new ();
    for (int i = 1; i < 50; i++)
        vg_sketch_add (sk, i * 0.37);
    vg_sketch_add (sk, -2.5);
    vg_batch_add_dist (b, d, T0, sk);
    vg_sketch_destroy (&sk);
    vg_batch_add_event (b, T0 + 5, "deploy", labels, 1, "version 2 is out");
    return test_codec_frame (&b);
}

static void
test_full_batch (void)
{
    vg_buf_t buf = s_full ();
    s_expect (&buf, 1, "a full batch");
    uint8_t *sealed = vg_malloc (buf.len);
    memcpy (sealed, buf.data, buf.len);
    size_t len = buf.len;
    vg_codec_seal_batch (&sealed, &len);
    vg_buf_t with = {(char *)sealed, len, len};
    s_expect (&with, 1, "a full batch with its trailer");
    free (sealed);
    vg_buf_free (&buf);
}

/* Repeated fields may come packed, one element at a time, or both, in any
 * number of pieces; a scalar given twice takes its last value. */
static void
test_repeated_and_last_wins (void)
{
    vg_buf_t b = s_head ();
    uint64_t ser[] = {0, 0};
    int64_t ts[] = {1, -1};
    double val[] = {1.5, -2.5};
    test_pb_packed_u (&b, 12, ser, 2);
    test_pb_uint (&b, 12, 0);
    test_pb_packed_s (&b, 13, ts, 2);
    test_pb_sint (&b, 13, 3);
    test_pb_double (&b, 14, 0.25);
    test_pb_packed_d (&b, 14, val, 2);
    /* a series: name twice, labels packed then one by one */
    vg_buf_t s = {0};
    test_pb_uint (&s, 1, 5);
    test_pb_uint (&s, 1, 0);
    uint64_t lab[] = {0, 0};
    test_pb_packed_u (&s, 3, lab, 2);
    test_pb_uint (&s, 3, 0);
    test_pb_uint (&s, 3, 0);
    test_pb_uint (&s, 2, 1);
    test_pb_msg (&b, 11, &s);
    test_pb_uint (&b, 3, 8);
    test_pb_bytes (&b, 1, "other", 5);
    test_pb_bytes (&b, 2, "", 0);
    test_pb_uint (&b, 5, (uint64_t)T0);
    s_expect (&b, 1, "packed and unpacked pieces, scalars twice");
    vg_buf_free (&b);

    /* Empty things: a packed run of nothing, an empty series, an empty string. */
    b = s_head ();
    test_pb_bytes (&b, 12, "", 0);
    test_pb_bytes (&b, 14, "", 0);
    test_pb_bytes (&b, 11, "", 0);
    test_pb_bytes (&b, 10, "", 0);
    s_expect (&b, 1, "empty runs, series and string");
    vg_buf_free (&b);
}

/* Numbers: varints of up to 10 bytes, cut to 32 bits for 32-bit fields. */
static void
test_numbers (void)
{
    vg_buf_t b = s_head ();
    test_pb_uint (&b, 6, 0xffffffffffffffffULL); /* uint32 accuracy: low 32 bits */
    test_pb_uint (&b, 8, (1ULL << 32) + 7);
    test_pb_uint (&b, 4, 0x8000000000000000ULL); /* int64 sent_ms: negative */
    test_pb_uint (&b, 7, 0xffffffffffffffffULL);
    vg_buf_t s = {0};
    test_pb_uint (&s, 1, (1ULL << 40) + 3);
    test_pb_uint (&s, 2, (1ULL << 32) + 1); /* enum kind: 1 once cut */
    test_pb_msg (&b, 11, &s);
    s_expect (&b, 1, "wide varints");
    vg_buf_free (&b);

    /* A 10-byte varint whose last byte has more bits than fit. */
    b = s_head ();
    const uint8_t wide[] = {0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    vg_buf_append (&b, wide, sizeof wide);
    s_expect (&b, 1, "a 10-byte varint with spare bits");
    vg_buf_free (&b);
}

/* Tags: up to 5 bytes, the first naming some of the field number. */
static void
test_tags (void)
{
    vg_buf_t b = s_head ();
    test_pb_uint (&b, 9, 1);          /* unknown, varint */
    test_pb_double (&b, 99, 1.5);     /* unknown, 64-bit */
    test_pb_bytes (&b, 1000, "x", 1); /* unknown, 2-byte tag */
    test_pb_tag (&b, 77, 5);          /* unknown, 32-bit */
    vg_buf_append (&b, "abcd", 4);
    test_pb_uint (&b, (1u << 28) + 5, 3);      /* a 5-byte tag */
    const uint8_t zero[] = {0x80, 0x00, 0x01}; /* field 0 in two bytes */
    vg_buf_append (&b, zero, sizeof zero);
    s_expect (&b, 1, "unknown fields of every wire type and tag length");
    vg_buf_free (&b);

    const uint8_t *bad[] = {
        (const uint8_t[]){0x00, 0x01},                               /* field 0 */
        (const uint8_t[]){0x07, 0x01},                               /* field 0, wire 7 */
        (const uint8_t[]){0x88, 0x80, 0x80, 0x80, 0x80, 0x01, 0x01}, /* a 6-byte tag */
        (const uint8_t[]){0x4e, 0x01},                               /* wire type 6 */
    };
    const size_t bad_len[] = {2, 2, 7, 2};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        b = s_head ();
        vg_buf_append (&b, bad[i], bad_len[i]);
        char what[64];
        snprintf (what, sizeof what, "bad tag %zu", i);
        s_expect (&b, 0, what);
        vg_buf_free (&b);
    }
}

/* Length prefixes: at most 5 bytes. */
static void
test_lengths (void)
{
    vg_buf_t b = s_head ();
    const uint8_t five[] = {0x52, 0x82, 0x80, 0x80, 0x80, 0x00, 'o', 'k'}; /* string, len 2 */
    vg_buf_append (&b, five, sizeof five);
    s_expect (&b, 1, "a 5-byte length prefix");
    vg_buf_free (&b);

    b = s_head ();
    const uint8_t six[] = {0x52, 0x82, 0x80, 0x80, 0x80, 0x80, 0x00, 'n', 'o'};
    vg_buf_append (&b, six, sizeof six);
    s_expect (&b, 0, "a 6-byte length prefix");
    vg_buf_free (&b);
}

/* A known field with the wire type of another type is refused. */
static void
test_wrong_wire_types (void)
{
    static const struct {
        unsigned field, wire;
    } cases[] = {
        {1, 0},  /* agent_id as a varint */
        {3, 1},  /* seq as 64 bits */
        {3, 2},  /* seq length-prefixed */
        {5, 5},  /* base_ts_ms as 32 bits */
        {10, 0}, /* a string as a varint */
        {11, 0}, /* a series as a varint */
        {12, 1}, /* series column as 64 bits */
        {13, 5}, /* timestamp column as 32 bits */
        {14, 0}, /* value column as a varint */
        {14, 5}, /* value column as 32 bits */
        {15, 0}, /* a distribution as a varint */
        {16, 1}, /* an event as 64 bits */
        {17, 0}, /* the checksum as a varint */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        vg_buf_t b = s_head ();
        test_pb_tag (&b, cases[i].field, cases[i].wire);
        if (cases[i].wire == 0)
            test_pb_varint (&b, 1);
        else if (cases[i].wire == 2)
            test_pb_varint (&b, 0);
        else
            vg_buf_append (&b, "\0\0\0\0\0\0\0\0", cases[i].wire == 1 ? 8 : 4);
        char what[64];
        snprintf (what, sizeof what, "field %u with wire type %u", cases[i].field, cases[i].wire);
        s_expect (&b, 0, what);
        vg_buf_free (&b);
    }
    /* Inside a series: labels as 32 bits, the name length-prefixed. */
    for (int k = 0; k < 2; k++) {
        vg_buf_t b = s_head (), s = {0};
        test_pb_tag (&s, k ? 1 : 3, k ? 2 : 5);
        vg_buf_append (&s, "\0\0\0\0", k ? 1 : 4);
        test_pb_msg (&b, 11, &s);
        s_expect (&b, 0, k ? "a series name length-prefixed" : "series labels as 32 bits");
        vg_buf_free (&b);
    }
}

/* Packed runs that do not hold whole elements are refused. */
static void
test_bad_packed (void)
{
    vg_buf_t b = s_head ();
    test_pb_bytes (&b, 14, "123456789012", 12); /* 1.5 doubles */
    s_expect (&b, 0, "a packed double run of 12 bytes");
    vg_buf_free (&b);

    b = s_head ();
    test_pb_bytes (&b, 13, "\x02\x80", 2); /* the last varint never ends */
    s_expect (&b, 0, "a packed varint run cut short");
    vg_buf_free (&b);

    b = s_head ();
    vg_buf_t s = {0};
    test_pb_bytes (&s, 3, "\x01\x81", 2);
    test_pb_msg (&b, 11, &s);
    s_expect (&b, 0, "series labels cut short");
    vg_buf_free (&b);

    b = s_head ();
    test_pb_bytes (&b, 11, "\x08", 1); /* a series whose name has no value */
    s_expect (&b, 0, "a series cut short");
    vg_buf_free (&b);
}

/* Prefixes and mutations of a full batch, and random bytes: the readers
 * agree on every one; some are read, some refused. */
static void
test_mutations (void)
{
    uint64_t rng = 0x1234567;
    vg_buf_t full = s_full ();
    int read_total = 0, tried = 0;
    char why[256];
    for (size_t n = 0; n <= full.len; n++) {
        /* An exact copy of n bytes, so ASan sees a read past them. */
        uint8_t *q = vg_malloc (n + 1);
        memcpy (q, full.data, n);
        int read;
        if (test_unpack_same (q, n, &read, why, sizeof why))
            TEST_FAIL ("the first %zu bytes: the readers differ: %s", n, why);
        read_total += read;
        tried++;
        free (q);
    }
    uint8_t *p = vg_malloc (full.len);
    for (int round = 0; round < 50000; round++) {
        memcpy (p, full.data, full.len);
        int flips = 1 + (int)(test_rng_next (&rng) % 4);
        for (int k = 0; k < flips; k++)
            p[test_rng_next (&rng) % full.len] ^= (uint8_t)(1u << (test_rng_next (&rng) % 8));
        int read;
        if (test_unpack_same (p, full.len, &read, why, sizeof why))
            TEST_FAIL ("mutation round %d: the readers differ: %s", round, why);
        read_total += read;
        tried++;
    }
    free (p);
    for (int round = 0; round < 50000; round++) {
        size_t n = test_rng_next (&rng) % 64;
        uint8_t r[64];
        for (size_t k = 0; k < n; k++)
            r[k] = (uint8_t)test_rng_next (&rng);
        int read;
        if (test_unpack_same (r, n, &read, why, sizeof why))
            TEST_FAIL ("random round %d: the readers differ: %s", round, why);
        read_total += read;
        tried++;
    }
    printf ("test_codec_unpack: %d frames, %d read by both, the rest refused by both\n", tried,
            read_total);
    ASSERT_GT (read_total, 0);
    ASSERT_LT (read_total, tried);
    vg_buf_free (&full);
}

int
main (void)
{
    test_full_batch ();
    test_repeated_and_last_wins ();
    test_numbers ();
    test_tags ();
    test_lengths ();
    test_wrong_wire_types ();
    test_bad_packed ();
    test_mutations ();
    printf ("test_codec_unpack: ok\n");
    return 0;
}
