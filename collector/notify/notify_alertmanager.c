/*  notify_alertmanager.c - alerts for an existing Alertmanager, as
 *  Prometheus posts them to /api/v2/alerts. A firing alert's endsAt is the
 *  message's valid_until (so Alertmanager does not resolve it on its own
 *  while Vigil still repeats it); a resolved one carries its real end. */
#include "notify_json.h"
#include "notify_message.h"

#include <inttypes.h>

void
notify_alertmanager_render (const notify_message_t *m, const notify_integration_t *it,
                            vg_buf_t *body)
{
    (void)it;
    const char *base = m->signer ? m->signer->external_url : "";
    vg_buf_puts (body, "[");
    for (size_t i = 0; i < m->nalerts; i++) {
        const notify_alert_t *a = m->alerts[i];
        int firing = a->state == RULES_ALERT_FIRING;
        vg_buf_puts (body, i ? ",{\"labels\":" : "{\"labels\":");
        notify_json_labels (body, a->labels, a->nlabels);
        vg_buf_puts (body, ",\"annotations\":");
        notify_json_labels (body, a->annotations, a->nannotations);
        vg_buf_puts (body, ",\"startsAt\":");
        notify_json_time (body, a->starts_ms);
        vg_buf_puts (body, ",\"endsAt\":");
        notify_json_time (body, firing ? m->valid_until_ms : a->ends_ms);
        vg_buf_puts (body, ",\"generatorURL\":");
        vg_buf_t gen = {0};
        vg_buf_printf (&gen, "%s/api/v1/alerts/%" PRId64, base, a->id);
        notify_json_string (body, gen.data);
        vg_buf_free (&gen);
        vg_buf_puts (body, "}");
    }
    vg_buf_puts (body, "]\n");
}
