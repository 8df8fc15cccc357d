/*  rules_state.h - the alerts of one alerting rule and their state machine,
 *  after Prometheus's AlertingRule.Eval (rules/alerting.go).
 *
 *  Each evaluation gives the rule's results (label set, annotations, value):
 *
 *    - a label set not active before becomes a pending alert, active from
 *      now; one already pending or firing keeps its start, its value and
 *      annotations are updated;
 *    - a pending alert fires once it has been active for the rule's 'for';
 *    - an alert whose label set is gone: a pending one is dropped
 *      (inactive); a firing one resolves, unless keep_firing_for holds it,
 *      counted from the first evaluation without it;
 *    - resolved alerts are kept 15 minutes, then forgotten; a label set that
 *      comes back after resolving is a new alert.
 *
 *  Every change of state is returned as a transition record that owns a copy
 *  of the alert as it was then, to be stored (and handed to notify) even if
 *  the alert changes again before that. Time is a parameter throughout.
 */
#ifndef RULES_STATE_H
#define RULES_STATE_H

#include "rules_alert.h"
#include "rules_labels.h"

#include <stddef.h>
#include <stdint.h>

#define RULES_RESOLVED_RETENTION_MS (15 * 60 * 1000)

typedef struct {
    int64_t id; /* vigil.alerts.alert_id once stored; 0 before */
    uint64_t fingerprint;
    rules_labels_t *labels;  /* owned; alertname included */
    vg_label_t *annotations; /* owned strings, sorted by key */
    size_t nannotations;
    rules_alert_state_t state;
    double value;
    int64_t active_ms;
    int64_t fired_ms;
    int64_t resolved_ms;
    int64_t keep_since_ms; /* firing, condition gone since: keep_firing_for counts from here */
} rules_active_t;

typedef struct {
    rules_active_t *items;
    size_t n, cap;
} rules_state_t;

/* One result of the rule's expression, templated: labels without __name__,
 * with the rule's labels and alertname; annotations sorted by key. */
typedef struct {
    const rules_labels_t *labels;
    const vg_label_t *annotations;
    size_t nannotations;
    double value;
} rules_state_input_t;

typedef struct {
    rules_alert_t alert; /* what notify sees; points at the copies below */
    rules_alert_state_t from;
    int64_t at_ms;
    char *rule_key; /* "group/alertname" */
    int64_t keep_since_ms;
    rules_labels_t *labels; /* owned copies */
    vg_label_t *annotations;
    size_t nannotations;
    char *group;
    char *expr;
} rules_transition_t;

typedef struct {
    rules_transition_t *items;
    size_t n, cap;
} rules_transitions_t;

typedef struct {
    const char *group;
    const char *rule_key;
    const char *expr;
    int64_t for_ms;
    int64_t keep_firing_for_ms;
} rules_state_rule_t;

/* Applies one evaluation at ts. Transitions are appended to out. Returns the
 * number of pending and firing alerts afterwards. */
size_t rules_state_update (rules_state_t *self, const rules_state_rule_t *rule,
                           const rules_state_input_t *in, size_t n, int64_t ts,
                           rules_transitions_t *out);
/* Drops every alert (a rule over its limit, as Prometheus does), undoing
 * the evaluation whose transitions start at out->items[since]: those are
 * taken back; alerts that were pending before it become inactive and those
 * that were firing resolve, with transitions appended. */
void rules_state_clear (rules_state_t *self, const rules_state_rule_t *rule, int64_t ts,
                        rules_transitions_t *out, size_t since);
/* Puts back an alert read from the database (labels and annotations are
 * copied). */
void rules_state_restore (rules_state_t *self, const rules_active_t *alert);
/* The alert with these labels, or NULL. */
rules_active_t *rules_state_find (rules_state_t *self, uint64_t fingerprint,
                                  const rules_labels_t *labels);
void rules_state_free (rules_state_t *self);

void rules_transitions_clear (rules_transitions_t *self);
void rules_transitions_free (rules_transitions_t *self);
/* Moves the first n records out (freed); the rest move to the front. */
void rules_transitions_drop (rules_transitions_t *self, size_t n);

/* A state's name as stored: "inactive", "pending", "firing", "resolved". */
const char *rules_state_name (rules_alert_state_t state);
int rules_state_parse (const char *name, rules_alert_state_t *state);

#endif
