/*  scrape_format.c - which exposition format a response is in. */
#include "scrape_format.h"
#include "scrape_lex.h"
#include "vg_error.h"

#include <string.h>
#include <strings.h>

static int
s_is_tchar (char c)
{
    return scrape_lex_is_alpha (c) || scrape_lex_is_digit (c) ||
           (c && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The media type of a Content-Type, as Go's mime.ParseMediaType reads it:
 * type "/" subtype, then "; name=value" parameters (value a token or a
 * quoted string). Returns its length, 0 when the header does not parse. */
static size_t
s_media_type (const char *ct, const char **start)
{
    while (*ct == ' ' || *ct == '\t')
        ct++;
    *start = ct;
    const char *p = ct;
    while (s_is_tchar (*p))
        p++;
    if (p == ct || *p != '/')
        return 0;
    const char *sub = ++p;
    while (s_is_tchar (*p))
        p++;
    if (p == sub)
        return 0;
    size_t n = (size_t)(p - ct);
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            return n;
        if (*p++ != ';')
            return 0;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            return n; /* a trailing ';' is tolerated */
        const char *name = p;
        while (s_is_tchar (*p))
            p++;
        if (p == name || *p++ != '=')
            return 0;
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (*p++ != '"')
                return 0;
        } else {
            const char *value = p;
            while (s_is_tchar (*p))
                p++;
            if (p == value)
                return 0;
        }
    }
}

int
scrape_format_from_content_type (const char *content_type, scrape_format_t *format)
{
    if (!content_type)
        return VG_ENOTFOUND;
    const char *mt;
    size_t n = s_media_type (content_type, &mt);
    if (n == 28 && strncasecmp (mt, "application/openmetrics-text", n) == 0) {
        *format = SCRAPE_FORMAT_OPENMETRICS;
        return VG_OK;
    }
    if (n == 10 && strncasecmp (mt, "text/plain", n) == 0) {
        *format = SCRAPE_FORMAT_PROMETHEUS;
        return VG_OK;
    }
    return VG_ENOTFOUND;
}

scrape_format_t
scrape_format_guess (const char *text, size_t len)
{
    if (!text)
        return SCRAPE_FORMAT_PROMETHEUS;
    const char *end = text + len;
    while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    const char *start = end;
    while (start > text && start[-1] != '\n')
        start--;
    if (end - start == 5 && memcmp (start, "# EOF", 5) == 0)
        return SCRAPE_FORMAT_OPENMETRICS;
    return SCRAPE_FORMAT_PROMETHEUS;
}
