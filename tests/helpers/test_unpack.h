/*  test_unpack.h - the codec's own Batch reader held against protobuf-c's. */
#ifndef TEST_UNPACK_H
#define TEST_UNPACK_H

#include <stddef.h>
#include <stdint.h>

/* Reads data with vg_codec_unpack_batch and with vigil__batch__unpack: 0 if
 * they agree (both refuse it, or both read the same fields), else -1 with
 * what differs in why. Bytes that vg_codec_prescan refuses are never read
 * by the codec, so they agree by definition: 0. *read (if not NULL) is set
 * to 1 when both read a batch. */
int test_unpack_same (const uint8_t *data, size_t len, int *read, char *why, size_t whylen);

#endif
