/*  test_codec_damage.c - damaged frames: malformed protobuf, every prefix of
 *  a valid frame, random bytes and random corruptions give an error or a
 *  valid batch, never a crash; a batch cut anywhere or with a byte changed is
 *  refused by its checksum. The reference batch is
 *  tests/helpers/test_codec_ref.c's; the rules are test_codec.c's.
 */
#include "test_assert.h"
#include "test_codec_check.h"
#include "test_codec_ref.h"
#include "test_rng.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_codec.h"
#include "vg_error.h"
#include "vg_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Malformed protobuf, every prefix of a valid frame, random bytes, and
 * random corruptions: an error or a valid batch, never a crash. */
static uint64_t s_rng = 12345;

static uint64_t
s_next (void)
{
    return test_rng_next (&s_rng);
}

static int
s_try (const uint8_t *data, size_t len)
{
    vg_batch_t *b = NULL;
    char err[256] = "";
    int rc = vg_codec_decode_batch (data, len, NULL, &b, err, sizeof err);
    if (rc == 0) {
        /* Whatever decodes re-encodes and decodes to the same batch, unless
         * its timestamps lie too far apart for one base (a corrupted delta). */
        size_t n;
        uint8_t *enc = NULL;
        int erc = vg_codec_encode_batch (b, &enc, &n);
        if (erc == 0) {
            vg_batch_t *again = test_codec_decode_ok (enc, n, NULL);
            test_codec_assert_same (b, again);
            vg_batch_destroy (&again);
            free (enc);
        } else {
            ASSERT_EQ (erc, VG_EINVAL);
        }
        vg_batch_destroy (&b);
        return 1;
    }
    ASSERT (rc == VG_EPROTO || rc == VG_ETOOBIG);
    ASSERT (b == NULL);
    ASSERT (err[0] != '\0');
    return 0;
}

static void
test_malformed (void)
{
    const uint8_t junk1[] = {0x0a, 0x05, 'a'};        /* string overruns the frame */
    const uint8_t junk2[] = {0x18, 0x80};             /* truncated varint */
    const uint8_t junk3[] = {0x0b};                   /* wire type 3 (groups) */
    const uint8_t junk4[] = {0x62, 0x02, 0x80, 0x80}; /* packed varint never ends */
    EXPECT_FAIL (junk1, sizeof junk1, NULL, VG_EPROTO, "malformed protobuf");
    EXPECT_FAIL (junk2, sizeof junk2, NULL, VG_EPROTO, "malformed protobuf");
    EXPECT_FAIL (junk3, sizeof junk3, NULL, VG_EPROTO, "malformed protobuf");
    EXPECT_FAIL (junk4, sizeof junk4, NULL, VG_EPROTO, "malformed protobuf");
    EXPECT_FAIL (NULL, 0, NULL, VG_EPROTO, "agent_id is empty");

    vg_buf_t buf = test_codec_base ();
    int valid = 0;
    for (size_t n = 0; n < buf.len; n++) {
        /* A copy of exactly n bytes, so ASan sees any read past the prefix;
         * sealed, so the decoder itself judges what is left. */
        size_t sn;
        uint8_t *p = test_codec_sealed (buf.data, n, &sn);
        uint8_t *q = vg_malloc (sn);
        memcpy (q, p, sn);
        valid += s_try (q, sn);
        free (q);
        free (p);
    }
    /* Some prefixes end between whole fields and are batches of their own:
     * only the checksum tells them from the whole (test_truncation). */
    ASSERT_GT (valid, 0);
    ASSERT_LT (valid, (int)buf.len);

    uint8_t *p = vg_malloc (buf.len);
    for (int round = 0; round < 20000; round++) {
        memcpy (p, buf.data, buf.len);
        int flips = 1 + (int)(s_next () % 4);
        for (int k = 0; k < flips; k++)
            p[s_next () % buf.len] ^= (uint8_t)(1u << (s_next () % 8));
        size_t sn;
        uint8_t *q = test_codec_sealed (p, buf.len, &sn);
        s_try (q, sn);
        free (q);
    }
    free (p);
    for (int round = 0; round < 20000; round++) {
        size_t n = s_next () % 300;
        uint8_t *r = vg_malloc (n);
        for (size_t k = 0; k < n; k++)
            r[k] = (uint8_t)s_next ();
        s_try (r, n);
        free (r);
    }
    vg_buf_free (&buf);
}

/* Every batch ends with its checksum: a batch cut anywhere, between two
 * fields included, or with a byte changed, is refused as such. */
static void
test_truncation (void)
{
    vg_batch_t *a = test_codec_reference ();
    size_t len;
    uint8_t *enc = test_codec_encode (a, &len);
    ASSERT (test_codec_has_trailer (enc, len));
    for (size_t n = 0; n < len; n++) {
        uint8_t *p = vg_malloc (n + 1);
        memcpy (p, enc, n);
        vg_batch_t *b = (vg_batch_t *)1;
        char err[256] = "";
        ASSERT_EQ (vg_codec_decode_batch (p, n, NULL, &b, err, sizeof err), VG_EPROTO);
        ASSERT (b == NULL);
        ASSERT_STR_CONTAINS (err, "truncated or corrupted");
        free (p);
    }
    for (size_t i = 0; i < len; i++) {
        enc[i] ^= 0x20;
        vg_batch_t *b = (vg_batch_t *)1;
        char err[256] = "";
        ASSERT_EQ (vg_codec_decode_batch (enc, len, NULL, &b, err, sizeof err), VG_EPROTO);
        ASSERT (b == NULL);
        ASSERT_STR_CONTAINS (err, "truncated or corrupted");
        enc[i] ^= 0x20;
    }
    /* A batch without the trailer, as an encoder without it would send. */
    vg_batch_t *b = (vg_batch_t *)1;
    char err[256] = "";
    ASSERT_EQ (vg_codec_decode_batch (enc, len - VG_WIRE_CRC_TRAILER, NULL, &b, err, sizeof err),
               VG_EPROTO);
    ASSERT_STR_CONTAINS (err, "do not end with the batch's checksum");
    /* The trailer is field 17 to protobuf: the whole decodes. */
    b = test_codec_decode_ok (enc, len, NULL);
    test_codec_assert_same (a, b);
    vg_batch_destroy (&b);
    free (enc);
    vg_batch_destroy (&a);
}

int
main (void)
{
    test_truncation ();
    test_malformed ();
    printf ("test_codec_damage: ok\n");
    return 0;
}
