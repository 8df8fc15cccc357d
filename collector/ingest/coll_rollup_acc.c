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
    uint64_t *slots; /* open addressing: the key's hash in the high half (to
                        skip other keys without reading their rows), row
                        index + 1 in the low half; 0 for empty */
    size_t nslots;   /* a power of two, at least twice n */
    size_t sketch_bytes;
    int64_t clock; /* coll_rollup_acc_set_clock */
    uint8_t *take; /* coll_rollup_acc_take_if: the predicate's answers */
    size_t take_cap;
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
    free (self->take);
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

#define S_TAG(h) ((h)&0xffffffff00000000ULL)

static void
s_reindex (coll_rollup_acc_t *self, size_t nslots)
{
    free (self->slots);
    self->slots = vg_calloc (nslots, sizeof *self->slots);
    self->nslots = nslots;
    for (size_t i = 0; i < self->n; i++) {
        const coll_rollup_row_t *r = &self->rows[i];
        uint64_t h = s_hash (r->host_id, r->series_id, r->bucket_ms);
        size_t k = h & (nslots - 1);
        while (self->slots[k])
            k = (k + 1) & (nslots - 1);
        self->slots[k] = S_TAG (h) | (uint64_t)(i + 1);
    }
}

/* The slot of the key that hashes to h: the one holding its row, or the
 * empty one where it would go. The table has an empty slot (n < nslots). */
static inline size_t
s_probe (const coll_rollup_acc_t *self, uint64_t h, int64_t host_id, int64_t series_id,
         int64_t bucket_ms)
{
    size_t mask = self->nslots - 1;
    size_t k = h & mask;
    uint64_t slot;
    while ((slot = self->slots[k]) != 0) {
        if (S_TAG (slot) == S_TAG (h)) {
            const coll_rollup_row_t *r = &self->rows[(slot & 0xffffffffu) - 1];
            if (r->host_id == host_id && r->series_id == series_id && r->bucket_ms == bucket_ms)
                return k;
        }
        k = (k + 1) & mask;
    }
    return k;
}

/* The row of the bucket whose key hashes to h, made empty (count 0) when new. */
static coll_rollup_row_t *
s_find_h (coll_rollup_acc_t *self, uint64_t h, int64_t host_id, int64_t series_id,
          int64_t bucket_ms, int *made)
{
    if ((self->n + 1) * 2 > self->nslots)
        s_reindex (self, self->nslots ? self->nslots * 2 : 1024);
    size_t k = s_probe (self, h, host_id, series_id, bucket_ms);
    if (self->slots[k]) {
        *made = 0;
        return &self->rows[(self->slots[k] & 0xffffffffu) - 1];
    }
    VG_GROW (self->rows, self->cap, self->n + 1);
    coll_rollup_row_t *r = &self->rows[self->n++];
    memset (r, 0, sizeof *r);
    r->host_id = host_id;
    r->series_id = series_id;
    r->bucket_ms = bucket_ms;
    self->slots[k] = S_TAG (h) | (uint64_t)self->n;
    *made = 1;
    return r;
}

static coll_rollup_row_t *
s_find (coll_rollup_acc_t *self, int64_t host_id, int64_t series_id, int64_t bucket_ms, int *made)
{
    return s_find_h (self, s_hash (host_id, series_id, bucket_ms), host_id, series_id, bucket_ms,
                     made);
}

/* The row of the bucket, or NULL; the table is left as it is. */
static const coll_rollup_row_t *
s_lookup (const coll_rollup_acc_t *self, int64_t host_id, int64_t series_id, int64_t bucket_ms)
{
    if (!self->nslots)
        return NULL;
    size_t k =
        s_probe (self, s_hash (host_id, series_id, bucket_ms), host_id, series_id, bucket_ms);
    return self->slots[k] ? &self->rows[(self->slots[k] & 0xffffffffu) - 1] : NULL;
}

/* Adds src to the table: copied into a new row, or merged into the existing
 * one. src's sketch is taken when take is set, else copied. */
static void
s_add (coll_rollup_acc_t *self, coll_rollup_row_t *src, int take, int64_t now_ms)
{
    int made;
    coll_rollup_row_t *dst = s_find (self, src->host_id, src->series_id, src->bucket_ms, &made);
    size_t before = s_sketch_bytes (dst->sketch);
    src->made_ms = made ? now_ms : dst->made_ms;
    src->touched_ms = now_ms;
    if (made) {
        *dst = *src;
        dst->sketch = NULL;
        if (src->sketch)
            dst->sketch = take ? src->sketch : vg_sketch_dup (src->sketch);
        if (take)
            src->sketch = NULL;
    } else {
        coll_rollup_acc_merge (dst, src);
        dst->touched_ms = now_ms;
        if (take)
            vg_sketch_destroy (&src->sketch);
    }
    self->sketch_bytes += s_sketch_bytes (dst->sketch) - before;
}

/* One sample into the row r of its bucket (made: r is new) at the clock. */
static void
s_put_sample (coll_rollup_row_t *r, int made, int64_t clock, int64_t host_id, int64_t series_id,
              int64_t bucket, int64_t ts_ms, double value)
{
    r->touched_ms = clock;
    if (made) {
        r->made_ms = clock;
        r->count = 1;
        r->sum = r->min = r->max = r->first = r->last = value;
        r->first_ts_ms = r->last_ts_ms = ts_ms;
        r->increase = 0;
        return;
    }
    if (ts_ms > r->last_ts_ms) {
        /* The usual case, a sample after the others: coll_rollup_acc_merge
         * with a one-sample row, spelt out. */
        r->increase += s_counter_delta (r->last, value);
        r->last = value;
        r->last_ts_ms = ts_ms;
        r->count++;
        r->sum += value;
        r->min = s_fmin (r->min, value);
        r->max = s_fmax (r->max, value);
        return;
    }
    coll_rollup_row_t one = {
        .host_id = host_id,
        .series_id = series_id,
        .bucket_ms = bucket,
        .count = 1,
        .sum = value,
        .min = value,
        .max = value,
        .first = value,
        .last = value,
        .first_ts_ms = ts_ms,
        .last_ts_ms = ts_ms,
    };
    coll_rollup_acc_merge (r, &one);
}

void
coll_rollup_acc_add_sample (coll_rollup_acc_t *self, int64_t host_id, int64_t series_id,
                            int64_t ts_ms, double value)
{
    int made;
    int64_t bucket = coll_rollup_acc_bucket (ts_ms, COLL_ROLLUP_MINUTE_MS);
    coll_rollup_row_t *r = s_find (self, host_id, series_id, bucket, &made);
    s_put_sample (r, made, self->clock, host_id, series_id, bucket, ts_ms, value);
}

/* How far ahead s_add_run hashes and prefetches: the table is larger than
 * the caches, and each sample's slot and row would otherwise be a wait on
 * memory. */
#define S_AHEAD 16
/* Samples s_add_run takes at a time before the rows are followed again. */
#define S_RUN 64

/* Adds n samples through the table, prefetching; returns the index of the
 * row the last one went to. */
static size_t
s_add_run (coll_rollup_acc_t *self, size_t n, const int64_t *host_id, const int64_t *series_id,
           const int64_t *ts_ms, const double *value)
{
    uint64_t hash[S_AHEAD];
    size_t last = 0;
    for (size_t i = 0; i < n + S_AHEAD; i++) {
        /* In this order: hash[i % S_AHEAD] is sample i - S_AHEAD's until the
         * last step. */
        if (i >= S_AHEAD && i - S_AHEAD < n) {
            size_t j = i - S_AHEAD;
            int made;
            int64_t b = coll_rollup_acc_bucket (ts_ms[j], COLL_ROLLUP_MINUTE_MS);
            coll_rollup_row_t *r =
                s_find_h (self, hash[j % S_AHEAD], host_id[j], series_id[j], b, &made);
            s_put_sample (r, made, self->clock, host_id[j], series_id[j], b, ts_ms[j], value[j]);
            last = (size_t)(r - self->rows);
        }
        if (i >= S_AHEAD / 2 && i - S_AHEAD / 2 < n && self->nslots) {
            /* Halfway: the slot is in cache; fetch the row it points to. */
            size_t j = i - S_AHEAD / 2;
            uint64_t slot = self->slots[hash[j % S_AHEAD] & (self->nslots - 1)];
            if (slot && (slot & 0xffffffffu) <= self->n)
                __builtin_prefetch (&self->rows[(slot & 0xffffffffu) - 1]);
        }
        if (i < n) {
            int64_t b = coll_rollup_acc_bucket (ts_ms[i], COLL_ROLLUP_MINUTE_MS);
            hash[i % S_AHEAD] = s_hash (host_id[i], series_id[i], b);
            if (self->nslots)
                __builtin_prefetch (&self->slots[hash[i % S_AHEAD] & (self->nslots - 1)]);
        }
    }
    return last;
}

void
coll_rollup_acc_add_samples (coll_rollup_acc_t *self, size_t n, const int64_t *host_id,
                             const int64_t *series_id, const int64_t *ts_ms, const double *value)
{
    /* An agent sends the same series in the same order batch after batch,
     * and the first batch of a minute makes their rows one after another:
     * so the row after the last one used is tried first, without hashing.
     * Where that fails, a run of samples goes through the table. */
    size_t i = 0, next = SIZE_MAX;
    while (i < n) {
        for (; i < n && next < self->n; i++, next++) {
            coll_rollup_row_t *r = &self->rows[next];
            int64_t b = coll_rollup_acc_bucket (ts_ms[i], COLL_ROLLUP_MINUTE_MS);
            if (r->series_id != series_id[i] || r->host_id != host_id[i] || r->bucket_ms != b)
                break;
            s_put_sample (r, 0, self->clock, host_id[i], series_id[i], b, ts_ms[i], value[i]);
        }
        if (i == n)
            break;
        size_t run = n - i < S_RUN ? n - i : S_RUN;
        next = s_add_run (self, run, host_id + i, series_id + i, ts_ms + i, value + i) + 1;
        i += run;
    }
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
    s_add (self, &row, 0, self->clock);
}

void
coll_rollup_acc_add_row (coll_rollup_acc_t *self, coll_rollup_row_t *row, int64_t now_ms)
{
    s_add (self, row, 1, now_ms);
    memset (row, 0, sizeof *row);
}

void
coll_rollup_acc_set_clock (coll_rollup_acc_t *self, int64_t now_ms)
{
    self->clock = now_ms;
}

int
coll_rollup_acc_has_next (const coll_rollup_acc_t *self, const coll_rollup_row_t *row,
                          int64_t width_ms)
{
    return s_lookup (self, row->host_id, row->series_id, row->bucket_ms + width_ms) != NULL;
}

size_t
coll_rollup_acc_count (const coll_rollup_acc_t *self)
{
    return self->n;
}

size_t
coll_rollup_acc_bytes (const coll_rollup_acc_t *self)
{
    return self->cap * sizeof *self->rows + self->nslots * sizeof *self->slots +
           self->sketch_bytes + self->take_cap;
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

static int
s_before (const coll_rollup_row_t *row, void *arg)
{
    return row->bucket_ms < *(const int64_t *)arg;
}

size_t
coll_rollup_acc_take (coll_rollup_acc_t *self, int64_t before_ms, coll_rollup_row_t **rows,
                      size_t *cap)
{
    return coll_rollup_acc_take_if (self, s_before, &before_ms, rows, cap);
}

size_t
coll_rollup_acc_take_if (coll_rollup_acc_t *self, coll_rollup_acc_pred_fn *pred, void *arg,
                         coll_rollup_row_t **rows, size_t *cap)
{
    /* Every answer first, while the table is whole: pred may look rows up. */
    VG_GROW (self->take, self->take_cap, self->n);
    for (size_t i = 0; i < self->n; i++)
        self->take[i] = pred (&self->rows[i], arg) != 0;
    size_t taken = 0, kept = 0;
    for (size_t i = 0; i < self->n; i++) {
        coll_rollup_row_t *r = &self->rows[i];
        if (self->take[i]) {
            VG_GROW (*rows, *cap, taken + 1);
            (*rows)[taken++] = *r;
            self->sketch_bytes -= s_sketch_bytes (r->sketch);
        } else
            self->rows[kept++] = *r;
    }
    self->n = kept;
    /* Give memory back after a burst: the table is bounded by what it holds. */
    if (kept * 4 < self->cap && self->cap > 4096) {
        self->cap = kept * 2 > 4096 ? kept * 2 : 4096;
        self->rows = vg_realloc (self->rows, self->cap * sizeof *self->rows);
        self->take_cap = self->cap;
        self->take = vg_realloc (self->take, self->take_cap);
    }
    size_t nslots = self->nslots;
    while (nslots > 1024 && kept * 8 < nslots)
        nslots /= 2;
    if (taken)
        s_reindex (self, nslots ? nslots : 1024);
    if (taken > 1)
        qsort (*rows, taken, sizeof **rows, s_row_cmp);
    return taken;
}

typedef struct {
    const coll_rollup_acc_t *acc;
    const coll_rollup_due_t *due;
} s_due_arg_t;

static int
s_due (const coll_rollup_row_t *row, void *arg)
{
    const s_due_arg_t *a = arg;
    const coll_rollup_due_t *d = a->due;
    if (d->all || d->now_ms - row->made_ms >= d->max_hold_ms)
        return 1;
    if (row->bucket_ms >= d->before_ms)
        return 0;
    return row->touched_ms < d->since_ms || coll_rollup_acc_has_next (a->acc, row, d->width_ms);
}

size_t
coll_rollup_acc_take_due (coll_rollup_acc_t *self, const coll_rollup_due_t *due,
                          coll_rollup_row_t **rows, size_t *cap)
{
    s_due_arg_t arg = {self, due};
    return coll_rollup_acc_take_if (self, s_due, &arg, rows, cap);
}
