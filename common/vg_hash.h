/*  vg_hash.h - one fast 64-bit hash for the in-memory lookup tables (the
 *  batch builder's intern tables, the log rules' label sets, the collector's
 *  series cache).
 *
 *  Not for anything stored or sent: the values may change between versions,
 *  and the hash is not keyed, so it is no defence against chosen collisions.
 *  Inline because it runs per sample on the hot paths, where a call would
 *  cost as much as the hashing of a short string.
 */
#ifndef VG_HASH_H
#define VG_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The splitmix64 finalizer: every input bit reaches every output bit. */
static inline uint64_t
vg_hash_mix (uint64_t h)
{
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

/* Eight bytes at a time: the strings are short and this is the hot path. The
 * tail is read with overlapping loads, not copied byte by byte into a word
 * (which would stall on store forwarding). */
static inline uint64_t
vg_hash_bytes (const void *data, size_t n)
{
    const char *p = (const char *)data;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy (&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy (&lo, p, 4);
        memcpy (&hi, p + n - 4, 4);
        w = lo | (uint64_t)hi << 32;
    } else if (n > 0) {
        const unsigned char *u = (const unsigned char *)p;
        w = u[0] | (uint64_t)u[n / 2] << 8 | (uint64_t)u[n - 1] << 16;
    }
    return vg_hash_mix (h ^ w);
}

#endif
