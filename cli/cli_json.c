/*  cli_json.c - the little JSON the CLI writes. */
#include "cli_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if it is not one. */
static size_t
s_utf8_len (const unsigned char *p)
{
    size_t n;
    if (p[0] < 0x80)
        return 1;
    else if (p[0] >= 0xc2 && p[0] <= 0xdf)
        n = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        n = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        n = 4;
    else
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    /* Overlong forms, surrogates and code points past U+10FFFF. */
    if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
        (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
        return 0;
    return n;
}

void
cli_json_string (vg_buf_t *out, const char *s)
{
    if (!s) {
        vg_buf_puts (out, "null");
        return;
    }
    vg_buf_puts (out, "\"");
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p == '"' || *p == '\\') {
            vg_buf_printf (out, "\\%c", *p);
            p++;
        } else if (*p == '\n') {
            vg_buf_puts (out, "\\n");
            p++;
        } else if (*p < 0x20 || *p == 0x7f) {
            vg_buf_printf (out, "\\u%04x", *p);
            p++;
        } else {
            size_t n = s_utf8_len (p);
            if (n == 0) {
                vg_buf_puts (out, "\\ufffd");
                p++;
            } else {
                vg_buf_append (out, p, n);
                p += n;
            }
        }
    }
    vg_buf_puts (out, "\"");
}

void
cli_json_number (vg_buf_t *out, const char *text)
{
    char *end = NULL;
    double v = text && *text ? strtod (text, &end) : NAN;
    if (!isfinite (v) || (end && *end)) {
        vg_buf_puts (out, "null");
        return;
    }
    /* PostgreSQL prints the shortest text that reads back exactly: keep it. */
    vg_buf_puts (out, text);
}
