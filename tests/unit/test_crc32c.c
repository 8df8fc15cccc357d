/*  test_crc32c.c - CRC-32C against published check values and a bitwise
 *  reference, at every alignment and length, in one call and in pieces, by
 *  the CPU's instruction (where there is one) and by tables. */
#include "test_assert.h"
#include "vg_crc32c.h"

#include <stdint.h>

/* One bit at a time, straight from the definition. */
static uint32_t
s_reference (const unsigned char *p, size_t len)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
    }
    return ~crc;
}

int
main (void)
{
    /* The check value of the CRC catalogue, and RFC 3720 B.4's vectors. */
    ASSERT_EQ (vg_crc32c (0, "123456789", 9), 0xe3069283u);
    ASSERT_EQ (vg_crc32c (0, "", 0), 0);
    unsigned char zeros[32] = {0}, ones[32], inc[32];
    memset (ones, 0xff, sizeof ones);
    for (int i = 0; i < 32; i++)
        inc[i] = (unsigned char)i;
    ASSERT_EQ (vg_crc32c (0, zeros, 32), 0x8a9136aau);
    ASSERT_EQ (vg_crc32c (0, ones, 32), 0x62a8ab43u);
    ASSERT_EQ (vg_crc32c (0, inc, 32), 0x46dd794eu);

    unsigned char buf[300];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (unsigned char)(x >> 16);
    }
    for (size_t off = 0; off < 9; off++)
        for (size_t len = 0; len + off <= sizeof buf; len += 7) {
            uint32_t want = s_reference (buf + off, len);
            ASSERT_EQ (vg_crc32c (0, buf + off, len), want);
            size_t cut = len / 3;
            ASSERT_EQ (vg_crc32c (vg_crc32c (0, buf + off, cut), buf + off + cut, len - cut), want);
            ASSERT_EQ (vg_crc32c_portable (0, buf + off, len), want);
            ASSERT_EQ (
                vg_crc32c_portable (vg_crc32c (0, buf + off, cut), buf + off + cut, len - cut),
                want);
        }
    printf ("test_crc32c: ok\n");
    return 0;
}
