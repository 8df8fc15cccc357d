/*  rules_eval.h - evaluates a parsed expression at one instant, over a
 *  series source, with Prometheus 3's semantics.
 *
 *  The source is an interface, so one evaluator serves the live engine (the
 *  windows it keeps in memory) and `vigil rules test` (the series a test
 *  file loads). Semantics, after promql/engine.go and functions.go:
 *
 *  - an instant selector takes, per series, the newest sample in
 *    (t - offset - lookback, t - offset]; a stale marker there means none;
 *  - a range [r] takes the samples in (t - offset - r, t - offset]: open on
 *    the left (Prometheus 3), stale markers left out;
 *  - a distribution series gives its mean as a value, and its sketches to
 *    quantile_over_time, which merges the ones in the window.
 *
 *  Everything the result points to lives in the arena.
 */
#ifndef RULES_EVAL_H
#define RULES_EVAL_H

#include "rules_arena.h"
#include "rules_ast.h"
#include "rules_labels.h"
#include "vg_sketch.h"

#include <stddef.h>
#include <stdint.h>

/* Prometheus's staleness marker: a NaN with these bits. */
#define RULES_STALE_NAN_BITS 0x7ff0000000000002ULL
int rules_is_stale (double v);
double rules_stale_nan (void);

#define RULES_LOOKBACK_MS (5 * 60 * 1000)

/* One series as a source shows it: samples in time order. For a
 * distribution series sk[i] is the sketch at ts[i] and v[i] its mean. */
typedef struct {
    const rules_labels_t *labels;
    const int64_t *ts;
    const double *v;
    vg_sketch_t *const *sk; /* NULL for a plain series */
    size_t n;
} rules_view_t;

typedef struct rules_source_t rules_source_t;
struct rules_source_t {
    /* Every series the selector node matches, with at least the samples in
     * (mint, maxt]; views in the arena. Returns 0 or a VG_E* code. */
    int (*select) (rules_source_t *self, const rules_node_t *sel, int64_t mint, int64_t maxt,
                   rules_arena_t *arena, rules_view_t **views, size_t *n);
};

typedef struct {
    const rules_labels_t *labels;
    double v;
    int64_t t; /* the sample's own time for a selector's output, else the eval time */
} rules_sample_t;

typedef struct {
    rules_type_t type; /* RULES_T_SCALAR or RULES_T_VECTOR (or STRING) */
    double scalar;
    const char *str;
    rules_sample_t *samples;
    size_t n;
} rules_value_t;

/* Evaluates expr at ts_ms. Returns 0, or VG_EINVAL with err filled when the
 * evaluation fails (many-to-many matching, duplicate label sets...). */
int rules_eval (const rules_node_t *expr, rules_source_t *src, int64_t ts_ms, rules_arena_t *arena,
                rules_value_t *out, char *err, size_t errlen);

#endif
