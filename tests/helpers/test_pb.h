/*  test_pb.h - a minimal protobuf writer for hand-made frames: fields of
 *  any number and wire type, packed runs, sub-messages. Each call appends to
 *  b; test_pb_msg appends sub as a length-prefixed field and frees it. */
#ifndef TEST_PB_H
#define TEST_PB_H

#include "vg_buf.h"

#include <stddef.h>
#include <stdint.h>

void test_pb_varint (vg_buf_t *b, uint64_t v);
void test_pb_tag (vg_buf_t *b, unsigned field, unsigned wire);
uint64_t test_pb_zigzag (int64_t v);
void test_pb_uint (vg_buf_t *b, unsigned field, uint64_t v);
void test_pb_sint (vg_buf_t *b, unsigned field, int64_t v);
void test_pb_double (vg_buf_t *b, unsigned field, double v);
void test_pb_bytes (vg_buf_t *b, unsigned field, const void *data, size_t n);
void test_pb_msg (vg_buf_t *b, unsigned field, vg_buf_t *sub);
void test_pb_packed_u (vg_buf_t *b, unsigned field, const uint64_t *v, size_t n);
void test_pb_packed_s (vg_buf_t *b, unsigned field, const int64_t *v, size_t n);
void test_pb_packed_d (vg_buf_t *b, unsigned field, const double *v, size_t n);

#endif
