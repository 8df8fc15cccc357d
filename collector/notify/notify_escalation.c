/*  notify_escalation.c - climbing, holding on acks, resolving. */
#include "notify_escalation.h"
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

/* How long a muted alert's climb waits before it is looked at again. */
#define MUTED_RECHECK_MS 60000

static int
s_step (notify_pass_t *pass, int64_t alert_id, const char *route_key, int level, const char *what,
        int64_t due_ms, char *err, size_t errlen)
{
    char sid[32], slevel[16], sdue[32], snow[32];
    snprintf (sid, sizeof sid, "%" PRId64, alert_id);
    snprintf (slevel, sizeof slevel, "%d", level);
    snprintf (sdue, sizeof sdue, "%" PRId64, due_ms);
    snprintf (snow, sizeof snow, "%" PRId64, pass->now_ms);
    const char *params[] = {sid, route_key, slevel, what, sdue, snow};
    return coll_pg_command (pass->conn, "recording an escalation step",
                            "INSERT INTO vigil.escalation_steps (alert_id, route_key, level, what,"
                            "  due_at, at) VALUES ($1::bigint, $2, $3::smallint, $4,"
                            "  CASE WHEN $5::bigint > 0 THEN " TS ("$5") " END, " TS ("$6") ")",
                            6, params, err, errlen);
}

/* Sends one level's message about alert a to each of its receivers. */
static int
s_notify_level (notify_pass_t *pass, const notify_route_t *route, notify_alert_t *a,
                const notify_level_t *level, int number, int resolved, char *err, size_t errlen)
{
    vg_buf_t key = {0};
    char reason[64];
    snprintf (reason, sizeof reason,
              resolved ? "resolved (escalation level %d)" : "escalation level %d", number);
    vg_label_t *g = vg_calloc (a->nlabels + 1, sizeof *g);
    size_t ng = 0;
    if (route) {
        notify_route_group_key (&key, route, a->labels, a->nlabels);
        ng = notify_route_group_labels (route, a->labels, a->nlabels, g);
    } else {
        vg_buf_puts (&key, "{}:");
        notify_route_labelset_string (&key, a->labels, a->nlabels);
    }
    notify_alert_t *one[1] = {a};
    int rc = VG_OK;
    for (size_t r = 0; r < level->receivers.n && rc == VG_OK; r++) {
        notify_message_t m = {.receiver = level->receivers.items[r],
                              .group_key = key.data,
                              .reason = reason,
                              .group_labels = g,
                              .ngroup = ng,
                              .alerts = one,
                              .nalerts = 1,
                              .level = number,
                              .signer = pass->signer,
                              .now_ms = pass->now_ms,
                              .valid_until_ms = pass->now_ms + 3600000};
        notify_message_add_links (&m);
        rc = notify_outbox_add (pass->conn, pass->cfg, &m, resolved, &pass->added, err, errlen);
    }
    free (g);
    vg_buf_free (&key);
    return rc;
}

int
notify_escalation_on_firing (notify_pass_t *pass, const notify_route_t *route,
                             const rules_alert_t *a, char *err, size_t errlen)
{
    const notify_policy_t *p = notify_config_policy (pass->cfg, route->escalation);
    if (!p)
        return VG_OK;
    char sid[32], fp[17], snow[32], snext[32];
    snprintf (sid, sizeof sid, "%" PRId64, a->id);
    snprintf (fp, sizeof fp, "%016" PRIx64, a->fingerprint);
    snprintf (snow, sizeof snow, "%" PRId64, pass->now_ms);
    snprintf (snext, sizeof snext, "%" PRId64, pass->now_ms + p->levels[0].delay_ms);
    const char *params[] = {sid, route->key, p->name, fp, snow, snext};
    int rc = coll_pg_command (
        pass->conn, "starting the escalation",
        "INSERT INTO vigil.escalations AS e (alert_id, route_key, policy, fingerprint, started_at,"
        "  level, next_at, state)"
        " VALUES ($1::bigint, $2, $3, $4, " TS ("$5") ", 0, " TS (
            "$6") ", 'climbing')"
                  " ON CONFLICT (alert_id, route_key) DO UPDATE SET policy = EXCLUDED.policy,"
                  "  fingerprint = EXCLUDED.fingerprint, started_at = EXCLUDED.started_at, level = "
                  "0,"
                  "  next_at = EXCLUDED.next_at, remaining_ms = NULL, state = 'climbing'"
                  " WHERE e.state = 'resolved'",
        6, params, err, errlen);
    if (rc != VG_OK)
        return rc;
    int moved = notify_escalation_due (pass, 16, err, errlen);
    return moved < 0 ? moved : VG_OK;
}

int
notify_escalation_on_resolved (notify_pass_t *pass, const rules_alert_t *alert, char *err,
                               size_t errlen)
{
    char sid[32], snow[32];
    snprintf (sid, sizeof sid, "%" PRId64, alert->id);
    snprintf (snow, sizeof snow, "%" PRId64, pass->now_ms);
    const char *params[] = {sid, snow};
    int rc;
    PGresult *res =
        coll_pg_exec (pass->conn, "ending the escalation",
                      "WITH acks AS (UPDATE vigil.alert_acks SET ended_at = " TS (
                          "$2") "               WHERE alert_id = $1::bigint AND ended_at IS NULL)"
                                "UPDATE vigil.escalations SET state = 'resolved', next_at = NULL, "
                                "remaining_ms = NULL"
                                " WHERE alert_id = $1::bigint AND state <> 'resolved'"
                                " RETURNING route_key, policy, level",
                      2, params, &rc, err, errlen);
    if (!res)
        return rc;
    notify_alerts_t alerts = {0};
    rc = VG_OK;
    if (PQntuples (res) > 0)
        rc = notify_alerts_load (pass->conn, 0, &alert->id, 1, &alerts, err, errlen);
    for (int r = 0; r < PQntuples (res) && rc == VG_OK && alerts.n == 1; r++) {
        const char *route_key = PQgetvalue (res, r, 0);
        const notify_policy_t *p = notify_config_policy (pass->cfg, PQgetvalue (res, r, 1));
        int level = atoi (PQgetvalue (res, r, 2));
        const notify_route_t *route = notify_pass_route (pass, route_key);
        for (int l = 1; p && l <= level && l <= (int)p->n && rc == VG_OK; l++)
            rc = s_notify_level (pass, route, &alerts.items[0], &p->levels[l - 1], l, 1, err,
                                 errlen);
        if (rc == VG_OK) {
            char what[96];
            snprintf (what, sizeof what, "resolved; levels 1..%d told", level);
            rc = s_step (pass, alert->id, route_key, level, level ? what : "resolved", 0, err,
                         errlen);
        }
    }
    notify_alerts_free (&alerts);
    PQclear (res);
    return rc;
}

/* Acks that expired while their alert fires: the climb resumes. */
static int
s_expired_acks (notify_pass_t *pass, char *err, size_t errlen)
{
    char snow[32];
    snprintf (snow, sizeof snow, "%" PRId64, pass->now_ms);
    const char *params[] = {snow};
    int rc;
    PGresult *res = coll_pg_exec (
        pass->conn, "resuming climbs whose ack expired",
        "WITH due AS (SELECT e.alert_id, e.route_key, e.level, e.remaining_ms, k.ack_id,"
        "                    k.expires_at, a.state"
        "               FROM vigil.escalations e"
        "               JOIN vigil.alert_acks k ON k.alert_id = e.alert_id AND k.ended_at IS NULL"
        "               JOIN vigil.notify_alerts a ON a.alert_id = e.alert_id"
        "              WHERE e.state = 'acked' AND k.expires_at <= " TS (
            "$1") "                FOR UPDATE OF e SKIP LOCKED),"
                  " ended AS (UPDATE vigil.alert_acks k SET ended_at = due.expires_at FROM due"
                  "            WHERE k.ack_id = due.ack_id),"
                  " steps AS (INSERT INTO vigil.escalation_steps (alert_id, route_key, level, "
                  "what, at)"
                  "           SELECT alert_id, route_key, level, 'ack expired; the climb resumes',"
                  "                  " TS (
                      "$1") " FROM due WHERE state = 2)"
                            "UPDATE vigil.escalations e"
                            "   SET state = CASE WHEN due.state <> 2 THEN 'resolved'"
                            "                    WHEN due.remaining_ms IS NULL THEN 'top' ELSE "
                            "'climbing' END,"
                            "       next_at = CASE WHEN due.state = 2 AND due.remaining_ms IS NOT "
                            "NULL"
                            "                 THEN due.expires_at + make_interval (secs => "
                            "due.remaining_ms / 1000.0)"
                            "                 END,"
                            "       remaining_ms = NULL"
                            "  FROM due WHERE e.alert_id = due.alert_id AND e.route_key = "
                            "due.route_key"
                            " RETURNING e.alert_id",
        1, params, &rc, err, errlen);
    if (!res)
        return rc;
    int n = PQntuples (res);
    PQclear (res);
    return n;
}

/* One climb that is due: send every level that has fallen due, in order. */
static int
s_climb (notify_pass_t *pass, int64_t alert_id, const char *route_key, const char *policy,
         int level, int64_t next_ms, char *err, size_t errlen)
{
    const notify_policy_t *p = notify_config_policy (pass->cfg, policy);
    const notify_route_t *route = notify_pass_route (pass, route_key);
    notify_alerts_t alerts = {0};
    int rc = notify_alerts_load (pass->conn, 0, &alert_id, 1, &alerts, err, errlen);
    if (rc != VG_OK)
        return rc;
    const char *state = "climbing";
    int64_t next = next_ms;
    if (!p || alerts.n != 1 || alerts.items[0].state != RULES_ALERT_FIRING) {
        if (!p)
            vg_warn ("escalation of alert %" PRId64 ": policy %s is no longer in routes.yaml; "
                     "the climb stops",
                     alert_id, policy);
        state = p ? "resolved" : "top";
        next = 0;
    } else {
        char why[128];
        int muted = notify_pass_muted (pass, &alerts.items[0], why, sizeof why, err, errlen);
        if (muted < 0) {
            rc = muted;
            goto out;
        }
        if (muted)
            next = pass->now_ms + MUTED_RECHECK_MS;
        while (!muted && level < (int)p->n && next <= pass->now_ms && rc == VG_OK) {
            rc = s_notify_level (pass, route, &alerts.items[0], &p->levels[level], level + 1, 0,
                                 err, errlen);
            char what[64];
            snprintf (what, sizeof what, "level %d notified", level + 1);
            if (rc == VG_OK)
                rc = s_step (pass, alert_id, route_key, level + 1, what, next, err, errlen);
            level++;
            if (level < (int)p->n)
                next += p->levels[level].delay_ms - p->levels[level - 1].delay_ms;
        }
        if (level >= (int)p->n) {
            state = "top";
            next = 0;
        }
    }
    if (rc != VG_OK)
        goto out;
    char sid[32], slevel[16], snext[32];
    snprintf (sid, sizeof sid, "%" PRId64, alert_id);
    snprintf (slevel, sizeof slevel, "%d", level);
    snprintf (snext, sizeof snext, "%" PRId64, next);
    const char *params[] = {sid, route_key, slevel, snext, state};
    rc = coll_pg_command (pass->conn, "advancing the escalation",
                          "UPDATE vigil.escalations SET level = $3::smallint,"
                          "  next_at = CASE WHEN $4::bigint > 0 THEN " TS (
                              "$4") " END,"
                                    "  state = $5"
                                    " WHERE alert_id = $1::bigint AND route_key = $2",
                          5, params, err, errlen);
out:
    notify_alerts_free (&alerts);
    return rc;
}

int
notify_escalation_due (notify_pass_t *pass, int limit, char *err, size_t errlen)
{
    int resumed = s_expired_acks (pass, err, errlen);
    if (resumed < 0)
        return resumed;
    char snow[32], slimit[16];
    snprintf (snow, sizeof snow, "%" PRId64, pass->now_ms);
    snprintf (slimit, sizeof slimit, "%d", limit);
    const char *params[] = {snow, slimit};
    int rc;
    PGresult *res = coll_pg_exec (
        pass->conn, "finding due escalations",
        "SELECT alert_id, route_key, policy, level, (extract (epoch FROM next_at) * 1000)::bigint"
        "  FROM vigil.escalations WHERE state = 'climbing' AND next_at <= " TS (
            "$1") " ORDER BY next_at LIMIT $2::integer FOR UPDATE SKIP LOCKED",
        2, params, &rc, err, errlen);
    if (!res)
        return rc;
    int n = PQntuples (res);
    rc = VG_OK;
    for (int r = 0; r < n && rc == VG_OK; r++)
        rc = s_climb (pass, strtoll (PQgetvalue (res, r, 0), NULL, 10), PQgetvalue (res, r, 1),
                      PQgetvalue (res, r, 2), atoi (PQgetvalue (res, r, 3)),
                      strtoll (PQgetvalue (res, r, 4), NULL, 10), err, errlen);
    PQclear (res);
    return rc == VG_OK ? n + resumed : rc;
}
