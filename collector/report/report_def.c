/*  report_def.c - report.yaml through the shared option-table parser. */
#include "report_def.h"
#include "vg_alloc.h"
#include "vg_config.h"
#include "vg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F(field) offsetof (report_def_t, field)

static const vg_option_t s_requests[] = {
    {"metric", VG_OPT_STRING, "api_requests_total", 0, 0, F (requests.metric), 0,
     "counter of requests", NULL, NULL},
    {"status_label", VG_OPT_STRING, "status_code", 0, 0, F (requests.status_label), 0,
     "its label holding the HTTP status", NULL, NULL},
    {"errors", VG_OPT_STRING, "5..", 0, 0, F (requests.errors), 0,
     "a regular expression: the statuses that are errors", NULL, NULL},
    {0}};
static const vg_option_t s_latency[] = {
    {"metric", VG_OPT_STRING, "api_request_duration_seconds", 0, 0, F (latency.metric), 0,
     "distribution of response times", NULL, NULL},
    {"unit", VG_OPT_STRING, "s", 0, 0, F (latency.unit), 0, "what it is in: s or ms", NULL, NULL},
    {0}};
static const vg_option_t s_errors[] = {
    {"metric", VG_OPT_STRING, "api_error_lines_total", 0, 0, F (errors.metric), 0,
     "counter of error log lines", NULL, NULL},
    {"label", VG_OPT_STRING, "error_type", 0, 0, F (errors.label), 0, "its label naming the error",
     NULL, NULL},
    {"top", VG_OPT_INT, "5", 1, 50, F (errors.top), 0, "how many errors to list", NULL, NULL},
    {0}};
static const vg_option_t s_memory[] = {{"metric", VG_OPT_STRING, "process_rss_bytes", 0, 0,
                                        F (memory.metric), 0, "gauge of memory, bytes", NULL, NULL},
                                       {0}};
static const vg_option_t s_cpu[] = {{"metric", VG_OPT_STRING, "process_cpu_percent", 0, 0,
                                     F (cpu.metric), 0, "gauge of CPU, percent", NULL, NULL},
                                    {0}};
static const vg_option_t s_users[] = {{"metric", VG_OPT_STRING, "app_concurrent_users", 0, 0,
                                       F (users.metric), 0, "gauge of users connected", NULL, NULL},
                                      {0}};
static const vg_option_t s_tokens[] = {{"metric", VG_OPT_STRING, "llm_tokens", 0, 0,
                                        F (tokens.metric), 0, "counter of tokens", NULL, NULL},
                                       {"label", VG_OPT_STRING, "kind", 0, 0, F (tokens.label), 0,
                                        "its label for the kind of token", NULL, NULL},
                                       {0}};
static const vg_option_t s_cost[] = {
    {"metric", VG_OPT_STRING, "llm_cost_usd", 0, 0, F (cost.metric), 0, "counter of cost", NULL,
     NULL},
    {"unit", VG_OPT_STRING, "USD", 0, 0, F (cost.unit), 0, "its currency", NULL, NULL},
    {0}};
static const vg_option_t s_trend[] = {
    {"metric", VG_OPT_STRING, "api_request_duration_seconds", 0, 0, F (trend.metric), 0,
     "distribution whose quantile is followed week over week", NULL, NULL},
    {"quantile", VG_OPT_DOUBLE, "0.95", 0, 1, F (trend.quantile), 0, "which quantile", NULL, NULL},
    {"weeks", VG_OPT_INT, "4", 2, 12, F (trend.weeks), 0,
     "weeks shown, the last ending with the "
     "report",
     NULL, NULL},
    {"warn_rising_weeks", VG_OPT_INT, "3", 1, 11, F (trend.warn_rising_weeks), 0,
     "warn when it rose this many weeks in a row", NULL, NULL},
    {"warn_jump", VG_OPT_DOUBLE, "0.2", 0, 100, F (trend.warn_jump), 0,
     "or when it rose more than this share in one week", NULL, NULL},
    {0}};

#undef F
#define B(field) offsetof (report_breakdown_t, field)
static const vg_option_t s_breakdown[] = {
    {"label", VG_OPT_STRING, NULL, 0, 0, B (label), 1, "the label whose values make the rows", NULL,
     NULL},
    {"requests", VG_OPT_STRING, "", 0, 0, B (requests), 0, "counter: requests and errors per value",
     NULL, NULL},
    {"latency", VG_OPT_STRING, "", 0, 0, B (latency), 0, "distribution: response time per value",
     NULL, NULL},
    {"tokens", VG_OPT_STRING, "", 0, 0, B (tokens), 0, "counter: tokens per value", NULL, NULL},
    {"cost", VG_OPT_STRING, "", 0, 0, B (cost), 0, "counter: cost per value", NULL, NULL},
    {0}};
#undef B

static const struct {
    const char *name;
    const vg_option_t *opts;
} s_sections[] = {
    {"requests", s_requests}, {"latency", s_latency}, {"errors", s_errors},
    {"memory", s_memory},     {"cpu", s_cpu},         {"users", s_users},
    {"tokens", s_tokens},     {"cost", s_cost},       {"trend", s_trend},
};
#define S_NSECTIONS (sizeof s_sections / sizeof s_sections[0])

static const report_breakdown_t s_default_breakdowns[] = {
    {"endpoint", "api_requests_total", "api_request_duration_seconds", "", ""},
    {"persona", "", "api_chat_duration_seconds", "", ""},
    {"model", "", "", "llm_tokens", "llm_cost_usd"},
};

static int
s_keep_node (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field, char *err,
             size_t errlen)
{
    (void)cfg, (void)key, (void)err, (void)errlen;
    *(vg_cnode_t **)field = node;
    return VG_OK;
}

/* The top level: one node per section, kept for its own table. */
typedef struct {
    vg_cnode_t *nodes[S_NSECTIONS + 1]; /* + breakdowns */
} s_top_t;

#define S_TOP(i, key)                                                                              \
    {                                                                                              \
        .name = key, .type = VG_OPT_CUSTOM,                                                        \
        .offset = offsetof (s_top_t, nodes) + (i) * sizeof (vg_cnode_t *),                         \
        .help = "a section of the report", .parse = s_keep_node                                    \
    }
/* In the order of s_sections, then breakdowns. */
static const vg_option_t s_top[] = {
    S_TOP (0, "requests"), S_TOP (1, "latency"),    S_TOP (2, "errors"), S_TOP (3, "memory"),
    S_TOP (4, "cpu"),      S_TOP (5, "users"),      S_TOP (6, "tokens"), S_TOP (7, "cost"),
    S_TOP (8, "trend"),    S_TOP (9, "breakdowns"), {.name = NULL},
};
#undef S_TOP

static void
s_free_breakdowns (report_def_t *self)
{
    for (size_t i = 0; i < self->nbreakdowns; i++)
        vg_config_free_fields (s_breakdown, &self->breakdowns[i]);
    self->nbreakdowns = 0;
}

static int
s_breakdowns (report_def_t *self, vg_config_t *doc, vg_cnode_t *node, char *err, size_t errlen)
{
    if (!vg_cnode_is_seq (node))
        return vg_config_error (doc, node, "breakdowns", err, errlen,
                                "expected a list of {label: ..., requests: ..., latency: ...}");
    size_t n = vg_cnode_seq_len (node);
    if (n > REPORT_DEF_MAX_BREAKDOWNS)
        return vg_config_error (doc, node, "breakdowns", err, errlen,
                                "at most %d breakdowns, not %zu", REPORT_DEF_MAX_BREAKDOWNS, n);
    for (size_t i = 0; i < n; i++) {
        char key[32];
        snprintf (key, sizeof key, "breakdowns[%zu]", i);
        vg_cnode_t *item = vg_cnode_seq_at (node, i);
        if (!vg_cnode_is_map (item))
            return vg_config_error (doc, item, key, err, errlen,
                                    "expected {label: ..., requests: ..., latency: ...}");
        self->nbreakdowns = i + 1;
        int rc =
            vg_config_apply (doc, item, s_breakdown, NULL, &self->breakdowns[i], key, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

static int
s_validate (report_def_t *self, vg_config_t *doc, s_top_t *top, char *err, size_t errlen)
{
    if (strcmp (self->latency.unit, "s") != 0 && strcmp (self->latency.unit, "ms") != 0) {
        vg_cnode_t *lat = top->nodes[1];
        return vg_config_error (doc, lat ? vg_cnode_get (lat, "unit") : NULL, "latency.unit", err,
                                errlen, "expected s or ms, not \"%s\"", self->latency.unit);
    }
    if (self->trend.warn_rising_weeks >= self->trend.weeks)
        return vg_config_error (doc, top->nodes[8], "trend.warn_rising_weeks", err, errlen,
                                "must be less than weeks (%lld)", (long long)self->trend.weeks);
    return 0;
}

report_def_t *
report_def_load (const char *path, char *err, size_t errlen)
{
    report_def_t *self = vg_calloc (1, sizeof *self);
    vg_config_t *doc = NULL;
    s_top_t top = {0};
    int rc = 0;
    if (path) {
        doc = vg_config_load_file (path, err, errlen);
        if (!doc)
            goto fail;
        vg_cnode_t *root = vg_config_root (doc);
        if (root && !vg_cnode_is_map (root)) {
            vg_config_error (doc, root, "(top level)", err, errlen,
                             "expected a mapping of sections (requests:, latency:, ...)");
            goto fail;
        }
        if (root && vg_config_apply (doc, root, s_top, NULL, &top, NULL, err, errlen))
            goto fail;
    }
    for (size_t i = 0; i < S_NSECTIONS && rc == 0; i++) {
        if (top.nodes[i])
            rc = vg_config_apply (doc, top.nodes[i], s_sections[i].opts, NULL, self,
                                  s_sections[i].name, err, errlen);
        else
            rc = vg_config_defaults (s_sections[i].opts, self, err, errlen);
    }
    if (rc)
        goto fail;
    if (top.nodes[S_NSECTIONS]) {
        if (s_breakdowns (self, doc, top.nodes[S_NSECTIONS], err, errlen))
            goto fail;
    } else {
        for (size_t i = 0; i < sizeof s_default_breakdowns / sizeof *s_default_breakdowns; i++) {
            const report_breakdown_t *d = &s_default_breakdowns[i];
            report_breakdown_t *b = &self->breakdowns[self->nbreakdowns++];
            b->label = vg_strdup (d->label);
            b->requests = vg_strdup (d->requests);
            b->latency = vg_strdup (d->latency);
            b->tokens = vg_strdup (d->tokens);
            b->cost = vg_strdup (d->cost);
        }
    }
    if (s_validate (self, doc, &top, err, errlen))
        goto fail;
    vg_config_destroy (&doc);
    return self;
fail:
    vg_config_destroy (&doc);
    report_def_destroy (&self);
    return NULL;
}

void
report_def_destroy (report_def_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    report_def_t *self = *self_p;
    for (size_t i = 0; i < S_NSECTIONS; i++)
        vg_config_free_fields (s_sections[i].opts, self);
    s_free_breakdowns (self);
    free (self);
    *self_p = NULL;
}
