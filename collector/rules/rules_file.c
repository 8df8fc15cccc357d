/*  rules_file.c - the rule-file loader: YAML through vg_config (libfyaml,
 *  with its checks: UTF-8, no tabs, no duplicate keys, one document), then
 *  every group and rule checked as Prometheus's rulefmt checks them. */
#include "rules_file.h"
#include "rules_labels.h"
#include "rules_parse.h"
#include "vg_alloc.h"
#include "vg_config.h"
#include "vg_error.h"
#include "vg_utf8.h"

#include <glob.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    vg_config_t *doc;
    const char *name;
    vg_buf_t *errors;
    int nerrors;
} s_loader_t;

#define S_MAX_ERRORS 100

static void s_error_at (s_loader_t *l, int line, int col, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_error_at (s_loader_t *l, int line, int col, const char *fmt, ...)
{
    if (++l->nerrors > S_MAX_ERRORS)
        return;
    vg_buf_printf (l->errors, "%s:%d:%d: ", l->name, line, col);
    va_list ap;
    va_start (ap, fmt);
    char msg[1024];
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    vg_buf_puts (l->errors, msg);
    vg_buf_puts (l->errors, "\n");
    if (l->nerrors == S_MAX_ERRORS)
        vg_buf_printf (l->errors, "%s: too many errors, the rest are not shown\n", l->name);
}

static void s_error (s_loader_t *l, vg_cnode_t *node, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_error (s_loader_t *l, vg_cnode_t *node, const char *fmt, ...)
{
    int line, col;
    size_t pos, end;
    vg_config_span (node, &line, &col, &pos, &end);
    va_list ap;
    va_start (ap, fmt);
    char msg[1024];
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    s_error_at (l, line ? line : 1, col ? col : 1, "%s", msg);
}

/* Where byte offset of a scalar's value is in the file. YAML changes only
 * white space, quotes and escapes, so the n-th character that is not white
 * space in the value is the n-th one in the source. */
static void
s_value_position (s_loader_t *l, vg_cnode_t *node, size_t offset, int *line, int *col)
{
    size_t pos, end, vlen = 0;
    vg_config_span (node, line, col, &pos, &end);
    const char *value = vg_cnode_scalar (node, &vlen);
    const char *text = vg_config_text (l->doc);
    if (!value || !text || *line == 0 || end <= pos)
        return;
    if (offset > vlen)
        offset = vlen;
    size_t want = 0;
    for (size_t i = 0; i < offset; i++)
        if (!strchr (" \t\r\n", value[i]))
            want++;
    enum fy_node_style style = fy_node_get_style (node);
    int ln = *line, cl = *col;
    /* libfyaml's marks are those of the content: inside the quotes, and
     * from the first content line of a block scalar. */
    size_t i = pos;
    int last_ln = ln, last_cl = cl;
    size_t seen = 0;
    for (; i < end; i++) {
        char c = text[i];
        if (c == '\n') {
            ln++;
            cl = 1;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            cl++;
            continue;
        }
        if (seen == want) {
            *line = ln;
            *col = cl;
            return;
        }
        seen++;
        last_ln = ln;
        last_cl = cl + 1;
        size_t skip = 0;
        if (style == FYNS_DOUBLE_QUOTED && c == '\\' && i + 1 < end)
            skip = text[i + 1] == 'x' ? 3 : text[i + 1] == 'u' ? 5 : text[i + 1] == 'U' ? 9 : 1;
        else if (style == FYNS_SINGLE_QUOTED && c == '\'' && i + 1 < end && text[i + 1] == '\'')
            skip = 1;
        i += skip;
        cl += (int)skip + 1;
        last_cl += (int)skip;
    }
    /* Past the last character (an error at the end of the value). */
    *line = last_ln;
    *col = last_cl;
}

static char *
s_scalar (s_loader_t *l, vg_cnode_t *node, const char *what)
{
    char *s = vg_cnode_strdup (node);
    if (!s)
        s_error (l, node, "%s: expected a string", what);
    return s;
}

int
rules_file_duration (const char *text, int64_t *ms)
{
    return rules_lex_duration (text, strlen (text), ms);
}

static int
s_duration (s_loader_t *l, vg_cnode_t *node, const char *what, int64_t *ms)
{
    char *s = s_scalar (l, node, what);
    if (!s)
        return -1;
    int rc = rules_file_duration (s, ms);
    if (rc != 0)
        s_error (l, node, "%s: not a valid duration string: \"%s\" (write e.g. 30s, 5m, 1h30m)",
                 what, s);
    free (s);
    return rc;
}

static int
s_is_null (vg_cnode_t *node)
{
    if (!node)
        return 1;
    size_t len;
    const char *s = vg_cnode_scalar (node, &len);
    if (!s || fy_node_get_style (node) != FYNS_PLAIN)
        return 0;
    return len == 0 || (len == 1 && s[0] == '~') ||
           (len == 4 && (memcmp (s, "null", 4) == 0 || memcmp (s, "Null", 4) == 0 ||
                         memcmp (s, "NULL", 4) == 0));
}

/* Checks that a mapping's keys are among the known ones. */
static void
s_check_keys (s_loader_t *l, vg_cnode_t *map, const char *const *known, const char *what)
{
    void *iter = NULL;
    struct fy_node_pair *pair;
    while ((pair = fy_node_mapping_iterate (map, &iter))) {
        vg_cnode_t *key = fy_node_pair_key (pair);
        size_t len;
        const char *k = vg_cnode_scalar (key, &len);
        int ok = 0;
        for (size_t i = 0; k && known[i]; i++)
            ok |= strlen (known[i]) == len && memcmp (known[i], k, len) == 0;
        if (ok)
            continue;
        if (k && len == 12 && memcmp (k, "query_offset", 12) == 0) {
            s_error (l, key, "%s: query_offset is not supported", what);
            continue;
        }
        char list[200] = "";
        for (size_t i = 0; known[i]; i++) {
            size_t o = strlen (list);
            snprintf (list + o, sizeof list - o, "%s%s", i ? ", " : "", known[i]);
        }
        s_error (l, key, "%s: unknown field \"%.*s\" (the fields are: %s)", what,
                 k ? (int)(len > 60 ? 60 : len) : 1, k ? k : "?", list);
    }
}

static int
s_label_cmp (const void *a, const void *b)
{
    return strcmp (((const vg_label_t *)a)->key, ((const vg_label_t *)b)->key);
}

/* A mapping of names to templates (labels or annotations). */
static int
s_templates (s_loader_t *l, vg_cnode_t *map, const char *what, int labels, vg_label_t **out,
             rules_tmpl_t ***tmpls, size_t *n)
{
    *out = NULL;
    *tmpls = NULL;
    *n = 0;
    if (s_is_null (map))
        return 0;
    if (!vg_cnode_is_map (map)) {
        s_error (l, map, "%s: expected a mapping of names to values", what);
        return -1;
    }
    int bad = 0;
    size_t cap = 0, tcap = 0;
    void *iter = NULL;
    struct fy_node_pair *pair;
    while ((pair = fy_node_mapping_iterate (map, &iter))) {
        vg_cnode_t *kn = fy_node_pair_key (pair), *vn = fy_node_pair_value (pair);
        char *key = vg_cnode_strdup (kn);
        char *value = s_is_null (vn) ? vg_strdup ("") : vg_cnode_strdup (vn);
        if (!key || !value) {
            s_error (l, key ? vn : kn, "%s: expected a string", what);
            free (key);
            free (value);
            bad = 1;
            continue;
        }
        if (!rules_labels_valid_name (key) || (labels && strcmp (key, RULES_NAME_LABEL) == 0)) {
            s_error (l, kn, "%s: invalid %s name: %s", what, labels ? "label" : "annotation", key);
            bad = 1;
        }
        if (vg_utf8_check (value, strlen (value)) != strlen (value)) {
            s_error (l, vn, "%s: %s: invalid UTF-8 in the value", what, key);
            bad = 1;
        }
        char terr[256];
        size_t tpos = 0;
        rules_tmpl_t *t = rules_tmpl_new (value, terr, sizeof terr, &tpos);
        if (!t) {
            int line, col;
            s_value_position (l, vn, tpos, &line, &col);
            s_error_at (l, line, col, "%s: %s: template: %s", what, key, terr);
            bad = 1;
        }
        VG_GROW (*out, cap, *n + 1);
        VG_GROW (*tmpls, tcap, *n + 1);
        (*out)[*n] = (vg_label_t){key, value};
        (*tmpls)[*n] = t;
        (*n)++;
    }
    /* Sorted by name, the templates alongside. */
    for (size_t i = 1; i < *n; i++)
        for (size_t j = i; j > 0 && s_label_cmp (&(*out)[j - 1], &(*out)[j]) > 0; j--) {
            vg_label_t x = (*out)[j];
            (*out)[j] = (*out)[j - 1];
            (*out)[j - 1] = x;
            rules_tmpl_t *t = (*tmpls)[j];
            (*tmpls)[j] = (*tmpls)[j - 1];
            (*tmpls)[j - 1] = t;
        }
    return bad ? -1 : 0;
}

static void
s_free_templates (vg_label_t *items, rules_tmpl_t **tmpls, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free ((char *)items[i].key);
        free ((char *)items[i].value);
        rules_tmpl_destroy (&tmpls[i]);
    }
    free (items);
    free (tmpls);
}

static void
s_rule_free (rules_rule_t *r)
{
    free (r->name);
    free (r->expr_text);
    rules_ast_destroy (&r->expr);
    s_free_templates (r->labels, r->label_tmpls, r->nlabels);
    s_free_templates (r->annotations, r->annotation_tmpls, r->nannotations);
}

/* Adds the group's labels the rule does not set itself. */
static void
s_merge_group_labels (rules_rule_t *r, const vg_label_t *gl, rules_tmpl_t *const *gt, size_t gn)
{
    for (size_t i = 0; i < gn; i++) {
        int has = 0;
        for (size_t k = 0; k < r->nlabels; k++)
            has |= strcmp (r->labels[k].key, gl[i].key) == 0;
        if (has)
            continue;
        char err[64];
        r->labels = vg_realloc (r->labels, (r->nlabels + 1) * sizeof *r->labels);
        r->label_tmpls = vg_realloc (r->label_tmpls, (r->nlabels + 1) * sizeof *r->label_tmpls);
        r->labels[r->nlabels] = (vg_label_t){vg_strdup (gl[i].key), vg_strdup (gl[i].value)};
        r->label_tmpls[r->nlabels] =
            gt[i] ? rules_tmpl_new (gl[i].value, err, sizeof err, NULL) : NULL;
        r->nlabels++;
    }
    for (size_t i = 1; i < r->nlabels; i++)
        for (size_t j = i; j > 0 && s_label_cmp (&r->labels[j - 1], &r->labels[j]) > 0; j--) {
            vg_label_t x = r->labels[j];
            r->labels[j] = r->labels[j - 1];
            r->labels[j - 1] = x;
            rules_tmpl_t *t = r->label_tmpls[j];
            r->label_tmpls[j] = r->label_tmpls[j - 1];
            r->label_tmpls[j - 1] = t;
        }
}

static int
s_rule (s_loader_t *l, vg_cnode_t *node, const char *group, size_t index, rules_rule_t *r)
{
    static const char *const known[] = {"alert",           "record", "expr",        "for",
                                        "keep_firing_for", "labels", "annotations", NULL};
    char what[300];
    snprintf (what, sizeof what, "group \"%.100s\", rule %zu", group, index + 1);
    memset (r, 0, sizeof *r);
    r->line = vg_config_line (node);
    if (!vg_cnode_is_map (node)) {
        s_error (l, node, "%s: expected a mapping (alert: or record:, expr:, ...)", what);
        return -1;
    }
    int before = l->nerrors;
    s_check_keys (l, node, known, what);
    vg_cnode_t *alert = vg_cnode_get (node, "alert"), *record = vg_cnode_get (node, "record");
    if (alert && record)
        s_error (l, record, "%s: only one of 'record' and 'alert' must be set", what);
    else if (!alert && !record)
        s_error (l, node, "%s: one of 'record' or 'alert' must be set", what);
    else {
        r->is_alert = alert != NULL;
        r->name = s_scalar (l, alert ? alert : record, alert ? "alert" : "record");
        if (r->name) {
            snprintf (what, sizeof what, "group \"%.100s\", rule %zu (%.100s)", group, index + 1,
                      r->name);
            if (!*r->name)
                s_error (l, alert ? alert : record, "%s: the name is empty", what);
            else if (r->is_alert && vg_utf8_check (r->name, strlen (r->name)) != strlen (r->name))
                s_error (l, alert, "%s: the alert name is not valid UTF-8", what);
            else if (!r->is_alert && !rules_labels_valid_metric (r->name))
                s_error (l, record, "%s: invalid recording rule name: %s", what, r->name);
        }
    }
    vg_cnode_t *expr = vg_cnode_get (node, "expr");
    if (!expr || s_is_null (expr)) {
        s_error (l, expr ? expr : node, "%s: field 'expr' must be set in rule", what);
    } else {
        size_t len;
        const char *text = vg_cnode_scalar (expr, &len);
        if (!text) {
            s_error (l, expr, "%s: expr: expected a string", what);
        } else {
            r->expr_text = vg_strndup (text, len);
            rules_parse_error_t perr;
            r->expr = rules_parse (r->expr_text, len, &perr);
            if (!r->expr) {
                int line, col;
                s_value_position (l, expr, perr.pos, &line, &col);
                s_error_at (l, line, col, "%s: expr: %s", what, perr.msg);
            } else if (r->expr->type != RULES_T_VECTOR && r->expr->type != RULES_T_SCALAR) {
                s_error (l, expr,
                         "%s: expr: a rule's expression must give an instant vector or "
                         "a scalar, not a %s",
                         what, rules_ast_type_name (r->expr->type));
            }
        }
    }
    vg_cnode_t *f = vg_cnode_get (node, "for"), *kf = vg_cnode_get (node, "keep_firing_for");
    if (f && !s_is_null (f))
        s_duration (l, f, what, &r->for_ms);
    if (kf && !s_is_null (kf))
        s_duration (l, kf, what, &r->keep_firing_for_ms);
    char sub[340];
    snprintf (sub, sizeof sub, "%s: labels", what);
    s_templates (l, vg_cnode_get (node, "labels"), sub, 1, &r->labels, &r->label_tmpls,
                 &r->nlabels);
    snprintf (sub, sizeof sub, "%s: annotations", what);
    vg_cnode_t *ann = vg_cnode_get (node, "annotations");
    s_templates (l, ann, sub, 0, &r->annotations, &r->annotation_tmpls, &r->nannotations);
    if (record && !alert) {
        if (r->nannotations)
            s_error (l, ann, "%s: invalid field 'annotations' in recording rule", what);
        if (r->for_ms)
            s_error (l, f, "%s: invalid field 'for' in recording rule", what);
        if (r->keep_firing_for_ms)
            s_error (l, kf, "%s: invalid field 'keep_firing_for' in recording rule", what);
        for (size_t i = 0; i < r->nlabels; i++)
            if (r->label_tmpls[i] && !rules_tmpl_is_plain (r->label_tmpls[i]))
                s_error (l, vg_cnode_get (node, "labels"),
                         "%s: labels: templates are only expanded in alerting rules: %s", what,
                         r->labels[i].key);
    }
    return l->nerrors > before ? -1 : 0;
}

static void
s_group (s_loader_t *l, vg_cnode_t *node, rules_set_t *set, size_t first, size_t index)
{
    static const char *const known[] = {"name", "interval", "limit", "rules", "labels", NULL};
    char what[160];
    snprintf (what, sizeof what, "group %zu", index + 1);
    if (!vg_cnode_is_map (node)) {
        s_error (l, node, "%s: expected a mapping (name:, rules:, ...)", what);
        return;
    }
    s_check_keys (l, node, known, what);
    rules_group_t g = {0};
    vg_cnode_t *name = vg_cnode_get (node, "name");
    g.name = name && !s_is_null (name) ? s_scalar (l, name, "name") : NULL;
    if (!g.name || !*g.name) {
        s_error (l, name ? name : node, "%s: Groupname must not be empty", what);
    } else {
        snprintf (what, sizeof what, "group \"%.100s\"", g.name);
        for (size_t i = first; i < set->ngroups; i++)
            if (strcmp (set->groups[i].name, g.name) == 0)
                s_error (l, name, "groupname: \"%s\" is repeated in the same file", g.name);
    }
    vg_cnode_t *iv = vg_cnode_get (node, "interval");
    if (iv && !s_is_null (iv)) {
        if (s_duration (l, iv, what, &g.interval_ms) == 0 && g.interval_ms == 0)
            g.interval_ms = 0; /* 0 means the default, as in Prometheus */
    }
    vg_cnode_t *lim = vg_cnode_get (node, "limit");
    if (lim && !s_is_null (lim)) {
        char *s = s_scalar (l, lim, "limit");
        char *end = NULL;
        long long v = s ? strtoll (s, &end, 10) : -1;
        if (!s || !*s || *end || v < 0)
            s_error (l, lim, "%s: limit: expected a whole number >= 0", what);
        else
            g.limit = v;
        free (s);
    }
    vg_label_t *gl = NULL;
    rules_tmpl_t **gt = NULL;
    size_t gn = 0;
    char sub[200];
    snprintf (sub, sizeof sub, "%s: labels", what);
    s_templates (l, vg_cnode_get (node, "labels"), sub, 1, &gl, &gt, &gn);
    g.file = vg_strdup (l->name);
    vg_cnode_t *rules = vg_cnode_get (node, "rules");
    if (rules && !s_is_null (rules) && !vg_cnode_is_seq (rules))
        s_error (l, rules, "%s: rules: expected a list of rules", what);
    else if (rules && vg_cnode_is_seq (rules)) {
        size_t n = vg_cnode_seq_len (rules);
        g.rules = vg_calloc (n ? n : 1, sizeof *g.rules);
        for (size_t i = 0; i < n; i++) {
            rules_rule_t *r = &g.rules[g.nrules];
            s_rule (l, vg_cnode_seq_at (rules, i), g.name ? g.name : "", i, r);
            s_merge_group_labels (r, gl, gt, gn);
            g.nrules++;
        }
    }
    s_free_templates (gl, gt, gn);
    if (!g.name)
        g.name = vg_strdup ("");
    set->groups = vg_realloc (set->groups, (set->ngroups + 1) * sizeof *set->groups);
    set->groups[set->ngroups++] = g;
}

static void
s_document (s_loader_t *l, rules_set_t *set)
{
    vg_cnode_t *root = vg_config_root (l->doc);
    size_t first = set->ngroups;
    if (!root || s_is_null (root))
        return; /* an empty file has no groups, as in Prometheus */
    if (!vg_cnode_is_map (root)) {
        s_error (l, root, "expected a mapping with a \"groups:\" list");
        return;
    }
    static const char *const known[] = {"groups", NULL};
    s_check_keys (l, root, known, "top level");
    vg_cnode_t *groups = vg_cnode_get (root, "groups");
    if (!groups || s_is_null (groups))
        return;
    if (!vg_cnode_is_seq (groups)) {
        s_error (l, groups, "groups: expected a list of groups");
        return;
    }
    for (size_t i = 0; i < vg_cnode_seq_len (groups); i++)
        s_group (l, vg_cnode_seq_at (groups, i), set, first, i);
}

static rules_set_t *
s_finish (rules_set_t *set, int nerrors)
{
    if (nerrors > 0)
        rules_set_destroy (&set);
    return set;
}

rules_set_t *
rules_file_parse (const char *name, const char *yaml, vg_buf_t *errors)
{
    rules_set_t *set = vg_calloc (1, sizeof *set);
    char err[1024];
    s_loader_t l = {.name = name, .errors = errors};
    l.doc = vg_config_load_string (name, yaml, err, sizeof err);
    if (!l.doc) {
        vg_buf_printf (errors, "%s\n", err);
        return s_finish (set, 1);
    }
    s_document (&l, set);
    vg_config_destroy (&l.doc);
    return s_finish (set, l.nerrors);
}

rules_set_t *
rules_file_load (char *const *paths, size_t npaths, vg_buf_t *errors)
{
    rules_set_t *set = vg_calloc (1, sizeof *set);
    int nerrors = 0;
    for (size_t i = 0; i < npaths; i++) {
        char err[1024];
        s_loader_t l = {.name = paths[i], .errors = errors};
        l.doc = vg_config_load_file (paths[i], err, sizeof err);
        if (!l.doc) {
            vg_buf_printf (errors, "%s\n", err);
            nerrors++;
            continue;
        }
        s_document (&l, set);
        vg_config_destroy (&l.doc);
        nerrors += l.nerrors;
    }
    return s_finish (set, nerrors);
}

void
rules_set_destroy (rules_set_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rules_set_t *self = *self_p;
    for (size_t i = 0; i < self->ngroups; i++) {
        rules_group_t *g = &self->groups[i];
        for (size_t k = 0; k < g->nrules; k++)
            s_rule_free (&g->rules[k]);
        free (g->rules);
        free (g->name);
        free (g->file);
    }
    free (self->groups);
    free (self);
    *self_p = NULL;
}

size_t
rules_set_count (const rules_set_t *self, size_t *alerts, size_t *records)
{
    size_t a = 0, r = 0;
    for (size_t i = 0; i < self->ngroups; i++)
        for (size_t k = 0; k < self->groups[i].nrules; k++) {
            if (self->groups[i].rules[k].is_alert)
                a++;
            else
                r++;
        }
    if (alerts)
        *alerts = a;
    if (records)
        *records = r;
    return a + r;
}

int
rules_file_expand (char *const *patterns, size_t n, const char *base_dir, char ***out, size_t *nout,
                   char *err, size_t errlen)
{
    char **paths = NULL;
    size_t np = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        char *full = patterns[i][0] == '/' || !base_dir || !*base_dir
                         ? vg_strdup (patterns[i])
                         : vg_asprintf ("%s/%s", base_dir, patterns[i]);
        glob_t gl;
        int rc = glob (full, GLOB_ERR, NULL, &gl);
        if (rc != 0 || gl.gl_pathc == 0) {
            snprintf (err, errlen, "rule_files: no file matches \"%s\"", full);
            if (rc == 0)
                globfree (&gl);
            free (full);
            rules_file_paths_free (paths, np);
            return VG_ENOTFOUND;
        }
        for (size_t k = 0; k < gl.gl_pathc; k++) {
            VG_GROW (paths, cap, np + 1);
            paths[np++] = vg_strdup (gl.gl_pathv[k]);
        }
        globfree (&gl);
        free (full);
    }
    *out = paths;
    *nout = np;
    return 0;
}

void
rules_file_paths_free (char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free (paths[i]);
    free (paths);
}
