/*  report_dist.h - a distribution metric over a report's window, its
 *  sketches merged here with vg_sketch (the code vigil.dist_quantile
 *  mirrors, so figures agree with the SQL functions'), per group and step.
 *
 *  One fetch reads the metric's rollup rows once, through vigil.rollup_rows
 *  (the tier choice of the SQL interface), with the group of each row (a
 *  label's value) and its step; the overall figures, those per group and
 *  those per step all come from it, where the SQL functions would read and
 *  merge the same rows once for each.
 */
#ifndef REPORT_DIST_H
#define REPORT_DIST_H

#include "report_model.h"
#include "report_query.h"
#include "vg_sketch.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *grp;         /* the label's value; "" without a label */
    int64_t bucket_ms; /* the step's start; the window's start without a step */
    vg_sketch_t *sketch;
} report_dist_cell_t;

struct report_dist_s {
    report_dist_cell_t *cells;
    size_t n, cap;
};
typedef struct report_dist_s report_dist_t;

/* Reads metric over c's window for the report's selector, grouped by the
 * label by (NULL: none) and step (an interval, NULL: none). Returns 0, or
 * sets c->failed and returns VG_EDB. out is the caller's (report_dist_free). */
int report_dist_fetch (report_ctx_t *c, const char *metric, const char *by, const char *step,
                       report_dist_t *out);
void report_dist_free (report_dist_t *d);

/* The merge of the cells of group grp (NULL: every group) and step bucket_ms
 * (-1: every step); NULL when nothing matches. Caller owns it. */
vg_sketch_t *report_dist_merge (const report_dist_t *d, const char *grp, int64_t bucket_ms);

/* The merge of every group's cells whose step starts in [lo_ms, hi_ms). */
vg_sketch_t *report_dist_merge_range (const report_dist_t *d, int64_t lo_ms, int64_t hi_ms);

/* The figures of a sketch: count, average, P50, P95, P99, slowest, each
 * scaled by k (to seconds); none for NULL or empty. */
typedef struct {
    report_val_t count, avg, p50, p95, p99, max;
} report_dist_stats_t;
report_dist_stats_t report_dist_stats (const vg_sketch_t *sketch, double k);

#endif
