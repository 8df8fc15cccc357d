/*  rules_unittest.c - promtool's rule unit tests (cmd/promtool/unittest.go)
 *  on Vigil's evaluator, state machine and rule runner. */
#include "rules_unittest.h"
#include "rules_exec.h"
#include "rules_parse.h"
#include "rules_values.h"
#include "vg_alloc.h"
#include "vg_config.h"
#include "vg_error.h"

#include <glob.h>
#include <libfyaml.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_MAX_SAMPLES 10000000 /* per series: a test beyond this is a mistake */

typedef struct {
    rules_labels_t *labels;
    rules_seqval_t *values;
    size_t n;
    size_t loaded; /* values already in the store */
    rules_mem_series_t *series;
} s_input_t;

typedef struct {
    rules_labels_t *labels; /* alertname included */
    rules_labels_t *annotations;
} s_exp_alert_t;

typedef struct {
    int64_t eval_ms;
    char *alertname;
    s_exp_alert_t *exp;
    size_t nexp;
    int line;
} s_alert_test_t;

typedef struct {
    char *expr;
    int64_t eval_ms;
    rules_labels_t **labels;
    double *values;
    size_t nexp;
    int line;
} s_expr_test_t;

typedef struct {
    char *name;
    int64_t interval_ms;
    s_input_t *inputs;
    size_t ninputs;
    s_alert_test_t *alerts;
    size_t nalerts;
    s_expr_test_t *exprs;
    size_t nexprs;
    rules_labels_t *ext_labels;
    char *ext_url;
} s_group_t;

typedef struct {
    vg_config_t *doc;
    const char *path;
    FILE *out;
    vg_buf_t errors; /* what failed, as promtool words it */
    int bad;         /* the file itself is wrong */
} s_run_t;

static void s_fail (s_run_t *run, vg_cnode_t *node, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_fail (s_run_t *run, vg_cnode_t *node, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    int line = 0, col = 0;
    size_t pos, end;
    if (node)
        vg_config_span (node, &line, &col, &pos, &end);
    if (line)
        vg_buf_printf (&run->errors, "    %s:%d:%d: %s\n", run->path, line, col, msg);
    else
        vg_buf_printf (&run->errors, "    %s: %s\n", run->path, msg);
    run->bad = 1;
}

/*  --------------------------------------------------------------------------
 *  Reading the file
 */

static int
s_is_null (vg_cnode_t *n)
{
    size_t len;
    const char *s = n ? vg_cnode_scalar (n, &len) : NULL;
    return !n ||
           (s && fy_node_get_style (n) == FYNS_PLAIN &&
            (len == 0 || (len == 1 && *s == '~') || (len == 4 && strncmp (s, "null", 4) == 0)));
}

static int
s_keys (s_run_t *run, vg_cnode_t *map, const char *const *known, const char *what)
{
    if (!vg_cnode_is_map (map)) {
        s_fail (run, map, "%s: expected a mapping", what);
        return -1;
    }
    void *iter = NULL;
    struct fy_node_pair *pair;
    int ok = 0;
    while ((pair = fy_node_mapping_iterate (map, &iter))) {
        size_t len;
        const char *k = vg_cnode_scalar (fy_node_pair_key (pair), &len);
        int found = 0;
        for (size_t i = 0; k && known[i]; i++)
            found |= strlen (known[i]) == len && memcmp (known[i], k, len) == 0;
        if (!found) {
            s_fail (run, fy_node_pair_key (pair), "%s: field %.*s not found", what,
                    k ? (int)(len > 60 ? 60 : len) : 1, k ? k : "?");
            ok = -1;
        }
    }
    return ok;
}

static int
s_duration (s_run_t *run, vg_cnode_t *n, const char *what, int64_t *ms)
{
    *ms = 0;
    if (s_is_null (n))
        return 0;
    char *s = vg_cnode_strdup (n);
    int rc = s ? rules_file_duration (s, ms) : -1;
    if (rc != 0)
        s_fail (run, n, "%s: not a valid duration string: \"%s\"", what, s ? s : "");
    free (s);
    return rc;
}

/* A YAML float as Go's yaml.v2 reads one. */
static int
s_float (vg_cnode_t *n, double *v)
{
    char *s = vg_cnode_strdup (n);
    if (!s)
        return -1;
    int rc = 0;
    const char *t = s;
    int neg = 0;
    if (*t == '+' || *t == '-')
        neg = *t++ == '-';
    if (strcasecmp (t, ".inf") == 0)
        *v = neg ? -INFINITY : INFINITY;
    else if (strcasecmp (s, ".nan") == 0)
        *v = NAN;
    else {
        char *end;
        *v = strtod (s, &end);
        rc = *s && !*end && !strchr (s, 'x') && !strchr (s, 'X') && strcasecmp (t, "inf") &&
                     strcasecmp (t, "nan") && strcasecmp (t, "infinity")
                 ? 0
                 : -1;
    }
    free (s);
    return rc;
}

static rules_labels_t *
s_label_map (s_run_t *run, vg_cnode_t *map, const char *what)
{
    if (s_is_null (map))
        return rules_labels_dup (NULL, 0);
    if (!vg_cnode_is_map (map)) {
        s_fail (run, map, "%s: expected a mapping", what);
        return NULL;
    }
    vg_label_t *items = NULL;
    size_t n = 0, cap = 0;
    void *iter = NULL;
    struct fy_node_pair *pair;
    while ((pair = fy_node_mapping_iterate (map, &iter))) {
        VG_GROW (items, cap, n + 1);
        char *k = vg_cnode_strdup (fy_node_pair_key (pair));
        char *v = s_is_null (fy_node_pair_value (pair))
                      ? vg_strdup ("")
                      : vg_cnode_strdup (fy_node_pair_value (pair));
        items[n++] = (vg_label_t){k ? k : vg_strdup (""), v ? v : vg_strdup ("")};
    }
    rules_labels_t *l = rules_labels_dup (items, n);
    for (size_t i = 0; i < n; i++) {
        free ((char *)items[i].key);
        free ((char *)items[i].value);
    }
    free (items);
    return l;
}

static void
s_group_free (s_group_t *g)
{
    free (g->name);
    for (size_t i = 0; i < g->ninputs; i++) {
        free (g->inputs[i].labels);
        free (g->inputs[i].values);
    }
    free (g->inputs);
    for (size_t i = 0; i < g->nalerts; i++) {
        free (g->alerts[i].alertname);
        for (size_t k = 0; k < g->alerts[i].nexp; k++) {
            free (g->alerts[i].exp[k].labels);
            free (g->alerts[i].exp[k].annotations);
        }
        free (g->alerts[i].exp);
    }
    free (g->alerts);
    for (size_t i = 0; i < g->nexprs; i++) {
        free (g->exprs[i].expr);
        for (size_t k = 0; k < g->exprs[i].nexp; k++)
            free (g->exprs[i].labels[k]);
        free (g->exprs[i].labels);
        free (g->exprs[i].values);
    }
    free (g->exprs);
    free (g->ext_labels);
    free (g->ext_url);
}

static size_t
s_seq_len (s_run_t *run, vg_cnode_t *n, const char *what)
{
    if (s_is_null (n))
        return 0;
    if (!vg_cnode_is_seq (n)) {
        s_fail (run, n, "%s: expected a list", what);
        return 0;
    }
    return vg_cnode_seq_len (n);
}

static void
s_read_inputs (s_run_t *run, vg_cnode_t *list, s_group_t *g)
{
    static const char *const known[] = {"series", "values", NULL};
    size_t n = s_seq_len (run, list, "input_series");
    g->inputs = vg_calloc (n + 1, sizeof *g->inputs);
    for (size_t i = 0; i < n; i++) {
        vg_cnode_t *item = vg_cnode_seq_at (list, i);
        if (s_keys (run, item, known, "input_series") != 0)
            continue;
        vg_cnode_t *sn = vg_cnode_get (item, "series"), *vn = vg_cnode_get (item, "values");
        char *series = sn ? vg_cnode_strdup (sn) : NULL;
        char *values = vn && !s_is_null (vn) ? vg_cnode_strdup (vn) : vg_strdup ("");
        rules_parse_error_t perr;
        rules_labels_t *labels = series ? rules_parse_series (series, &perr) : NULL;
        s_input_t *in = &g->inputs[g->ninputs];
        char err[256];
        if (!labels)
            s_fail (run, sn ? sn : item, "input_series: %s",
                    series ? perr.msg : "series is missing");
        else if (!values || rules_values_parse (values, S_MAX_SAMPLES, &in->values, &in->n, err,
                                                sizeof err) != 0) {
            s_fail (run, vn ? vn : item, "input_series: %s", values ? err : "bad values");
            free (labels);
        } else {
            in->labels = labels;
            g->ninputs++;
        }
        free (series);
        free (values);
    }
}

static void
s_read_alert_tests (s_run_t *run, vg_cnode_t *list, s_group_t *g)
{
    static const char *const known[] = {"eval_time", "alertname", "exp_alerts", NULL};
    static const char *const known_exp[] = {"exp_labels", "exp_annotations", NULL};
    size_t n = s_seq_len (run, list, "alert_rule_test");
    g->alerts = vg_calloc (n + 1, sizeof *g->alerts);
    for (size_t i = 0; i < n; i++) {
        vg_cnode_t *item = vg_cnode_seq_at (list, i);
        if (s_keys (run, item, known, "alert_rule_test") != 0)
            continue;
        s_alert_test_t *t = &g->alerts[g->nalerts];
        t->line = vg_config_line (item);
        if (s_duration (run, vg_cnode_get (item, "eval_time"), "eval_time", &t->eval_ms) != 0)
            continue;
        vg_cnode_t *an = vg_cnode_get (item, "alertname");
        t->alertname = an && !s_is_null (an) ? vg_cnode_strdup (an) : NULL;
        if (!t->alertname || !*t->alertname) {
            char d[32] = "";
            vg_buf_t b = {0};
            rules_ast_format_duration (t->eval_ms, &b);
            snprintf (d, sizeof d, "%s", b.data);
            vg_buf_free (&b);
            s_fail (run, item,
                    "an item under alert_rule_test misses required attribute alertname at "
                    "eval_time %s",
                    d);
            free (t->alertname);
            t->alertname = NULL;
            continue;
        }
        vg_cnode_t *exps = vg_cnode_get (item, "exp_alerts");
        size_t ne = s_seq_len (run, exps, "exp_alerts");
        t->exp = vg_calloc (ne + 1, sizeof *t->exp);
        for (size_t k = 0; k < ne; k++) {
            vg_cnode_t *e = vg_cnode_seq_at (exps, k);
            if (!s_is_null (e) && s_keys (run, e, known_exp, "exp_alerts") != 0)
                continue;
            rules_labels_t *l = s_label_map (
                run, s_is_null (e) ? NULL : vg_cnode_get (e, "exp_labels"), "exp_labels");
            rules_labels_t *a = s_label_map (
                run, s_is_null (e) ? NULL : vg_cnode_get (e, "exp_annotations"), "exp_annotations");
            if (!l || !a) {
                free (l);
                free (a);
                continue;
            }
            /* The alertname is Prometheus's to add, not the test's. */
            vg_label_t *items = vg_calloc (l->n + 1, sizeof *items);
            memcpy (items, l->items, l->n * sizeof *items);
            items[l->n] = (vg_label_t){"alertname", t->alertname};
            t->exp[t->nexp].labels = rules_labels_dup (items, l->n + 1);
            t->exp[t->nexp].annotations = a;
            t->nexp++;
            free (items);
            free (l);
        }
        g->nalerts++;
    }
}

static void
s_read_expr_tests (s_run_t *run, vg_cnode_t *list, s_group_t *g)
{
    static const char *const known[] = {"expr", "eval_time", "exp_samples", NULL};
    static const char *const known_exp[] = {"labels", "value", NULL};
    size_t n = s_seq_len (run, list, "promql_expr_test");
    g->exprs = vg_calloc (n + 1, sizeof *g->exprs);
    for (size_t i = 0; i < n; i++) {
        vg_cnode_t *item = vg_cnode_seq_at (list, i);
        if (s_keys (run, item, known, "promql_expr_test") != 0)
            continue;
        s_expr_test_t *t = &g->exprs[g->nexprs];
        t->line = vg_config_line (item);
        if (s_duration (run, vg_cnode_get (item, "eval_time"), "eval_time", &t->eval_ms) != 0)
            continue;
        vg_cnode_t *en = vg_cnode_get (item, "expr");
        t->expr = en && !s_is_null (en) ? vg_cnode_strdup (en) : vg_strdup ("");
        vg_cnode_t *exps = vg_cnode_get (item, "exp_samples");
        size_t ne = s_seq_len (run, exps, "exp_samples");
        t->labels = vg_calloc (ne + 1, sizeof *t->labels);
        t->values = vg_calloc (ne + 1, sizeof *t->values);
        g->nexprs++;
        for (size_t k = 0; k < ne; k++) {
            vg_cnode_t *e = vg_cnode_seq_at (exps, k);
            if (s_keys (run, e, known_exp, "exp_samples") != 0)
                continue;
            vg_cnode_t *ln = vg_cnode_get (e, "labels"), *vn = vg_cnode_get (e, "value");
            char *text = ln && !s_is_null (ln) ? vg_cnode_strdup (ln) : vg_strdup ("{}");
            rules_parse_error_t perr;
            rules_labels_t *l = text ? rules_parse_series (text, &perr) : NULL;
            if (!l) {
                s_fail (run, ln ? ln : e, "exp_samples: labels %s: %s", text ? text : "",
                        text ? perr.msg : "expected a string");
                free (text);
                continue;
            }
            free (text);
            double v = 0;
            if (vn && !s_is_null (vn) && s_float (vn, &v) != 0) {
                s_fail (run, vn, "exp_samples: value: expected a number");
                free (l);
                continue;
            }
            t->labels[t->nexp] = l;
            t->values[t->nexp] = v;
            t->nexp++;
        }
    }
}

static void
s_read_group (s_run_t *run, vg_cnode_t *node, int64_t eval_interval, s_group_t *g)
{
    static const char *const known[] = {"interval",
                                        "input_series",
                                        "alert_rule_test",
                                        "promql_expr_test",
                                        "external_labels",
                                        "external_url",
                                        "name",
                                        NULL};
    memset (g, 0, sizeof *g);
    if (s_keys (run, node, known, "tests") != 0)
        return;
    vg_cnode_t *nn = vg_cnode_get (node, "name");
    g->name = nn && !s_is_null (nn) ? vg_cnode_strdup (nn) : NULL;
    s_duration (run, vg_cnode_get (node, "interval"), "interval", &g->interval_ms);
    if (g->interval_ms == 0)
        g->interval_ms = eval_interval;
    s_read_inputs (run, vg_cnode_get (node, "input_series"), g);
    s_read_alert_tests (run, vg_cnode_get (node, "alert_rule_test"), g);
    s_read_expr_tests (run, vg_cnode_get (node, "promql_expr_test"), g);
    vg_cnode_t *el = vg_cnode_get (node, "external_labels");
    g->ext_labels = s_label_map (run, el, "external_labels");
    vg_cnode_t *eu = vg_cnode_get (node, "external_url");
    g->ext_url = eu && !s_is_null (eu) ? vg_cnode_strdup (eu) : NULL;
}

/*  --------------------------------------------------------------------------
 *  Running a test group
 */

static void
s_duration_text (int64_t ms, char *out, size_t len)
{
    vg_buf_t b = {0};
    rules_ast_format_duration (ms, &b);
    snprintf (out, len, "%s", b.data);
    vg_buf_free (&b);
}

/* Adds the input samples with times up to ts to the store. */
static void
s_load_until (rules_mem_t *mem, s_group_t *g, int64_t ts)
{
    for (size_t i = 0; i < g->ninputs; i++) {
        s_input_t *in = &g->inputs[i];
        if (!in->series)
            in->series = rules_mem_series (mem, in->labels, 0, 0);
        while (in->loaded < in->n && (int64_t)in->loaded * g->interval_ms <= ts) {
            const rules_seqval_t *v = &in->values[in->loaded];
            if (v->kind != RULES_VALUE_OMITTED)
                rules_mem_add (mem, in->series, (int64_t)in->loaded * g->interval_ms, v->v);
            in->loaded++;
        }
    }
}

typedef struct {
    rules_labels_t *labels, *annotations;
} s_got_t;

static int
s_got_cmp (const void *a, const void *b)
{
    const s_got_t *x = a, *y = b;
    int c = rules_labels_cmp (x->labels, y->labels);
    return c ? c : rules_labels_cmp (x->annotations, y->annotations);
}

static void
s_format_alerts (const s_got_t *items, size_t n, vg_buf_t *out)
{
    if (n == 0) {
        vg_buf_puts (out, "[]");
        return;
    }
    vg_buf_puts (out, "[");
    for (size_t i = 0; i < n; i++) {
        vg_buf_printf (out, "\n            %zu:\n              Labels:", i);
        rules_labels_format (items[i].labels, out);
        vg_buf_puts (out, "\n              Annotations:");
        rules_labels_format (items[i].annotations, out);
    }
    vg_buf_puts (out, "\n            ]");
}

static void
s_check_alerts (s_run_t *run, const s_group_t *g, const s_alert_test_t *t, rules_exec_t *exec,
                const rules_set_t *set)
{
    s_got_t *got = NULL;
    size_t ngot = 0, cap = 0;
    for (size_t gi = 0; gi < set->ngroups; gi++)
        for (size_t ri = 0; ri < set->groups[gi].nrules; ri++) {
            const rules_rule_t *rule = &set->groups[gi].rules[ri];
            if (!rule->is_alert || strcmp (rule->name, t->alertname) != 0)
                continue;
            rules_state_t *st = rules_exec_state (exec, gi, ri);
            for (size_t k = 0; k < st->n; k++) {
                if (st->items[k].state != RULES_ALERT_FIRING)
                    continue;
                VG_GROW (got, cap, ngot + 1);
                got[ngot].labels = st->items[k].labels;
                got[ngot].annotations =
                    rules_labels_dup (st->items[k].annotations, st->items[k].nannotations);
                ngot++;
            }
        }
    s_got_t *exp = vg_calloc (t->nexp + 1, sizeof *exp);
    for (size_t k = 0; k < t->nexp; k++)
        exp[k] = (s_got_t){t->exp[k].labels, t->exp[k].annotations};
    if (ngot > 1)
        qsort (got, ngot, sizeof *got, s_got_cmp);
    if (t->nexp > 1)
        qsort (exp, t->nexp, sizeof *exp, s_got_cmp);
    int same = ngot == t->nexp;
    for (size_t k = 0; same && k < ngot; k++)
        same = s_got_cmp (&got[k], &exp[k]) == 0;
    if (!same) {
        char d[32];
        s_duration_text (t->eval_ms, d, sizeof d);
        if (g->name)
            vg_buf_printf (&run->errors, "    name: %s,\n", g->name);
        vg_buf_printf (&run->errors, "    alertname: %s, time: %s, \n        exp:", t->alertname,
                       d);
        s_format_alerts (exp, t->nexp, &run->errors);
        vg_buf_puts (&run->errors, ", \n        got:");
        s_format_alerts (got, ngot, &run->errors);
        vg_buf_puts (&run->errors, "\n");
    }
    for (size_t k = 0; k < ngot; k++)
        free (got[k].annotations);
    free (got);
    free (exp);
}

typedef struct {
    const rules_labels_t *labels;
    double value;
} s_sample_t;

static int
s_sample_cmp (const void *a, const void *b)
{
    return rules_labels_cmp (((const s_sample_t *)a)->labels, ((const s_sample_t *)b)->labels);
}

static void
s_format_samples (const s_sample_t *s, size_t n, vg_buf_t *out)
{
    if (n == 0) {
        vg_buf_puts (out, "nil");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (i)
            vg_buf_puts (out, ", ");
        rules_labels_format (s[i].labels, out);
        vg_buf_printf (out, " %.17g", s[i].value);
    }
}

static void
s_check_expr (s_run_t *run, const s_expr_test_t *t, rules_mem_t *mem, rules_arena_t *arena)
{
    char d[32];
    s_duration_text (t->eval_ms, d, sizeof d);
    rules_parse_error_t perr;
    rules_node_t *expr = rules_parse (t->expr, strlen (t->expr), &perr);
    if (!expr) {
        vg_buf_printf (&run->errors, "    expr: \"%s\", time: %s, err: 1:%u: parse error: %s\n",
                       t->expr, d, perr.pos + 1, perr.msg);
        return;
    }
    rules_value_t v;
    char err[512];
    rules_arena_reset (arena);
    if (rules_eval (expr, rules_mem_source (mem), t->eval_ms, arena, &v, err, sizeof err) != 0) {
        vg_buf_printf (&run->errors, "    expr: \"%s\", time: %s, err: %s\n", t->expr, d, err);
        rules_ast_destroy (&expr);
        return;
    }
    size_t ngot = v.type == RULES_T_SCALAR ? 1 : v.n;
    s_sample_t *got = vg_calloc (ngot + 1, sizeof *got);
    if (v.type == RULES_T_SCALAR)
        got[0] = (s_sample_t){rules_labels_empty (), v.scalar};
    else
        for (size_t i = 0; i < v.n; i++)
            got[i] = (s_sample_t){v.samples[i].labels, v.samples[i].v};
    s_sample_t *exp = vg_calloc (t->nexp + 1, sizeof *exp);
    for (size_t i = 0; i < t->nexp; i++)
        exp[i] = (s_sample_t){t->labels[i], t->values[i]};
    if (ngot > 1)
        qsort (got, ngot, sizeof *got, s_sample_cmp);
    if (t->nexp > 1)
        qsort (exp, t->nexp, sizeof *exp, s_sample_cmp);
    /* Exactly equal, as reflect.DeepEqual compares floats (NaN never is). */
    int same = ngot == t->nexp;
    for (size_t i = 0; same && i < ngot; i++)
        same = rules_labels_equal (got[i].labels, exp[i].labels) && got[i].value == exp[i].value;
    if (!same) {
        vg_buf_printf (&run->errors, "    expr: \"%s\", time: %s,\n        exp: ", t->expr, d);
        s_format_samples (exp, t->nexp, &run->errors);
        vg_buf_puts (&run->errors, "\n        got: ");
        s_format_samples (got, ngot, &run->errors);
        vg_buf_puts (&run->errors, "\n");
    }
    free (got);
    free (exp);
    rules_ast_destroy (&expr);
}

typedef struct {
    size_t g;
    int order;
} s_order_t;

static int
s_order_cmp (const void *a, const void *b)
{
    const s_order_t *x = a, *y = b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return (x->g > y->g) - (x->g < y->g);
}

static void
s_run_group (s_run_t *run, s_group_t *g, const rules_set_t *set, int64_t eval_interval,
             char *const *order, size_t norder)
{
    rules_mem_t *mem = rules_mem_new (0);
    rules_exec_t *exec = rules_exec_new (set, mem, g->ext_labels, g->ext_url);
    rules_arena_t *arena = rules_arena_new ();
    s_order_t *groups = vg_calloc (set->ngroups + 1, sizeof *groups);
    for (size_t i = 0; i < set->ngroups; i++) {
        groups[i].g = i;
        for (size_t k = 0; k < norder; k++)
            if (strcmp (order[k], set->groups[i].name) == 0)
                groups[i].order = (int)k;
    }
    qsort (groups, set->ngroups, sizeof *groups, s_order_cmp);
    int64_t maxt = 0;
    for (size_t i = 0; i < g->nalerts; i++)
        if (g->alerts[i].eval_ms > maxt)
            maxt = g->alerts[i].eval_ms;
    for (size_t i = 0; i < g->nexprs; i++)
        if (g->exprs[i].eval_ms > maxt)
            maxt = g->exprs[i].eval_ms;
    /* Alert checks in time order. */
    size_t *at = vg_calloc (g->nalerts + 1, sizeof *at);
    for (size_t i = 0; i < g->nalerts; i++)
        at[i] = i;
    for (size_t i = 1; i < g->nalerts; i++)
        for (size_t k = i; k > 0 && g->alerts[at[k - 1]].eval_ms > g->alerts[at[k]].eval_ms; k--) {
            size_t x = at[k];
            at[k] = at[k - 1];
            at[k - 1] = x;
        }
    size_t next = 0;
    rules_transitions_t tr = {0};
    int stop = 0;
    for (int64_t ts = 0; ts <= maxt && !stop; ts += eval_interval) {
        s_load_until (mem, g, ts);
        for (size_t i = 0; i < set->ngroups; i++) {
            size_t gi = groups[i].g;
            for (size_t r = 0; r < set->groups[gi].nrules; r++) {
                char err[512];
                if (rules_exec_rule (exec, gi, r, ts, &tr, err, sizeof err) != 0) {
                    char d[32];
                    s_duration_text (ts, d, sizeof d);
                    vg_buf_printf (&run->errors, "    rule: %s, time: %s, err: %s\n",
                                   set->groups[gi].rules[r].name, d, err);
                    stop = 1;
                }
            }
        }
        rules_transitions_clear (&tr);
        if (stop)
            break;
        while (next < g->nalerts && g->alerts[at[next]].eval_ms >= ts &&
               g->alerts[at[next]].eval_ms < ts + eval_interval) {
            s_check_alerts (run, g, &g->alerts[at[next]], exec, set);
            next++;
        }
    }
    if (!stop)
        for (size_t i = 0; i < g->nexprs; i++)
            s_check_expr (run, &g->exprs[i], mem, arena);
    rules_transitions_free (&tr);
    free (at);
    free (groups);
    rules_arena_destroy (&arena);
    rules_exec_destroy (&exec);
    rules_mem_destroy (&mem);
}

/*  --------------------------------------------------------------------------
 *  The file
 */

static char **
s_rule_files (s_run_t *run, vg_cnode_t *list, size_t *n)
{
    char **paths = NULL;
    size_t cap = 0;
    *n = 0;
    size_t count = s_seq_len (run, list, "rule_files");
    const char *slash = strrchr (run->path, '/');
    for (size_t i = 0; i < count; i++) {
        char *pattern = vg_cnode_strdup (vg_cnode_seq_at (list, i));
        if (!pattern || !*pattern) {
            free (pattern);
            continue;
        }
        char *full = pattern[0] == '/' || !slash
                         ? vg_strdup (pattern)
                         : vg_asprintf ("%.*s/%s", (int)(slash - run->path), run->path, pattern);
        glob_t gl;
        int rc = glob (full, 0, NULL, &gl);
        if (rc != 0 || gl.gl_pathc == 0)
            fprintf (run->out, "  WARNING: no file match pattern %s\n", full);
        for (size_t k = 0; rc == 0 && k < gl.gl_pathc; k++) {
            VG_GROW (paths, cap, *n + 1);
            paths[(*n)++] = vg_strdup (gl.gl_pathv[k]);
        }
        if (rc == 0)
            globfree (&gl);
        free (full);
        free (pattern);
    }
    return paths;
}

int
rules_unittest_run (const char *path, FILE *out)
{
    static const char *const known[] = {"rule_files", "evaluation_interval", "group_eval_order",
                                        "tests", NULL};
    s_run_t run = {.path = path, .out = out};
    fprintf (out, "Unit Testing:  %s\n", path);
    char err[1024];
    run.doc = vg_config_load_file (path, err, sizeof err);
    char **files = NULL, **order = NULL;
    size_t nfiles = 0, norder = 0;
    rules_set_t *set = NULL;
    if (!run.doc) {
        vg_buf_printf (&run.errors, "    %s\n", err);
        goto done;
    }
    vg_cnode_t *root = vg_config_root (run.doc);
    if (!root || s_keys (&run, root, known, "test file") != 0)
        goto done;
    int64_t eval_interval = 0;
    s_duration (&run, vg_cnode_get (root, "evaluation_interval"), "evaluation_interval",
                &eval_interval);
    if (eval_interval <= 0)
        eval_interval = 60000;
    vg_cnode_t *ord = vg_cnode_get (root, "group_eval_order");
    norder = s_seq_len (&run, ord, "group_eval_order");
    order = vg_calloc (norder + 1, sizeof *order);
    for (size_t i = 0; i < norder; i++) {
        order[i] = vg_cnode_strdup (vg_cnode_seq_at (ord, i));
        for (size_t k = 0; order[i] && k < i; k++)
            if (order[k] && strcmp (order[k], order[i]) == 0)
                s_fail (&run, vg_cnode_seq_at (ord, i),
                        "group name repeated in evaluation order: %s", order[i]);
    }
    files = s_rule_files (&run, vg_cnode_get (root, "rule_files"), &nfiles);
    vg_buf_t rerr = {0};
    set = rules_file_load (files, nfiles, &rerr);
    if (!set) {
        /* every error, indented as the rest */
        for (char *line = rerr.data, *nl; line && *line; line = nl + 1) {
            nl = strchr (line, '\n');
            vg_buf_printf (&run.errors, "    %.*s\n", nl ? (int)(nl - line) : (int)strlen (line),
                           line);
            if (!nl)
                break;
        }
        run.bad = 1;
    }
    vg_buf_free (&rerr);
    vg_cnode_t *tests = vg_cnode_get (root, "tests");
    size_t ntests = s_seq_len (&run, tests, "tests");
    for (size_t i = 0; i < ntests && !run.bad; i++) {
        s_group_t g;
        s_read_group (&run, vg_cnode_seq_at (tests, i), eval_interval, &g);
        if (!run.bad)
            s_run_group (&run, &g, set, eval_interval, order, norder);
        s_group_free (&g);
    }
done:
    if (run.errors.len) {
        fprintf (out, "  FAILED:\n%s\n", run.errors.data);
    } else
        fprintf (out, "  SUCCESS\n\n");
    int rc = run.errors.len ? 1 : 0;
    for (size_t i = 0; i < nfiles; i++)
        free (files[i]);
    free (files);
    for (size_t i = 0; i < norder; i++)
        free (order[i]);
    free (order);
    rules_set_destroy (&set);
    vg_config_destroy (&run.doc);
    vg_buf_free (&run.errors);
    return rc;
}
