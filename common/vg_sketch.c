/*  vg_sketch.c - the distribution sketch: DDSketch-style log buckets with
 *  dense stores that grow at either end.
 */
#include "vg_sketch.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* gamma = (1 + alpha) / (1 - alpha) for alpha = 0.01, and ln (gamma). Literals,
 * because C cannot call log () in a constant initializer; test_sketch checks
 * them against the formula. */
#define S_GAMMA         1.0202020202020202
#define S_LOG_GAMMA     0.020000666706669525
#define S_INV_LOG_GAMMA 49.99833328888656

/* The smallest and largest index a finite value of magnitude >=
 * VG_SKETCH_MIN_VALUE can map to: ceil (ln (1e-9) / ln gamma) and
 * ceil (ln (DBL_MAX) / ln gamma). test_sketch checks them against
 * vg_sketch_index. Anything outside came from a broken or hostile peer. */
#define S_MIN_INDEX (-1036)
#define S_MAX_INDEX 35488

int32_t
vg_sketch_index (double value)
{
    if (!(value >= VG_SKETCH_MIN_VALUE))
        value = VG_SKETCH_MIN_VALUE;
    if (value > DBL_MAX)
        value = DBL_MAX;
    return (int32_t)ceil (log (value) * S_INV_LOG_GAMMA);
}

double
vg_sketch_bucket_value (int32_t index)
{
    return 2.0 * exp ((double)index * S_LOG_GAMMA) / (S_GAMMA + 1.0);
}

/* ---- stores ---- */

static void
s_store_free (vg_sketch_store_t *store)
{
    free (store->counts);
    memset (store, 0, sizeof *store);
}

static void
s_store_reserve (vg_sketch_store_t *store, uint32_t need)
{
    if (need <= store->cap)
        return;
    uint32_t cap = store->cap ? store->cap : 64;
    while (cap < need)
        cap *= 2;
    store->counts = vg_realloc (store->counts, (size_t)cap * sizeof *store->counts);
    store->cap = cap;
}

/* Makes the store cover index, growing it at either end; returns the slot.
 * Indexes are bounded by S_MIN_INDEX..S_MAX_INDEX, so the span never
 * overflows. */
static uint64_t *
s_store_slot (vg_sketch_store_t *store, int32_t index)
{
    if (store->len == 0) {
        s_store_reserve (store, 1);
        store->offset = index;
        store->len = 1;
        store->counts[0] = 0;
        return &store->counts[0];
    }
    if (index < store->offset) {
        uint32_t shift = (uint32_t)(store->offset - index);
        s_store_reserve (store, store->len + shift);
        memmove (store->counts + shift, store->counts, store->len * sizeof *store->counts);
        memset (store->counts, 0, shift * sizeof *store->counts);
        store->offset = index;
        store->len += shift;
        return &store->counts[0];
    }
    uint32_t k = (uint32_t)(index - store->offset);
    if (k >= store->len) {
        s_store_reserve (store, k + 1);
        memset (store->counts + store->len, 0, (k + 1 - store->len) * sizeof *store->counts);
        store->len = k + 1;
    }
    return &store->counts[k];
}

static void
s_store_merge (vg_sketch_store_t *self, const vg_sketch_store_t *other)
{
    if (other->len == 0)
        return;
    /* Touch both ends first so the store grows at most twice. */
    s_store_slot (self, other->offset);
    s_store_slot (self, other->offset + (int32_t)other->len - 1);
    uint64_t *dst = self->counts + (other->offset - self->offset);
    for (uint32_t k = 0; k < other->len; k++)
        dst[k] += other->counts[k];
}

static void
s_store_copy (vg_sketch_store_t *dst, const vg_sketch_store_t *src)
{
    memset (dst, 0, sizeof *dst);
    if (src->len == 0)
        return;
    s_store_reserve (dst, src->len);
    memcpy (dst->counts, src->counts, src->len * sizeof *src->counts);
    dst->offset = src->offset;
    dst->len = src->len;
}

/* ---- the sketch ---- */

vg_sketch_t *
vg_sketch_new (void)
{
    return vg_calloc (1, sizeof (vg_sketch_t));
}

void
vg_sketch_destroy (vg_sketch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vg_sketch_t *self = *self_p;
    s_store_free (&self->pos);
    s_store_free (&self->neg);
    free (self);
    *self_p = NULL;
}

void
vg_sketch_reset (vg_sketch_t *self)
{
    self->pos.len = 0;
    self->neg.len = 0;
    self->zero_count = 0;
    self->count = 0;
    self->sum = 0;
    self->min = 0;
    self->max = 0;
}

vg_sketch_t *
vg_sketch_dup (const vg_sketch_t *self)
{
    vg_sketch_t *copy = vg_sketch_new ();
    *copy = *self;
    s_store_copy (&copy->pos, &self->pos);
    s_store_copy (&copy->neg, &self->neg);
    return copy;
}

int
vg_sketch_add_n (vg_sketch_t *self, double value, uint64_t n)
{
    if (!isfinite (value))
        return VG_EINVAL;
    if (n == 0)
        return 0;
    if (value >= VG_SKETCH_MIN_VALUE)
        *s_store_slot (&self->pos, vg_sketch_index (value)) += n;
    else if (value <= -VG_SKETCH_MIN_VALUE)
        *s_store_slot (&self->neg, vg_sketch_index (-value)) += n;
    else
        self->zero_count += n;

    if (self->count == 0 || value < self->min)
        self->min = value;
    if (self->count == 0 || value > self->max)
        self->max = value;
    self->count += n;
    self->sum += value * (double)n;
    return 0;
}

int
vg_sketch_add (vg_sketch_t *self, double value)
{
    return vg_sketch_add_n (self, value, 1);
}

int
vg_sketch_add_bucket (vg_sketch_t *self, int negative, int32_t index, uint64_t count)
{
    if (index < S_MIN_INDEX || index > S_MAX_INDEX)
        return VG_EINVAL;
    if (count == 0)
        return 0;
    *s_store_slot (negative ? &self->neg : &self->pos, index) += count;
    return 0;
}

void
vg_sketch_merge (vg_sketch_t *self, const vg_sketch_t *other)
{
    if (other->count == 0)
        return;
    s_store_merge (&self->pos, &other->pos);
    s_store_merge (&self->neg, &other->neg);
    self->zero_count += other->zero_count;
    if (self->count == 0 || other->min < self->min)
        self->min = other->min;
    if (self->count == 0 || other->max > self->max)
        self->max = other->max;
    self->count += other->count;
    self->sum += other->sum;
}

static uint64_t
s_store_total (const vg_sketch_store_t *store)
{
    uint64_t total = 0;
    for (uint32_t k = 0; k < store->len; k++)
        total += store->counts[k];
    return total;
}

/* The value of rank floor (q * (count - 1)) (0-based, ascending), per DDSketch: negative values
 * from the largest magnitude down, then zeros, then positive values ascending. */
double
vg_sketch_quantile (const vg_sketch_t *self, double q)
{
    if (self->count == 0 || !(q >= 0.0 && q <= 1.0))
        return NAN;
    uint64_t rank = (uint64_t)floor (q * (double)(self->count - 1));
    /* The extremes are known exactly. */
    if (rank == 0)
        return self->min;
    if (rank >= self->count - 1)
        return self->max;
    double value = self->max;
    uint64_t neg_total = s_store_total (&self->neg);
    if (rank < neg_total) {
        uint64_t seen = 0;
        for (uint32_t k = self->neg.len; k-- > 0;) {
            seen += self->neg.counts[k];
            if (seen > rank) {
                value = -vg_sketch_bucket_value (self->neg.offset + (int32_t)k);
                break;
            }
        }
    } else if (rank < neg_total + self->zero_count) {
        value = 0.0;
    } else {
        uint64_t seen = neg_total + self->zero_count;
        for (uint32_t k = 0; k < self->pos.len; k++) {
            seen += self->pos.counts[k];
            if (seen > rank) {
                value = vg_sketch_bucket_value (self->pos.offset + (int32_t)k);
                break;
            }
        }
    }
    if (value < self->min)
        value = self->min;
    if (value > self->max)
        value = self->max;
    return value;
}
