/*  in_logtail.c - the logtail input: follow log files, turn lines into
 *  metrics with rules.
 *
 *  logtail_follow.c follows the files (globs, rotation, positions kept in
 *  STATE_DIR/logtail-<instance>.state, a read budget per collect);
 *  logtail_rules.c applies the rules (regex or JSON field paths) to every
 *  line. This file is the plugin: the option tables, the rules: list parsed
 *  and compiled while the configuration loads (so --check reports a bad regex
 *  with its file and line), and the input's own metrics.
 */

#include "agent_input.h"
#include "input_util.h"
#include "logtail_follow.h"
#include "logtail_rules.h"
#include "vg_alloc.h"
#include "vg_config.h"
#include "vg_error.h"
#include "vg_log.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    /* options, filled by the core from agent.yaml */
    vg_strlist_t paths;
    int from_beginning;
    int64_t read_budget;
    int64_t max_line;
    int64_t max_files;
    logtail_rules_t *rules;

    /* state */
    char *instance;
    logtail_follow_t *follow;
    uint64_t collects;
    uint64_t state_errors;
    vg_complain_t state_complaint;
} logtail_ctx_t;

/* One entry of rules:, as written. */
typedef struct {
    char *name;
    char *type;
    char *regex;
    int json;
    char *value;
    vg_labels_t labels;
    char *match;
    vg_labels_t where;
    double value_scale;
    int64_t max_series;
} logtail_rule_conf_t;

#define S_RULE(field) offsetof (logtail_rule_conf_t, field)

static const vg_option_t s_rule_options[] = {
    {.name = "name",
     .type = VG_OPT_STRING,
     .required = 1,
     .offset = S_RULE (name),
     .help = "the metric's name (letters, digits, _ and :)"},
    {.name = "type",
     .type = VG_OPT_STRING,
     .def = "counter",
     .offset = S_RULE (type),
     .help = "counter (matching lines, or the sum of value), distribution (value, per "
             "interval) or gauge (the last value)"},
    {.name = "regex",
     .type = VG_OPT_STRING,
     .offset = S_RULE (regex),
     .help = "for plain lines: a PCRE2 pattern whose named groups (?<name>...) give labels "
             "and value"},
    {.name = "json",
     .type = VG_OPT_BOOL,
     .def = "false",
     .offset = S_RULE (json),
     .help = "for JSON lines: labels, value and where name fields by path (a.b[0].c)"},
    {.name = "value",
     .type = VG_OPT_STRING,
     .offset = S_RULE (value),
     .help = "the named group or field path holding the number (needed by distribution and "
             "gauge)"},
    {.name = "labels",
     .type = VG_OPT_LABELS,
     .def = "{}",
     .offset = S_RULE (labels),
     .help = "label name -> named group or field path"},
    {.name = "match",
     .type = VG_OPT_STRING,
     .offset = S_RULE (match),
     .help = "a PCRE2 pattern the whole line must also match"},
    {.name = "where",
     .type = VG_OPT_LABELS,
     .def = "{}",
     .offset = S_RULE (where),
     .help = "JSON rules: field path -> the text the field must equal"},
    {.name = "value_scale",
     .type = VG_OPT_DOUBLE,
     .def = "1",
     .offset = S_RULE (value_scale),
     .help = "the value is multiplied by it (0.001: milliseconds to seconds)"},
    {.name = "max_series",
     .type = VG_OPT_INT,
     .def = "1000",
     .min = 1,
     .max = 1000000,
     .offset = S_RULE (max_series),
     .help = "label sets kept; lines with more go to one series labelled _other, counted"},
    {.name = NULL},
};

/* The node of a sub-key ("labels.status") inside a rule, for the line of an
 * error; the rule itself when there is none. */
static vg_cnode_t *
s_rule_node (vg_cnode_t *rule, const char *subkey)
{
    char first[64];
    size_t n = strcspn (subkey, ".");
    if (n >= sizeof first)
        return rule;
    memcpy (first, subkey, n);
    first[n] = '\0';
    vg_cnode_t *node = vg_cnode_get (rule, first);
    if (!node)
        return rule;
    if (subkey[n] == '.' && vg_cnode_is_map (node)) {
        vg_cnode_t *inner = vg_cnode_get (node, subkey + n + 1);
        if (inner)
            return inner;
    }
    return node;
}

static int
s_add_rule (vg_config_t *cfg, vg_cnode_t *item, const char *ikey, logtail_rules_t *rules,
            logtail_rule_conf_t *rc, char *err, size_t errlen)
{
    logtail_rule_spec_t spec = {
        .name = rc->name,
        .regex = rc->regex,
        .json = rc->json,
        .value = rc->value,
        .labels = rc->labels.items,
        .nlabels = rc->labels.n,
        .match = rc->match,
        .where = rc->where.items,
        .nwhere = rc->where.n,
        .value_scale = rc->value_scale,
        .max_series = (size_t)rc->max_series,
    };
    char key[512]; /* ikey and a subkey */
    if (strcmp (rc->type, "counter") == 0)
        spec.type = LOGTAIL_RULE_COUNTER;
    else if (strcmp (rc->type, "distribution") == 0)
        spec.type = LOGTAIL_RULE_DISTRIBUTION;
    else if (strcmp (rc->type, "gauge") == 0)
        spec.type = LOGTAIL_RULE_GAUGE;
    else {
        snprintf (key, sizeof key, "%s.type", ikey);
        return vg_config_error (cfg, s_rule_node (item, "type"), key, err, errlen,
                                "expected counter, distribution or gauge, got \"%s\"", rc->type);
    }
    if (spec.value_scale == 0) {
        snprintf (key, sizeof key, "%s.value_scale", ikey);
        return vg_config_error (cfg, s_rule_node (item, "value_scale"), key, err, errlen,
                                "must not be 0");
    }
    char why[512];
    if (logtail_rules_add (rules, &spec, why, sizeof why) == VG_OK)
        return VG_OK;
    /* The engine says "subkey: reason"; point at the subkey's line. */
    const char *colon = strstr (why, ": ");
    if (!colon)
        return vg_config_error (cfg, item, ikey, err, errlen, "%s", why);
    char subkey[128];
    size_t n = (size_t)(colon - why) < sizeof subkey ? (size_t)(colon - why) : sizeof subkey - 1;
    memcpy (subkey, why, n);
    subkey[n] = '\0';
    snprintf (key, sizeof key, "%s.%s", ikey, subkey);
    return vg_config_error (cfg, s_rule_node (item, subkey), key, err, errlen, "%s", colon + 2);
}

static void
s_free_rules (void *field)
{
    logtail_rules_destroy ((logtail_rules_t **)field);
}

static int
s_parse_rules (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field, char *err,
               size_t errlen)
{
    if (!vg_cnode_is_seq (node) || vg_cnode_seq_len (node) == 0)
        return vg_config_error (cfg, node, key, err, errlen,
                                "expected a list of rules (- name: ..., regex: ... or json: true)");
    logtail_rules_t *rules = logtail_rules_new ();
    int rc = VG_OK;
    for (size_t i = 0; rc == VG_OK && i < vg_cnode_seq_len (node); i++) {
        vg_cnode_t *item = vg_cnode_seq_at (node, i);
        char ikey[256];
        snprintf (ikey, sizeof ikey, "%s[%zu]", key, i);
        logtail_rule_conf_t conf;
        memset (&conf, 0, sizeof conf);
        rc = vg_config_apply (cfg, item, s_rule_options, NULL, &conf, ikey, err, errlen);
        if (rc == VG_OK)
            rc = s_add_rule (cfg, item, ikey, rules, &conf, err, errlen);
        vg_config_free_fields (s_rule_options, &conf);
    }
    if (rc != VG_OK) {
        logtail_rules_destroy (&rules);
        return rc;
    }
    *(logtail_rules_t **)field = rules;
    return VG_OK;
}

#define S_OPT(field) offsetof (logtail_ctx_t, field)

static const vg_option_t s_options[] = {
    {.name = "paths",
     .type = VG_OPT_STRING_LIST,
     .required = 1,
     .offset = S_OPT (paths),
     .help = "absolute paths or globs (*, ?, [a-z], {a,b}) of the files to follow, re-expanded "
             "every collect"},
    {.name = "from_beginning",
     .type = VG_OPT_BOOL,
     .def = "false",
     .offset = S_OPT (from_beginning),
     .help = "read files present at the first start from their beginning, not their end"},
    {.name = "read_budget",
     .type = VG_OPT_SIZE,
     .def = "8MiB",
     .min = 64 * 1024,
     .max = 1024.0 * 1024 * 1024,
     .offset = S_OPT (read_budget),
     .help = "bytes read per collect at most (the rest is read at the next); at least twice "
             "max_line"},
    {.name = "max_line",
     .type = VG_OPT_SIZE,
     .def = "16KiB",
     .min = 256,
     .max = 1024 * 1024,
     .offset = S_OPT (max_line),
     .help = "longer lines are cut to this length and counted"},
    {.name = "max_files",
     .type = VG_OPT_INT,
     .def = "100",
     .min = 1,
     .max = 10000,
     .offset = S_OPT (max_files),
     .help = "files followed at once (each holds a descriptor); more matches are dropped and "
             "counted"},
    {.name = "rules",
     .type = VG_OPT_CUSTOM,
     .required = 1,
     .offset = S_OPT (rules),
     .help = "list of rules; each: name, type, regex or json: true, value, labels, match, "
             "where, value_scale, max_series (docs/inputs/logtail.md)",
     .parse = s_parse_rules,
     .free = s_free_rules},
    {.name = NULL},
};

/* ---- the plugin ------------------------------------------------------- */

/* Counter totals from state text (the state file, or what the spool kept). */
static void
s_load_counters (logtail_ctx_t *self, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr (p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        logtail_rules_load_counter (self->rules, p, n);
        p += n + 1;
    }
}

static void
s_load_state_counters (logtail_ctx_t *self, const char *path)
{
    char *text = NULL;
    size_t cap = 0;
    ssize_t n = input_util_read_file_all (path, &text, &cap);
    if (n > 0)
        s_load_counters (self, text, (size_t)n);
    free (text);
}

static int
s_init (void *ctx, const agent_input_env_t *env, char *err, size_t errlen)
{
    logtail_ctx_t *self = ctx;
    if (input_util_check_paths (&self->paths, "path or glob", err, errlen) != VG_OK)
        return VG_EINVAL;
    if (!self->rules || logtail_rules_count (self->rules) == 0) {
        snprintf (err, errlen, "rules: give at least one rule");
        return VG_EINVAL;
    }
    if (self->read_budget < 2 * self->max_line) {
        snprintf (err, errlen, "read_budget (%lld bytes) must be at least twice max_line (%lld)",
                  (long long)self->read_budget, (long long)self->max_line);
        return VG_EINVAL;
    }
    self->instance = vg_strdup (env && env->instance ? env->instance : "logtail");
    char *state_path = NULL;
    if (env && env->state_dir && *env->state_dir)
        state_path = vg_asprintf ("%s/logtail-%s.state", env->state_dir, self->instance);
    char *name = vg_asprintf ("logtail[%s]", self->instance);
    logtail_follow_opts_t opts = {
        .name = name,
        .patterns = (const char *const *)self->paths.items,
        .npatterns = self->paths.n,
        .from_beginning = self->from_beginning,
        .max_line = (size_t)self->max_line,
        .read_budget = (size_t)self->read_budget,
        .max_files = (size_t)self->max_files,
        .state_path = state_path,
    };
    self->follow = logtail_follow_new (&opts);
    /* Counters go on from the totals saved with the positions. */
    if (state_path)
        s_load_state_counters (self, state_path);
    free (name);
    free (state_path);
    return VG_OK;
}

static void
s_on_line (void *arg, const char *line, size_t len)
{
    logtail_rules_line (arg, line, len);
}

static void
s_counter (agent_sink_t *sink, const char *name, vg_label_t *labels, size_t n, uint64_t value)
{
    agent_sink_counter (sink, name, labels, n, (double)value);
}

/* The input's own metrics, labelled input=<instance> so that two logtail
 * instances never share a series. */
static void
s_emit_own (logtail_ctx_t *self, agent_sink_t *sink)
{
    logtail_follow_stats_t fs;
    logtail_follow_stats (self->follow, &fs);
    vg_label_t l[3] = {{"input", self->instance}, {NULL, NULL}, {NULL, NULL}};
    agent_sink_gauge (sink, "logtail_files", l, 1, (double)fs.files);
    agent_sink_gauge (sink, "logtail_backlog_bytes", l, 1, (double)fs.backlog);
    s_counter (sink, "logtail_lines_total", l, 1, fs.lines);
    s_counter (sink, "logtail_bytes_total", l, 1, fs.bytes);
    s_counter (sink, "logtail_lines_truncated_total", l, 1, fs.truncated_lines);
    s_counter (sink, "logtail_read_budget_exhausted_total", l, 1, fs.budget_exhausted);
    s_counter (sink, "logtail_json_invalid_total", l, 1, logtail_rules_json_invalid (self->rules));
    l[1].key = "kind";
    l[1].value = "rename";
    s_counter (sink, "logtail_rotations_total", l, 2, fs.rotations);
    l[1].value = "truncate";
    s_counter (sink, "logtail_rotations_total", l, 2, fs.truncations);
    l[1].key = "reason";
    l[1].value = "max_files";
    s_counter (sink, "logtail_dropped_total", l, 2, fs.dropped_files);
    l[1].value = "open";
    s_counter (sink, "logtail_errors_total", l, 2, fs.open_errors);
    l[1].value = "read";
    s_counter (sink, "logtail_errors_total", l, 2, fs.read_errors);
    l[1].value = "state";
    s_counter (sink, "logtail_errors_total", l, 2, self->state_errors);

    for (size_t i = 0; i < logtail_rules_count (self->rules); i++) {
        logtail_rule_stats_t rs;
        logtail_rules_stats (self->rules, i, &rs);
        l[1].key = "rule";
        l[1].value = rs.name;
        s_counter (sink, "logtail_rule_matched_total", l, 2, rs.matched);
        s_counter (sink, "logtail_series_dropped_total", l, 2, rs.series_folded);
        agent_sink_gauge (sink, "logtail_series", l, 2, (double)rs.series);
        l[2].key = "reason";
        l[2].value = "no_value";
        s_counter (sink, "logtail_rule_skipped_total", l, 3, rs.no_value);
        l[2].value = "regex_limit";
        s_counter (sink, "logtail_rule_skipped_total", l, 3, rs.regex_limit);
    }
}

static int
s_collect (void *ctx, agent_sink_t *sink, int64_t now_ms, char *err, size_t errlen)
{
    (void)now_ms;
    (void)err;
    (void)errlen;
    logtail_ctx_t *self = ctx;
    /* The first collect opens the files and takes their positions; reading
     * starts at the second. Nothing is lost by the wait, and what a start
     * finds to read (from_beginning, saved positions) comes out as a whole
     * interval's worth, which is also what --once prints. */
    if (self->collects++ == 0)
        logtail_follow_scan (self->follow);
    else
        logtail_follow_poll (self->follow, s_on_line, self->rules);
    logtail_rules_emit (self->rules, sink);
    s_emit_own (self, sink);
    return VG_OK;
}

/* The positions go with the batch sealed now, and are saved once it is safe
 * (see logtail_follow.h): never before the lines they pass are. */
static int
s_checkpoint (void *ctx, uint64_t seq, vg_buf_t *out)
{
    logtail_ctx_t *self = ctx;
    vg_buf_t counters = {0};
    logtail_rules_save_counters (self->rules, &counters);
    const vg_buf_t *text = logtail_follow_checkpoint (self->follow, seq, &counters);
    vg_buf_free (&counters);
    if (!text)
        return 0;
    vg_buf_append (out, text->data, text->len);
    return 1;
}

static void
s_restore (void *ctx, const uint8_t *text, size_t len, uint64_t seq)
{
    logtail_ctx_t *self = ctx;
    if (!logtail_follow_restore (self->follow, (const char *)text, len, seq))
        return;
    /* The counters' totals go with the positions they were counted to. */
    logtail_rules_reset_counters (self->rules);
    s_load_counters (self, (const char *)text, len);
    vg_info ("logtail[%s]: positions taken from the spool (batch seq %llu), newer than the "
             "state file",
             self->instance, (unsigned long long)seq);
}

static void
s_commit (void *ctx, uint64_t seq)
{
    logtail_ctx_t *self = ctx;
    /* A state directory that cannot be written costs positions at the next
     * restart (lines read again), not this collect: counted and logged. */
    char why[512];
    if (logtail_follow_commit (self->follow, seq, why, sizeof why) != VG_OK) {
        self->state_errors++;
        vg_complain (&self->state_complaint, 600000, VG_LOG_WARN, "%s", why);
    } else
        vg_complain_clear (&self->state_complaint, "logtail[%s]: positions saved again",
                           self->instance);
}

static void
s_fini (void *ctx)
{
    logtail_ctx_t *self = ctx;
    if (self->follow) {
        char why[512];
        if (logtail_follow_commit_all (self->follow, why, sizeof why) != VG_OK)
            vg_warn ("%s", why);
    }
    logtail_follow_destroy (&self->follow);
    free (self->instance);
    self->instance = NULL;
}

const agent_input_plugin_t in_logtail_plugin = {
    .name = "logtail",
    .description = "follows log files across rotation; regex and JSON rules turn lines into "
                   "counters, distributions and gauges",
    .options = s_options,
    .ctx_size = sizeof (logtail_ctx_t),
    .init = s_init,
    .collect = s_collect,
    .fini = s_fini,
    .checkpoint = s_checkpoint,
    .restore = s_restore,
    .commit = s_commit,
};
