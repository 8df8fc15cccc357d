/*  vg_sketch.h - the distribution sketch: a mergeable log-bucket histogram
 *  (DDSketch-style) with relative accuracy VG_SKETCH_ALPHA.
 *
 *  A value v > 0 falls in bucket i = ceil (log (v) / log (gamma)),
 *  gamma = (1 + alpha) / (1 - alpha); a bucket's representative value is
 *  2 * gamma^i / (gamma + 1), which is within alpha of every value in it.
 *  Negative values use the same mapping on -v in a second store; values whose
 *  magnitude is below VG_SKETCH_MIN_VALUE count as zero. Two sketches merge by
 *  adding bucket counts, so a P95 over any window or set of hosts is exact to
 *  within alpha, in C or in SQL.
 */
#ifndef VG_SKETCH_H
#define VG_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#define VG_SKETCH_ALPHA     0.01
#define VG_SKETCH_MIN_VALUE 1e-9

/* One store of buckets: counts[k] is the count of bucket (offset + k). */
typedef struct {
    int32_t offset;
    uint32_t len; /* buckets in use from offset */
    uint32_t cap;
    uint64_t *counts;
} vg_sketch_store_t;

typedef struct {
    vg_sketch_store_t pos;
    vg_sketch_store_t neg;
    uint64_t zero_count;
    uint64_t count; /* all values: pos + neg + zero */
    double sum;
    double min; /* meaningful only when count > 0 */
    double max;
} vg_sketch_t;

vg_sketch_t *vg_sketch_new (void);
void vg_sketch_destroy (vg_sketch_t **self_p);
/* Empties the sketch, keeping its memory. */
void vg_sketch_reset (vg_sketch_t *self);
/* A deep copy; caller owns it. */
vg_sketch_t *vg_sketch_dup (const vg_sketch_t *self);

/* Adds a value (NaN and infinities are ignored and return VG_EINVAL). */
int vg_sketch_add (vg_sketch_t *self, double value);
int vg_sketch_add_n (vg_sketch_t *self, double value, uint64_t n);
/* Adds count to one bucket of the positive (negative = 0) or negative store,
 * without touching count/sum/min/max: used when decoding a sketch. Returns
 * VG_EINVAL for an index outside the range any double can reach. */
int vg_sketch_add_bucket (vg_sketch_t *self, int negative, int32_t index, uint64_t count);
/* Adds other into self. */
void vg_sketch_merge (vg_sketch_t *self, const vg_sketch_t *other);

/* The q-quantile (0 <= q <= 1), clamped to [min, max]; NaN when empty. */
double vg_sketch_quantile (const vg_sketch_t *self, double q);

/* The bucket a positive value falls in, and a bucket's representative value. */
int32_t vg_sketch_index (double value);
double vg_sketch_bucket_value (int32_t index);

#endif
