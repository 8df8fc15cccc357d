/*  vg_crc32c.c - CRC-32C, slicing-by-8 (the reflected polynomial 0x82f63b78). */
#include "vg_crc32c.h"

#include <pthread.h>
#include <string.h>

static uint32_t s_table[8][256];
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void
s_build (void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
        s_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            s_table[t][i] = (s_table[t - 1][i] >> 8) ^ s_table[0][s_table[t - 1][i] & 0xff];
}

uint32_t
vg_crc32c (uint32_t crc, const void *data, size_t len)
{
    pthread_once (&s_once, s_build);
    const unsigned char *p = data;
    crc = ~crc;
    while (len >= 8) {
        uint32_t lo, hi;
        memcpy (&lo, p, 4);
        memcpy (&hi, p + 4, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        lo = __builtin_bswap32 (lo);
        hi = __builtin_bswap32 (hi);
#endif
        lo ^= crc;
        crc = s_table[7][lo & 0xff] ^ s_table[6][(lo >> 8) & 0xff] ^
              s_table[5][(lo >> 16) & 0xff] ^ s_table[4][lo >> 24] ^ s_table[3][hi & 0xff] ^
              s_table[2][(hi >> 8) & 0xff] ^ s_table[1][(hi >> 16) & 0xff] ^ s_table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--)
        crc = (crc >> 8) ^ s_table[0][(crc ^ *p++) & 0xff];
    return ~crc;
}
