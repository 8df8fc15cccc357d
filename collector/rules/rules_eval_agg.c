/*  rules_eval_agg.c - aggregations (sum, avg, count, min, max, stddev,
 *  stdvar, group, quantile, topk, bottomk) and the numeric helpers they share
 *  with the functions: Kahan summation, Go's min and max, quantile(); after
 *  Prometheus 3.5's promql/engine.go and quantile.go. */
#include "rules_eval_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static rules_value_t
s_vector_value (rules_vec_t *vec)
{
    return (rules_value_t){.type = RULES_T_VECTOR, .samples = vec->items, .n = vec->n};
}

void
rules_kahan_inc (double inc, double *sum, double *c)
{
    double t = *sum + inc;
    if (isinf (t))
        *c = 0;
    else if (fabs (*sum) >= fabs (inc))
        *c += (*sum - t) + inc;
    else
        *c += (inc - t) + *sum;
    *sum = t;
}

double
rules_go_max (double a, double b)
{
    if (isinf (a) && a > 0)
        return a;
    if (isinf (b) && b > 0)
        return b;
    if (isnan (a) || isnan (b))
        return NAN;
    if (a == 0 && a == b)
        return signbit (a) ? b : a;
    return a > b ? a : b;
}

double
rules_go_min (double a, double b)
{
    if (isinf (a) && a < 0)
        return a;
    if (isinf (b) && b < 0)
        return b;
    if (isnan (a) || isnan (b))
        return NAN;
    if (a == 0 && a == b)
        return signbit (a) ? a : b;
    return a < b ? a : b;
}

/* NaN sorts first, as in Prometheus's vectorByValueHeap. */
static int
s_cmp_value (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (isnan (x))
        return isnan (y) ? 0 : -1;
    if (isnan (y))
        return 1;
    return (x > y) - (x < y);
}

int
rules_quantile_outside (double q, double *out)
{
    if (isnan (q))
        *out = NAN;
    else if (q < 0)
        *out = -INFINITY;
    else if (q > 1)
        *out = INFINITY;
    else
        return 0;
    return 1;
}

double
rules_quantile (double q, double *values, size_t n)
{
    double outside;
    if (n == 0)
        return NAN;
    if (rules_quantile_outside (q, &outside))
        return outside;
    qsort (values, n, sizeof *values, s_cmp_value);
    double rank = q * (double)(n - 1);
    double lower = fmax (0, floor (rank));
    double upper = fmin ((double)(n - 1), lower + 1);
    double weight = rank - floor (rank);
    return values[(size_t)lower] * (1 - weight) + values[(size_t)upper] * weight;
}

typedef struct {
    const rules_labels_t *labels;
    double value, mean, c, count;
    int incremental; /* avg: the sum overflowed, the mean is kept instead */
    double *values;  /* quantile */
    size_t nvalues, cap;
    rules_sample_t *heap; /* topk / bottomk: the best k so far, sorted */
    size_t nheap;
} s_group_t;

/* Whether a ranks before b for topk (bottom: for bottomk). NaN ranks last. */
static int
s_better (double a, double b, int bottom)
{
    if (isnan (a))
        return 0;
    if (isnan (b))
        return 1;
    return bottom ? a < b : a > b;
}

static void
s_topk_add (s_group_t *g, const rules_sample_t *s, size_t k, int bottom)
{
    /* Keep g->heap sorted best-first; insert if there is room or s beats
     * the worst. Ties keep the earlier sample. */
    if (g->nheap == k && !s_better (s->v, g->heap[k - 1].v, bottom))
        return;
    size_t pos = g->nheap < k ? g->nheap : k - 1;
    while (pos > 0 && s_better (s->v, g->heap[pos - 1].v, bottom)) {
        if (pos < k)
            g->heap[pos] = g->heap[pos - 1];
        pos--;
    }
    g->heap[pos] = *s;
    if (g->nheap < k)
        g->nheap++;
}

rules_value_t
rules_eval_agg (rules_ctx_t *ctx, const rules_node_t *n)
{
    double param = 0;
    if (n->rhs) {
        rules_value_t p = rules_eval_node (ctx, n->rhs);
        param = p.scalar;
    }
    rules_value_t in = rules_eval_node (ctx, n->lhs);
    rules_tok_type_t op = n->op;
    size_t k = 0;
    if (op == RULES_TOK_TOPK || op == RULES_TOK_BOTTOMK) {
        if (!(param >= -9223372036854775808.0 && param < 9223372036854775808.0))
            rules_ctx_fail (ctx, "Scalar value %g overflows int64", param);
        int64_t kk = (int64_t)param;
        rules_vec_t empty = {0};
        if (kk < 1 || in.n == 0)
            return s_vector_value (&empty);
        k = (size_t)kk > in.n ? in.n : (size_t)kk;
    }
    rules_map_t index;
    rules_map_init (&index, ctx->arena, in.n);
    s_group_t *groups = rules_arena_calloc (ctx->arena, in.n ? in.n : 1, sizeof *groups);
    size_t ngroups = 0;
    for (size_t i = 0; i < in.n; i++) {
        const rules_sample_t *s = &in.samples[i];
        double f = s->v;
        rules_labels_t *gl;
        if (n->without)
            gl = rules_labels_without (ctx->arena, s->labels, n->grouping, n->ngrouping, 1);
        else
            gl = rules_labels_only (ctx->arena, s->labels, n->grouping, n->ngrouping);
        rules_eval_signature (ctx, gl);
        int added;
        int *gi = rules_map_put (&index, ctx->sig.data ? ctx->sig.data : "", ctx->sig.len,
                                 (int)ngroups, &added);
        s_group_t *g = &groups[*gi];
        if (added) {
            ngroups++;
            g->labels = gl;
            g->value = f;
            g->mean = f;
            g->count = 1;
            switch (op) {
            case RULES_TOK_STDDEV:
            case RULES_TOK_STDVAR:
                g->value = isnan (f) || isinf (f) ? NAN : 0;
                break;
            case RULES_TOK_GROUP:
                g->value = 1;
                break;
            case RULES_TOK_QUANTILE:
                g->cap = 8;
                g->values = rules_arena_alloc (ctx->arena, g->cap * sizeof (double));
                g->values[g->nvalues++] = f;
                break;
            case RULES_TOK_TOPK:
            case RULES_TOK_BOTTOMK:
                g->heap = rules_arena_alloc (ctx->arena, k * sizeof *g->heap);
                g->heap[0] = *s;
                g->nheap = 1;
                break;
            default:
                break;
            }
            continue;
        }
        switch (op) {
        case RULES_TOK_SUM:
            rules_kahan_inc (f, &g->value, &g->c);
            break;
        case RULES_TOK_AVG:
            g->count++;
            if (!g->incremental) {
                double sum = g->value, c = g->c;
                rules_kahan_inc (f, &sum, &c);
                if (!isinf (sum)) {
                    g->value = sum;
                    g->c = c;
                    break;
                }
                g->incremental = 1;
                g->mean = g->value / (g->count - 1);
                g->c /= g->count - 1;
            }
            {
                double q = (g->count - 1) / g->count;
                double mean = q * g->mean, c = q * g->c;
                rules_kahan_inc (f / g->count, &mean, &c);
                g->mean = mean;
                g->c = c;
            }
            break;
        case RULES_TOK_MAX:
            if (g->value < f || isnan (g->value))
                g->value = f;
            break;
        case RULES_TOK_MIN:
            if (g->value > f || isnan (g->value))
                g->value = f;
            break;
        case RULES_TOK_COUNT:
            g->count++;
            break;
        case RULES_TOK_STDDEV:
        case RULES_TOK_STDVAR: {
            g->count++;
            double delta = f - g->mean;
            g->mean += delta / g->count;
            g->value += delta * (f - g->mean);
            break;
        }
        case RULES_TOK_QUANTILE:
            if (g->nvalues == g->cap) {
                double *v = rules_arena_alloc (ctx->arena, g->cap * 2 * sizeof *v);
                memcpy (v, g->values, g->nvalues * sizeof *v);
                g->values = v;
                g->cap *= 2;
            }
            g->values[g->nvalues++] = f;
            break;
        case RULES_TOK_TOPK:
        case RULES_TOK_BOTTOMK:
            s_topk_add (g, s, k, op == RULES_TOK_BOTTOMK);
            break;
        default:
            break;
        }
    }
    rules_vec_t out = {0};
    for (size_t i = 0; i < ngroups; i++) {
        s_group_t *g = &groups[i];
        double v = g->value;
        switch (op) {
        case RULES_TOK_SUM:
            v = g->value + g->c;
            break;
        case RULES_TOK_AVG:
            v = g->incremental ? g->mean + g->c : g->value / g->count + g->c / g->count;
            break;
        case RULES_TOK_COUNT:
            v = g->count;
            break;
        case RULES_TOK_STDVAR:
            v = g->value / g->count;
            break;
        case RULES_TOK_STDDEV:
            v = sqrt (g->value / g->count);
            break;
        case RULES_TOK_QUANTILE:
            v = rules_quantile (param, g->values, g->nvalues);
            break;
        case RULES_TOK_TOPK:
        case RULES_TOK_BOTTOMK:
            for (size_t j = 0; j < g->nheap; j++)
                rules_vec_push (ctx, &out, g->heap[j].labels, g->heap[j].v, ctx->ts);
            continue;
        default:
            break;
        }
        rules_vec_push (ctx, &out, g->labels, v, ctx->ts);
    }
    return s_vector_value (&out);
}
