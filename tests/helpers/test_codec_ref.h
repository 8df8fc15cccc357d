/*  test_codec_ref.h - the codec tests' reference batch: every kind of
 *  content a batch carries, and its encoding. */
#ifndef TEST_CODEC_REF_H
#define TEST_CODEC_REF_H

#include "vg_batch.h"
#include "vg_buf.h"

#define TEST_CODEC_T0 1700000000000LL /* the reference batch's times start here */

/* Agent "agent-7f3a", seq 42. Series 0 gauge cpu{mode=user}, 1 counter
 * requests{method=GET,path=/}, 2 distribution latency{path=/chat}; samples of
 * both, distributions with positive, negative and zero values, two events.
 * Caller owns it. */
vg_batch_t *test_codec_reference (void);
/* The encoding of *batch_p without the checksum trailer; destroys the batch
 * and nulls *batch_p. Caller frees the buffer. */
vg_buf_t test_codec_frame (vg_batch_t **batch_p);
/* The reference batch's encoding without the checksum trailer, for raw fields to be appended.
 * Caller frees it. */
vg_buf_t test_codec_base (void);

/* Fails the test unless a and b hold the same: identity, series (by their
 * strings), samples bit for bit, distributions and events. */
void test_codec_assert_same (const vg_batch_t *a, const vg_batch_t *b);

#endif
