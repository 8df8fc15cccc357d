/*  rules_exec.h - runs the rules of a rule set over an in-memory store, as
 *  Prometheus's rule manager runs a group (rules/group.go, recording.go,
 *  alerting.go): the one place where a rule is evaluated, for the live
 *  engine and for `vigil rules test` alike.
 *
 *  A recording rule's result is written back into the store at the
 *  evaluation time, under the rule's name and labels; a series it stops
 *  producing gets a staleness marker. An alerting rule's result is templated
 *  (labels, annotations, alertname) and drives its alerts' state machine
 *  (rules_state.h); its pending and firing alerts are written as the
 *  ALERTS{alertname, alertstate, ...} series, as Prometheus does.
 */
#ifndef RULES_EXEC_H
#define RULES_EXEC_H

#include "rules_file.h"
#include "rules_mem.h"
#include "rules_state.h"

#include <stddef.h>
#include <stdint.h>

typedef struct rules_exec_t rules_exec_t;

/* set and mem must outlive the runner; external labels and URL are what
 * templates see as $externalLabels and $externalURL (may be NULL). */
rules_exec_t *rules_exec_new (const rules_set_t *set, rules_mem_t *mem,
                              const rules_labels_t *external_labels, const char *external_url);
void rules_exec_destroy (rules_exec_t **self_p);

/* Whether series no selector reads are kept when a rule writes them (the
 * default, for tests that query recorded series; the live engine keeps only
 * what some rule reads). */
void rules_exec_keep_unwatched (rules_exec_t *self, int keep);

/* Evaluates rule r of group g at ts. Transitions are appended to out.
 * Returns 0, or VG_EINVAL with err filled (the rule's result is then
 * discarded, as Prometheus does). */
int rules_exec_rule (rules_exec_t *self, size_t g, size_t r, int64_t ts, rules_transitions_t *out,
                     char *err, size_t errlen);

/* The alerts of an alerting rule (NULL for a recording rule). */
rules_state_t *rules_exec_state (rules_exec_t *self, size_t g, size_t r);
/* The state machine's view of a rule (group name, key, expression, for). */
rules_state_rule_t rules_exec_rule_info (rules_exec_t *self, size_t g, size_t r);
/* The alerting rule an alert with these labels belongs to: its rule key
 * ("group/alertname"), then, among rules sharing it, the one whose static
 * labels the alert carries. Returns 1 with *g, *r set, or 0 for none. */
int rules_exec_find_rule (rules_exec_t *self, const char *rule_key, const rules_labels_t *labels,
                          size_t *g, size_t *r);
/* The rule's index among all rules (g, r in order), and back. */
size_t rules_exec_index (rules_exec_t *self, size_t g, size_t r);
void rules_exec_locate (rules_exec_t *self, size_t index, size_t *g, size_t *r);
size_t rules_exec_count (const rules_exec_t *self);

/* Registers every selector of every rule with the store, with the window it
 * reads and the rule's index as reader. */
void rules_exec_watch (rules_exec_t *self);

/* The last error of a rule ("" if none) and when it was evaluated. */
const char *rules_exec_last_error (rules_exec_t *self, size_t index);

#endif
