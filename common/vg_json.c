/*  vg_json.c - JSON text for the values Vigil writes (labels as jsonb, CLI output). */
#include "vg_json.h"
#include "vg_utf8.h"

#include <string.h>

static const char s_replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

void
vg_json_string (vg_buf_t *buf, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    vg_buf_reserve (buf, len + 2);
    vg_buf_append (buf, "\"", 1);
    size_t i = 0, run = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        size_t n = c >= 0x80 ? vg_utf8_seq (p + i, len - i) : 0;
        if (n) {
            i += n;
            continue;
        }
        vg_buf_append (buf, s + run, i - run);
        char esc[8];
        size_t elen = 2;
        esc[0] = '\\';
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            if (c < 0x20 && c != 0) {
                memcpy (esc, "\\u00", 4);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                elen = 6;
            } else { /* invalid UTF-8, or NUL, which jsonb refuses */
                memcpy (esc, s_replacement, 3);
                elen = 3;
            }
        }
        vg_buf_append (buf, esc, elen);
        run = ++i;
    }
    vg_buf_append (buf, s + run, i - run);
    vg_buf_append (buf, "\"", 1);
}
