/*  rules_db.h - alerts in PostgreSQL (vigil.alerts, vigil.alert_transitions,
 *  migration 030): transitions stored with the notify hook in one
 *  transaction, open alerts kept current, and read back at start.
 */
#ifndef RULES_DB_H
#define RULES_DB_H

#include "rules_alert.h"
#include "rules_state.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

/* Stores the transitions in order, in one transaction: each alert's row is
 * written (inserted when new: every item's alert.id is set), the transition
 * recorded, then hook (may be NULL) is called on conn before the commit. On
 * any failure, hook's included, everything is rolled back and the code
 * returned (VG_ERETRY: the database is unreachable; VG_EDB; or the hook's),
 * with the reason in err. */
int rules_db_store (PGconn *conn, rules_transitions_t *tr, rules_transition_fn *hook,
                    void *hook_arg, char *err, size_t errlen);

/* One open alert's current value, annotations and keep_firing_for start. */
typedef struct {
    int64_t id;
    double value;
    const vg_label_t *annotations;
    size_t nannotations;
    int64_t keep_since_ms;
} rules_db_refresh_t;

/* Writes them in one statement, with updated_at = now_ms. */
int rules_db_refresh (PGconn *conn, const rules_db_refresh_t *items, size_t n, int64_t now_ms,
                      char *err, size_t errlen);

/* Calls fn for every pending or firing alert, with its rule key ("group/
 * alertname"); the alert is valid during the call. */
typedef void (rules_db_open_fn) (void *arg, const char *rule_key, const rules_active_t *alert);
int rules_db_load_open (PGconn *conn, rules_db_open_fn *fn, void *arg, char *err, size_t errlen);

/* JSON object text of a label set ({"a":"x",...}). Appended. */
void rules_db_labels_json (const vg_label_t *items, size_t n, vg_buf_t *out);

#endif
