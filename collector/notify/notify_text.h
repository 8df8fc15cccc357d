/*  notify_text.h - a notification that is not about alerts (the daily
 *  report), written into the outbox for every integration of a receiver,
 *  each in its own form:
 *
 *      slack         {"text": MARKDOWN, "mrkdwn": true} (with the integration's
 *                    channel, username and icon_emoji)
 *      webhook       {"version": "1", "kind": KIND, "receiver", "title",
 *                     "text": MARKDOWN, "data": DATA}  (DATA: JSON, or null)
 *      email         the title as subject, MARKDOWN as the text part, HTML as
 *                    the HTML part
 *      alertmanager  nothing: Alertmanager takes alerts only
 *
 *  The rows go through the sender as every notification does (retries,
 *  Retry-After, rate limits, the idempotency key). The caller owns the
 *  transaction.
 */
#ifndef NOTIFY_TEXT_H
#define NOTIFY_TEXT_H

#include "notify_config.h"
#include "vg_buf.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *receiver;  /* a receiver of routes.yaml */
    const char *kind;      /* what it is, for webhooks: "report" */
    const char *group_key; /* the outbox row's group_key: "report:daily:2025-06-15" */
    const char *reason;    /* the outbox row's reason: "daily report" */
    const char *title;     /* e-mail subject, webhook title */
    const char *markdown;  /* Slack's text, the webhook's text, the e-mail's text part */
    const char *html;      /* the e-mail's HTML part; NULL: none */
    const char *data;      /* JSON for the webhook's data; NULL: null */
    int64_t now_ms;
} notify_text_t;

/* Adds one outbox row per integration of m->receiver that can carry text
 * (all but alertmanager); their ids go to ids (may be NULL), "{1,2}".
 * Returns how many (>= 0), or a negative code with err. */
int notify_text_add (PGconn *conn, const notify_config_t *cfg, const notify_text_t *m,
                     vg_buf_t *ids, char *err, size_t errlen);

/* Whether receiver (of cfg) has an integration that can carry text. */
int notify_text_receivable (const notify_config_t *cfg, const char *receiver);

/* An e-mail (notify_email.c): the RFC 5322 message with m's title, text and
 * HTML, for integration it; message_id names it. */
void notify_email_render_text (const notify_text_t *m, const notify_integration_t *it,
                               const char *message_id, vg_buf_t *body);

#endif
