/*  notify_outbox.c - the outbox table: add, claim, record. */
#include "notify_outbox.h"
#include "coll_pg.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A random (version 4) UUID. */
static void
s_uuid (char out[37])
{
    unsigned char b[16];
    randombytes_buf (b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf (out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
              b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
              b[14], b[15]);
}

static int
s_insert (PGconn *conn, const notify_config_t *cfg, const notify_message_t *m,
          const notify_integration_t *it, const char *key, const char *subject, const char *body,
          char *err, size_t errlen)
{
    char kind_index[16], level[16], now[32], give_up[32];
    snprintf (kind_index, sizeof kind_index, "%d", it->index);
    snprintf (level, sizeof level, "%d", m->level);
    snprintf (now, sizeof now, "%" PRId64, m->now_ms);
    snprintf (give_up, sizeof give_up, "%" PRId64, m->now_ms + cfg->give_up_after_ms);
    vg_buf_t ids = {0};
    vg_buf_puts (&ids, "{");
    for (size_t i = 0; i < m->nalerts; i++)
        vg_buf_printf (&ids, "%s%" PRId64, i ? "," : "", m->alerts[i]->id);
    vg_buf_puts (&ids, "}");
    const char *params[] = {key,        m->receiver,  notify_config_kind_name (it->kind),
                            kind_index, m->group_key, m->reason,
                            ids.data,   level,        subject,
                            body,       now,          give_up};
    /* The sender is woken (NOTIFY, delivered at the commit) in the same
     * round trip. */
    int rc;
    PGresult *res = coll_pg_exec (
        conn, "adding a notification to the outbox",
        "WITH n AS (INSERT INTO vigil.notifications (idempotency_key, receiver, kind, integration,"
        "  group_key, reason, alert_ids, escalation_level, subject, body, created_at,"
        "  next_attempt_at, give_up_at)"
        " VALUES ($1::uuid, $2, $3, $4::integer, $5, $6, $7::bigint[],"
        "  nullif ($8::smallint, 0), $9, $10, to_timestamp ($11::bigint / 1000.0),"
        "  to_timestamp ($11::bigint / 1000.0), to_timestamp ($12::bigint / 1000.0))"
        " RETURNING notification_id)"
        "SELECT pg_notify ('vigil_notify', '" NOTIFY_OUTBOX_WAKE "') FROM n",
        12, params, &rc, err, errlen);
    PQclear (res);
    vg_buf_free (&ids);
    return rc;
}

int
notify_outbox_add (PGconn *conn, const notify_config_t *cfg, notify_message_t *m,
                   int force_resolved, int *added, char *err, size_t errlen)
{
    const notify_receiver_t *recv = notify_config_receiver (cfg, m->receiver);
    if (!recv)
        return VG_OK; /* gone from routes.yaml since: nothing to send to */
    notify_alert_t **all = m->alerts;
    size_t nall = m->nalerts;
    notify_alert_t **kept = vg_calloc (nall + 1, sizeof *kept);
    int rc = VG_OK;
    for (size_t i = 0; i < recv->n && rc == VG_OK; i++) {
        const notify_integration_t *it = &recv->items[i];
        size_t n = 0, firing = 0;
        for (size_t a = 0; a < nall; a++) {
            int f = all[a]->state == RULES_ALERT_FIRING;
            if (f || it->send_resolved || force_resolved)
                kept[n++] = all[a];
            firing += f;
        }
        if (n == 0 || (firing == 0 && !it->send_resolved && !force_resolved))
            continue;
        m->alerts = kept;
        m->nalerts = n;
        char key[37];
        s_uuid (key);
        vg_buf_t body = {0}, subject = {0};
        switch (it->kind) {
        case NOTIFY_KIND_WEBHOOK:
            notify_webhook_render (m, it, &body);
            break;
        case NOTIFY_KIND_SLACK:
            notify_slack_render (m, it, &body);
            break;
        case NOTIFY_KIND_ALERTMANAGER:
            notify_alertmanager_render (m, it, &body);
            break;
        default:
            notify_email_render (m, it, key, &subject, &body);
            break;
        }
        vg_buf_append (&body, "", 1);
        rc = s_insert (conn, cfg, m, it, key, subject.len ? subject.data : NULL, body.data, err,
                       errlen);
        if (rc == VG_OK && added)
            (*added)++;
        vg_buf_free (&body);
        vg_buf_free (&subject);
    }
    m->alerts = all;
    m->nalerts = nall;
    free (kept);
    return rc;
}

void
notify_outbox_item_free (notify_outbox_item_t *item)
{
    free (item->receiver);
    free (item->body);
    memset (item, 0, sizeof *item);
}

int
notify_outbox_claim (PGconn *conn, int64_t now_ms, int64_t lease_ms, notify_outbox_item_t *out,
                     int max, char *err, size_t errlen)
{
    char now[32], lease[32], limit[16];
    snprintf (now, sizeof now, "%" PRId64, now_ms);
    snprintf (lease, sizeof lease, "%" PRId64, now_ms + lease_ms);
    snprintf (limit, sizeof limit, "%d", max);
    const char *params[] = {now, lease, limit};
    int rc;
    /* The lease commits without waiting for its WAL to reach the disk
     * (synchronous_commit off for this statement's transaction alone): the
     * request goes out sooner. Lost in a crash of the database, the lease
     * only means the notification is sent again, with the same key, as it is
     * when the collector dies during a request. */
    PGresult *res = coll_pg_exec (
        conn, "claiming due notifications",
        "UPDATE vigil.notifications n SET lease_until = to_timestamp ($2::bigint / 1000.0)"
        "  FROM (SELECT notification_id FROM vigil.notifications"
        "         WHERE status = 'pending'"
        "           AND next_attempt_at <= to_timestamp ($1::bigint / 1000.0)"
        "           AND (lease_until IS NULL OR lease_until <= to_timestamp ($1::bigint / 1000.0))"
        "         ORDER BY next_attempt_at, notification_id LIMIT $3::integer"
        "         FOR UPDATE SKIP LOCKED) due"
        " WHERE n.notification_id = due.notification_id"
        "   AND set_config ('synchronous_commit', 'off', true) IS NOT NULL"
        " RETURNING n.notification_id, n.idempotency_key, n.receiver, n.kind, n.integration,"
        "  n.body, n.attempts, (extract (epoch FROM n.created_at) * 1000)::bigint,"
        "  (extract (epoch FROM n.give_up_at) * 1000)::bigint",
        3, params, &rc, err, errlen);
    if (!res)
        return rc;
    int n = PQntuples (res);
    for (int r = 0; r < n; r++) {
        notify_outbox_item_t *it = &out[r];
        memset (it, 0, sizeof *it);
        it->id = strtoll (PQgetvalue (res, r, 0), NULL, 10);
        snprintf (it->key, sizeof it->key, "%s", PQgetvalue (res, r, 1));
        it->receiver = vg_strdup (PQgetvalue (res, r, 2));
        if (notify_config_kind_parse (PQgetvalue (res, r, 3), &it->kind) != VG_OK)
            it->kind = NOTIFY_KIND_COUNT;
        it->integration = atoi (PQgetvalue (res, r, 4));
        it->body = vg_strdup (PQgetvalue (res, r, 5));
        it->attempts = atoi (PQgetvalue (res, r, 6));
        it->created_ms = strtoll (PQgetvalue (res, r, 7), NULL, 10);
        it->give_up_ms = strtoll (PQgetvalue (res, r, 8), NULL, 10);
    }
    PQclear (res);
    return n;
}

static const char *s_outcomes[] = {"delivered", "retry", "failed"};

int
notify_outbox_record (PGconn *conn, const notify_outbox_item_t *item, const notify_attempt_t *a,
                      int64_t next_ms, char *err, size_t errlen)
{
    char id[32], attempt[16], started[32], duration[32], status[16], retry_after[32], next[32];
    snprintf (id, sizeof id, "%" PRId64, item->id);
    snprintf (attempt, sizeof attempt, "%d", item->attempts + 1);
    snprintf (started, sizeof started, "%" PRId64, a->started_ms);
    snprintf (duration, sizeof duration, "%" PRId64, a->duration_ms);
    snprintf (status, sizeof status, "%d", a->status);
    snprintf (retry_after, sizeof retry_after, "%" PRId64, a->retry_after_ms);
    snprintf (next, sizeof next, "%" PRId64, next_ms);
    notify_outcome_t outcome = a->outcome;
    char why[700];
    snprintf (why, sizeof why, "%s", a->error);
    if (outcome == NOTIFY_OUTCOME_RETRY && next_ms > item->give_up_ms) {
        outcome = NOTIFY_OUTCOME_FAILED;
        snprintf (why, sizeof why, "gave up after %d attempts over %" PRId64 " s: %s",
                  item->attempts + 1, (item->give_up_ms - item->created_ms) / 1000, a->error);
    }
    const char *params[] = {
        id,          attempt, started, duration, status, s_outcomes[outcome], *why ? why : NULL,
        retry_after, next};
    int rc = coll_pg_command (
        conn, "recording a delivery attempt",
        "WITH att AS (INSERT INTO vigil.notification_attempts (notification_id, attempt,"
        "  started_at, duration_ms, http_status, outcome, error, retry_after_ms)"
        "  VALUES ($1::bigint, $2::integer, to_timestamp ($3::bigint / 1000.0), $4::integer,"
        "   nullif ($5::integer, 0), $6, $7, nullif ($8::bigint, -1)))"
        "UPDATE vigil.notifications SET attempts = $2::integer, lease_until = NULL,"
        "  status = CASE $6 WHEN 'retry' THEN 'pending' ELSE $6 END,"
        "  delivered_at = CASE $6 WHEN 'delivered' THEN"
        "   to_timestamp (($3::bigint + $4::bigint) / 1000.0) END,"
        "  next_attempt_at = CASE $6 WHEN 'retry' THEN to_timestamp ($9::bigint / 1000.0)"
        "   ELSE next_attempt_at END,"
        "  last_status = nullif ($5::integer, 0), last_error = $7"
        " WHERE notification_id = $1::bigint",
        9, params, err, errlen);
    return rc;
}

int
notify_outbox_defer (PGconn *conn, int64_t id, int64_t next_ms, char *err, size_t errlen)
{
    char sid[32], next[32];
    snprintf (sid, sizeof sid, "%" PRId64, id);
    snprintf (next, sizeof next, "%" PRId64, next_ms);
    const char *params[] = {sid, next};
    return coll_pg_command (conn, "deferring a notification",
                            "UPDATE vigil.notifications SET lease_until = NULL,"
                            "  next_attempt_at = to_timestamp ($2::bigint / 1000.0)"
                            " WHERE notification_id = $1::bigint",
                            2, params, err, errlen);
}

int
notify_outbox_next_due (PGconn *conn, int64_t *outbox_ms, int64_t *schedule_ms, char *err,
                        size_t errlen)
{
    int rc;
    PGresult *res = coll_pg_exec (
        conn, "finding the next due time",
        "SELECT (extract (epoch FROM"
        "  (SELECT min (greatest (next_attempt_at, coalesce (lease_until, next_attempt_at)))"
        "     FROM vigil.notifications WHERE status = 'pending')) * 1000)::bigint,"
        " (extract (epoch FROM least ("
        "  (SELECT min (next_flush_at) FROM vigil.notify_groups),"
        "  (SELECT min (next_at) FROM vigil.escalations WHERE state = 'climbing'),"
        "  (SELECT min (k.expires_at) FROM vigil.alert_acks k JOIN vigil.escalations e"
        "     ON e.alert_id = k.alert_id AND e.state = 'acked'"
        "   WHERE k.ended_at IS NULL)"
        ")) * 1000)::bigint",
        0, NULL, &rc, err, errlen);
    if (!res)
        return rc;
    *outbox_ms = PQgetisnull (res, 0, 0) ? INT64_MAX : strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    *schedule_ms = PQgetisnull (res, 0, 1) ? INT64_MAX : strtoll (PQgetvalue (res, 0, 1), NULL, 10);
    PQclear (res);
    return VG_OK;
}
