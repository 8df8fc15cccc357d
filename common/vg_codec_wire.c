/*  vg_codec_wire.c - a batch's bytes checked before they are read
 *  (vg_codec_wire.h). */
#include "vg_codec_wire.h"
#include "vg_crc32c.h"
#include "vg_error.h"
#include "vg_wire.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
vg_codec_fail (char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (err, errlen, fmt, ap);
        va_end (ap);
    }
    return code;
}

/* The trailer: present, last, and matching what comes before it. */
int
vg_codec_check_trailer (const uint8_t *p, size_t len, char *err, size_t errlen)
{
    const uint8_t *t = len >= VG_WIRE_CRC_TRAILER ? p + len - VG_WIRE_CRC_TRAILER : NULL;
    if (!t || t[0] != VG_WIRE_CRC_TAG0 || t[1] != VG_WIRE_CRC_TAG1)
        return vg_codec_fail (err, errlen, VG_EPROTO,
                              "truncated or corrupted: the %zu bytes do not end with the batch's "
                              "checksum (field 17)",
                              len);
    uint32_t want =
        (uint32_t)t[2] | (uint32_t)t[3] << 8 | (uint32_t)t[4] << 16 | (uint32_t)t[5] << 24;
    uint32_t got = vg_crc32c (0, p, len - VG_WIRE_CRC_TRAILER);
    if (got != want)
        return vg_codec_fail (err, errlen, VG_EPROTO,
                              "truncated or corrupted: checksum 0x%08" PRIx32 " of the %zu bytes "
                              "differs from the 0x%08" PRIx32 " the batch carries",
                              got, len - VG_WIRE_CRC_TRAILER, want);
    return 0;
}

/* ---- the pre-scan: counts on the wire before anything is allocated ---- */

/* Reads a varint; returns bytes used, 0 if truncated or too long. */
size_t
vg_codec_varint (const uint8_t *p, size_t n, uint64_t *v)
{
    if (n && p[0] < 0x80) { /* most of a batch's varints */
        *v = p[0];
        return 1;
    }
    uint64_t r = 0;
    for (size_t i = 0; i < n && i < 10; i++) {
        r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *v = r;
            return i + 1;
        }
    }
    return 0;
}

/* Elements in a packed run of varints: bytes without the continuation bit. */
static size_t
s_count_varints (const uint8_t *p, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += !(p[i] & 0x80);
    return c;
}

/* Whether an Event's text (its field 4) holds a NUL byte, which a C string
 * would silently cut. Malformed sub-messages are left to the reader. */
static int
s_event_text_has_nul (const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint64_t tag, v;
        size_t k = vg_codec_varint (p + i, len - i, &tag);
        if (!k)
            return 0;
        i += k;
        switch (tag & 7) {
        case 0:
            k = vg_codec_varint (p + i, len - i, &v);
            if (!k)
                return 0;
            i += k;
            break;
        case 1:
        case 5:
            k = (tag & 7) == 1 ? 8 : 4;
            if (len - i < k)
                return 0;
            i += k;
            break;
        case 2:
            k = vg_codec_varint (p + i, len - i, &v);
            if (!k || v > len - i - k)
                return 0;
            i += k;
            if (tag >> 3 == 4 && memchr (p + i, 0, (size_t)v))
                return 1;
            i += (size_t)v;
            break;
        default:
            return 0;
        }
    }
    return 0;
}

int
vg_codec_prescan (const uint8_t *p, size_t len, vg_codec_counts_t *c, char *err, size_t errlen)
{
    memset (c, 0, sizeof *c);
    size_t end;
    return vg_codec_prescan_from (p, 0, len, c, 0, &end, err, errlen);
}

int
vg_codec_prescan_from (const uint8_t *p, size_t from, size_t len, vg_codec_counts_t *c,
                       int stop_at_names, size_t *end, char *err, size_t errlen)
{
    size_t i = from;
    *end = len;
    while (i < len) {
        uint64_t tag, v;
        size_t at = i;
        size_t k = vg_codec_varint (p + i, len - i, &tag);
        if (!k)
            return vg_codec_fail (err, errlen, VG_EPROTO, "malformed protobuf: bad tag at byte %zu",
                                  i);
        i += k;
        uint64_t field = tag >> 3;
        unsigned wire = (unsigned)(tag & 7);
        size_t start = i, plen = 0;
        switch (wire) {
        case 0:
            k = vg_codec_varint (p + i, len - i, &v);
            if (!k)
                return vg_codec_fail (err, errlen, VG_EPROTO,
                                      "malformed protobuf: truncated varint at byte %zu", i);
            i += k;
            break;
        case 1:
        case 5:
            plen = wire == 1 ? 8 : 4;
            if (len - i < plen)
                return vg_codec_fail (err, errlen, VG_EPROTO,
                                      "malformed protobuf: truncated field %" PRIu64 " at byte %zu",
                                      field, i);
            i += plen;
            break;
        case 2:
            k = vg_codec_varint (p + i, len - i, &v);
            if (!k || v > len - i - k)
                return vg_codec_fail (err, errlen, VG_EPROTO,
                                      "malformed protobuf: field %" PRIu64
                                      " at byte %zu overruns the "
                                      "buffer",
                                      field, i);
            start = i + k;
            plen = (size_t)v;
            i = start + plen;
            break;
        default:
            return vg_codec_fail (err, errlen, VG_EPROTO,
                                  "malformed protobuf: wire type %u at byte %zu", wire, i);
        }
        /* Top-level strings must not hide a NUL: C strings would cut them. */
        if (wire == 2 && (field == 1 || field == 2 || field == 10) && memchr (p + start, 0, plen))
            return field == 10 ? vg_codec_fail (err, errlen, VG_EPROTO,
                                                "string %zu contains a NUL byte", c->strings)
                               : vg_codec_fail (err, errlen, VG_EPROTO, "%s contains a NUL byte",
                                                field == 1 ? "agent_id" : "hostname");
        switch (field) {
        case 10:
        case 11:
            if (stop_at_names) {
                *end = at;
                return 0;
            }
            if (c->strings + c->series == 0)
                c->names_at = at;
            else if (at != c->names_end)
                c->names_split = 1;
            c->names_end = i;
            *(field == 10 ? &c->strings : &c->series) += 1;
            break;
        case 12:
        case 13:
            c->col[field - 12] += wire == 2 ? s_count_varints (p + start, plen) : 1;
            break;
        case 14:
            c->col[2] += wire == 2 ? plen / 8 : 1;
            break;
        case 15:
            c->dists++;
            break;
        case 16:
            if (wire == 2 && s_event_text_has_nul (p + start, plen))
                return vg_codec_fail (err, errlen, VG_EPROTO, "event %zu: text contains a NUL byte",
                                      c->events);
            c->events++;
            break;
        default:
            break;
        }
    }
    return 0;
}

int
vg_codec_check_counts (const vg_codec_counts_t *c, const vg_codec_limits_t *lim, char *err,
                       size_t errlen)
{
    size_t samples = c->col[0];
    for (int k = 1; k < 3; k++)
        if (c->col[k] > samples)
            samples = c->col[k];
    if (samples > lim->max_samples || c->dists > lim->max_samples - samples)
        return vg_codec_fail (err, errlen, VG_ETOOBIG,
                              "batch has %zu samples and %zu distributions (limit %zu in all)",
                              samples, c->dists, lim->max_samples);
    if (c->strings > lim->max_strings)
        return vg_codec_fail (err, errlen, VG_ETOOBIG, "batch has %zu strings (limit %zu)",
                              c->strings, lim->max_strings);
    if (c->series > lim->max_samples)
        return vg_codec_fail (err, errlen, VG_ETOOBIG, "batch has %zu series (limit %zu)",
                              c->series, lim->max_samples);
    if (c->events > lim->max_samples)
        return vg_codec_fail (err, errlen, VG_ETOOBIG, "batch has %zu events (limit %zu)",
                              c->events, lim->max_samples);
    return 0;
}
