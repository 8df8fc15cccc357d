/*  scrape_lex.c - the tokens of the Prometheus and OpenMetrics text formats. */
#include "scrape_lex.h"
#include "vg_utf8.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_TOKEN_MAX 64 /* a number's text: 0.0.4 and OpenMetrics numbers fit easily */

/* [sign] digits [. digits] [e [sign] digits], or . digits instead of the
 * first digits: the only real numbers either format writes. */
static int
s_is_real (const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && scrape_lex_is_digit (s[i]))
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && scrape_lex_is_digit (s[i]))
            i++, digits++;
    }
    if (digits == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t exp = 0;
        while (i < n && scrape_lex_is_digit (s[i]))
            i++, exp++;
        if (exp == 0)
            return 0;
    }
    return i == n;
}

int
scrape_lex_number (const char *s, size_t n, int allow_special, double *out)
{
    if (n == 0 || n >= S_TOKEN_MAX)
        return -1;
    size_t i = s[0] == '+' || s[0] == '-';
    /* most values are counts: up to 15 digits, a double holds them exactly */
    if (n - i <= 15 && n > i) {
        uint64_t v = 0;
        size_t k = i;
        while (k < n && scrape_lex_is_digit (s[k]))
            v = v * 10 + (uint64_t)(s[k++] - '0');
        if (k == n) {
            *out = s[0] == '-' ? -(double)v : (double)v;
            return 0;
        }
    }
    char buf[S_TOKEN_MAX];
    memcpy (buf, s, n);
    buf[n] = '\0';
    if (allow_special && i < n && scrape_lex_is_alpha (s[i])) {
        const char *w = buf + i;
        if (strcasecmp (w, "inf") == 0 || strcasecmp (w, "infinity") == 0) {
            *out = buf[0] == '-' ? -INFINITY : INFINITY;
            return 0;
        }
        if (strcasecmp (buf, "nan") == 0) {
            *out = NAN;
            return 0;
        }
        return -1;
    }
    if (!s_is_real (buf, n))
        return -1;
    errno = 0;
    char *endp;
    double v = strtod (buf, &endp);
    if (endp != buf + n || (errno == ERANGE && isinf (v)))
        return -1;
    *out = v;
    return 0;
}

int
scrape_lex_timestamp (scrape_format_t format, const char *s, size_t n, int64_t *ms, double *exact)
{
    if (format == SCRAPE_FORMAT_OPENMETRICS) {
        double v;
        if (scrape_lex_number (s, n, 0, &v) != 0)
            return -1;
        /* 9.2e18 ms is about 292 million years: past it, int64 ms overflow */
        double m = v * 1000.0;
        *ms = m >= 9.2e18 ? INT64_MAX : m <= -9.2e18 ? INT64_MIN : (int64_t)llround (m);
        if (exact)
            *exact = v;
        return 0;
    }
    char buf[S_TOKEN_MAX];
    size_t i = n > 0 && (s[0] == '+' || s[0] == '-');
    if (n == 0 || n >= sizeof buf || i == n)
        return -1;
    for (; i < n; i++)
        if (!scrape_lex_is_digit (s[i]))
            return -1;
    memcpy (buf, s, n);
    buf[n] = '\0';
    errno = 0;
    long long v = strtoll (buf, NULL, 10);
    if (errno == ERANGE)
        return -1;
    *ms = v;
    if (exact)
        *exact = (double)v;
    return 0;
}

int
scrape_lex_type (scrape_format_t format, const char *s, size_t n, scrape_type_t *type)
{
    int om = format == SCRAPE_FORMAT_OPENMETRICS;
    for (int t = SCRAPE_TYPE_COUNTER; t <= SCRAPE_TYPE_INFO; t++) {
        const char *name = scrape_parse_type_name ((scrape_type_t)t);
        if (!om && t > SCRAPE_TYPE_SUMMARY)
            break;
        if (strlen (name) == n && memcmp (s, name, n) == 0) {
            *type = (scrape_type_t)t;
            return 0;
        }
    }
    const char *untyped = om ? "unknown" : "untyped";
    if (strlen (untyped) == n && memcmp (s, untyped, n) == 0) {
        *type = SCRAPE_TYPE_UNTYPED;
        return 0;
    }
    return -1;
}

const char *
scrape_lex_value_end (const char *p, const char *end)
{
    const char *close = p;
    while (close < end && *close != '"')
        close += *close == '\\' && close + 1 < end ? 2 : 1;
    return close < end ? close : NULL;
}

scrape_lex_status_t
scrape_lex_unescape (scrape_format_t format, const char *s, size_t n, char *out, size_t *outlen,
                     char *bad, size_t *nuls)
{
    size_t len = 0;
    for (const char *q = s, *end = s + n; q < end; q++) {
        if (*q == '\0') { /* U+FFFD REPLACEMENT CHARACTER */
            out[len++] = (char)0xef, out[len++] = (char)0xbf, out[len++] = (char)0xbd;
            (*nuls)++;
            continue;
        }
        if (*q != '\\') {
            out[len++] = *q;
            continue;
        }
        if (q + 1 == end) { /* scrape_lex_value_end never ends a value so */
            *bad = '\\';
            return SCRAPE_LEX_ESCAPE;
        }
        char c = *++q;
        if (c == 'n')
            out[len++] = '\n';
        else if (c == '\\' || c == '"')
            out[len++] = c;
        else if (format == SCRAPE_FORMAT_OPENMETRICS) /* BS normal-char: kept as written */
            out[len++] = '\\', out[len++] = c;
        else {
            *bad = c;
            return SCRAPE_LEX_ESCAPE;
        }
    }
    out[len] = '\0';
    if (vg_utf8_check (out, len) != len)
        return SCRAPE_LEX_UTF8;
    *outlen = len;
    return SCRAPE_LEX_OK;
}

size_t
scrape_lex_chars (const char *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)s[i] & 0xc0) != 0x80;
    return chars;
}

const char *
scrape_lex_show (char *dst, size_t cap, const char *s, size_t n)
{
    size_t limit = cap > 4 ? cap - 4 : 0, i;
    if (limit > 32)
        limit = 32;
    for (i = 0; i < n && i < limit; i++)
        dst[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    if (i < n)
        dst[i++] = '.', dst[i++] = '.', dst[i++] = '.';
    dst[i] = '\0';
    return dst;
}
