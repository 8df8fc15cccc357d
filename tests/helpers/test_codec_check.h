/*  test_codec_check.h - frames encoded, sealed and decoded for the codec
 *  tests, failing the test where a step that must work does not. */
#ifndef TEST_CODEC_CHECK_H
#define TEST_CODEC_CHECK_H

#include "test_assert.h"
#include "vg_batch.h"
#include "vg_codec.h"

#include <stddef.h>
#include <stdint.h>

/* The encoding of b, with its trailer. Caller frees it. */
uint8_t *test_codec_encode (const vg_batch_t *b, size_t *len);
/* Whether a frame ends with a matching checksum trailer. */
int test_codec_has_trailer (const uint8_t *p, size_t len);
/* A copy of a frame that ends with its trailer: as it is when it has one,
 * else sealed. Caller frees it. */
uint8_t *test_codec_sealed (const void *data, size_t len, size_t *outlen);
/* vg_codec_decode_batch of the frame sealed. */
int test_codec_decode_sealed (const void *data, size_t len, const vg_codec_limits_t *lim,
                              vg_batch_t **b, char *err, size_t errlen);
/* The frame sealed and decoded; fails the test if it is refused. */
vg_batch_t *test_codec_decode_ok (const void *data, size_t len, const vg_codec_limits_t *lim);

/* Fails the test unless the frame, sealed, is refused with code and an error
 * containing reason. */
#define EXPECT_FAIL(data, len, lim, code, reason)                                                  \
    do {                                                                                           \
        vg_batch_t *b_ = (vg_batch_t *)1;                                                          \
        char err_[256] = "";                                                                       \
        int rc_ = test_codec_decode_sealed ((data), (len), (lim), &b_, err_, sizeof err_);         \
        if (rc_ != (code))                                                                         \
            TEST_FAIL ("decode: rc %d (%s), want %d, for \"%s\"", rc_, err_, (code), (reason));    \
        ASSERT (b_ == NULL);                                                                       \
        ASSERT_STR_CONTAINS (err_, (reason));                                                      \
    } while (0)

#endif
