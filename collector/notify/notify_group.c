/*  notify_group.c - aggregation groups: membership, timers, the decision to
 *  notify. */
#include "notify_group.h"
#include "coll_pg.h"
#include "notify_message.h"
#include "notify_outbox.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS(p) "to_timestamp (" p "::bigint / 1000.0)"

/* When a group next looks at itself after a look at now. */
static int64_t
s_next_tick (const notify_route_t *route, int64_t now_ms)
{
    if (route->mode.kind == NOTIFY_MODE_IMMEDIATE)
        return now_ms + route->group_interval_ms;
    return notify_mode_next (&route->mode, now_ms);
}

static int s_flush (notify_pass_t *pass, int64_t group_id, char *err, size_t errlen);

int
notify_group_on_alert (notify_pass_t *pass, const notify_route_t *route, const rules_alert_t *a,
                       char *err, size_t errlen)
{
    vg_buf_t key = {0}, labels = {0};
    notify_route_group_key (&key, route, a->labels, a->nlabels);
    vg_label_t *g = vg_calloc (a->nlabels + 1, sizeof *g);
    size_t ng = notify_route_group_labels (route, a->labels, a->nlabels, g);
    notify_alert_labels_json (&labels, g, ng);
    free (g);
    int64_t now = pass->now_ms, first;
    if (route->mode.kind == NOTIFY_MODE_IMMEDIATE) {
        first = now + route->group_wait_ms;
        /* Alertmanager: an alert that started group_wait ago or more goes at once. */
        if (a->fired_ms > 0 && a->fired_ms + route->group_wait_ms <= now)
            first = now;
    } else
        first = notify_mode_next (&route->mode, now);
    char snow[32], sfirst[32], sid[32];
    snprintf (snow, sizeof snow, "%" PRId64, now);
    snprintf (sfirst, sizeof sfirst, "%" PRId64, first);
    snprintf (sid, sizeof sid, "%" PRId64, a->id);
    int firing = a->state == RULES_ALERT_FIRING;
    const char *params[] = {key.data, route->receiver, route->key, labels.data,
                            snow,     sfirst,          sid,        firing ? "t" : "f"};
    int rc;
    /* A firing alert joins (or makes) its group; a resolved one only marks
     * the group it is in. Either way: is the group due now? */
    PGresult *res = coll_pg_exec (
        pass->conn, "putting the alert into its group",
        "WITH g AS (INSERT INTO vigil.notify_groups (group_key, receiver, route_key, group_labels,"
        "             created_at, next_flush_at)"
        "           SELECT $1, $2, $3, $4::jsonb, " TS ("$5") ", " TS (
            "$6") " WHERE $8::boolean"
                  "           ON CONFLICT (group_key, receiver) DO UPDATE"
                  "             SET next_flush_at = coalesce (notify_groups.next_flush_at,"
                  "                                           EXCLUDED.next_flush_at)"
                  "           RETURNING group_id, next_flush_at),"
                  " old AS (SELECT ga.group_id, gr.next_flush_at FROM vigil.notify_group_alerts ga"
                  "           JOIN vigil.notify_groups gr USING (group_id)"
                  "          WHERE NOT $8::boolean AND ga.alert_id = $7::bigint AND gr.group_key = "
                  "$1"
                  "            AND gr.receiver = $2),"
                  " ins AS (INSERT INTO vigil.notify_group_alerts (group_id, alert_id)"
                  "           SELECT group_id, $7::bigint FROM g ON CONFLICT DO NOTHING)"
                  "SELECT group_id, next_flush_at <= " TS (
                      "$5") " FROM g"
                            " UNION ALL SELECT group_id, next_flush_at <= " TS ("$5") " FROM old",
        8, params, &rc, err, errlen);
    vg_buf_free (&key);
    vg_buf_free (&labels);
    if (!res)
        return rc;
    rc = VG_OK;
    for (int r = 0; r < PQntuples (res) && rc == VG_OK; r++)
        if (strcmp (PQgetvalue (res, r, 1), "t") == 0)
            rc = s_flush (pass, strtoll (PQgetvalue (res, r, 0), NULL, 10), err, errlen);
    PQclear (res);
    return rc;
}

/* 1 if fp is in the PostgreSQL text array text ({a,b}). Fingerprints are
 * hex: no quoting to undo. */
static int
s_in_array (const char *text, const char *fp)
{
    size_t n = strlen (fp);
    for (const char *p = strstr (text, fp); p; p = strstr (p + 1, fp))
        if ((p[-1] == '{' || p[-1] == ',') && (p[n] == ',' || p[n] == '}'))
            return 1;
    return 0;
}

static int
s_flush (notify_pass_t *pass, int64_t group_id, char *err, size_t errlen)
{
    char sid[32], snow[32];
    snprintf (sid, sizeof sid, "%" PRId64, group_id);
    snprintf (snow, sizeof snow, "%" PRId64, pass->now_ms);
    const char *p1[] = {sid};
    int rc;
    PGresult *g =
        coll_pg_exec (pass->conn, "locking the group",
                      "SELECT group_key, receiver, route_key, last_firing::text,"
                      "       coalesce ((extract (epoch FROM last_notified_at) * 1000)::bigint, 0)"
                      "  FROM vigil.notify_groups WHERE group_id = $1::bigint FOR UPDATE",
                      1, p1, &rc, err, errlen);
    if (!g)
        return rc;
    if (PQntuples (g) == 0) {
        PQclear (g);
        return VG_OK;
    }
    const char *group_key = PQgetvalue (g, 0, 0), *receiver = PQgetvalue (g, 0, 1);
    const char *route_key = PQgetvalue (g, 0, 2), *last_firing = PQgetvalue (g, 0, 3);
    int64_t last_notified = strtoll (PQgetvalue (g, 0, 4), NULL, 10);
    const notify_route_t *route = notify_pass_route (pass, route_key);
    notify_alerts_t alerts = {0};
    notify_alert_t **msg = NULL;
    vg_label_t *glabels = NULL;
    vg_buf_t fps = {0}, gone = {0};
    if (!route) {
        vg_warn ("group %s: its route is no longer in routes.yaml; the group is dropped",
                 group_key);
        rc = coll_pg_command (pass->conn, "dropping the group",
                              "DELETE FROM vigil.notify_groups WHERE group_id = $1::bigint", 1, p1,
                              err, errlen);
        goto out;
    }
    if ((rc = notify_alerts_load (pass->conn, group_id, NULL, 0, &alerts, err, errlen)) != VG_OK)
        goto out;
    msg = vg_calloc (alerts.n + 1, sizeof *msg);
    size_t nmsg = 0, nfiring = 0, nnew = 0, nresolved = 0;
    vg_buf_puts (&fps, "{");
    vg_buf_puts (&gone, "{");
    for (size_t i = 0; i < alerts.n; i++) {
        notify_alert_t *a = &alerts.items[i];
        int firing = a->state == RULES_ALERT_FIRING;
        if (!firing)
            vg_buf_printf (&gone, "%s%" PRId64, gone.len > 1 ? "," : "", a->id);
        char why[128];
        int muted = notify_pass_muted (pass, a, why, sizeof why, err, errlen);
        if (muted < 0) {
            rc = muted;
            goto out;
        }
        if (muted)
            continue;
        int was = s_in_array (last_firing, a->fingerprint);
        if (firing) {
            msg[nmsg++] = a;
            nfiring++;
            nnew += !was;
            vg_buf_printf (&fps, "%s%s", fps.len > 1 ? "," : "", a->fingerprint);
        } else if (was) {
            msg[nmsg++] = a;
            nresolved++;
        }
    }
    vg_buf_puts (&fps, "}");
    vg_buf_puts (&gone, "}");
    const char *reason = NULL;
    if (nnew)
        reason = last_notified ? "new alerts added" : "first notification";
    else if (nresolved)
        reason = nfiring ? "some alerts resolved" : "all alerts resolved";
    else if (nfiring && route->mode.kind == NOTIFY_MODE_IMMEDIATE &&
             pass->now_ms - last_notified >= route->repeat_interval_ms)
        reason = "repeat interval elapsed";
    if (reason) {
        /* Every alert of a group has the same values of the group's labels. */
        glabels = vg_calloc (msg[0]->nlabels + 1, sizeof *glabels);
        size_t ng = notify_route_group_labels (route, msg[0]->labels, msg[0]->nlabels, glabels);
        notify_message_sort (msg, nmsg);
        notify_message_t m = {.receiver = receiver,
                              .group_key = group_key,
                              .reason = reason,
                              .group_labels = glabels,
                              .ngroup = ng,
                              .alerts = msg,
                              .nalerts = nmsg,
                              .signer = pass->signer,
                              .now_ms = pass->now_ms,
                              .valid_until_ms = pass->now_ms + 2 * route->repeat_interval_ms};
        notify_message_add_links (&m);
        if ((rc = notify_outbox_add (pass->conn, pass->cfg, &m, 0, &pass->added, err, errlen)) !=
            VG_OK)
            goto out;
    }
    /* Resolved alerts leave; an empty group goes; otherwise the next tick. */
    char snext[32];
    snprintf (snext, sizeof snext, "%" PRId64, s_next_tick (route, pass->now_ms));
    const char *p2[] = {sid, gone.data, snow, snext, reason ? "t" : "f", fps.data};
    rc = coll_pg_command (
        pass->conn, "settling the group",
        "WITH d AS (DELETE FROM vigil.notify_group_alerts"
        "            WHERE group_id = $1::bigint AND alert_id = ANY ($2::bigint[])"
        "           RETURNING alert_id),"
        " left_ AS (SELECT count (*) AS n FROM vigil.notify_group_alerts"
        "            WHERE group_id = $1::bigint AND NOT alert_id IN (SELECT alert_id FROM d)),"
        " del AS (DELETE FROM vigil.notify_groups WHERE group_id = $1::bigint"
        "          AND (SELECT n FROM left_) = 0)"
        "UPDATE vigil.notify_groups SET last_flush_at = " TS (
            "$3") ","
                  "  next_flush_at = " TS (
                      "$4") ","
                            "  last_notified_at = CASE WHEN $5::boolean THEN " TS (
                                "$3") " ELSE last_notified_at END,"
                                      "  last_firing = CASE WHEN $5::boolean THEN $6::text[] ELSE "
                                      "last_firing END"
                                      " WHERE group_id = $1::bigint AND (SELECT n FROM left_) > 0",
        6, p2, err, errlen);
out:
    free (glabels);
    free (msg);
    vg_buf_free (&fps);
    vg_buf_free (&gone);
    notify_alerts_free (&alerts);
    PQclear (g);
    return rc;
}

int
notify_group_flush_due (notify_pass_t *pass, int limit, char *err, size_t errlen)
{
    char snow[32], slimit[16];
    snprintf (snow, sizeof snow, "%" PRId64, pass->now_ms);
    snprintf (slimit, sizeof slimit, "%d", limit);
    const char *params[] = {snow, slimit};
    int rc;
    PGresult *res = coll_pg_exec (
        pass->conn, "finding due groups",
        "SELECT group_id FROM vigil.notify_groups"
        " WHERE next_flush_at <= " TS ("$1") " ORDER BY next_flush_at LIMIT $2::integer"
                                             " FOR UPDATE SKIP LOCKED",
        2, params, &rc, err, errlen);
    if (!res)
        return rc;
    int n = PQntuples (res);
    for (int r = 0; r < n; r++)
        if ((rc = s_flush (pass, strtoll (PQgetvalue (res, r, 0), NULL, 10), err, errlen)) !=
            VG_OK) {
            PQclear (res);
            return rc;
        }
    PQclear (res);
    return n;
}
