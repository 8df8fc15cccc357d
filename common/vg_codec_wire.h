/*  vg_codec_wire.h - what decoding a batch checks on its bytes before it
 *  reads them (vg_codec_unpack.c): the checksum trailer, and the counts of strings,
 *  series, samples, distributions and events, so that a hostile frame is
 *  refused before anything is allocated for it. For the codec alone. */
#ifndef VG_CODEC_WIRE_H
#define VG_CODEC_WIRE_H

#include "vg_codec.h"

#include <stddef.h>
#include <stdint.h>

/* The relative accuracy of the sketches, in ppm: the only mapping written
 * and accepted (proto/vigil.proto, Distribution). */
#define VG_CODEC_ACCURACY_PPM 10000

typedef struct {
    size_t strings, series, dists, events;
    size_t col[3]; /* sample_series, sample_ts_delta_ms, sample_value */
    /* The names' fields (strings, series): from the first one's tag to the
     * end of the last one, and whether other fields lie between them. */
    size_t names_at, names_end;
    int names_split;
    /* Set when the names are known already: reading skips
     * [names_at, names_end) and allocates nothing for them. */
    int names_known;
} vg_codec_counts_t;

/* Writes the message into err (if any) and returns code. */
int vg_codec_fail (char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

/* Reads a varint; returns the bytes used, 0 if truncated or too long. */
size_t vg_codec_varint (const uint8_t *p, size_t n, uint64_t *v);
/* The trailer: present, last, and matching what comes before it. */
int vg_codec_check_trailer (const uint8_t *p, size_t len, char *err, size_t errlen);
/* Counts what the batch holds, walking its fields; refuses malformed
 * protobuf and NUL bytes in strings. */
int vg_codec_prescan (const uint8_t *p, size_t len, vg_codec_counts_t *c, char *err, size_t errlen);
/* The same from byte from on, adding to *c; with stop_at_names, stops at the
 * tag of the first names field. *end: where it stopped (len if it did not). */
int vg_codec_prescan_from (const uint8_t *p, size_t from, size_t len, vg_codec_counts_t *c,
                           int stop_at_names, size_t *end, char *err, size_t errlen);
/* The counts against the limits. */
int vg_codec_check_counts (const vg_codec_counts_t *c, const vg_codec_limits_t *lim, char *err,
                           size_t errlen);

#endif
