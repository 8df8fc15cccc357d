/*  rules_file.h - rule files in Prometheus's format, loaded with libfyaml.
 *
 *      groups:
 *        - name: api                 # unique in its file
 *          interval: 30s             # default: the engine's (1m)
 *          limit: 0                  # alerts (or series) per rule; 0: no limit
 *          labels: {team: web}       # added to every rule's result
 *          rules:
 *            - alert: HighLatency    # or record: job:latency:p95
 *              expr: ...             # PromQL, the subset in docs/rules.md
 *              for: 5m
 *              keep_firing_for: 10m
 *              labels: {severity: critical}
 *              annotations: {summary: "P95 {{ humanizeDuration $value }}"}
 *
 *  Every error is reported, each as "file:line:column: what", the column
 *  pointing inside an expression or template where the problem is.
 */
#ifndef RULES_FILE_H
#define RULES_FILE_H

#include "rules_ast.h"
#include "rules_tmpl.h"
#include "vg_batch.h"
#include "vg_buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *name; /* the alert's name, or the recorded metric's */
    int is_alert;
    char *expr_text;
    rules_node_t *expr;
    int64_t for_ms;
    int64_t keep_firing_for_ms;
    /* sorted by key; the group's labels merged in (the rule's win) */
    vg_label_t *labels;
    rules_tmpl_t **label_tmpls;
    size_t nlabels;
    vg_label_t *annotations; /* sorted by key */
    rules_tmpl_t **annotation_tmpls;
    size_t nannotations;
    int line; /* where the rule starts in its file */
} rules_rule_t;

typedef struct {
    char *name;
    char *file;
    int64_t interval_ms; /* 0: the default */
    int64_t limit;
    rules_rule_t *rules;
    size_t nrules;
} rules_group_t;

typedef struct {
    rules_group_t *groups;
    size_t ngroups;
} rules_set_t;

/* Loads the files in order. Every error goes to errors as one line
 * "file:line:column: what\n"; if there is any, returns NULL. */
rules_set_t *rules_file_load (char *const *paths, size_t npaths, vg_buf_t *errors);
/* The same for one document in memory; name stands for its file. */
rules_set_t *rules_file_parse (const char *name, const char *yaml, vg_buf_t *errors);
void rules_set_destroy (rules_set_t **self_p);

/* Expands rule file patterns (globs; a relative one is taken from base_dir,
 * which may be NULL) into paths, in order, each pattern's matches sorted. A
 * pattern that matches nothing is an error. On success returns 0 and *out
 * (caller frees each and the array) holds *nout paths. */
int rules_file_expand (char *const *patterns, size_t n, const char *base_dir, char ***out,
                       size_t *nout, char *err, size_t errlen);
void rules_file_paths_free (char **paths, size_t n);

/* Counts. */
size_t rules_set_count (const rules_set_t *self, size_t *alerts, size_t *records);

/* Prometheus's model duration: "1h30m", units y w d h m s ms, or "0". */
int rules_file_duration (const char *text, int64_t *ms);

#endif
