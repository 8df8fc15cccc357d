/*  rules_db.c - alert rows and transitions, with parameters only. */
#include "rules_db.h"
#include "coll_pg.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Times travel as milliseconds since the epoch, exactly. */
#define S_MS(col) "(extract (epoch FROM " col ") * 1000)::bigint"

/* The alert's row (inserted when new) and its transition, in one statement:
 * one round trip per transition. Times travel as milliseconds since the
 * epoch (c.e + $n * c.ms). */
static const char *s_upsert =
    "WITH c (e, ms) AS (VALUES ('epoch'::timestamptz, interval '1 millisecond')),"
    " a AS (INSERT INTO vigil.alerts (rule_key, rule_group, alertname, fingerprint, labels,"
    "         annotations, state, value, expr, active_at, fired_at, resolved_at,"
    "         keep_firing_since, updated_at)"
    "       SELECT $1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8::float8, $9, e + $10::bigint * ms,"
    "         e + $11::bigint * ms, e + $12::bigint * ms, e + $13::bigint * ms,"
    "         e + $14::bigint * ms FROM c"
    "       ON CONFLICT (rule_key, fingerprint, active_at) DO UPDATE SET"
    "         annotations = EXCLUDED.annotations, state = EXCLUDED.state,"
    "         value = EXCLUDED.value, fired_at = EXCLUDED.fired_at,"
    "         resolved_at = EXCLUDED.resolved_at, keep_firing_since = EXCLUDED.keep_firing_since,"
    "         updated_at = EXCLUDED.updated_at"
    "       RETURNING alert_id),"
    " t AS (INSERT INTO vigil.alert_transitions (alert_id, at, from_state, to_state, value)"
    "       SELECT alert_id, e + $14::bigint * ms, $15, $7, $8::float8 FROM a, c)"
    "SELECT alert_id FROM a";

void
rules_db_labels_json (const vg_label_t *items, size_t n, vg_buf_t *out)
{
    vg_buf_append (out, "{", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            vg_buf_append (out, ",", 1);
        vg_json_string (out, items[i].key, strlen (items[i].key));
        vg_buf_append (out, ":", 1);
        vg_json_string (out, items[i].value, strlen (items[i].value));
    }
    vg_buf_append (out, "}", 2);
    out->len--;
}

/* A number as PostgreSQL reads a float8 ('NaN', 'Infinity' included). */
static void
s_float (double v, char *out, size_t len)
{
    if (isnan (v))
        snprintf (out, len, "NaN");
    else if (isinf (v))
        snprintf (out, len, v > 0 ? "Infinity" : "-Infinity");
    else
        snprintf (out, len, "%.17g", v);
}

static const char *
s_alertname (const rules_alert_t *a)
{
    for (size_t i = 0; i < a->nlabels; i++)
        if (strcmp (a->labels[i].key, "alertname") == 0)
            return a->labels[i].value;
    return "";
}

static int
s_rollback (PGconn *conn, int rc)
{
    PGresult *res = PQexec (conn, "ROLLBACK");
    PQclear (res);
    return rc;
}

int
rules_db_store (PGconn *conn, rules_transitions_t *tr, rules_transition_fn *hook, void *hook_arg,
                char *err, size_t errlen)
{
    if (tr->n == 0)
        return 0;
    int rc = coll_pg_command (conn, "storing alert transitions", "BEGIN", 0, NULL, err, errlen);
    if (rc != 0)
        return rc;
    vg_buf_t labels = {0}, ann = {0};
    int64_t *ids = vg_calloc (tr->n, sizeof *ids);
    for (size_t i = 0; i < tr->n && rc == 0; i++) {
        rules_transition_t *t = &tr->items[i];
        rules_alert_t *a = &t->alert;
        char fp[17], value[40], active[24], fired[24], resolved[24], keep[24], now[24];
        snprintf (fp, sizeof fp, "%016" PRIx64, a->fingerprint);
        s_float (a->value, value, sizeof value);
        snprintf (active, sizeof active, "%" PRId64, a->active_ms);
        snprintf (fired, sizeof fired, "%" PRId64, a->fired_ms);
        snprintf (resolved, sizeof resolved, "%" PRId64, a->resolved_ms);
        snprintf (keep, sizeof keep, "%" PRId64, t->keep_since_ms);
        snprintf (now, sizeof now, "%" PRId64, t->at_ms);
        vg_buf_reset (&labels);
        vg_buf_reset (&ann);
        rules_db_labels_json (a->labels, a->nlabels, &labels);
        rules_db_labels_json (a->annotations, a->nannotations, &ann);
        const char *params[] = {t->rule_key,
                                a->group,
                                s_alertname (a),
                                fp,
                                labels.data,
                                ann.data,
                                rules_state_name (a->state),
                                value,
                                a->expr,
                                active,
                                a->fired_ms ? fired : NULL,
                                a->resolved_ms ? resolved : NULL,
                                t->keep_since_ms ? keep : NULL,
                                now,
                                rules_state_name (t->from)};
        PGresult *res = coll_pg_exec (conn, "storing an alert and its transition", s_upsert, 15,
                                      params, &rc, err, errlen);
        if (!res)
            break;
        ids[i] = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
        PQclear (res);
        if (hook) {
            int64_t old = a->id;
            a->id = ids[i];
            rc = hook (conn, a, t->from, t->at_ms, hook_arg, err, errlen);
            a->id = old;
            if (rc != 0 && PQtransactionStatus (conn) == PQTRANS_INERROR)
                break;
        }
    }
    if (rc == 0)
        rc = coll_pg_command (conn, "committing alert transitions", "COMMIT", 0, NULL, err, errlen);
    else
        s_rollback (conn, rc);
    if (rc == 0)
        for (size_t i = 0; i < tr->n; i++)
            tr->items[i].alert.id = ids[i];
    free (ids);
    vg_buf_free (&labels);
    vg_buf_free (&ann);
    return rc;
}

int
rules_db_refresh (PGconn *conn, const rules_db_refresh_t *items, size_t n, int64_t now_ms,
                  char *err, size_t errlen)
{
    if (n == 0)
        return 0;
    coll_pg_params_t p = {0};
    vg_buf_t *ids = coll_pg_params_next (&p), *values = coll_pg_params_next (&p),
             *anns = coll_pg_params_next (&p), *keeps = coll_pg_params_next (&p),
             *now = coll_pg_params_next (&p);
    coll_pg_array_begin (ids, COLL_PG_INT8OID, (uint32_t)n);
    coll_pg_array_begin (values, COLL_PG_FLOAT8OID, (uint32_t)n);
    coll_pg_array_begin (anns, COLL_PG_TEXTOID, (uint32_t)n);
    coll_pg_array_begin (keeps, COLL_PG_INT8OID, (uint32_t)n);
    vg_buf_t json = {0};
    for (size_t i = 0; i < n; i++) {
        coll_pg_bin_int8 (ids, items[i].id);
        coll_pg_bin_float8 (values, items[i].value);
        vg_buf_reset (&json);
        rules_db_labels_json (items[i].annotations, items[i].nannotations, &json);
        coll_pg_bin_text (anns, json.data, json.len);
        coll_pg_bin_int8 (keeps, items[i].keep_since_ms);
    }
    vg_buf_be64 (now, (uint64_t)now_ms);
    vg_buf_free (&json);
    int rc = coll_pg_command_bin (
        conn, "refreshing open alerts",
        "UPDATE vigil.alerts a SET value = u.value, annotations = u.ann::jsonb,"
        "  keep_firing_since = CASE WHEN u.keep = 0 THEN NULL"
        "    ELSE 'epoch'::timestamptz + u.keep * interval '1 millisecond' END,"
        "  updated_at = 'epoch'::timestamptz + $5::bigint * interval '1 millisecond'"
        " FROM unnest ($1::bigint[], $2::float8[], $3::text[], $4::bigint[])"
        "   AS u (id, value, ann, keep)"
        " WHERE a.alert_id = u.id AND a.state IN ('pending', 'firing')",
        &p, err, errlen);
    coll_pg_params_free (&p);
    return rc;
}

typedef struct {
    vg_label_t *items;
    size_t n, cap;
} s_pairs_t;

static void
s_pairs_add (s_pairs_t *p, const char *k, const char *v)
{
    VG_GROW (p->items, p->cap, p->n + 1);
    p->items[p->n++] = (vg_label_t){k, v};
}

int
rules_db_load_open (PGconn *conn, rules_db_open_fn *fn, void *arg, char *err, size_t errlen)
{
    int rc;
    PGresult *alerts = coll_pg_exec (
        conn, "reading open alerts",
        "SELECT alert_id, rule_key, state, value, " S_MS (
            "active_at") ", "
                         "       coalesce (" S_MS ("fired_at") ", 0), coalesce (" S_MS (
                             "resolved_at") ", 0),"
                                            "       coalesce (" S_MS (
                                                "keep_firing_since") ", 0)"
                                                                     "  FROM vigil.alerts WHERE "
                                                                     "state IN ('pending', "
                                                                     "'firing') ORDER BY alert_id",
        0, NULL, &rc, err, errlen);
    if (!alerts)
        return rc;
    PGresult *pairs = coll_pg_exec (
        conn, "reading open alerts' labels",
        "SELECT a.alert_id, 0, l.key, l.value FROM vigil.alerts a"
        "  CROSS JOIN LATERAL jsonb_each_text (a.labels) l WHERE a.state IN ('pending', 'firing')"
        " UNION ALL "
        "SELECT a.alert_id, 1, l.key, l.value FROM vigil.alerts a"
        "  CROSS JOIN LATERAL jsonb_each_text (a.annotations) l"
        " WHERE a.state IN ('pending', 'firing')"
        " ORDER BY 1, 2, 3",
        0, NULL, &rc, err, errlen);
    if (!pairs) {
        PQclear (alerts);
        return rc;
    }
    int np = PQntuples (pairs), k = 0;
    s_pairs_t labels = {0}, anns = {0};
    for (int i = 0; i < PQntuples (alerts); i++) {
        int64_t id = strtoll (PQgetvalue (alerts, i, 0), NULL, 10);
        labels.n = anns.n = 0;
        while (k < np && strtoll (PQgetvalue (pairs, k, 0), NULL, 10) < id)
            k++;
        for (; k < np && strtoll (PQgetvalue (pairs, k, 0), NULL, 10) == id; k++) {
            s_pairs_t *into = PQgetvalue (pairs, k, 1)[0] == '0' ? &labels : &anns;
            s_pairs_add (into, PQgetvalue (pairs, k, 2), PQgetvalue (pairs, k, 3));
        }
        rules_labels_t *l = rules_labels_dup (labels.items, labels.n);
        rules_active_t a = {
            .id = id,
            .fingerprint = rules_labels_fingerprint (l->items, l->n),
            .labels = l,
            .annotations = anns.items,
            .nannotations = anns.n,
            .value = PQgetisnull (alerts, i, 3) ? NAN : strtod (PQgetvalue (alerts, i, 3), NULL),
            .active_ms = strtoll (PQgetvalue (alerts, i, 4), NULL, 10),
            .fired_ms = strtoll (PQgetvalue (alerts, i, 5), NULL, 10),
            .resolved_ms = strtoll (PQgetvalue (alerts, i, 6), NULL, 10),
            .keep_since_ms = strtoll (PQgetvalue (alerts, i, 7), NULL, 10)};
        rules_state_parse (PQgetvalue (alerts, i, 2), &a.state);
        fn (arg, PQgetvalue (alerts, i, 1), &a);
        free (l);
    }
    free (labels.items);
    free (anns.items);
    PQclear (pairs);
    PQclear (alerts);
    return 0;
}
