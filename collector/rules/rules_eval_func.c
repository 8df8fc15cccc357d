/*  rules_eval_func.c - the functions over instant vectors and scalars:
 *  math, clamping, time of day, labels, absent, histogram_quantile; after
 *  Prometheus 3.5's promql/functions.go and quantile.go. */
#include "rules_eval_int.h"
#include "vg_alloc.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

static rules_value_t
s_vec (rules_vec_t *v)
{
    return (rules_value_t){.type = RULES_T_VECTOR, .samples = v->items, .n = v->n};
}

static double
s_sgn (double v)
{
    return v < 0 ? -1 : v > 0 ? 1 : v;
}

/* Applies f to every value, dropping the metric name. */
static rules_value_t
s_map (rules_ctx_t *ctx, rules_value_t in, double (*f) (double))
{
    rules_vec_t out = {0};
    for (size_t i = 0; i < in.n; i++)
        rules_vec_push (ctx, &out, rules_labels_drop_name (ctx->arena, in.samples[i].labels),
                        f (in.samples[i].v), ctx->ts);
    rules_vec_check_unique (ctx, &out);
    return s_vec (&out);
}

static rules_value_t
s_clamp (rules_ctx_t *ctx, rules_value_t in, double lo, double hi)
{
    rules_vec_t out = {0};
    if (hi < lo)
        return s_vec (&out);
    for (size_t i = 0; i < in.n; i++)
        rules_vec_push (ctx, &out, rules_labels_drop_name (ctx->arena, in.samples[i].labels),
                        rules_go_max (lo, rules_go_min (hi, in.samples[i].v)), ctx->ts);
    rules_vec_check_unique (ctx, &out);
    return s_vec (&out);
}

static rules_value_t
s_round (rules_ctx_t *ctx, rules_value_t in, double to_nearest)
{
    double inv = 1.0 / to_nearest;
    rules_vec_t out = {0};
    for (size_t i = 0; i < in.n; i++)
        rules_vec_push (ctx, &out, rules_labels_drop_name (ctx->arena, in.samples[i].labels),
                        floor (in.samples[i].v * inv + 0.5) / inv, ctx->ts);
    rules_vec_check_unique (ctx, &out);
    return s_vec (&out);
}

/*  --------------------------------------------------------------------------
 *  Time of day: UTC, from Unix seconds, as Go's time package computes it
 */

typedef struct {
    int64_t year;
    int month, day, hour, minute, weekday;
} s_civil_t;

/* Days since 1970-01-01 to a date (Howard Hinnant's algorithm). */
static void
s_civil_from_days (int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static s_civil_t
s_civil (int64_t secs)
{
    s_civil_t c;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    s_civil_from_days (days, &c.year, &c.month, &c.day);
    c.hour = (int)(rem / 3600);
    c.minute = (int)(rem / 60 % 60);
    int64_t wd = (days + 4) % 7; /* 1970-01-01 was a Thursday */
    c.weekday = (int)(wd < 0 ? wd + 7 : wd);
    return c;
}

static int
s_days_in_month (int64_t year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 29;
    return days[month - 1];
}

static double
s_date_part (rules_func_id_t id, double v)
{
    /* Go's int64(NaN) and out-of-range conversions give the minimum on
     * amd64; so do these. */
    int64_t secs = (v >= -9.2e18 && v <= 9.2e18) ? (int64_t)v : INT64_MIN;
    if (secs == INT64_MIN)
        secs = -9223372036854775807LL / 2; /* keeps the arithmetic defined */
    s_civil_t c = s_civil (secs);
    switch (id) {
    case RULES_F_MINUTE:
        return c.minute;
    case RULES_F_HOUR:
        return c.hour;
    case RULES_F_DAY_OF_WEEK:
        return c.weekday;
    case RULES_F_DAY_OF_MONTH:
        return c.day;
    case RULES_F_DAYS_IN_MONTH:
        return s_days_in_month (c.year, c.month);
    case RULES_F_MONTH:
        return c.month;
    case RULES_F_YEAR:
        return (double)c.year;
    default:
        return NAN;
    }
}

static rules_value_t
s_date (rules_ctx_t *ctx, const rules_node_t *call)
{
    rules_vec_t out = {0};
    if (call->nargs == 0) {
        rules_vec_push (ctx, &out, rules_labels_empty (),
                        s_date_part (call->func->id, (double)(ctx->ts / 1000)), ctx->ts);
        return s_vec (&out);
    }
    rules_value_t in = rules_eval_node (ctx, call->args[0]);
    for (size_t i = 0; i < in.n; i++)
        rules_vec_push (ctx, &out, rules_labels_drop_name (ctx->arena, in.samples[i].labels),
                        s_date_part (call->func->id, in.samples[i].v), ctx->ts);
    rules_vec_check_unique (ctx, &out);
    return s_vec (&out);
}

/*  --------------------------------------------------------------------------
 *  Labels
 */

/* Go's regexp.Expand: $1, ${1}, $name, ${name}; $$ is a dollar; a bad
 * reference stays as written. */
static char *
s_expand (rules_ctx_t *ctx, pcre2_code *re, pcre2_match_data *md, const char *subject,
          const char *tmpl)
{
    vg_buf_t out = {0};
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer (md);
    uint32_t count = pcre2_get_ovector_count (md);
    for (const char *p = tmpl; *p;) {
        if (*p != '$') {
            vg_buf_append (&out, p++, 1);
            continue;
        }
        if (p[1] == '$') {
            vg_buf_append (&out, "$", 1);
            p += 2;
            continue;
        }
        const char *name = p + 1, *end;
        int braced = *name == '{';
        if (braced)
            name++;
        end = name;
        while ((*end >= 'a' && *end <= 'z') || (*end >= 'A' && *end <= 'Z') ||
               (*end >= '0' && *end <= '9') || *end == '_')
            end++;
        if (end == name || (braced && *end != '}')) {
            vg_buf_append (&out, "$", 1);
            p++;
            continue;
        }
        size_t len = (size_t)(end - name);
        p = braced ? end + 1 : end;
        char nm[64];
        if (len >= sizeof nm)
            continue; /* no group has so long a name */
        memcpy (nm, name, len);
        nm[len] = '\0';
        long group = -1;
        char *stop;
        long num = strtol (nm, &stop, 10);
        if (*stop == '\0' && nm[0] >= '0' && nm[0] <= '9')
            group = num;
        else {
            int g = pcre2_substring_number_from_name (re, (PCRE2_SPTR)nm);
            if (g > 0)
                group = g;
        }
        if (group < 0 || (uint32_t)group >= count || ov[2 * group] == PCRE2_UNSET)
            continue;
        vg_buf_append (&out, subject + ov[2 * group], ov[2 * group + 1] - ov[2 * group]);
    }
    char *s = rules_arena_strndup (ctx->arena, out.data ? out.data : "", out.len);
    vg_buf_free (&out);
    return s;
}

static rules_value_t
s_label_replace (rules_ctx_t *ctx, const rules_node_t *call)
{
    const char *dst = rules_arena_strdup (ctx->arena, call->args[1]->str);
    const char *repl = call->args[2]->str, *src = call->args[3]->str;
    pcre2_code *re = call->label_re;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern (re, NULL);
    rules_value_t in = rules_eval_node (ctx, call->args[0]);
    rules_vec_t out = {0};
    for (size_t i = 0; i < in.n; i++) {
        const rules_labels_t *l = in.samples[i].labels;
        const char *sv = rules_labels_get (l, src);
        if (!sv)
            sv = "";
        int rc = pcre2_match (re, (PCRE2_SPTR)sv, strlen (sv), 0, 0, md, NULL);
        if (rc >= 0)
            l = rules_labels_set (ctx->arena, l, dst, s_expand (ctx, re, md, sv, repl));
        rules_vec_push (ctx, &out, l, in.samples[i].v, in.samples[i].t);
    }
    pcre2_match_data_free (md);
    rules_vec_check_unique (ctx, &out);
    return s_vec (&out);
}

static rules_value_t
s_label_join (rules_ctx_t *ctx, const rules_node_t *call)
{
    const char *dst = rules_arena_strdup (ctx->arena, call->args[1]->str);
    const char *sep = call->args[2]->str;
    rules_value_t in = rules_eval_node (ctx, call->args[0]);
    rules_vec_t out = {0};
    vg_buf_t b = {0};
    for (size_t i = 0; i < in.n; i++) {
        const rules_labels_t *l = in.samples[i].labels;
        vg_buf_reset (&b);
        for (size_t k = 3; k < call->nargs; k++) {
            if (k > 3)
                vg_buf_puts (&b, sep);
            const char *v = rules_labels_get (l, call->args[k]->str);
            vg_buf_puts (&b, v ? v : "");
        }
        char *joined = rules_arena_strndup (ctx->arena, b.data ? b.data : "", b.len);
        rules_vec_push (ctx, &out, rules_labels_set (ctx->arena, l, dst, joined), in.samples[i].v,
                        in.samples[i].t);
    }
    vg_buf_free (&b);
    rules_vec_check_unique (ctx, &out);
    return s_vec (&out);
}

/*  --------------------------------------------------------------------------
 *  absent, histogram_quantile
 */

/* The labels absent() reports: the selector's equality matchers, except a
 * name set twice (Prometheus's createLabelsForAbsentFunction). */
static const rules_labels_t *
s_absent_labels (rules_ctx_t *ctx, const rules_node_t *arg)
{
    arg = rules_eval_unparen (arg);
    if (arg->kind == RULES_N_MATRIX)
        arg = arg->lhs;
    if (arg->kind != RULES_N_SELECTOR)
        return rules_labels_empty ();
    const rules_labels_t *l = rules_labels_empty ();
    char **seen = rules_arena_calloc (ctx->arena, arg->nmatchers + 1, sizeof *seen);
    size_t nseen = 0;
    for (size_t i = 0; i < arg->nmatchers; i++) {
        const rules_matcher_t *m = &arg->matchers[i];
        if (strcmp (m->name, RULES_NAME_LABEL) == 0)
            continue;
        int had = 0;
        for (size_t k = 0; k < nseen; k++)
            had |= strcmp (seen[k], m->name) == 0;
        if (m->op == RULES_MATCH_EQ && !had) {
            /* Copied: a result outlives nothing, but must not need the tree. */
            l = rules_labels_set (ctx->arena, l, rules_arena_strdup (ctx->arena, m->name),
                                  rules_arena_strdup (ctx->arena, m->value));
            seen[nseen++] = m->name;
        } else
            l = rules_labels_set (ctx->arena, l, m->name, NULL);
    }
    return l;
}

rules_value_t
rules_eval_absent (rules_ctx_t *ctx, const rules_node_t *arg, int present)
{
    rules_vec_t out = {0};
    if (!present)
        rules_vec_push (ctx, &out, s_absent_labels (ctx, arg), 1, ctx->ts);
    return s_vec (&out);
}

typedef struct {
    double upper, count;
} s_bucket_t;

static int
s_bucket_cmp (const void *a, const void *b)
{
    double x = ((const s_bucket_t *)a)->upper, y = ((const s_bucket_t *)b)->upper;
    return (x > y) - (x < y);
}

/* almost.Equal with Prometheus's tolerance for bucket counts. */
static int
s_almost_equal (double a, double b, double eps)
{
    const double min_normal = 2.2250738585072014e-308;
    if (isnan (a) && isnan (b))
        return 1;
    if (a == b)
        return 1;
    double abs_sum = fabs (a) + fabs (b), diff = fabs (a - b);
    if (a == 0 || b == 0 || abs_sum < min_normal)
        return diff < eps * min_normal;
    return diff / fmin (abs_sum, 1.79769313486231570815e308) < eps;
}

/* Prometheus's BucketQuantile for classic buckets. */
static double
s_bucket_quantile (double q, s_bucket_t *b, size_t n)
{
    double outside;
    if (rules_quantile_outside (q, &outside))
        return outside;
    qsort (b, n, sizeof *b, s_bucket_cmp);
    if (!(isinf (b[n - 1].upper) && b[n - 1].upper > 0))
        return NAN;
    /* Coalesce equal bounds. */
    size_t m = 0;
    for (size_t i = 1; i < n; i++) {
        if (b[i].upper == b[m].upper)
            b[m].count += b[i].count;
        else
            b[++m] = b[i];
    }
    n = m + 1;
    /* Monotonic: tiny differences ignored, decreases removed. */
    double prev = b[0].count;
    for (size_t i = 1; i < n; i++) {
        double cur = b[i].count;
        if (cur == prev)
            continue;
        if (s_almost_equal (prev, cur, 1e-12)) {
            b[i].count = prev;
            continue;
        }
        if (cur < prev) {
            b[i].count = prev;
            continue;
        }
        prev = cur;
    }
    if (n < 2)
        return NAN;
    double observations = b[n - 1].count;
    if (observations == 0)
        return NAN;
    double rank = q * observations;
    size_t k = 0; /* the first bucket whose count >= rank, among the first n-1 */
    {
        size_t lo = 0, hi = n - 1;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (b[mid].count >= rank)
                hi = mid;
            else
                lo = mid + 1;
        }
        k = lo;
    }
    if (k == n - 1)
        return b[n - 2].upper;
    if (k == 0 && b[0].upper <= 0)
        return b[0].upper;
    double start = 0, end = b[k].upper, count = b[k].count;
    if (k > 0) {
        start = b[k - 1].upper;
        count -= b[k - 1].count;
        rank -= b[k - 1].count;
    }
    return start + (end - start) * (rank / count);
}

/* Go's strconv.ParseFloat, close enough for "le" values: decimal, exponent,
 * Inf, NaN; the whole string must be a number. */
static int
s_parse_float (const char *s, double *out)
{
    if (!*s || *s == ' ' || *s == '\t' || *s == '\n')
        return -1;
    char *end;
    *out = strtod (s, &end);
    return *end == '\0' ? 0 : -1;
}

static rules_value_t
s_histogram_quantile (rules_ctx_t *ctx, const rules_node_t *call)
{
    double q = rules_eval_node (ctx, call->args[0]).scalar;
    rules_value_t in = rules_eval_node (ctx, call->args[1]);
    rules_map_t index;
    rules_map_init (&index, ctx->arena, in.n);
    typedef struct {
        const rules_labels_t *labels;
        s_bucket_t *b;
        size_t n, cap;
    } s_hist_t;
    s_hist_t *hists = rules_arena_calloc (ctx->arena, in.n ? in.n : 1, sizeof *hists);
    size_t nh = 0;
    static char *const le[] = {"le"};
    for (size_t i = 0; i < in.n; i++) {
        const rules_labels_t *l = in.samples[i].labels;
        const char *lev = rules_labels_get (l, "le");
        double upper;
        if (!lev || s_parse_float (lev, &upper) != 0)
            continue;
        rules_labels_t *key = rules_labels_without (ctx->arena, l, le, 1, 0);
        rules_labels_signature (key, 0, NULL, 0, &ctx->sig);
        /* The signature leaves __name__ out; the name must separate groups. */
        const char *name = rules_labels_get (key, RULES_NAME_LABEL);
        vg_buf_puts (&ctx->sig, name ? name : "");
        int added;
        int *hi = rules_map_put (&index, ctx->sig.data, ctx->sig.len, (int)nh, &added);
        s_hist_t *h = &hists[*hi];
        if (added) {
            nh++;
            h->labels = rules_labels_drop_name (ctx->arena, key);
            h->cap = 8;
            h->b = rules_arena_alloc (ctx->arena, h->cap * sizeof *h->b);
        }
        if (h->n == h->cap) {
            s_bucket_t *b = rules_arena_alloc (ctx->arena, h->cap * 2 * sizeof *b);
            memcpy (b, h->b, h->n * sizeof *b);
            h->b = b;
            h->cap *= 2;
        }
        h->b[h->n++] = (s_bucket_t){upper, in.samples[i].v};
    }
    rules_vec_t out = {0};
    for (size_t i = 0; i < nh; i++)
        rules_vec_push (ctx, &out, hists[i].labels, s_bucket_quantile (q, hists[i].b, hists[i].n),
                        ctx->ts);
    rules_vec_check_unique (ctx, &out);
    return s_vec (&out);
}

/*  --------------------------------------------------------------------------
 *  Dispatch
 */

static int
s_has_matrix_arg (const rules_node_t *call)
{
    for (size_t i = 0; i < call->nargs; i++)
        if (call->args[i]->type == RULES_T_MATRIX)
            return 1;
    return 0;
}

static double
s_ln (double v)
{
    return log (v);
}

rules_value_t
rules_eval_call (rules_ctx_t *ctx, const rules_node_t *call)
{
    if (s_has_matrix_arg (call))
        return rules_eval_range_call (ctx, call);
    rules_func_id_t id = call->func->id;
    switch (id) {
    case RULES_F_TIME:
        return (rules_value_t){.type = RULES_T_SCALAR, .scalar = (double)ctx->ts / 1000};
    case RULES_F_VECTOR: {
        rules_vec_t out = {0};
        rules_vec_push (ctx, &out, rules_labels_empty (),
                        rules_eval_node (ctx, call->args[0]).scalar, ctx->ts);
        return s_vec (&out);
    }
    case RULES_F_SCALAR: {
        rules_value_t in = rules_eval_node (ctx, call->args[0]);
        return (rules_value_t){.type = RULES_T_SCALAR, .scalar = in.n == 1 ? in.samples[0].v : NAN};
    }
    case RULES_F_TIMESTAMP: {
        rules_value_t in = rules_eval_node (ctx, call->args[0]);
        int own = rules_eval_unparen (call->args[0])->kind == RULES_N_SELECTOR;
        rules_vec_t out = {0};
        for (size_t i = 0; i < in.n; i++)
            rules_vec_push (ctx, &out, rules_labels_drop_name (ctx->arena, in.samples[i].labels),
                            (double)(own ? in.samples[i].t : ctx->ts) / 1000, ctx->ts);
        rules_vec_check_unique (ctx, &out);
        return s_vec (&out);
    }
    case RULES_F_ABSENT: {
        rules_value_t in = rules_eval_node (ctx, call->args[0]);
        return rules_eval_absent (ctx, call->args[0], in.n > 0);
    }
    case RULES_F_LABEL_REPLACE:
        return s_label_replace (ctx, call);
    case RULES_F_LABEL_JOIN:
        return s_label_join (ctx, call);
    case RULES_F_HISTOGRAM_QUANTILE:
        return s_histogram_quantile (ctx, call);
    case RULES_F_MINUTE:
    case RULES_F_HOUR:
    case RULES_F_DAY_OF_WEEK:
    case RULES_F_DAY_OF_MONTH:
    case RULES_F_DAYS_IN_MONTH:
    case RULES_F_MONTH:
    case RULES_F_YEAR:
        return s_date (ctx, call);
    case RULES_F_CLAMP: {
        rules_value_t in = rules_eval_node (ctx, call->args[0]);
        double lo = rules_eval_node (ctx, call->args[1]).scalar;
        double hi = rules_eval_node (ctx, call->args[2]).scalar;
        return s_clamp (ctx, in, lo, hi);
    }
    case RULES_F_CLAMP_MAX: {
        rules_value_t in = rules_eval_node (ctx, call->args[0]);
        return s_clamp (ctx, in, -INFINITY, rules_eval_node (ctx, call->args[1]).scalar);
    }
    case RULES_F_CLAMP_MIN: {
        rules_value_t in = rules_eval_node (ctx, call->args[0]);
        return s_clamp (ctx, in, rules_eval_node (ctx, call->args[1]).scalar, INFINITY);
    }
    case RULES_F_ROUND: {
        rules_value_t in = rules_eval_node (ctx, call->args[0]);
        double to = call->nargs > 1 ? rules_eval_node (ctx, call->args[1]).scalar : 1;
        return s_round (ctx, in, to);
    }
    default:
        break;
    }
    double (*f) (double) = NULL;
    switch (id) {
    case RULES_F_ABS:
        f = fabs;
        break;
    case RULES_F_CEIL:
        f = ceil;
        break;
    case RULES_F_FLOOR:
        f = floor;
        break;
    case RULES_F_EXP:
        f = exp;
        break;
    case RULES_F_SQRT:
        f = sqrt;
        break;
    case RULES_F_LN:
        f = s_ln;
        break;
    case RULES_F_LOG2:
        f = log2;
        break;
    case RULES_F_LOG10:
        f = log10;
        break;
    case RULES_F_SGN:
        f = s_sgn;
        break;
    default:
        rules_ctx_fail (ctx, "function \"%s\" cannot be evaluated here", call->func->name);
    }
    return s_map (ctx, rules_eval_node (ctx, call->args[0]), f);
}
