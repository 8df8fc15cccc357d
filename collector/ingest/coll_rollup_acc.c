/*  coll_rollup_acc.c - rollup rows in memory and their merge rules.
 *
 *  Comparisons follow PostgreSQL's, where NaN equals NaN and sorts above
 *  every number, so that a row merged here and a row merged by the SQL of
 *  050_rollups.sql come out the same, NaN samples included.
 */
#include "coll_rollup_acc.h"
#include "vg_alloc.h"
#include "vg_hash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct coll_rollup_acc_t {
    coll_rollup_row_t *rows;
    size_t n, cap;
    uint32_t *slots; /* open addressing: row index + 1, 0 for empty */
    size_t nslots;   /* a power of two, at least twice n */
    size_t sketch_bytes;
};

/* a < b as PostgreSQL orders doubles: NaN above everything. */
static int
s_pg_lt (double a, double b)
{
    if (isnan (a))
        return 0;
    if (isnan (b))
        return 1;
    return a < b;
}

static double
s_fmin (double a, double b)
{
    return isnan (a) ? b : isnan (b) ? a : (a < b ? a : b);
}

static double
s_fmax (double a, double b)
{
    return isnan (a) ? b : isnan (b) ? a : (a > b ? a : b);
}

/* vigil.counter_delta: the gain from prev to next, a drop being a reset. */
static double
s_counter_delta (double prev, double next)
{
    return s_pg_lt (next, prev) ? next : next - prev;
}

int64_t
coll_rollup_acc_bucket (int64_t ts_ms, int64_t width_ms)
{
    int64_t r = ts_ms % width_ms;
    return ts_ms - (r < 0 ? r + width_ms : r);
}

void
coll_rollup_acc_merge (coll_rollup_row_t *dst, const coll_rollup_row_t *src)
{
    double step = 0;
    if (src->first_ts_ms > dst->last_ts_ms)
        step = s_counter_delta (dst->last, src->first);
    else if (dst->first_ts_ms > src->last_ts_ms)
        step = s_counter_delta (src->last, dst->first);
    dst->increase = dst->increase + src->increase + step;
    if (src->first_ts_ms < dst->first_ts_ms) {
        dst->first = src->first;
        dst->first_ts_ms = src->first_ts_ms;
    }
    if (src->last_ts_ms >= dst->last_ts_ms) {
        dst->last = src->last;
        dst->last_ts_ms = src->last_ts_ms;
    }
    dst->count += src->count;
    dst->sum += src->sum;
    dst->min = s_fmin (dst->min, src->min);
    dst->max = s_fmax (dst->max, src->max);
    if (src->sketch) {
        if (!dst->sketch)
            dst->sketch = vg_sketch_new ();
        vg_sketch_merge (dst->sketch, src->sketch);
    }
}

void
coll_rollup_acc_row_free (coll_rollup_row_t *row)
{
    vg_sketch_destroy (&row->sketch);
    memset (row, 0, sizeof *row);
}

coll_rollup_acc_t *
coll_rollup_acc_new (void)
{
    return vg_calloc (1, sizeof (coll_rollup_acc_t));
}

void
coll_rollup_acc_destroy (coll_rollup_acc_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    coll_rollup_acc_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        coll_rollup_acc_row_free (&self->rows[i]);
    free (self->rows);
    free (self->slots);
    free (self);
    *self_p = NULL;
}

static size_t
s_sketch_bytes (const vg_sketch_t *sk)
{
    return sk ? sizeof *sk + ((size_t)sk->pos.cap + sk->neg.cap) * sizeof (uint64_t) : 0;
}

static uint64_t
s_hash (int64_t host_id, int64_t series_id, int64_t bucket_ms)
{
    uint64_t h = vg_hash_mix ((uint64_t)host_id * 0x9e3779b97f4a7c15ULL ^ (uint64_t)series_id);
    return vg_hash_mix (h ^ (uint64_t)bucket_ms);
}

static void
s_reindex (coll_rollup_acc_t *self, size_t nslots)
{
    free (self->slots);
    self->slots = vg_calloc (nslots, sizeof *self->slots);
    self->nslots = nslots;
    for (size_t i = 0; i < self->n; i++) {
        const coll_rollup_row_t *r = &self->rows[i];
        size_t k = s_hash (r->host_id, r->series_id, r->bucket_ms) & (nslots - 1);
        while (self->slots[k])
            k = (k + 1) & (nslots - 1);
        self->slots[k] = (uint32_t)(i + 1);
    }
}

/* The row of the bucket, made empty (count 0) when new. */
static coll_rollup_row_t *
s_find (coll_rollup_acc_t *self, int64_t host_id, int64_t series_id, int64_t bucket_ms, int *made)
{
    if ((self->n + 1) * 2 > self->nslots)
        s_reindex (self, self->nslots ? self->nslots * 2 : 1024);
    size_t mask = self->nslots - 1;
    size_t k = s_hash (host_id, series_id, bucket_ms) & mask;
    while (self->slots[k]) {
        coll_rollup_row_t *r = &self->rows[self->slots[k] - 1];
        if (r->host_id == host_id && r->series_id == series_id && r->bucket_ms == bucket_ms) {
            *made = 0;
            return r;
        }
        k = (k + 1) & mask;
    }
    VG_GROW (self->rows, self->cap, self->n + 1);
    coll_rollup_row_t *r = &self->rows[self->n++];
    memset (r, 0, sizeof *r);
    r->host_id = host_id;
    r->series_id = series_id;
    r->bucket_ms = bucket_ms;
    self->slots[k] = (uint32_t)self->n;
    *made = 1;
    return r;
}

/* Adds src to the table: copied into a new row, or merged into the existing
 * one. src's sketch is taken when take is set, else copied. */
static void
s_add (coll_rollup_acc_t *self, coll_rollup_row_t *src, int take)
{
    int made;
    coll_rollup_row_t *dst = s_find (self, src->host_id, src->series_id, src->bucket_ms, &made);
    size_t before = s_sketch_bytes (dst->sketch);
    if (made) {
        *dst = *src;
        dst->sketch = NULL;
        if (src->sketch)
            dst->sketch = take ? src->sketch : vg_sketch_dup (src->sketch);
        if (take)
            src->sketch = NULL;
    } else {
        coll_rollup_acc_merge (dst, src);
        if (take)
            vg_sketch_destroy (&src->sketch);
    }
    self->sketch_bytes += s_sketch_bytes (dst->sketch) - before;
}

void
coll_rollup_acc_add_sample (coll_rollup_acc_t *self, int64_t host_id, int64_t series_id,
                            int64_t ts_ms, double value)
{
    coll_rollup_row_t row = {
        .host_id = host_id,
        .series_id = series_id,
        .bucket_ms = coll_rollup_acc_bucket (ts_ms, COLL_ROLLUP_MINUTE_MS),
        .count = 1,
        .sum = value,
        .min = value,
        .max = value,
        .first = value,
        .last = value,
        .first_ts_ms = ts_ms,
        .last_ts_ms = ts_ms,
    };
    s_add (self, &row, 0);
}

void
coll_rollup_acc_add_dist (coll_rollup_acc_t *self, int64_t host_id, int64_t series_id,
                          int64_t ts_ms, const vg_sketch_t *sketch)
{
    double mean = sketch->count ? sketch->sum / (double)sketch->count : NAN;
    coll_rollup_row_t row = {
        .host_id = host_id,
        .series_id = series_id,
        .bucket_ms = coll_rollup_acc_bucket (ts_ms, COLL_ROLLUP_MINUTE_MS),
        .count = sketch->count,
        .sum = sketch->sum,
        .min = sketch->count ? sketch->min : NAN,
        .max = sketch->count ? sketch->max : NAN,
        .first = mean,
        .last = mean,
        .first_ts_ms = ts_ms,
        .last_ts_ms = ts_ms,
        .sketch = (vg_sketch_t *)sketch, /* copied by s_add */
    };
    s_add (self, &row, 0);
}

void
coll_rollup_acc_add_row (coll_rollup_acc_t *self, coll_rollup_row_t *row)
{
    s_add (self, row, 1);
    memset (row, 0, sizeof *row);
}

size_t
coll_rollup_acc_count (const coll_rollup_acc_t *self)
{
    return self->n;
}

size_t
coll_rollup_acc_bytes (const coll_rollup_acc_t *self)
{
    return self->cap * sizeof *self->rows + self->nslots * sizeof *self->slots + self->sketch_bytes;
}

static int
s_row_cmp (const void *a, const void *b)
{
    const coll_rollup_row_t *x = a, *y = b;
    if (x->host_id != y->host_id)
        return x->host_id < y->host_id ? -1 : 1;
    if (x->series_id != y->series_id)
        return x->series_id < y->series_id ? -1 : 1;
    return x->bucket_ms < y->bucket_ms ? -1 : x->bucket_ms > y->bucket_ms;
}

size_t
coll_rollup_acc_take (coll_rollup_acc_t *self, int64_t before_ms, coll_rollup_row_t **rows,
                      size_t *cap)
{
    size_t taken = 0, kept = 0;
    for (size_t i = 0; i < self->n; i++) {
        coll_rollup_row_t *r = &self->rows[i];
        if (r->bucket_ms < before_ms) {
            VG_GROW (*rows, *cap, taken + 1);
            (*rows)[taken++] = *r;
            self->sketch_bytes -= s_sketch_bytes (r->sketch);
        } else
            self->rows[kept++] = *r;
    }
    self->n = kept;
    if (taken)
        s_reindex (self, self->nslots ? self->nslots : 1024);
    if (taken > 1)
        qsort (*rows, taken, sizeof **rows, s_row_cmp);
    return taken;
}
