/*  notify_slack.c - Slack incoming webhooks: one attachment coloured by
 *  severity, with the title Alertmanager would give it, each alert's summary,
 *  runbook and ack links, and the labels as fields. */
#include "notify_json.h"
#include "notify_message.h"
#include "notify_route.h"
#include "vg_alloc.h"

#include <stdlib.h>
#include <string.h>

/* Slack's mrkdwn wants &, < and > escaped in text. */
static void
s_escape (vg_buf_t *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            vg_buf_puts (out, "&amp;");
        else if (*s == '<')
            vg_buf_puts (out, "&lt;");
        else if (*s == '>')
            vg_buf_puts (out, "&gt;");
        else
            vg_buf_append (out, s, 1);
    }
}

/* danger for critical, warning for warning, blue for the rest; good once
 * everything resolved. */
static const char *
s_color (const notify_message_t *m)
{
    if (!notify_message_firing (m))
        return "good";
    int worst = 0;
    for (size_t i = 0; i < m->nalerts; i++) {
        if (m->alerts[i]->state != RULES_ALERT_FIRING)
            continue;
        const char *sev =
            notify_matcher_label (m->alerts[i]->labels, m->alerts[i]->nlabels, "severity");
        int rank = strcmp (sev, "critical") == 0 ? 2 : strcmp (sev, "warning") == 0 ? 1 : 0;
        if (rank > worst)
            worst = rank;
    }
    return worst == 2 ? "danger" : worst == 1 ? "warning" : "#439FE0";
}

void
notify_slack_render (const notify_message_t *m, const notify_integration_t *it, vg_buf_t *body)
{
    vg_buf_t title = {0}, text = {0};
    notify_message_title (m, &title);
    vg_buf_append (&title, "", 1);
    if (m->level > 0)
        vg_buf_printf (&text, "*Escalation level %d*\n", m->level);
    for (size_t i = 0; i < m->nalerts; i++) {
        const notify_alert_t *a = m->alerts[i];
        vg_buf_puts (&text, a->state == RULES_ALERT_FIRING ? "• " : "• resolved: ");
        vg_buf_puts (&text, "*");
        s_escape (&text, notify_message_summary (a));
        vg_buf_puts (&text, "*");
        const char *runbook = notify_message_runbook (a);
        if (runbook) {
            vg_buf_puts (&text, "  <");
            s_escape (&text, runbook);
            vg_buf_puts (&text, "|Runbook>");
        }
        const char *ack = notify_message_annotation (a, "ack_url");
        if (ack && a->state == RULES_ALERT_FIRING) {
            vg_buf_puts (&text, "  <");
            s_escape (&text, ack);
            vg_buf_puts (&text, "|Acknowledge>");
        }
        vg_buf_puts (&text, "\n");
    }
    vg_buf_append (&text, "", 1);

    vg_buf_puts (body, "{");
    if (it->channel) {
        vg_buf_puts (body, "\"channel\":");
        notify_json_string (body, it->channel);
        vg_buf_puts (body, ",");
    }
    if (it->username) {
        vg_buf_puts (body, "\"username\":");
        notify_json_string (body, it->username);
        vg_buf_puts (body, ",");
    }
    if (it->icon_emoji) {
        vg_buf_puts (body, "\"icon_emoji\":");
        notify_json_string (body, it->icon_emoji);
        vg_buf_puts (body, ",");
    }
    vg_buf_puts (body, "\"attachments\":[{\"color\":");
    notify_json_string (body, s_color (m));
    vg_buf_puts (body, ",\"title\":");
    notify_json_string (body, title.data);
    if (m->signer && m->signer->external_url[0]) {
        vg_buf_puts (body, ",\"title_link\":");
        vg_buf_t link = {0};
        vg_buf_printf (&link, "%s/api/v1/alerts", m->signer->external_url);
        notify_json_string (body, link.data);
        vg_buf_free (&link);
    }
    vg_buf_puts (body, ",\"text\":");
    notify_json_string (body, text.data);
    vg_buf_puts (body, ",\"fallback\":");
    notify_json_string (body, title.data);
    /* The labels as fields: every label of a lone alert, else those the
     * alerts share. */
    size_t cap = m->nalerts ? m->alerts[0]->nlabels + 1 : 1;
    vg_label_t *fields = vg_calloc (cap, sizeof *fields);
    size_t nf = notify_message_common (m, 0, fields);
    vg_buf_puts (body, ",\"fields\":[");
    for (size_t i = 0; i < nf; i++) {
        vg_buf_puts (body, i ? ",{\"title\":" : "{\"title\":");
        notify_json_string (body, fields[i].key);
        vg_buf_puts (body, ",\"value\":");
        notify_json_string (body, fields[i].value);
        vg_buf_puts (body, ",\"short\":true}");
    }
    free (fields);
    vg_buf_puts (body, "],\"footer\":\"Vigil\",\"mrkdwn_in\":[\"text\"]}]}\n");
    vg_buf_free (&title);
    vg_buf_free (&text);
}
