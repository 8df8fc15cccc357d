/*  notify_alert.h - the alerts as the notify stage keeps them
 *  (vigil.notify_alerts): written from each transition the rules stage
 *  reports, read back to build notifications. */
#ifndef NOTIFY_ALERT_H
#define NOTIFY_ALERT_H

#include "rules_alert.h"
#include "vg_batch.h"
#include "vg_buf.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t id;
    char fingerprint[17]; /* %016x */
    vg_label_t *labels;   /* owned, sorted by key */
    size_t nlabels;
    vg_label_t *annotations; /* owned, sorted by key */
    size_t nannotations;
    rules_alert_state_t state;
    int64_t starts_ms; /* when it started firing */
    int64_t ends_ms;   /* when it resolved; 0 while firing */
    double value;
} notify_alert_t;

typedef struct {
    notify_alert_t *items;
    size_t n, cap;
} notify_alerts_t;

/* Stores what alert says now, at now_ms. */
int notify_alert_store (PGconn *conn, const rules_alert_t *alert, int64_t now_ms, char *err,
                        size_t errlen);

/* Loads alerts into out: those of group_id (group_id > 0), those with the
 * ids given (ids != NULL), or every firing alert (neither). Sorted by id. */
int notify_alerts_load (PGconn *conn, int64_t group_id, const int64_t *ids, size_t nids,
                        notify_alerts_t *out, char *err, size_t errlen);
void notify_alerts_free (notify_alerts_t *self);
/* The alert with this id, or NULL. */
notify_alert_t *notify_alerts_find (notify_alerts_t *self, int64_t id);

/* The labels of a rules alert as a JSON object, for jsonb. */
void notify_alert_labels_json (vg_buf_t *out, const vg_label_t *labels, size_t n);

#endif
