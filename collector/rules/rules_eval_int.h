/*  rules_eval_int.h - what the evaluator's files share: the evaluation
 *  context, and the entry points of the function implementations. */
#ifndef RULES_EVAL_INT_H
#define RULES_EVAL_INT_H

#include "rules_eval.h"
#include "rules_map.h"
#include "vg_buf.h"

#include <setjmp.h>

typedef struct {
    rules_source_t *src;
    rules_arena_t *arena;
    int64_t ts;
    char *err;
    size_t errlen;
    jmp_buf fail;
    vg_buf_t sig; /* scratch for signatures */
} rules_ctx_t;

/* A vector in the arena. */
typedef struct {
    rules_sample_t *items;
    size_t n, cap;
} rules_vec_t;

/* One series' samples in a range window, stale markers left out. */
typedef struct {
    const rules_labels_t *labels;
    int64_t *t;
    double *v;
    vg_sketch_t **sk; /* NULL for a plain series */
    size_t n;
} rules_window_t;

void rules_ctx_fail (rules_ctx_t *ctx, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3), noreturn));

void rules_vec_push (rules_ctx_t *ctx, rules_vec_t *vec, const rules_labels_t *labels, double v,
                     int64_t t);
/* Fails the evaluation if two samples have the same label set. */
void rules_vec_check_unique (rules_ctx_t *ctx, const rules_vec_t *vec);

/* The bytes of a whole label set (name 0xff value 0xff ...) into ctx->sig. */
void rules_eval_signature (rules_ctx_t *ctx, const rules_labels_t *l);
/* An aggregation node (rules_eval_agg.c). */
rules_value_t rules_eval_agg (rules_ctx_t *ctx, const rules_node_t *n);

/* Evaluates a node to a value. */
rules_value_t rules_eval_node (rules_ctx_t *ctx, const rules_node_t *node);
/* Unwraps parentheses. */
const rules_node_t *rules_eval_unparen (const rules_node_t *node);

/* The windows of a matrix node (in the arena). */
rules_window_t *rules_eval_windows (rules_ctx_t *ctx, const rules_node_t *matrix, size_t *n);

/* Functions (rules_eval_func.c, rules_eval_range.c). */
rules_value_t rules_eval_call (rules_ctx_t *ctx, const rules_node_t *call);
rules_value_t rules_eval_range_call (rules_ctx_t *ctx, const rules_node_t *call);

/* absent()'s answer for arg: empty when present, else the labels of its
 * equality matchers with value 1. */
rules_value_t rules_eval_absent (rules_ctx_t *ctx, const rules_node_t *arg, int present);

/* Prometheus's helpers, shared with aggregation. */
void rules_kahan_inc (double inc, double *sum, double *c);
/* For a quantile φ outside [0, 1] (or NaN): sets *out to -Inf, +Inf (or
 * NaN) as Prometheus answers and returns 1; else returns 0. */
int rules_quantile_outside (double q, double *out);
/* quantile(): sorts values (NaN first) and interpolates at q * (n - 1). */
double rules_quantile (double q, double *values, size_t n);
/* Go's math.Max / math.Min: NaN wins, -0 < +0. */
double rules_go_max (double a, double b);
double rules_go_min (double a, double b);

#endif
