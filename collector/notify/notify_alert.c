/*  notify_alert.c - vigil.notify_alerts: written per transition, read per
 *  notification. */
#include "notify_alert.h"
#include "coll_pg.h"
#include "notify_route.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
notify_alert_labels_json (vg_buf_t *out, const vg_label_t *labels, size_t n)
{
    vg_buf_append (out, "{", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            vg_buf_append (out, ",", 1);
        vg_json_string (out, labels[i].key, strlen (labels[i].key));
        vg_buf_append (out, ":", 1);
        const char *v = labels[i].value ? labels[i].value : "";
        vg_json_string (out, v, strlen (v));
    }
    vg_buf_append (out, "}", 1);
    vg_buf_append (out, "", 1);
    out->len--;
}

int
notify_alert_store (PGconn *conn, const rules_alert_t *a, int64_t now_ms, char *err, size_t errlen)
{
    vg_buf_t labels = {0}, annotations = {0};
    notify_alert_labels_json (&labels, a->labels, a->nlabels);
    notify_alert_labels_json (&annotations, a->annotations, a->nannotations);
    char id[32], fp[17], state[8], value[64], starts[32], ends[32], now[32];
    snprintf (id, sizeof id, "%" PRId64, a->id);
    snprintf (fp, sizeof fp, "%016" PRIx64, a->fingerprint);
    snprintf (state, sizeof state, "%d", (int)a->state);
    snprintf (value, sizeof value, "%.17g", a->value);
    snprintf (starts, sizeof starts, "%" PRId64, a->fired_ms);
    snprintf (ends, sizeof ends, "%" PRId64, a->resolved_ms);
    snprintf (now, sizeof now, "%" PRId64, now_ms);
    const char *params[] = {id, fp, labels.data, annotations.data, state, value, starts, ends, now};
    int rc = coll_pg_command (
        conn, "storing the alert for notify",
        "INSERT INTO vigil.notify_alerts AS a (alert_id, fingerprint, labels, annotations, state, "
        "  value, starts_at, ends_at, updated_at)"
        " VALUES ($1::bigint, $2, $3::jsonb, $4::jsonb, $5::smallint,"
        "  CASE WHEN $6 IN ('nan', '-nan', 'inf', '-inf') THEN NULL ELSE $6::float8 END,"
        "  CASE WHEN $7::bigint > 0 THEN to_timestamp ($7::bigint / 1000.0) END,"
        "  CASE WHEN $8::bigint > 0 THEN to_timestamp ($8::bigint / 1000.0) END,"
        "  to_timestamp ($9::bigint / 1000.0))"
        " ON CONFLICT (alert_id) DO UPDATE SET fingerprint = EXCLUDED.fingerprint,"
        "  labels = EXCLUDED.labels, annotations = EXCLUDED.annotations, state = EXCLUDED.state,"
        "  value = EXCLUDED.value, starts_at = coalesce (EXCLUDED.starts_at, a.starts_at),"
        "  ends_at = EXCLUDED.ends_at, updated_at = EXCLUDED.updated_at",
        9, params, err, errlen);
    vg_buf_free (&labels);
    vg_buf_free (&annotations);
    return rc;
}

static void
s_alert_free (notify_alert_t *a)
{
    for (size_t i = 0; i < a->nlabels; i++) {
        free ((char *)a->labels[i].key);
        free ((char *)a->labels[i].value);
    }
    for (size_t i = 0; i < a->nannotations; i++) {
        free ((char *)a->annotations[i].key);
        free ((char *)a->annotations[i].value);
    }
    free (a->labels);
    free (a->annotations);
}

void
notify_alerts_free (notify_alerts_t *self)
{
    for (size_t i = 0; i < self->n; i++)
        s_alert_free (&self->items[i]);
    free (self->items);
    memset (self, 0, sizeof *self);
}

notify_alert_t *
notify_alerts_find (notify_alerts_t *self, int64_t id)
{
    for (size_t i = 0; i < self->n; i++)
        if (self->items[i].id == id)
            return &self->items[i];
    return NULL;
}

static void
s_push_label (vg_label_t **items, size_t *n, const char *k, const char *v)
{
    *items = vg_realloc (*items, (*n + 1) * sizeof **items);
    (*items)[*n].key = vg_strdup (k);
    (*items)[*n].value = vg_strdup (v);
    (*n)++;
}

int
notify_alerts_load (PGconn *conn, int64_t group_id, const int64_t *ids, size_t nids,
                    notify_alerts_t *out, char *err, size_t errlen)
{
    /* One row per label and annotation (kind l or a), alerts in id order;
     * labels and annotations come sorted by key. */
    static const char *head =
        "SELECT a.alert_id, a.fingerprint, a.state,"
        "       coalesce ((extract (epoch FROM a.starts_at) * 1000)::bigint, 0),"
        "       coalesce ((extract (epoch FROM a.ends_at) * 1000)::bigint, 0),"
        "       coalesce (a.value, 'NaN'::float8), kv.kind, kv.key, kv.value"
        "  FROM vigil.notify_alerts a"
        "  LEFT JOIN LATERAL (SELECT 'l' AS kind, key, value FROM jsonb_each_text (a.labels)"
        "                     UNION ALL"
        "                     SELECT 'a', key, value FROM jsonb_each_text (a.annotations)) kv"
        "    ON true";
    vg_buf_t sql = {0}, arg = {0};
    vg_buf_puts (&sql, head);
    const char *params[1];
    int nparams = 0;
    if (group_id > 0) {
        vg_buf_puts (&sql, " WHERE a.alert_id IN (SELECT alert_id FROM vigil.notify_group_alerts"
                           " WHERE group_id = $1::bigint)");
        vg_buf_printf (&arg, "%" PRId64, group_id);
        params[nparams++] = arg.data;
    } else if (ids) {
        vg_buf_puts (&sql, " WHERE a.alert_id = ANY ($1::bigint[])");
        vg_buf_puts (&arg, "{");
        for (size_t i = 0; i < nids; i++)
            vg_buf_printf (&arg, "%s%" PRId64, i ? "," : "", ids[i]);
        vg_buf_puts (&arg, "}");
        params[nparams++] = arg.data;
    } else
        vg_buf_puts (&sql, " WHERE a.state = 2");
    vg_buf_puts (&sql, " ORDER BY a.alert_id, kv.kind DESC, kv.key COLLATE \"C\"");
    int rc;
    PGresult *res =
        coll_pg_exec (conn, "loading alerts", sql.data, nparams, params, &rc, err, errlen);
    vg_buf_free (&sql);
    vg_buf_free (&arg);
    if (!res)
        return rc;
    notify_alert_t *cur = NULL;
    for (int r = 0; r < PQntuples (res); r++) {
        int64_t id = strtoll (PQgetvalue (res, r, 0), NULL, 10);
        if (!cur || cur->id != id) {
            VG_GROW (out->items, out->cap, out->n + 1);
            cur = &out->items[out->n++];
            memset (cur, 0, sizeof *cur);
            cur->id = id;
            snprintf (cur->fingerprint, sizeof cur->fingerprint, "%s", PQgetvalue (res, r, 1));
            cur->state = (rules_alert_state_t)atoi (PQgetvalue (res, r, 2));
            cur->starts_ms = strtoll (PQgetvalue (res, r, 3), NULL, 10);
            cur->ends_ms = strtoll (PQgetvalue (res, r, 4), NULL, 10);
            cur->value = strtod (PQgetvalue (res, r, 5), NULL);
        }
        if (PQgetisnull (res, r, 6))
            continue;
        if (PQgetvalue (res, r, 6)[0] == 'l')
            s_push_label (&cur->labels, &cur->nlabels, PQgetvalue (res, r, 7),
                          PQgetvalue (res, r, 8));
        else
            s_push_label (&cur->annotations, &cur->nannotations, PQgetvalue (res, r, 7),
                          PQgetvalue (res, r, 8));
    }
    PQclear (res);
    return VG_OK;
}
