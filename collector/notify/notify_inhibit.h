/*  notify_inhibit.h - inhibition as Alertmanager does it: a firing alert that
 *  matches an inhibit rule's source_matchers mutes the alerts that match its
 *  target_matchers and carry the same values for every label in equal (a
 *  missing label and an empty one are the same). An alert that matches both
 *  sides is not muted by alerts that also match both sides, itself included.
 */
#ifndef NOTIFY_INHIBIT_H
#define NOTIFY_INHIBIT_H

#include "notify_config.h"
#include "vg_batch.h"

#include <stddef.h>

/* A label set, as the firing alerts are handed in. */
typedef struct {
    const vg_label_t *labels;
    size_t n;
} notify_lset_t;

/* The index of the first rule that mutes the alert (labels) given the
 * firing alerts, or -1 when none does. */
int notify_inhibit_muted (const notify_config_t *cfg, const vg_label_t *labels, size_t n,
                          const notify_lset_t *firing, size_t nfiring);

#endif
