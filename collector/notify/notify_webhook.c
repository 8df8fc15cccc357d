/*  notify_webhook.c - Alertmanager's webhook payload, version 4, with the
 *  keys, types and order Alertmanager writes: existing receivers take it
 *  unchanged. Firing alerts carry the zero endsAt. */
#include "notify_json.h"
#include "notify_message.h"
#include "vg_alloc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* One alert as Alertmanager's template.Alert. */
static void
s_alert (vg_buf_t *out, const notify_alert_t *a, const char *generator_url)
{
    int firing = a->state == RULES_ALERT_FIRING;
    vg_buf_puts (out, "{\"status\":");
    notify_json_string (out, firing ? "firing" : "resolved");
    vg_buf_puts (out, ",\"labels\":");
    notify_json_labels (out, a->labels, a->nlabels);
    vg_buf_puts (out, ",\"annotations\":");
    notify_json_labels (out, a->annotations, a->nannotations);
    vg_buf_puts (out, ",\"startsAt\":");
    notify_json_time (out, a->starts_ms);
    vg_buf_puts (out, ",\"endsAt\":");
    notify_json_time (out, firing ? 0 : a->ends_ms);
    vg_buf_puts (out, ",\"generatorURL\":");
    notify_json_string (out, generator_url);
    vg_buf_puts (out, ",\"fingerprint\":");
    notify_json_string (out, a->fingerprint);
    vg_buf_puts (out, "}");
}

void
notify_webhook_render (const notify_message_t *m, const notify_integration_t *it, vg_buf_t *body)
{
    size_t n = m->nalerts, truncated = 0;
    if (it->max_alerts > 0 && n > (size_t)it->max_alerts) {
        truncated = n - (size_t)it->max_alerts;
        n = (size_t)it->max_alerts;
    }
    vg_buf_t recv = {0};
    notify_message_quote_meta (&recv, m->receiver);
    vg_buf_append (&recv, "", 1);
    vg_buf_puts (body, "{\"receiver\":");
    notify_json_string (body, recv.data);
    vg_buf_puts (body, ",\"status\":");
    notify_json_string (body, notify_message_firing (m) ? "firing" : "resolved");
    vg_buf_puts (body, ",\"alerts\":[");
    const char *base = m->signer ? m->signer->external_url : "";
    for (size_t i = 0; i < n; i++) {
        vg_buf_t gen = {0};
        vg_buf_printf (&gen, "%s/api/v1/alerts/%" PRId64, base, m->alerts[i]->id);
        if (i)
            vg_buf_puts (body, ",");
        s_alert (body, m->alerts[i], gen.data);
        vg_buf_free (&gen);
    }
    vg_buf_puts (body, "],\"groupLabels\":");
    notify_json_labels (body, m->group_labels, m->ngroup);
    size_t cap = m->nalerts ? m->alerts[0]->nlabels + m->alerts[0]->nannotations + 1 : 1;
    vg_label_t *common = vg_calloc (cap, sizeof *common);
    size_t nc = notify_message_common (m, 0, common);
    vg_buf_puts (body, ",\"commonLabels\":");
    notify_json_labels (body, common, nc);
    nc = notify_message_common (m, 1, common);
    vg_buf_puts (body, ",\"commonAnnotations\":");
    notify_json_labels (body, common, nc);
    free (common);
    vg_buf_puts (body, ",\"externalURL\":");
    notify_json_string (body, base);
    vg_buf_puts (body, ",\"version\":\"4\",\"groupKey\":");
    notify_json_string (body, m->group_key);
    vg_buf_printf (body, ",\"truncatedAlerts\":%zu}\n", truncated);
    vg_buf_free (&recv);
}
