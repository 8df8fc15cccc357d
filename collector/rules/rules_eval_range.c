/*  rules_eval_range.c - the functions over range vectors: rate and its kin,
 *  the _over_time family, deriv and predict_linear; after Prometheus 3.5's
 *  promql/functions.go (extrapolatedRate, instantValue, linearRegression).
 *  quantile_over_time over a distribution series merges its sketches. */
#include "rules_eval_int.h"

#include <math.h>
#include <string.h>

/* rate, increase, delta: the increase over the window, extrapolated towards
 * its ends, counter resets added back for counters. */
static int
s_extrapolated (const rules_window_t *w, int64_t range_start, int64_t range_end, double range_s,
                int counter, int rate, double *out)
{
    if (w->n < 2)
        return 0;
    size_t last = w->n - 1;
    double result = w->v[last] - w->v[0];
    if (counter) {
        double prev = w->v[0];
        for (size_t i = 1; i < w->n; i++) {
            if (w->v[i] < prev)
                result += prev;
            prev = w->v[i];
        }
    }
    double to_start = (double)(w->t[0] - range_start) / 1000;
    double to_end = (double)(range_end - w->t[last]) / 1000;
    double sampled = (double)(w->t[last] - w->t[0]) / 1000;
    double avg = sampled / (double)last;
    double threshold = avg * 1.1;
    double extrapolate_to = sampled;
    if (to_start >= threshold)
        to_start = avg / 2;
    if (counter && result > 0 && w->v[0] >= 0) {
        double to_zero = sampled * (w->v[0] / result);
        if (to_zero < to_start)
            to_start = to_zero;
    }
    extrapolate_to += to_start;
    if (to_end >= threshold)
        to_end = avg / 2;
    extrapolate_to += to_end;
    double factor = extrapolate_to / sampled;
    if (rate)
        factor /= range_s;
    *out = result * factor;
    return 1;
}

/* irate, idelta: from the last two samples. */
static int
s_instant (const rules_window_t *w, int rate, double *out)
{
    if (w->n < 2)
        return 0;
    double v0 = w->v[w->n - 2], v1 = w->v[w->n - 1];
    int64_t dt = w->t[w->n - 1] - w->t[w->n - 2];
    if (dt == 0)
        return 0;
    double r = v1;
    if (!rate || !(v1 < v0))
        r = v1 - v0;
    if (rate)
        r /= (double)dt / 1000;
    *out = r;
    return 1;
}

static void
s_regression (const rules_window_t *w, int64_t intercept_t, double *slope, double *intercept)
{
    double n = 0, sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
    double init = w->v[0];
    int const_y = 1;
    for (size_t i = 0; i < w->n; i++) {
        double y = w->v[i];
        if (const_y && i > 0 && y != init)
            const_y = 0;
        n += 1;
        double x = (double)(w->t[i] - intercept_t) / 1e3;
        rules_kahan_inc (x, &sx, &cx);
        rules_kahan_inc (y, &sy, &cy);
        rules_kahan_inc (x * y, &sxy, &cxy);
        rules_kahan_inc (x * x, &sx2, &cx2);
    }
    if (const_y) {
        if (isinf (init)) {
            *slope = NAN;
            *intercept = NAN;
        } else {
            *slope = 0;
            *intercept = init;
        }
        return;
    }
    sx += cx;
    sy += cy;
    sxy += cxy;
    sx2 += cx2;
    double cov = sxy - sx * sy / n;
    double var = sx2 - sx * sx / n;
    *slope = cov / var;
    *intercept = sy / n - *slope * sx / n;
}

static double
s_avg (const rules_window_t *w)
{
    double sum = w->v[0], count = 1, mean = 0, c = 0;
    int incremental = 0;
    for (size_t i = 1; i < w->n; i++) {
        double f = w->v[i];
        count = (double)(i + 1);
        if (!incremental) {
            double s = sum, cc = c;
            rules_kahan_inc (f, &s, &cc);
            if (!isinf (s)) {
                sum = s;
                c = cc;
                continue;
            }
            incremental = 1;
            mean = sum / (count - 1);
            c /= count - 1;
        }
        double q = (count - 1) / count;
        double m = q * mean, mc = q * c;
        rules_kahan_inc (f / count, &m, &mc);
        mean = m;
        c = mc;
    }
    if (incremental)
        return mean + c;
    return sum / count + c / count;
}

static double
s_variance (const rules_window_t *w)
{
    double count = 0, mean = 0, cmean = 0, aux = 0, caux = 0;
    for (size_t i = 0; i < w->n; i++) {
        double f = w->v[i];
        count++;
        double delta = f - (mean + cmean);
        rules_kahan_inc (delta / count, &mean, &cmean);
        rules_kahan_inc (delta * (f - (mean + cmean)), &aux, &caux);
    }
    return (aux + caux) / count;
}

static double
s_sum (const rules_window_t *w)
{
    double sum = 0, c = 0;
    for (size_t i = 0; i < w->n; i++)
        rules_kahan_inc (w->v[i], &sum, &c);
    return isinf (sum) ? sum : sum + c;
}

static double
s_quantile (rules_ctx_t *ctx, double q, const rules_window_t *w)
{
    if (w->sk) {
        double outside;
        if (rules_quantile_outside (q, &outside))
            return outside;
        vg_sketch_t *merged = vg_sketch_new ();
        for (size_t i = 0; i < w->n; i++)
            if (w->sk[i])
                vg_sketch_merge (merged, w->sk[i]);
        double v = vg_sketch_quantile (merged, q);
        vg_sketch_destroy (&merged);
        return v;
    }
    double *values = rules_arena_alloc (ctx->arena, w->n * sizeof *values);
    memcpy (values, w->v, w->n * sizeof *values);
    return rules_quantile (q, values, w->n);
}

rules_value_t
rules_eval_range_call (rules_ctx_t *ctx, const rules_node_t *call)
{
    rules_func_id_t id = call->func->id;
    size_t mi = 0;
    while (call->args[mi]->type != RULES_T_MATRIX)
        mi++;
    const rules_node_t *matrix = rules_eval_unparen (call->args[mi]);
    double param = 0;
    for (size_t i = 0; i < call->nargs; i++)
        if (i != mi)
            param = rules_eval_node (ctx, call->args[i]).scalar;
    size_t nw;
    rules_window_t *wins = rules_eval_windows (ctx, matrix, &nw);
    int64_t range_end = ctx->ts - matrix->lhs->offset_ms;
    int64_t range_start = range_end - matrix->range_ms;
    double range_s = (double)matrix->range_ms / 1000;
    rules_vec_t out = {0};
    size_t with_samples = 0;
    for (size_t i = 0; i < nw; i++) {
        const rules_window_t *w = &wins[i];
        if (w->n == 0)
            continue;
        with_samples++;
        double v = 0;
        int ok = 1;
        switch (id) {
        case RULES_F_RATE:
            ok = s_extrapolated (w, range_start, range_end, range_s, 1, 1, &v);
            break;
        case RULES_F_INCREASE:
            ok = s_extrapolated (w, range_start, range_end, range_s, 1, 0, &v);
            break;
        case RULES_F_DELTA:
            ok = s_extrapolated (w, range_start, range_end, range_s, 0, 0, &v);
            break;
        case RULES_F_IRATE:
            ok = s_instant (w, 1, &v);
            break;
        case RULES_F_IDELTA:
            ok = s_instant (w, 0, &v);
            break;
        case RULES_F_RESETS:
        case RULES_F_CHANGES: {
            int count = 0;
            for (size_t k = 1; k < w->n; k++) {
                double prev = w->v[k - 1], cur = w->v[k];
                if (id == RULES_F_RESETS)
                    count += cur < prev;
                else
                    count += cur != prev && !(isnan (cur) && isnan (prev));
            }
            v = count;
            break;
        }
        case RULES_F_DERIV: {
            if (w->n < 2) {
                ok = 0;
                break;
            }
            double intercept;
            s_regression (w, w->t[0], &v, &intercept);
            break;
        }
        case RULES_F_PREDICT_LINEAR: {
            if (w->n < 2) {
                ok = 0;
                break;
            }
            double slope, intercept;
            s_regression (w, ctx->ts, &slope, &intercept);
            v = slope * param + intercept;
            break;
        }
        case RULES_F_AVG_OVER_TIME:
            v = s_avg (w);
            break;
        case RULES_F_SUM_OVER_TIME:
            v = s_sum (w);
            break;
        case RULES_F_COUNT_OVER_TIME:
            v = (double)w->n;
            break;
        case RULES_F_MAX_OVER_TIME:
        case RULES_F_MIN_OVER_TIME:
            v = w->v[0];
            for (size_t k = 0; k < w->n; k++) {
                double f = w->v[k];
                if (id == RULES_F_MAX_OVER_TIME ? (f > v || isnan (v)) : (f < v || isnan (v)))
                    v = f;
            }
            break;
        case RULES_F_LAST_OVER_TIME:
            v = w->v[w->n - 1];
            break;
        case RULES_F_STDDEV_OVER_TIME:
            v = sqrt (s_variance (w));
            break;
        case RULES_F_STDVAR_OVER_TIME:
            v = s_variance (w);
            break;
        case RULES_F_QUANTILE_OVER_TIME:
            v = s_quantile (ctx, param, w);
            break;
        case RULES_F_PRESENT_OVER_TIME:
            v = 1;
            break;
        case RULES_F_ABSENT_OVER_TIME:
            ok = 0;
            break;
        default:
            rules_ctx_fail (ctx, "function \"%s\" cannot be evaluated here", call->func->name);
        }
        if (!ok)
            continue;
        /* last_over_time keeps the name: it acts like an offset. */
        const rules_labels_t *l = id == RULES_F_LAST_OVER_TIME
                                      ? w->labels
                                      : rules_labels_drop_name (ctx->arena, w->labels);
        rules_vec_push (ctx, &out, l, v, ctx->ts);
    }
    if (id == RULES_F_ABSENT_OVER_TIME)
        return rules_eval_absent (ctx, matrix, with_samples > 0);
    rules_vec_check_unique (ctx, &out);
    return (rules_value_t){.type = RULES_T_VECTOR, .samples = out.items, .n = out.n};
}
