/*  notify_email.c - an alert e-mail (or a report's, notify_text.h): RFC 5322
 *  headers and a multipart/alternative body with a text and an HTML part,
 *  each base64 so no line is too long for SMTP. */
#include "notify_message.h"
#include "notify_route.h"
#include "notify_text.h"
#include "vg_alloc.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
s_base64_lines (vg_buf_t *out, const char *data, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN (len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = vg_malloc (cap);
    sodium_bin2base64 (b64, cap, (const unsigned char *)data, len, sodium_base64_VARIANT_ORIGINAL);
    size_t n = strlen (b64);
    for (size_t i = 0; i < n; i += 76) {
        vg_buf_append (out, b64 + i, n - i < 76 ? n - i : 76);
        vg_buf_puts (out, "\r\n");
    }
    free (b64);
}

/* A header value: as is when printable ASCII, else RFC 2047 base64. */
static void
s_header_text (vg_buf_t *out, const char *s)
{
    int plain = 1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        plain &= *p >= 0x20 && *p < 0x7f;
    if (plain) {
        vg_buf_puts (out, s);
        return;
    }
    size_t len = strlen (s);
    size_t cap = sodium_base64_ENCODED_LEN (len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = vg_malloc (cap);
    sodium_bin2base64 (b64, cap, (const unsigned char *)s, len, sodium_base64_VARIANT_ORIGINAL);
    vg_buf_printf (out, "=?UTF-8?B?%s?=", b64);
    free (b64);
}

static void
s_html (vg_buf_t *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            vg_buf_puts (out, "&amp;");
            break;
        case '<':
            vg_buf_puts (out, "&lt;");
            break;
        case '>':
            vg_buf_puts (out, "&gt;");
            break;
        case '"':
            vg_buf_puts (out, "&quot;");
            break;
        default:
            vg_buf_append (out, s, 1);
        }
    }
}

static void
s_text_part (const notify_message_t *m, const char *title, vg_buf_t *t)
{
    vg_buf_printf (t, "%s\r\n\r\n", title);
    if (m->level > 0)
        vg_buf_printf (t, "Escalation level %d.\r\n\r\n", m->level);
    for (size_t i = 0; i < m->nalerts; i++) {
        const notify_alert_t *a = m->alerts[i];
        vg_buf_printf (t, "%s: %s\r\n", a->state == RULES_ALERT_FIRING ? "FIRING" : "RESOLVED",
                       notify_message_summary (a));
        for (size_t l = 0; l < a->nlabels; l++)
            vg_buf_printf (t, "  %s = %s\r\n", a->labels[l].key, a->labels[l].value);
        const char *runbook = notify_message_runbook (a);
        if (runbook)
            vg_buf_printf (t, "  Runbook: %s\r\n", runbook);
        const char *ack = notify_message_annotation (a, "ack_url");
        if (ack && a->state == RULES_ALERT_FIRING)
            vg_buf_printf (t, "  Acknowledge: %s\r\n", ack);
        vg_buf_puts (t, "\r\n");
    }
}

static void
s_html_part (const notify_message_t *m, const char *title, vg_buf_t *h)
{
    vg_buf_puts (h, "<!DOCTYPE html><html><body><h2>");
    s_html (h, title);
    vg_buf_puts (h, "</h2>");
    if (m->level > 0)
        vg_buf_printf (h, "<p>Escalation level %d.</p>", m->level);
    for (size_t i = 0; i < m->nalerts; i++) {
        const notify_alert_t *a = m->alerts[i];
        int firing = a->state == RULES_ALERT_FIRING;
        vg_buf_printf (h, "<h3 style=\"color:%s\">%s: ", firing ? "#c00" : "#080",
                       firing ? "FIRING" : "RESOLVED");
        s_html (h, notify_message_summary (a));
        vg_buf_puts (h, "</h3><table>");
        for (size_t l = 0; l < a->nlabels; l++) {
            vg_buf_puts (h, "<tr><th align=\"left\">");
            s_html (h, a->labels[l].key);
            vg_buf_puts (h, "</th><td>");
            s_html (h, a->labels[l].value);
            vg_buf_puts (h, "</td></tr>");
        }
        vg_buf_puts (h, "</table>");
        const char *runbook = notify_message_runbook (a);
        if (runbook) {
            vg_buf_puts (h, "<p><a href=\"");
            s_html (h, runbook);
            vg_buf_puts (h, "\">Runbook</a></p>");
        }
        const char *ack = notify_message_annotation (a, "ack_url");
        if (ack && firing) {
            vg_buf_puts (h, "<p><a href=\"");
            s_html (h, ack);
            vg_buf_puts (h, "\">Acknowledge</a></p>");
        }
    }
    vg_buf_puts (h, "</body></html>\r\n");
}

/* From, To, Subject, Date, Message-ID and the multipart/alternative header. */
static void
s_headers (vg_buf_t *body, const notify_integration_t *it, const char *subject,
           const char *message_id, int64_t now_ms)
{
    char date[64];
    time_t s = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r (&s, &tm);
    strftime (date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    vg_buf_printf (body, "From: %s\r\nTo: ", it->from);
    for (size_t i = 0; i < it->to.n; i++)
        vg_buf_printf (body, "%s%s", i ? ", " : "", it->to.items[i]);
    vg_buf_puts (body, "\r\nSubject: ");
    s_header_text (body, subject);
    vg_buf_printf (body,
                   "\r\nDate: %s\r\nMessage-ID: <%s@vigil>\r\nMIME-Version: 1.0\r\n"
                   "Content-Type: multipart/alternative; boundary=\"vigil-%s\"\r\n\r\n",
                   date, message_id, message_id);
}

/* One part of the multipart/alternative body, base64. */
static void
s_part (vg_buf_t *body, const char *message_id, const char *type, const char *data, size_t len)
{
    vg_buf_printf (body,
                   "--vigil-%s\r\nContent-Type: %s; charset=utf-8\r\n"
                   "Content-Transfer-Encoding: base64\r\n\r\n",
                   message_id, type);
    s_base64_lines (body, data, len);
}

void
notify_email_render (const notify_message_t *m, const notify_integration_t *it,
                     const char *message_id, vg_buf_t *subject, vg_buf_t *body)
{
    notify_message_title (m, subject);
    vg_buf_append (subject, "", 1);
    subject->len--;
    s_headers (body, it, subject->data, message_id, m->now_ms);
    vg_buf_t text = {0}, html = {0};
    s_text_part (m, subject->data, &text);
    s_html_part (m, subject->data, &html);
    s_part (body, message_id, "text/plain", text.data, text.len);
    s_part (body, message_id, "text/html", html.data, html.len);
    vg_buf_printf (body, "--vigil-%s--\r\n", message_id);
    vg_buf_free (&text);
    vg_buf_free (&html);
}

void
notify_email_render_text (const notify_text_t *m, const notify_integration_t *it,
                          const char *message_id, vg_buf_t *body)
{
    s_headers (body, it, m->title, message_id, m->now_ms);
    s_part (body, message_id, "text/plain", m->markdown, strlen (m->markdown));
    if (m->html)
        s_part (body, message_id, "text/html", m->html, strlen (m->html));
    vg_buf_printf (body, "--vigil-%s--\r\n", message_id);
}
