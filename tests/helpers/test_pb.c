/*  test_pb.c - a minimal protobuf writer for hand-made frames (test_pb.h). */
#include "test_pb.h"

void
test_pb_varint (vg_buf_t *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            tmp[n] |= 0x80;
        n++;
    } while (v);
    vg_buf_append (b, tmp, n);
}

void
test_pb_tag (vg_buf_t *b, unsigned field, unsigned wire)
{
    test_pb_varint (b, ((uint64_t)field << 3) | wire);
}

uint64_t
test_pb_zigzag (int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

void
test_pb_uint (vg_buf_t *b, unsigned field, uint64_t v)
{
    test_pb_tag (b, field, 0);
    test_pb_varint (b, v);
}

void
test_pb_sint (vg_buf_t *b, unsigned field, int64_t v)
{
    test_pb_uint (b, field, test_pb_zigzag (v));
}

void
test_pb_double (vg_buf_t *b, unsigned field, double v)
{
    test_pb_tag (b, field, 1);
    vg_buf_append (b, &v, 8); /* little-endian host */
}

void
test_pb_bytes (vg_buf_t *b, unsigned field, const void *data, size_t n)
{
    test_pb_tag (b, field, 2);
    test_pb_varint (b, n);
    if (n) /* an empty sub-message has no buffer yet */
        vg_buf_append (b, data, n);
}

void
test_pb_msg (vg_buf_t *b, unsigned field, vg_buf_t *sub)
{
    test_pb_bytes (b, field, sub->data, sub->len);
    vg_buf_free (sub);
}

void
test_pb_packed_u (vg_buf_t *b, unsigned field, const uint64_t *v, size_t n)
{
    vg_buf_t sub = {0};
    for (size_t i = 0; i < n; i++)
        test_pb_varint (&sub, v[i]);
    test_pb_msg (b, field, &sub);
}

void
test_pb_packed_s (vg_buf_t *b, unsigned field, const int64_t *v, size_t n)
{
    vg_buf_t sub = {0};
    for (size_t i = 0; i < n; i++)
        test_pb_varint (&sub, test_pb_zigzag (v[i]));
    test_pb_msg (b, field, &sub);
}

void
test_pb_packed_d (vg_buf_t *b, unsigned field, const double *v, size_t n)
{
    test_pb_bytes (b, field, v, n * sizeof *v);
}
