/*  rules_eval.c - the evaluator's core: selectors and operators, after
 *  Prometheus 3.5's promql/engine.go (instant queries, float samples, names
 *  dropped as soon as an operation changes a metric's meaning). Aggregations
 *  are in rules_eval_agg.c, functions in rules_eval_func.c and
 *  rules_eval_range.c. */
#include "rules_eval_int.h"
#include "vg_error.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
rules_is_stale (double v)
{
    uint64_t bits;
    memcpy (&bits, &v, sizeof bits);
    return bits == RULES_STALE_NAN_BITS;
}

double
rules_stale_nan (void)
{
    uint64_t bits = RULES_STALE_NAN_BITS;
    double v;
    memcpy (&v, &bits, sizeof v);
    return v;
}

void
rules_ctx_fail (rules_ctx_t *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (ctx->err, ctx->errlen, fmt, ap);
    va_end (ap);
    longjmp (ctx->fail, 1);
}

void
rules_vec_push (rules_ctx_t *ctx, rules_vec_t *vec, const rules_labels_t *labels, double v,
                int64_t t)
{
    if (vec->n == vec->cap) {
        size_t cap = vec->cap ? vec->cap * 2 : 8;
        rules_sample_t *items = rules_arena_alloc (ctx->arena, cap * sizeof *items);
        if (vec->n)
            memcpy (items, vec->items, vec->n * sizeof *items);
        vec->items = items;
        vec->cap = cap;
    }
    vec->items[vec->n++] = (rules_sample_t){labels, v, t};
}

void
rules_eval_signature (rules_ctx_t *ctx, const rules_labels_t *l)
{
    vg_buf_reset (&ctx->sig);
    for (size_t i = 0; i < l->n; i++) {
        vg_buf_puts (&ctx->sig, l->items[i].key);
        vg_buf_append (&ctx->sig, "\xff", 1);
        vg_buf_puts (&ctx->sig, l->items[i].value);
        vg_buf_append (&ctx->sig, "\xff", 1);
    }
}

void
rules_vec_check_unique (rules_ctx_t *ctx, const rules_vec_t *vec)
{
    if (vec->n < 2)
        return;
    rules_map_t seen;
    rules_map_init (&seen, ctx->arena, vec->n);
    for (size_t i = 0; i < vec->n; i++) {
        rules_eval_signature (ctx, vec->items[i].labels);
        int added;
        rules_map_put (&seen, ctx->sig.data ? ctx->sig.data : "", ctx->sig.len, 0, &added);
        if (!added)
            rules_ctx_fail (ctx, "vector cannot contain metrics with the same labelset");
    }
}

const rules_node_t *
rules_eval_unparen (const rules_node_t *node)
{
    while (node->kind == RULES_N_PAREN)
        node = node->lhs;
    return node;
}

static rules_value_t
s_vector_value (rules_vec_t *vec)
{
    return (rules_value_t){.type = RULES_T_VECTOR, .samples = vec->items, .n = vec->n};
}

static rules_value_t
s_scalar_value (double v)
{
    return (rules_value_t){.type = RULES_T_SCALAR, .scalar = v};
}

/*  --------------------------------------------------------------------------
 *  Selectors
 */

static rules_view_t *
s_select (rules_ctx_t *ctx, const rules_node_t *sel, int64_t mint, int64_t maxt, size_t *n)
{
    rules_view_t *views = NULL;
    *n = 0;
    int rc = ctx->src->select (ctx->src, sel, mint, maxt, ctx->arena, &views, n);
    if (rc != 0)
        rules_ctx_fail (ctx, "reading the series of a selector failed (%s)", vg_strerror (rc));
    return views;
}

/* The index of the first sample with ts > t (samples are in time order). */
static size_t
s_upper (const int64_t *ts, size_t n, int64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ts[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static rules_value_t
s_eval_selector (rules_ctx_t *ctx, const rules_node_t *sel)
{
    int64_t ref = ctx->ts - sel->offset_ms;
    int64_t mint = ref - RULES_LOOKBACK_MS;
    size_t n;
    rules_view_t *views = s_select (ctx, sel, mint, ref, &n);
    rules_vec_t out = {0};
    for (size_t i = 0; i < n; i++) {
        const rules_view_t *v = &views[i];
        size_t k = s_upper (v->ts, v->n, ref);
        if (k == 0)
            continue;
        k--;
        if (v->ts[k] <= mint || rules_is_stale (v->v[k]))
            continue;
        rules_vec_push (ctx, &out, v->labels, v->v[k], v->ts[k]);
    }
    return s_vector_value (&out);
}

rules_window_t *
rules_eval_windows (rules_ctx_t *ctx, const rules_node_t *matrix, size_t *nout)
{
    const rules_node_t *sel = matrix->lhs;
    int64_t maxt = ctx->ts - sel->offset_ms;
    int64_t mint = maxt - matrix->range_ms;
    size_t n;
    rules_view_t *views = s_select (ctx, sel, mint, maxt, &n);
    rules_window_t *w = rules_arena_calloc (ctx->arena, n ? n : 1, sizeof *w);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const rules_view_t *v = &views[i];
        size_t lo = s_upper (v->ts, v->n, mint), hi = s_upper (v->ts, v->n, maxt);
        rules_window_t *x = &w[m];
        x->labels = v->labels;
        size_t cnt = hi > lo ? hi - lo : 0;
        x->t = rules_arena_alloc (ctx->arena, (cnt ? cnt : 1) * sizeof *x->t);
        x->v = rules_arena_alloc (ctx->arena, (cnt ? cnt : 1) * sizeof *x->v);
        x->sk = v->sk ? rules_arena_alloc (ctx->arena, (cnt ? cnt : 1) * sizeof *x->sk) : NULL;
        x->n = 0;
        for (size_t k = lo; k < hi; k++) {
            if (rules_is_stale (v->v[k]))
                continue;
            x->t[x->n] = v->ts[k];
            x->v[x->n] = v->v[k];
            if (x->sk)
                x->sk[x->n] = v->sk[k];
            x->n++;
        }
        m++;
    }
    *nout = m;
    return w;
}

/*  --------------------------------------------------------------------------
 *  Binary operators
 */

static int
s_is_comparison (rules_tok_type_t op)
{
    return op >= RULES_TOK_EQLC && op <= RULES_TOK_GTE;
}

/* Arithmetic and atan2 change what a metric means: its name goes. */
static int
s_changes_schema (rules_tok_type_t op)
{
    return (op >= RULES_TOK_ADD && op <= RULES_TOK_ATAN2);
}

/* lhs op rhs; for comparisons *keep says whether the pair passes and the
 * value is lhs. */
static double
s_apply (rules_tok_type_t op, double l, double r, int *keep)
{
    *keep = 1;
    switch (op) {
    case RULES_TOK_ADD:
        return l + r;
    case RULES_TOK_SUB:
        return l - r;
    case RULES_TOK_MUL:
        return l * r;
    case RULES_TOK_DIV:
        return l / r;
    case RULES_TOK_POW:
        return pow (l, r);
    case RULES_TOK_MOD:
        return fmod (l, r);
    case RULES_TOK_ATAN2:
        return atan2 (l, r);
    case RULES_TOK_EQLC:
        *keep = l == r;
        return l;
    case RULES_TOK_NEQ:
        *keep = l != r;
        return l;
    case RULES_TOK_GTR:
        *keep = l > r;
        return l;
    case RULES_TOK_LSS:
        *keep = l < r;
        return l;
    case RULES_TOK_GTE:
        *keep = l >= r;
        return l;
    case RULES_TOK_LTE:
        *keep = l <= r;
        return l;
    default:
        *keep = 0;
        return NAN;
    }
}

static rules_value_t
s_scalar_binop (const rules_node_t *n, double l, double r)
{
    int keep;
    double v = s_apply (n->op, l, r, &keep);
    if (s_is_comparison (n->op))
        v = keep ? 1 : 0;
    return s_scalar_value (v);
}

static rules_value_t
s_vector_scalar (rules_ctx_t *ctx, const rules_node_t *n, rules_value_t vec, double scalar,
                 int swap)
{
    rules_vec_t out = {0};
    for (size_t i = 0; i < vec.n; i++) {
        const rules_sample_t *s = &vec.samples[i];
        double l = s->v, r = scalar;
        if (swap) {
            l = scalar;
            r = s->v;
        }
        int keep;
        double v = s_apply (n->op, l, r, &keep);
        if (s_is_comparison (n->op) && swap)
            v = r; /* the vector's value, even on the right */
        if (n->return_bool) {
            v = keep ? 1 : 0;
            keep = 1;
        }
        if (!keep)
            continue;
        const rules_labels_t *labels = s->labels;
        if (s_changes_schema (n->op) || n->return_bool)
            labels = rules_labels_drop_name (ctx->arena, labels);
        rules_vec_push (ctx, &out, labels, v, ctx->ts);
    }
    rules_vec_check_unique (ctx, &out);
    return s_vector_value (&out);
}

/* The matching signature of a sample's labels. */
static const char *
s_sig (rules_ctx_t *ctx, const rules_node_t *n, const rules_labels_t *l, size_t *len)
{
    rules_labels_signature (l, n->on, n->match_labels, n->nmatch_labels, &ctx->sig);
    *len = ctx->sig.len;
    return ctx->sig.data ? ctx->sig.data : "";
}

static rules_value_t
s_set_op (rules_ctx_t *ctx, const rules_node_t *n, rules_value_t lhs, rules_value_t rhs)
{
    rules_vec_t out = {0};
    if (n->op == RULES_TOK_LAND && (lhs.n == 0 || rhs.n == 0))
        return s_vector_value (&out);
    rules_map_t sigs;
    rules_map_init (&sigs, ctx->arena, lhs.n + rhs.n);
    size_t len;
    const char *sig;
    if (n->op == RULES_TOK_LOR) {
        for (size_t i = 0; i < lhs.n; i++) {
            sig = s_sig (ctx, n, lhs.samples[i].labels, &len);
            rules_map_put (&sigs, sig, len, 0, NULL);
            rules_vec_push (ctx, &out, lhs.samples[i].labels, lhs.samples[i].v, lhs.samples[i].t);
        }
        for (size_t i = 0; i < rhs.n; i++) {
            sig = s_sig (ctx, n, rhs.samples[i].labels, &len);
            if (!rules_map_get (&sigs, sig, len))
                rules_vec_push (ctx, &out, rhs.samples[i].labels, rhs.samples[i].v,
                                rhs.samples[i].t);
        }
        return s_vector_value (&out);
    }
    for (size_t i = 0; i < rhs.n; i++) {
        sig = s_sig (ctx, n, rhs.samples[i].labels, &len);
        rules_map_put (&sigs, sig, len, 0, NULL);
    }
    for (size_t i = 0; i < lhs.n; i++) {
        sig = s_sig (ctx, n, lhs.samples[i].labels, &len);
        int found = rules_map_get (&sigs, sig, len) != NULL;
        if (found == (n->op == RULES_TOK_LAND))
            rules_vec_push (ctx, &out, lhs.samples[i].labels, lhs.samples[i].v, lhs.samples[i].t);
    }
    return s_vector_value (&out);
}

/* Prometheus's resultMetric. */
static const rules_labels_t *
s_result_metric (rules_ctx_t *ctx, const rules_node_t *n, const rules_labels_t *l,
                 const rules_labels_t *r)
{
    rules_labels_t *m = (rules_labels_t *)l;
    if (s_changes_schema (n->op) || n->return_bool)
        m = rules_labels_drop_name (ctx->arena, m);
    if (n->card == RULES_CARD_ONE_TO_ONE) {
        if (n->on)
            m = rules_labels_only (ctx->arena, m, n->match_labels, n->nmatch_labels);
        else
            m = rules_labels_without (ctx->arena, m, n->match_labels, n->nmatch_labels, 0);
    }
    for (size_t i = 0; i < n->ninclude; i++)
        m = rules_labels_set (ctx->arena, m, n->include[i], rules_labels_get (r, n->include[i]));
    return m;
}

static void
s_format_labels (rules_ctx_t *ctx, const rules_labels_t *l, char *out, size_t outlen)
{
    vg_buf_t b = {0};
    rules_labels_format (l, &b);
    snprintf (out, outlen, "%s", b.data ? b.data : "{}");
    vg_buf_free (&b);
    (void)ctx;
}

static rules_value_t
s_vector_binop (rules_ctx_t *ctx, const rules_node_t *n, rules_value_t lhs, rules_value_t rhs)
{
    rules_vec_t out = {0};
    if (lhs.n == 0 || rhs.n == 0)
        return s_vector_value (&out);
    int swapped = n->card == RULES_CARD_ONE_TO_MANY;
    if (swapped) {
        rules_value_t t = lhs;
        lhs = rhs;
        rhs = t;
    }
    /* The "one" side, by signature. */
    rules_map_t right;
    rules_map_init (&right, ctx->arena, rhs.n);
    size_t len;
    for (size_t i = 0; i < rhs.n; i++) {
        const char *sig = s_sig (ctx, n, rhs.samples[i].labels, &len);
        int added;
        int *slot = rules_map_put (&right, sig, len, (int)i, &added);
        if (!added) {
            char a[256], b[256], g[256];
            s_format_labels (ctx, rhs.samples[i].labels, a, sizeof a);
            s_format_labels (ctx, rhs.samples[*slot].labels, b, sizeof b);
            const rules_labels_t *grp =
                n->on ? rules_labels_only (ctx->arena, rhs.samples[i].labels, n->match_labels,
                                           n->nmatch_labels)
                      : rules_labels_without (ctx->arena, rhs.samples[i].labels, n->match_labels,
                                              n->nmatch_labels, 1);
            s_format_labels (ctx, grp, g, sizeof g);
            rules_ctx_fail (ctx,
                            "found duplicate series for the match group %s on the %s hand-side "
                            "of the operation: [%s, %s];many-to-many matching not allowed: "
                            "matching labels must be unique on one side",
                            g, swapped ? "left" : "right", a, b);
        }
    }
    /* One-to-one: each signature matched once. Many-to-one: each result
     * label set once per signature. */
    rules_map_t matched, results;
    rules_map_init (&matched, ctx->arena, lhs.n);
    rules_map_init (&results, ctx->arena, lhs.n);
    for (size_t i = 0; i < lhs.n; i++) {
        const rules_sample_t *ls = &lhs.samples[i];
        const char *sig = s_sig (ctx, n, ls->labels, &len);
        int *ri = rules_map_get (&right, sig, len);
        if (!ri)
            continue;
        char *sigcopy = rules_arena_strndup (ctx->arena, sig, len);
        const rules_sample_t *rs = &rhs.samples[*ri];
        double l = ls->v, r = rs->v;
        if (swapped) {
            l = rs->v;
            r = ls->v;
        }
        int keep;
        double v = s_apply (n->op, l, r, &keep);
        if (n->return_bool) {
            v = keep ? 1 : 0;
        } else if (!keep)
            continue;
        const rules_labels_t *metric = s_result_metric (ctx, n, ls->labels, rs->labels);
        int added;
        rules_map_put (&matched, sigcopy, len, 0, &added);
        if (n->card == RULES_CARD_ONE_TO_ONE) {
            if (!added)
                rules_ctx_fail (ctx, "multiple matches for labels: many-to-one matching must be "
                                     "explicit (group_left/group_right)");
        } else {
            /* The result's labels, keyed within the signature. */
            rules_eval_signature (ctx, metric);
            size_t keylen = len + 1 + ctx->sig.len;
            char *key = rules_arena_alloc (ctx->arena, keylen);
            memcpy (key, sigcopy, len);
            key[len] = '\0';
            memcpy (key + len + 1, ctx->sig.data ? ctx->sig.data : "", ctx->sig.len);
            int fresh;
            rules_map_put (&results, key, keylen, 0, &fresh);
            if (!fresh)
                rules_ctx_fail (ctx, "multiple matches for labels: grouping labels must ensure "
                                     "unique matches");
        }
        rules_vec_push (ctx, &out, metric, v, ctx->ts);
    }
    rules_vec_check_unique (ctx, &out);
    return s_vector_value (&out);
}

static rules_value_t
s_eval_binary (rules_ctx_t *ctx, const rules_node_t *n)
{
    rules_value_t l = rules_eval_node (ctx, n->lhs);
    rules_value_t r = rules_eval_node (ctx, n->rhs);
    if (l.type == RULES_T_SCALAR && r.type == RULES_T_SCALAR)
        return s_scalar_binop (n, l.scalar, r.scalar);
    if (l.type == RULES_T_VECTOR && r.type == RULES_T_SCALAR)
        return s_vector_scalar (ctx, n, l, r.scalar, 0);
    if (l.type == RULES_T_SCALAR && r.type == RULES_T_VECTOR)
        return s_vector_scalar (ctx, n, r, l.scalar, 1);
    if (n->card == RULES_CARD_MANY_TO_MANY)
        return s_set_op (ctx, n, l, r);
    return s_vector_binop (ctx, n, l, r);
}

/*  --------------------------------------------------------------------------
 *  Dispatch
 */

rules_value_t
rules_eval_node (rules_ctx_t *ctx, const rules_node_t *n)
{
    switch (n->kind) {
    case RULES_N_NUMBER:
        return s_scalar_value (n->num);
    case RULES_N_STRING:
        return (rules_value_t){.type = RULES_T_STRING, .str = n->str};
    case RULES_N_SELECTOR:
        return s_eval_selector (ctx, n);
    case RULES_N_MATRIX:
        rules_ctx_fail (ctx, "a range vector cannot be the result of an expression");
    case RULES_N_PAREN:
        return rules_eval_node (ctx, n->lhs);
    case RULES_N_UNARY: {
        rules_value_t x = rules_eval_node (ctx, n->lhs);
        if (x.type == RULES_T_SCALAR)
            return s_scalar_value (-x.scalar);
        rules_vec_t out = {0};
        for (size_t i = 0; i < x.n; i++)
            rules_vec_push (ctx, &out, rules_labels_drop_name (ctx->arena, x.samples[i].labels),
                            -x.samples[i].v, ctx->ts);
        rules_vec_check_unique (ctx, &out);
        return s_vector_value (&out);
    }
    case RULES_N_BINARY:
        return s_eval_binary (ctx, n);
    case RULES_N_CALL:
        return rules_eval_call (ctx, n);
    case RULES_N_AGGREGATE:
        return rules_eval_agg (ctx, n);
    }
    rules_ctx_fail (ctx, "unknown expression node");
}

int
rules_eval (const rules_node_t *expr, rules_source_t *src, int64_t ts_ms, rules_arena_t *arena,
            rules_value_t *out, char *err, size_t errlen)
{
    rules_ctx_t *ctx = rules_arena_calloc (arena, 1, sizeof *ctx);
    ctx->src = src;
    ctx->arena = arena;
    ctx->ts = ts_ms;
    ctx->err = err;
    ctx->errlen = errlen;
    memset (out, 0, sizeof *out);
    if (setjmp (ctx->fail) != 0) {
        vg_buf_free (&ctx->sig);
        return VG_EINVAL;
    }
    *out = rules_eval_node (ctx, expr);
    vg_buf_free (&ctx->sig);
    return 0;
}
