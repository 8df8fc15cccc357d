/*  rules_alert.h - what the rules stage tells the notify stage: an alert and
 *  each change of its state.
 *
 *  An alert is one rule's result for one label set. Its identity is that
 *  label set (alertname included); its fingerprint is Alertmanager's (FNV-1a
 *  64 over the labels sorted by name, each name and value followed by 0xff),
 *  so webhook payloads built from it are exact.
 *
 *  The rules stage stores every transition in vigil.alerts and
 *  vigil.alert_transitions and calls the transition hook inside that same
 *  transaction, before its commit: what the hook writes on conn (the
 *  notifications it schedules) commits or rolls back together with the
 *  transition. That is what makes the outbox lose nothing and send nothing
 *  twice across a restart.
 */
#ifndef RULES_ALERT_H
#define RULES_ALERT_H

#include "vg_batch.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    RULES_ALERT_INACTIVE = 0, /* never active, or dropped while pending */
    RULES_ALERT_PENDING = 1,  /* condition true, 'for' not yet elapsed */
    RULES_ALERT_FIRING = 2,
    RULES_ALERT_RESOLVED = 3, /* was firing; condition gone (and keep_firing_for over) */
} rules_alert_state_t;

typedef struct {
    int64_t id;           /* vigil.alerts.alert_id: stable while the alert lives */
    uint64_t fingerprint; /* Alertmanager's, over labels */
    const char *group;    /* the rule group's name */
    const char *expr;     /* the rule's expression, for generatorURL */

    /* Sorted by key; alertname and the templated rule labels included. The
     * severity is an ordinary label ("critical", "warning", "info"). */
    const vg_label_t *labels;
    size_t nlabels;
    const vg_label_t *annotations; /* templated; sorted by key */
    size_t nannotations;

    rules_alert_state_t state;
    double value;        /* the expression's value at the last evaluation */
    int64_t active_ms;   /* when it became pending */
    int64_t fired_ms;    /* when it started firing (Alertmanager's startsAt); 0 if never */
    int64_t resolved_ms; /* when it resolved (endsAt); 0 unless resolved */
} rules_alert_t;

/* Called once per transition (from != alert->state), at now_ms, on conn,
 * inside the transaction that stores it. Returns 0, or a negative VG_E* code
 * with err filled: the transaction is then rolled back and the transition
 * tried again at the next evaluation. */
typedef int (rules_transition_fn) (PGconn *conn, const rules_alert_t *alert,
                                   rules_alert_state_t from, int64_t now_ms, void *arg, char *err,
                                   size_t errlen);

#endif
