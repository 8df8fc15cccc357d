/*  fuzz_statsd.c - libFuzzer target for the StatsD parser: arbitrary bytes
 *  as one packet, split into lines, each line parsed. A line the parser
 *  accepts must hold what the parser promises (pointers inside the line,
 *  bounded lengths, finite values, a rate in (0, 1]); one it refuses must
 *  say why. */
#include "statsd_parse.h"
#include "vg_error.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int
s_inside (statsd_str_t s, const char *line, size_t len)
{
    return s.ptr >= line && s.ptr + s.len <= line + len;
}

static void
s_check_name (statsd_str_t s)
{
    char out[STATSD_MAX_TAG + STATSD_MAX_NAME + 2];
    size_t n = statsd_parse_sanitize (s.ptr, s.len, out);
    if (n != s.len && n != s.len + 1)
        abort ();
    if (out[n] != '\0' || (n > 0 && out[0] >= '0' && out[0] <= '9'))
        abort ();
    for (size_t i = 0; i < n; i++) {
        char c = out[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == ':'))
            abort ();
    }
}

static void
s_check (const statsd_line_t *l, const char *line, size_t len)
{
    if (l->name.len == 0 || l->name.len > STATSD_MAX_NAME || !s_inside (l->name, line, len))
        abort ();
    s_check_name (l->name);
    if (!(l->rate > 0.0 && l->rate <= 1.0))
        abort ();
    if (l->type == STATSD_SET) {
        if (l->nvalues != 0 || l->set_value.len == 0 || !s_inside (l->set_value, line, len))
            abort ();
    } else {
        if (l->nvalues == 0 || l->nvalues > STATSD_MAX_VALUES)
            abort ();
        for (size_t i = 0; i < l->nvalues; i++)
            if (!isfinite (l->values[i]) || (l->delta[i] && l->type != STATSD_GAUGE))
                abort ();
    }
    if (l->ntags > STATSD_MAX_TAGS)
        abort ();
    for (size_t i = 0; i < l->ntags; i++) {
        const statsd_tag_t *t = &l->tags[i];
        if (t->key.len == 0 || t->key.len > STATSD_MAX_TAG || t->value.len > STATSD_MAX_TAG ||
            !s_inside (t->key, line, len) || memchr (t->key.ptr, ':', t->key.len) ||
            memchr (t->key.ptr, ',', t->key.len))
            abort ();
        if (!s_inside (t->value, line, len) &&
            !(t->value.len == 4 && !memcmp (t->value.ptr, "true", 4)))
            abort ();
        s_check_name (t->key);
    }
    if (strlen (statsd_parse_type_name (l->type)) == 0)
        abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static statsd_line_t line;
    const char *cursor = (const char *)data, *end = cursor + size, *p;
    size_t len;
    while ((p = statsd_parse_next (&cursor, end, &len))) {
        if (p < (const char *)data || p + len > end || memchr (p, '\n', len))
            abort ();
        char err[256] = "";
        int rc = statsd_parse_line (p, len, &line, err, sizeof err);
        if (rc == VG_OK)
            s_check (&line, p, len);
        else if (rc != VG_EINVAL || err[0] == '\0')
            abort ();
    }
    return 0;
}
