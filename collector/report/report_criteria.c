/*  report_criteria.c - criteria.yaml through the shared option-table parser. */
#include "report_criteria.h"
#include "report_model.h"
#include "vg_alloc.h"
#include "vg_config.h"
#include "vg_error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

static const struct {
    const char *name;
    report_unit_t unit;
} s_measures[REPORT_MEASURE_COUNT] = {
    [REPORT_MEASURE_REQUESTS] = {"requests", REPORT_UNIT_COUNT},
    [REPORT_MEASURE_ERRORS] = {"errors", REPORT_UNIT_COUNT},
    [REPORT_MEASURE_ERROR_RATE] = {"error_rate", REPORT_UNIT_PERCENT},
    [REPORT_MEASURE_SUCCESS_RATE] = {"success_rate", REPORT_UNIT_PERCENT},
    [REPORT_MEASURE_AVG_RESPONSE] = {"avg_response_seconds", REPORT_UNIT_SECONDS},
    [REPORT_MEASURE_P50_RESPONSE] = {"p50_response_seconds", REPORT_UNIT_SECONDS},
    [REPORT_MEASURE_P95_RESPONSE] = {"p95_response_seconds", REPORT_UNIT_SECONDS},
    [REPORT_MEASURE_P99_RESPONSE] = {"p99_response_seconds", REPORT_UNIT_SECONDS},
    [REPORT_MEASURE_PEAK_USERS] = {"peak_concurrent_users", REPORT_UNIT_COUNT},
    [REPORT_MEASURE_MEMORY_PEAK] = {"memory_peak_bytes", REPORT_UNIT_BYTES},
    [REPORT_MEASURE_CPU_AVG] = {"cpu_avg_percent", REPORT_UNIT_CPU},
    [REPORT_MEASURE_CPU_PEAK] = {"cpu_peak_percent", REPORT_UNIT_CPU},
    [REPORT_MEASURE_ERROR_LINES] = {"error_lines", REPORT_UNIT_COUNT},
};

static const char *s_ops[] = {"<", "<=", ">", ">="};

const char *
report_criteria_measure_name (report_measure_t m)
{
    return m < REPORT_MEASURE_COUNT ? s_measures[m].name : "?";
}

int
report_criteria_measure_unit (report_measure_t m)
{
    return m < REPORT_MEASURE_COUNT ? (int)s_measures[m].unit : REPORT_UNIT_COUNT;
}

const char *
report_criteria_op_name (report_op_t op)
{
    return s_ops[op];
}

int
report_criteria_pass (report_op_t op, double a, double t)
{
    switch (op) {
    case REPORT_OP_LT:
        return a < t;
    case REPORT_OP_LE:
        return a <= t;
    case REPORT_OP_GT:
        return a > t;
    case REPORT_OP_GE:
        return a >= t;
    }
    return 0;
}

/* The raw text of one criterion, before it is understood. */
typedef struct {
    char *name, *measure, *op, *target, *on_fail;
} s_raw_t;

#define R(field) offsetof (s_raw_t, field)
static const vg_option_t s_item[] = {
    {"name", VG_OPT_STRING, "", 0, 0, R (name), 0, "shown in the table; default: the measure", NULL,
     NULL},
    {"measure", VG_OPT_STRING, NULL, 0, 0, R (measure), 1,
     "error_rate, avg_response_seconds, memory_peak_bytes, peak_concurrent_users...", NULL, NULL},
    {"op", VG_OPT_STRING, NULL, 0, 0, R (op), 1, "<, <=, > or >=", NULL, NULL},
    {"target", VG_OPT_STRING, NULL, 0, 0, R (target), 1, "5%, 5s, 900MB, 20", NULL, NULL},
    {"on_fail", VG_OPT_STRING, "rollback", 0, 0, R (on_fail), 0, "rollback or extend", NULL, NULL},
    {NULL}};
#undef R

typedef struct {
    int64_t window_ms, extend_ms, min_requests;
    vg_cnode_t *criteria;
} s_top_t;

static int
s_keep_node (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field, char *err,
             size_t errlen)
{
    (void)cfg, (void)key, (void)err, (void)errlen;
    *(vg_cnode_t **)field = node;
    return VG_OK;
}

#define T(field) offsetof (s_top_t, field)
static const vg_option_t s_top[] = {
    {"window", VG_OPT_DURATION, "24h", 60000, 90.0 * 86400000, T (window_ms), 0,
     "the window judged, from the deploy", NULL, NULL},
    {"extend", VG_OPT_DURATION, "24h", 60000, 90.0 * 86400000, T (extend_ms), 0,
     "how much longer EXTEND asks to watch", NULL, NULL},
    {"min_requests", VG_OPT_INT, "100", 0, 1e12, T (min_requests), 0,
     "fewer requests than this is too little traffic to judge", NULL, NULL},
    {"criteria", VG_OPT_CUSTOM, NULL, 0, 0, T (criteria), 0, "the list of criteria", s_keep_node,
     NULL},
    {NULL}};
#undef T

/* A target in the measure's unit: "5%" -> 0.05, "500ms" -> 0.5, "900MB" ->
 * 9e8. Returns 0 or -1. */
static int
s_target (report_unit_t unit, const char *text, double *out)
{
    char *end;
    double v = strtod (text, &end);
    if (end == text || !isfinite (v))
        return -1;
    while (*end == ' ')
        end++;
    static const struct {
        report_unit_t unit;
        const char *suffix;
        double k;
    } suffixes[] = {
        {REPORT_UNIT_PERCENT, "%", 0.01},
        {REPORT_UNIT_PERCENT, "", 1},
        {REPORT_UNIT_SECONDS, "ms", 1e-3},
        {REPORT_UNIT_SECONDS, "s", 1},
        {REPORT_UNIT_SECONDS, "m", 60},
        {REPORT_UNIT_SECONDS, "", 1},
        {REPORT_UNIT_BYTES, "kB", 1e3},
        {REPORT_UNIT_BYTES, "MB", 1e6},
        {REPORT_UNIT_BYTES, "GB", 1e9},
        {REPORT_UNIT_BYTES, "KiB", 1024},
        {REPORT_UNIT_BYTES, "MiB", 1048576.0},
        {REPORT_UNIT_BYTES, "GiB", 1073741824.0},
        {REPORT_UNIT_BYTES, "B", 1},
        {REPORT_UNIT_BYTES, "", 1},
        {REPORT_UNIT_CPU, "%", 1},
        {REPORT_UNIT_CPU, "", 1},
        {REPORT_UNIT_COUNT, "", 1},
    };
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        if (suffixes[i].unit != unit || strcasecmp (end, suffixes[i].suffix) != 0)
            continue;
        /* A bare share above 1 is a percentage written without its sign. */
        if (unit == REPORT_UNIT_PERCENT && !*end && (v < 0 || v > 1))
            return -1;
        *out = v * suffixes[i].k;
        return 0;
    }
    return -1;
}

static const char *
s_unit_example (report_unit_t unit)
{
    switch (unit) {
    case REPORT_UNIT_PERCENT:
        return "a share: 5% or 0.05";
    case REPORT_UNIT_SECONDS:
        return "a time: 5s or 500ms";
    case REPORT_UNIT_BYTES:
        return "a size: 900MB or 900MiB";
    case REPORT_UNIT_CPU:
        return "a CPU percent: 80 or 80%";
    default:
        return "a number: 20";
    }
}

static int
s_item_parse (report_criterion_t *c, vg_config_t *doc, vg_cnode_t *node, const char *key, char *err,
              size_t errlen)
{
    s_raw_t raw = {0};
    int rc = vg_config_apply (doc, node, s_item, NULL, &raw, key, err, errlen);
    char sub[64];
    if (rc)
        goto out;
    size_t m = 0;
    while (m < REPORT_MEASURE_COUNT && strcmp (s_measures[m].name, raw.measure) != 0)
        m++;
    snprintf (sub, sizeof sub, "%s.measure", key);
    if (m == REPORT_MEASURE_COUNT) {
        rc = vg_config_error (doc, vg_cnode_get (node, "measure"), sub, err, errlen,
                              "unknown measure \"%s\"; one of requests, errors, error_rate, "
                              "success_rate, avg_response_seconds, p50_response_seconds, "
                              "p95_response_seconds, p99_response_seconds, "
                              "peak_concurrent_users, memory_peak_bytes, cpu_avg_percent, "
                              "cpu_peak_percent, error_lines",
                              raw.measure);
        goto out;
    }
    c->measure = (report_measure_t)m;
    size_t op = 0;
    while (op < 4 && strcmp (s_ops[op], raw.op) != 0)
        op++;
    snprintf (sub, sizeof sub, "%s.op", key);
    if (op == 4) {
        rc = vg_config_error (doc, vg_cnode_get (node, "op"), sub, err, errlen,
                              "expected <, <=, > or >=, not \"%s\"", raw.op);
        goto out;
    }
    c->op = (report_op_t)op;
    snprintf (sub, sizeof sub, "%s.target", key);
    if (s_target (s_measures[m].unit, raw.target, &c->target) != 0) {
        rc = vg_config_error (doc, vg_cnode_get (node, "target"), sub, err, errlen,
                              "%s is %s, not \"%s\"", raw.measure,
                              s_unit_example (s_measures[m].unit), raw.target);
        goto out;
    }
    snprintf (sub, sizeof sub, "%s.on_fail", key);
    if (strcmp (raw.on_fail, "rollback") != 0 && strcmp (raw.on_fail, "extend") != 0) {
        rc = vg_config_error (doc, vg_cnode_get (node, "on_fail"), sub, err, errlen,
                              "expected rollback or extend, not \"%s\"", raw.on_fail);
        goto out;
    }
    c->rollback = strcmp (raw.on_fail, "rollback") == 0;
    c->name = vg_strdup (*raw.name ? raw.name : raw.measure);
out:
    vg_config_free_fields (s_item, &raw);
    return rc;
}

static void
s_defaults (report_criteria_t *self)
{
    static const struct {
        const char *name;
        report_measure_t m;
        report_op_t op;
        double target;
        int rollback;
    } d[] = {
        {"peak concurrent users", REPORT_MEASURE_PEAK_USERS, REPORT_OP_GE, 20, 0},
        {"error rate", REPORT_MEASURE_ERROR_RATE, REPORT_OP_LT, 0.05, 1},
        {"average response", REPORT_MEASURE_AVG_RESPONSE, REPORT_OP_LT, 5, 1},
        {"memory peak", REPORT_MEASURE_MEMORY_PEAK, REPORT_OP_LT, 900e6, 1},
    };
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        self->items[self->n++] = (report_criterion_t){vg_strdup (d[i].name), d[i].m, d[i].op,
                                                      d[i].target, d[i].rollback};
}

report_criteria_t *
report_criteria_load (const char *path, char *err, size_t errlen)
{
    report_criteria_t *self = vg_calloc (1, sizeof *self);
    s_top_t top = {0};
    vg_config_t *doc = NULL;
    vg_cnode_t *root = NULL;
    if (path) {
        doc = vg_config_load_file (path, err, errlen);
        if (!doc)
            goto fail;
        root = vg_config_root (doc);
        if (root && !vg_cnode_is_map (root)) {
            vg_config_error (doc, root, "(top level)", err, errlen,
                             "expected window:, extend:, min_requests: and criteria:");
            goto fail;
        }
    }
    if ((root ? vg_config_apply (doc, root, s_top, NULL, &top, NULL, err, errlen)
              : vg_config_defaults (s_top, &top, err, errlen)) != 0)
        goto fail;
    self->window_ms = top.window_ms;
    self->extend_ms = top.extend_ms;
    self->min_requests = top.min_requests;
    if (!top.criteria) {
        s_defaults (self);
    } else {
        size_t n = vg_cnode_is_seq (top.criteria) ? vg_cnode_seq_len (top.criteria) : 0;
        if (n == 0 || n > REPORT_CRITERIA_MAX) {
            vg_config_error (doc, top.criteria, "criteria", err, errlen,
                             "expected a list of 1 to %d criteria ({measure: ..., op: ..., "
                             "target: ...})",
                             REPORT_CRITERIA_MAX);
            goto fail;
        }
        for (size_t i = 0; i < n; i++) {
            char key[32];
            snprintf (key, sizeof key, "criteria[%zu]", i);
            vg_cnode_t *item = vg_cnode_seq_at (top.criteria, i);
            if (!vg_cnode_is_map (item)) {
                vg_config_error (doc, item, key, err, errlen,
                                 "expected {measure: ..., op: ..., target: ...}");
                goto fail;
            }
            if (s_item_parse (&self->items[self->n], doc, item, key, err, errlen) != 0)
                goto fail;
            self->n++;
        }
    }
    vg_config_destroy (&doc);
    return self;
fail:
    vg_config_destroy (&doc);
    report_criteria_destroy (&self);
    return NULL;
}

void
report_criteria_destroy (report_criteria_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    report_criteria_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        free (self->items[i].name);
    free (self);
    *self_p = NULL;
}
