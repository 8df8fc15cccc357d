/*  statsd_parse.c - StatsD and DogStatsD lines, parsed in place.
 *
 *  A line is split at its first ':' (name | values) and then at '|' (values,
 *  type, extensions). Nothing is allocated and nothing is copied except a
 *  number's text, which strtod needs NUL-terminated. Numbers are checked by
 *  hand first so that strtod's extras (hex, "nan", "inf", leading blanks)
 *  are refused: a StatsD value is a decimal number.
 */
#include "statsd_parse.h"
#include "vg_error.h"
#include "vg_utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NUMBER_MAX 63 /* longest number text accepted */
#define S_SHOW_MAX   40 /* bytes of an offending token quoted in a reason */

static const char *const s_type_names[] = {"c", "g", "ms", "h", "d", "s"};

static int s_fail (char *err, size_t errlen, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_fail (char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (err, errlen, fmt, ap);
        va_end (ap);
    }
    return VG_EINVAL;
}

/* A printable copy of a token for a reason: control bytes and non-ASCII
 * become '?', long tokens are cut with "...". */
static const char *
s_show (char *dst, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < cap; i++) {
        if (i == S_SHOW_MAX) {
            memcpy (dst + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char c = (unsigned char)s[i];
        dst[o++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
    }
    dst[o] = '\0';
    return dst;
}

static const char *
s_find (const char *p, const char *end, char c)
{
    const char *q = memchr (p, c, (size_t)(end - p));
    return q ? q : end;
}

/* Parses a decimal number filling [p, end) exactly: an optional sign,
 * digits with at most one '.', an optional exponent. */
static int
s_number (const char *p, size_t n, double *out)
{
    if (n == 0 || n > S_NUMBER_MAX)
        return VG_EINVAL;
    size_t i = 0, digits = 0;
    if (p[i] == '+' || p[i] == '-')
        i++;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
        digits++;
    if (i < n && p[i] == '.')
        for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++)
            digits++;
    if (digits == 0)
        return VG_EINVAL;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        size_t exp_digits = 0;
        for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
            exp_digits++;
        if (exp_digits == 0)
            return VG_EINVAL;
    }
    if (i != n)
        return VG_EINVAL;
    char buf[S_NUMBER_MAX + 1];
    memcpy (buf, p, n);
    buf[n] = '\0';
    double v = strtod (buf, NULL);
    if (!isfinite (v))
        return VG_EINVAL;
    *out = v;
    return VG_OK;
}

static int
s_type (const char *p, size_t n, statsd_type_t *type)
{
    for (size_t t = 0; t < sizeof s_type_names / sizeof s_type_names[0]; t++)
        if (strlen (s_type_names[t]) == n && memcmp (s_type_names[t], p, n) == 0) {
            *type = (statsd_type_t)t;
            return VG_OK;
        }
    return VG_EINVAL;
}

static int
s_values (const char *p, const char *end, statsd_line_t *out, char *err, size_t errlen)
{
    char show[64];
    if (p == end)
        return s_fail (err, errlen, "empty value");
    if (out->type == STATSD_SET) {
        /* A set member is any string; it is only ever hashed. */
        out->set_value = (statsd_str_t){p, (size_t)(end - p)};
        return VG_OK;
    }
    for (;;) {
        const char *q = s_find (p, end, ':');
        if (out->nvalues == STATSD_MAX_VALUES)
            return s_fail (err, errlen, "more than %d values", STATSD_MAX_VALUES);
        double v;
        if (s_number (p, (size_t)(q - p), &v) != VG_OK)
            return s_fail (err, errlen, "value '%s' is not a number",
                           s_show (show, sizeof show, p, (size_t)(q - p)));
        out->values[out->nvalues] = v;
        out->delta[out->nvalues] = out->type == STATSD_GAUGE && (*p == '+' || *p == '-');
        out->nvalues++;
        if (q == end)
            return VG_OK;
        p = q + 1;
    }
}

static int
s_tags (const char *p, const char *end, statsd_line_t *out, char *err, size_t errlen)
{
    char show[64];
    for (;;) {
        const char *q = s_find (p, end, ',');
        if (q > p) { /* ",," and a trailing ',' are let through */
            const char *colon = s_find (p, q, ':');
            statsd_tag_t tag = {.key = {p, (size_t)(colon - p)}};
            if (colon < q)
                tag.value = (statsd_str_t){colon + 1, (size_t)(q - colon - 1)};
            else
                tag.value = (statsd_str_t){"true", 4};
            if (tag.key.len == 0)
                return s_fail (err, errlen, "tag '%s' has no key",
                               s_show (show, sizeof show, p, (size_t)(q - p)));
            if (tag.key.len > STATSD_MAX_TAG || tag.value.len > STATSD_MAX_TAG)
                return s_fail (err, errlen, "tag '%s' is longer than %d bytes",
                               s_show (show, sizeof show, p, tag.key.len), STATSD_MAX_TAG);
            if (vg_utf8_check (tag.value.ptr, tag.value.len) != tag.value.len)
                return s_fail (err, errlen, "tag '%s' has a value that is not UTF-8",
                               s_show (show, sizeof show, p, tag.key.len));
            if (out->ntags == STATSD_MAX_TAGS)
                return s_fail (err, errlen, "more than %d tags", STATSD_MAX_TAGS);
            out->tags[out->ntags++] = tag;
        }
        if (q == end)
            return VG_OK;
        p = q + 1;
    }
}

/* One '|' section after the type: [p, end) without the '|'. */
static int
s_extension (const char *p, const char *end, statsd_line_t *out, int *seen_rate, int *seen_tags,
             char *err, size_t errlen)
{
    char show[64];
    size_t n = (size_t)(end - p);
    if (n == 0)
        return s_fail (err, errlen, "empty field between '|'");
    if (*p == '@') {
        if (*seen_rate)
            return s_fail (err, errlen, "sample rate given twice");
        *seen_rate = 1;
        double rate;
        if (s_number (p + 1, n - 1, &rate) != VG_OK || !(rate > 0.0 && rate <= 1.0))
            return s_fail (err, errlen, "sample rate '%s' is not a number in (0, 1]",
                           s_show (show, sizeof show, p + 1, n - 1));
        out->rate = rate;
        return VG_OK;
    }
    if (*p == '#') {
        if (*seen_tags)
            return s_fail (err, errlen, "tags given twice");
        *seen_tags = 1;
        return s_tags (p + 1, end, out, err, errlen);
    }
    /* DogStatsD's container id and timestamp: nothing here uses them. */
    if (n >= 2 && p[0] == 'c' && p[1] == ':')
        return VG_OK;
    if (*p == 'T' && n > 1) {
        for (size_t i = 1; i < n; i++)
            if (p[i] < '0' || p[i] > '9')
                return s_fail (err, errlen, "timestamp '%s' is not a number",
                               s_show (show, sizeof show, p + 1, n - 1));
        return VG_OK;
    }
    return s_fail (err, errlen, "unknown field '|%s'", s_show (show, sizeof show, p, n));
}

int
statsd_parse_line (const char *line, size_t len, statsd_line_t *out, char *err, size_t errlen)
{
    char show[64];
    const char *end = line + len;
    out->nvalues = 0;
    out->ntags = 0;
    out->rate = 1.0;
    out->set_value = (statsd_str_t){NULL, 0};
    if (len == 0)
        return s_fail (err, errlen, "empty line");
    /* A NUL would cut a name or tag value short once it is a C string. */
    if (memchr (line, '\0', len))
        return s_fail (err, errlen, "line contains a NUL byte");
    if ((len >= 3 && memcmp (line, "_e{", 3) == 0) || (len >= 4 && memcmp (line, "_sc|", 4) == 0))
        return s_fail (err, errlen, "DogStatsD events and service checks are not supported");

    const char *colon = s_find (line, end, ':');
    const char *pipe = s_find (line, end, '|');
    if (colon == end || pipe < colon)
        return s_fail (err, errlen, "no ':' between the name and the value");
    if (colon == line)
        return s_fail (err, errlen, "empty name");
    if (colon - line > STATSD_MAX_NAME)
        return s_fail (err, errlen, "name '%s' is longer than %d bytes",
                       s_show (show, sizeof show, line, (size_t)(colon - line)), STATSD_MAX_NAME);
    out->name = (statsd_str_t){line, (size_t)(colon - line)};
    if (pipe == end)
        return s_fail (err, errlen, "no '|type' after the value");

    const char *type = pipe + 1;
    const char *type_end = s_find (type, end, '|');
    if (s_type (type, (size_t)(type_end - type), &out->type) != VG_OK)
        return s_fail (err, errlen, "unknown type '%s' (c, g, ms, h, d or s)",
                       s_show (show, sizeof show, type, (size_t)(type_end - type)));
    int rc = s_values (colon + 1, pipe, out, err, errlen);
    if (rc != VG_OK)
        return rc;

    int seen_rate = 0, seen_tags = 0;
    for (const char *p = type_end; p < end;) {
        const char *q = s_find (p + 1, end, '|');
        rc = s_extension (p + 1, q, out, &seen_rate, &seen_tags, err, errlen);
        if (rc != VG_OK)
            return rc;
        p = q;
    }
    return VG_OK;
}

const char *
statsd_parse_next (const char **cursor, const char *end, size_t *len)
{
    const char *p = *cursor;
    if (!p || p >= end)
        return NULL;
    const char *nl = s_find (p, end, '\n');
    *cursor = nl < end ? nl + 1 : end;
    if (nl > p && nl[-1] == '\r')
        nl--;
    *len = (size_t)(nl - p);
    return p;
}

size_t
statsd_parse_sanitize (const char *s, size_t len, char *dst)
{
    size_t o = 0;
    if (len > 0 && s[0] >= '0' && s[0] <= '9')
        dst[o++] = '_';
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == ':';
        dst[o++] = ok ? c : '_';
    }
    dst[o] = '\0';
    return o;
}

const char *
statsd_parse_type_name (statsd_type_t type)
{
    if ((size_t)type >= sizeof s_type_names / sizeof s_type_names[0])
        return "?";
    return s_type_names[type];
}
