/*  test_codec_check.c - frames encoded, sealed and decoded for the codec
 *  tests (test_codec_check.h). */
#include "test_codec_check.h"
#include "test_assert.h"
#include "vg_alloc.h"
#include "vg_crc32c.h"
#include "vg_wire.h"

#include <stdlib.h>
#include <string.h>

uint8_t *
test_codec_encode (const vg_batch_t *b, size_t *len)
{
    uint8_t *out = NULL;
    ASSERT_EQ (vg_codec_encode_batch (b, &out, len), 0);
    ASSERT (out);
    return out;
}

/* Whether a frame ends with a matching checksum trailer. */
int
test_codec_has_trailer (const uint8_t *p, size_t len)
{
    if (len < VG_WIRE_CRC_TRAILER)
        return 0;
    const uint8_t *t = p + len - VG_WIRE_CRC_TRAILER;
    uint32_t want =
        (uint32_t)t[2] | (uint32_t)t[3] << 8 | (uint32_t)t[4] << 16 | (uint32_t)t[5] << 24;
    return t[0] == VG_WIRE_CRC_TAG0 && t[1] == VG_WIRE_CRC_TAG1 &&
           vg_crc32c (0, p, len - VG_WIRE_CRC_TRAILER) == want;
}

/* A copy of a frame that ends with its trailer: as it is when it has one,
 * else sealed. Caller frees it. */
uint8_t *
test_codec_sealed (const void *data, size_t len, size_t *outlen)
{
    uint8_t *p = vg_malloc (len + 1);
    if (len)
        memcpy (p, data, len);
    *outlen = len;
    if (!test_codec_has_trailer (p, len))
        vg_codec_seal_batch (&p, outlen);
    return p;
}

int
test_codec_decode_sealed (const void *data, size_t len, const vg_codec_limits_t *lim,
                          vg_batch_t **b, char *err, size_t errlen)
{
    size_t n;
    uint8_t *p = test_codec_sealed (data, len, &n);
    int rc = vg_codec_decode_batch (p, n, lim, b, err, errlen);
    free (p);
    return rc;
}

vg_batch_t *
test_codec_decode_ok (const void *data, size_t len, const vg_codec_limits_t *lim)
{
    vg_batch_t *b = NULL;
    char err[256] = "";
    int rc = test_codec_decode_sealed (data, len, lim, &b, err, sizeof err);
    if (rc != 0)
        TEST_FAIL ("decode failed: %d: %s", rc, err);
    ASSERT (b);
    return b;
}
