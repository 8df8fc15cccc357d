/*  notify_text.c - text notifications (the daily report) into the outbox. */
#include "notify_text.h"
#include "coll_pg.h"
#include "notify_json.h"
#include "vg_error.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int
notify_text_receivable (const notify_config_t *cfg, const char *receiver)
{
    const notify_receiver_t *r = cfg ? notify_config_receiver (cfg, receiver) : NULL;
    for (size_t i = 0; r && i < r->n; i++)
        if (r->items[i].kind != NOTIFY_KIND_ALERTMANAGER)
            return 1;
    return 0;
}

/* "name":"value", (the comma left out for the last). */
static void
s_field (vg_buf_t *body, const char *name, const char *value, int last)
{
    vg_buf_printf (body, "\"%s\":", name);
    notify_json_string (body, value);
    if (!last)
        vg_buf_puts (body, ",");
}

static void
s_slack (const notify_text_t *m, const notify_integration_t *it, vg_buf_t *body)
{
    vg_buf_puts (body, "{");
    const char *opts[][2] = {
        {"channel", it->channel}, {"username", it->username}, {"icon_emoji", it->icon_emoji}};
    for (int i = 0; i < 3; i++)
        if (opts[i][1])
            s_field (body, opts[i][0], opts[i][1], 0);
    s_field (body, "text", m->markdown, 1);
    vg_buf_puts (body, ",\"mrkdwn\":true}\n");
}

static void
s_webhook (const notify_text_t *m, vg_buf_t *body)
{
    vg_buf_puts (body, "{\"version\":\"1\",");
    s_field (body, "kind", m->kind, 0);
    s_field (body, "receiver", m->receiver, 0);
    s_field (body, "title", m->title, 0);
    s_field (body, "text", m->markdown, 0);
    vg_buf_printf (body, "\"data\":%s}\n", m->data ? m->data : "null");
}

int
notify_text_add (PGconn *conn, const notify_config_t *cfg, const notify_text_t *m, vg_buf_t *ids,
                 char *err, size_t errlen)
{
    const notify_receiver_t *recv = notify_config_receiver (cfg, m->receiver);
    if (!recv) {
        snprintf (err, errlen, "no receiver \"%s\" in %s", m->receiver,
                  cfg->path ? cfg->path : "routes.yaml");
        return VG_EINVAL;
    }
    char now[32], give_up[32];
    snprintf (now, sizeof now, "%" PRId64, m->now_ms);
    snprintf (give_up, sizeof give_up, "%" PRId64, m->now_ms + cfg->give_up_after_ms);
    if (ids)
        vg_buf_puts (ids, "{");
    int added = 0, rc = 0;
    for (size_t i = 0; i < recv->n && rc == 0; i++) {
        const notify_integration_t *it = &recv->items[i];
        if (it->kind == NOTIFY_KIND_ALERTMANAGER)
            continue;
        /* The key first: an e-mail's Message-ID carries it. */
        PGresult *key = coll_pg_exec (conn, "making an idempotency key",
                                      "SELECT gen_random_uuid ()", 0, NULL, &rc, err, errlen);
        if (!key)
            break;
        vg_buf_t body = {0};
        if (it->kind == NOTIFY_KIND_SLACK)
            s_slack (m, it, &body);
        else if (it->kind == NOTIFY_KIND_WEBHOOK)
            s_webhook (m, &body);
        else
            notify_email_render_text (m, it, PQgetvalue (key, 0, 0), &body);
        vg_buf_append (&body, "", 1);
        char index[16];
        snprintf (index, sizeof index, "%d", it->index);
        const char *p[] = {PQgetvalue (key, 0, 0),
                           m->receiver,
                           notify_config_kind_name (it->kind),
                           index,
                           m->group_key,
                           m->reason,
                           it->kind == NOTIFY_KIND_EMAIL ? m->title : NULL,
                           body.data,
                           now,
                           give_up};
        PGresult *res = coll_pg_exec (
            conn, "adding a report to the outbox",
            "INSERT INTO vigil.notifications (idempotency_key, receiver, kind, integration,"
            "  group_key, reason, alert_ids, subject, body, created_at, next_attempt_at,"
            "  give_up_at)"
            " VALUES ($1::uuid, $2, $3, $4::integer, $5, $6, '{}', $7, $8,"
            "  to_timestamp ($9::bigint / 1000.0), to_timestamp ($9::bigint / 1000.0),"
            "  to_timestamp ($10::bigint / 1000.0))"
            " RETURNING notification_id",
            10, p, &rc, err, errlen);
        if (res) {
            if (ids)
                vg_buf_printf (ids, "%s%s", added ? "," : "", PQgetvalue (res, 0, 0));
            added++;
            PQclear (res);
        }
        PQclear (key);
        vg_buf_free (&body);
    }
    if (ids)
        vg_buf_puts (ids, "}");
    return rc ? rc : added;
}
