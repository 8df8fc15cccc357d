/*  coll_rollup_acc.h - rollup rows in memory: what one series did in one
 *  minute or hour, and a table of them keyed by (host, series, bucket).
 *
 *  A row holds deltas: what arrived since it was last written. Two rows of
 *  the same bucket merge the way vigil.rollup_minute merges a delta into a
 *  stored row (collector/sql/050_rollups.sql), whichever part is earlier, so
 *  rows written in pieces, or a late batch's rows, add up to what one pass
 *  over every sample would give:
 *
 *      count, sum     added (IEEE arithmetic: a NaN or an infinity in the
 *                     values makes the sum NaN or infinite, as PromQL's
 *                     sum_over_time)
 *      min, max       NaN ignored unless every value is NaN
 *      first, last    the earliest and the newest sample, by timestamp
 *      increase       a counter's gain between consecutive samples, a drop
 *                     counted as a reset (the value after it is the gain)
 *      sketch         distributions: the sketches merged
 *
 *  Not thread-safe: one table per thread.
 */
#ifndef COLL_ROLLUP_ACC_H
#define COLL_ROLLUP_ACC_H

#include "vg_sketch.h"

#include <stddef.h>
#include <stdint.h>

#define COLL_ROLLUP_MINUTE_MS 60000LL
#define COLL_ROLLUP_HOUR_MS   3600000LL

typedef struct {
    int64_t host_id;
    int64_t series_id;
    int64_t bucket_ms; /* start of the minute or hour, ms since the epoch (UTC) */
    uint64_t count;
    double sum, min, max;
    double first, last;
    int64_t first_ts_ms, last_ts_ms;
    double increase;
    vg_sketch_t *sketch; /* owned; NULL unless the series is a distribution */
    int64_t made_ms;     /* when the row was made, */
    int64_t touched_ms;  /* and last added to (the caller's clock, see below) */
    int fresh;           /* set by the writer: no row of this bucket was stored before */
} coll_rollup_row_t;

/* The start of the bucket of width_ms holding ts_ms (floor, also before 1970). */
int64_t coll_rollup_acc_bucket (int64_t ts_ms, int64_t width_ms);

/* Merges src into dst, rows of the same bucket; src is left as it was. */
void coll_rollup_acc_merge (coll_rollup_row_t *dst, const coll_rollup_row_t *src);

/* Frees what a row owns and zeroes it. */
void coll_rollup_acc_row_free (coll_rollup_row_t *row);

typedef struct coll_rollup_acc_t coll_rollup_acc_t;

/* Caller owns the table. */
coll_rollup_acc_t *coll_rollup_acc_new (void);
void coll_rollup_acc_destroy (coll_rollup_acc_t **self_p);

/* Adds one gauge or counter sample to its minute. */
void coll_rollup_acc_add_sample (coll_rollup_acc_t *self, int64_t host_id, int64_t series_id,
                                 int64_t ts_ms, double value);
/* The same for n samples given by column: faster, as it fetches the rows
 * of the samples ahead from memory while it adds the ones before. */
void coll_rollup_acc_add_samples (coll_rollup_acc_t *self, size_t n, const int64_t *host_id,
                                  const int64_t *series_id, const int64_t *ts_ms,
                                  const double *value);
/* Adds one distribution to its minute; the sketch is copied. */
void coll_rollup_acc_add_dist (coll_rollup_acc_t *self, int64_t host_id, int64_t series_id,
                               int64_t ts_ms, const vg_sketch_t *sketch);
/* Merges a whole row into the row of its bucket, noting now_ms as the time
 * it was touched (and made, when new); takes what row owns and zeroes it. */
void coll_rollup_acc_add_row (coll_rollup_acc_t *self, coll_rollup_row_t *row, int64_t now_ms);

/* The clock rows are stamped with as samples and distributions are added
 * (touched_ms, and made_ms when new); coll_rollup_acc_add_row takes its own. */
void coll_rollup_acc_set_clock (coll_rollup_acc_t *self, int64_t now_ms);

/* Whether the table holds the row of row's series for the bucket of width_ms
 * after row's: then row's series has moved on past it. */
int coll_rollup_acc_has_next (const coll_rollup_acc_t *self, const coll_rollup_row_t *row,
                              int64_t width_ms);

size_t coll_rollup_acc_count (const coll_rollup_acc_t *self);
/* Bytes the table holds, rows and sketches together: what bounds it. */
size_t coll_rollup_acc_bytes (const coll_rollup_acc_t *self);

/* Moves out the rows whose bucket starts before before_ms (INT64_MAX: every
 * row), sorted by (host, series, bucket), into *rows (grown as needed, *cap
 * its room); returns how many. The caller owns them (coll_rollup_acc_row_free
 * each). */
size_t coll_rollup_acc_take (coll_rollup_acc_t *self, int64_t before_ms, coll_rollup_row_t **rows,
                             size_t *cap);
/* The same for the rows pred (row, arg) says yes to; pred is asked about
 * every row before any is moved, so it may call coll_rollup_acc_has_next. */
typedef int (coll_rollup_acc_pred_fn) (const coll_rollup_row_t *row, void *arg);
size_t coll_rollup_acc_take_if (coll_rollup_acc_t *self, coll_rollup_acc_pred_fn *pred, void *arg,
                                coll_rollup_row_t **rows, size_t *cap);

/* Which rows are due to be written (times on the caller's clock but
 * before_ms, which is wall clock): with all set, every row; otherwise every
 * row made max_hold_ms or more before now_ms, and the rows whose bucket of
 * width_ms starts before before_ms, except one still being filled: its
 * series' newest (no row of the next bucket) and added to at or after
 * since_ms. */
typedef struct {
    int all;
    int64_t width_ms, before_ms, since_ms, now_ms, max_hold_ms;
} coll_rollup_due_t;
/* coll_rollup_acc_take for the rows due. */
size_t coll_rollup_acc_take_due (coll_rollup_acc_t *self, const coll_rollup_due_t *due,
                                 coll_rollup_row_t **rows, size_t *cap);

#endif
