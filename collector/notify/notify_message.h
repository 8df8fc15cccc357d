/*  notify_message.h - one notification as the receivers render it: a group's
 *  alerts (or one alert at an escalation level), in Alertmanager's order,
 *  with what its templates compute (status, common labels and annotations,
 *  the title). */
#ifndef NOTIFY_MESSAGE_H
#define NOTIFY_MESSAGE_H

#include "notify_ack.h"
#include "notify_alert.h"
#include "notify_config.h"
#include "vg_buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *receiver;
    const char *group_key;
    const char *reason; /* "first notification", "escalation level 2", ... */
    const vg_label_t *group_labels;
    size_t ngroup;
    notify_alert_t **alerts; /* in Alertmanager's order (notify_message_sort) */
    size_t nalerts;
    int level;              /* escalation level, 0 for a route's own notification */
    int64_t valid_until_ms; /* Alertmanager receiver: a firing alert's endsAt */
    const notify_ack_signer_t *signer;
    int64_t now_ms;
} notify_message_t;

/* Sorts alerts as Alertmanager does: by label job, then instance, then the
 * whole label set. */
void notify_message_sort (notify_alert_t **alerts, size_t n);
/* 1 if any alert fires ("firing"), else "resolved". */
int notify_message_firing (const notify_message_t *m);
/* Labels (or annotations, when annotations is set) every alert has with the
 * same value; out has room for the first alert's count. Returns how many. */
size_t notify_message_common (const notify_message_t *m, int annotations, vg_label_t *out);
/* Alertmanager's default title: "[FIRING:2] group label values (common
 * label values)" or "[RESOLVED] ...". */
void notify_message_title (const notify_message_t *m, vg_buf_t *out);
/* The alert's summary (annotation summary, else description, else its
 * alertname). */
const char *notify_message_summary (const notify_alert_t *a);
/* Adds each firing alert's signed ack link to its annotations, as ack_url
 * (when the signer has a key), so every receiver shows it. */
void notify_message_add_links (notify_message_t *m);
/* The value of annotation key, or NULL. */
const char *notify_message_annotation (const notify_alert_t *a, const char *key);
/* The runbook link: annotation runbook_url, else runbook; NULL if none. */
const char *notify_message_runbook (const notify_alert_t *a);
/* regexp.QuoteMeta, which Alertmanager applies to the receiver's name. */
void notify_message_quote_meta (vg_buf_t *out, const char *s);

/* Renderers: each writes the body a receiver sends (and the subject for
 * e-mail). */
void notify_webhook_render (const notify_message_t *m, const notify_integration_t *it,
                            vg_buf_t *body);
void notify_slack_render (const notify_message_t *m, const notify_integration_t *it,
                          vg_buf_t *body);
void notify_alertmanager_render (const notify_message_t *m, const notify_integration_t *it,
                                 vg_buf_t *body);
/* A whole RFC 5322 message, text and HTML (multipart/alternative);
 * message_id names it (the notification's idempotency key goes there). */
void notify_email_render (const notify_message_t *m, const notify_integration_t *it,
                          const char *message_id, vg_buf_t *subject, vg_buf_t *body);

#endif
