/*  notify_json.c - Go-compatible JSON strings, label maps and times. */
#include "notify_json.h"
#include "notify_route.h"
#include "vg_alloc.h"
#include "vg_utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
notify_json_string (vg_buf_t *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen (s);
    vg_buf_append (out, "\"", 1);
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t n = vg_utf8_seq (p + i, len - i);
            if (n == 0) {
                vg_buf_puts (out, "\\ufffd");
                i++;
            } else if (n == 3 && c == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] & 0xfe) == 0xa8) {
                vg_buf_puts (out, p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
                i += 3;
            } else {
                vg_buf_append (out, p + i, n);
                i += n;
            }
            continue;
        }
        i++;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            vg_buf_append (out, e, 2);
        } else if (c == '\n')
            vg_buf_puts (out, "\\n");
        else if (c == '\r')
            vg_buf_puts (out, "\\r");
        else if (c == '\t')
            vg_buf_puts (out, "\\t");
        else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            vg_buf_append (out, e, 6);
        } else
            vg_buf_append (out, &c, 1);
    }
    vg_buf_append (out, "\"", 1);
}

void
notify_json_labels (vg_buf_t *out, const vg_label_t *labels, size_t n)
{
    vg_label_t *sorted = notify_route_sorted_labels (labels, n);
    vg_buf_append (out, "{", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            vg_buf_append (out, ",", 1);
        notify_json_string (out, sorted[i].key);
        vg_buf_append (out, ":", 1);
        notify_json_string (out, sorted[i].value ? sorted[i].value : "");
    }
    vg_buf_append (out, "}", 1);
    free (sorted);
}

void
notify_time_rfc3339 (vg_buf_t *out, int64_t ms)
{
    if (ms == 0) {
        vg_buf_puts (out, "0001-01-01T00:00:00Z");
        return;
    }
    time_t s = (time_t)(ms / 1000 - (ms % 1000 < 0));
    int frac = (int)(ms - (int64_t)s * 1000);
    struct tm tm;
    gmtime_r (&s, &tm);
    char text[64];
    strftime (text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
    vg_buf_puts (out, text);
    if (frac) {
        char f[8];
        snprintf (f, sizeof f, ".%03d", frac);
        size_t n = strlen (f);
        while (f[n - 1] == '0')
            f[--n] = '\0';
        vg_buf_puts (out, f);
    }
    vg_buf_puts (out, "Z");
}

void
notify_json_time (vg_buf_t *out, int64_t ms)
{
    vg_buf_append (out, "\"", 1);
    notify_time_rfc3339 (out, ms);
    vg_buf_append (out, "\"", 1);
}
