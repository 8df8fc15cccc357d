/*  rules_values.c - the expanding notation of test series. */
#include "rules_values.h"
#include "rules_eval.h"
#include "vg_alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A number at *p: decimal, exponent, Inf or NaN, with an optional sign.
 * Advances *p; returns 0 or -1. */
static int
s_number (const char **p, double *v)
{
    const char *s = *p;
    int neg = 0;
    if (*s == '+' || *s == '-') {
        neg = *s == '-';
        s++;
    }
    if (strncasecmp (s, "inf", 3) == 0) {
        *v = neg ? -INFINITY : INFINITY;
        *p = s + 3;
        return 0;
    }
    if (strncasecmp (s, "nan", 3) == 0) {
        *v = NAN;
        *p = s + 3;
        return 0;
    }
    if (!((*s >= '0' && *s <= '9') || (*s == '.' && s[1] >= '0' && s[1] <= '9')))
        return -1;
    /* Digits, one point, an exponent; no hex (ambiguous with the x). */
    const char *q = s;
    while ((*q >= '0' && *q <= '9') || *q == '.' || *q == '_')
        q++;
    if ((*q == 'e' || *q == 'E') &&
        ((q[1] >= '0' && q[1] <= '9') ||
         ((q[1] == '+' || q[1] == '-') && q[2] >= '0' && q[2] <= '9'))) {
        q += 2;
        while (*q >= '0' && *q <= '9')
            q++;
    }
    char tmp[64];
    size_t m = 0;
    for (const char *c = s; c < q && m + 1 < sizeof tmp; c++)
        if (*c != '_')
            tmp[m++] = *c;
    tmp[m] = '\0';
    char *end;
    double x = strtod (tmp, &end);
    if (*end != '\0')
        return -1;
    *v = neg ? -x : x;
    *p = q;
    return 0;
}

static int
s_count (const char **p, unsigned long long *n)
{
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return -1;
    char *end;
    *n = strtoull (s, &end, 10);
    *p = end;
    return 0;
}

static void
s_push (rules_seqval_t **out, size_t *n, size_t *cap, double v, rules_value_kind_t kind)
{
    VG_GROW (*out, *cap, *n + 1);
    (*out)[(*n)++] = (rules_seqval_t){v, kind};
}

int
rules_values_parse (const char *text, size_t max, rules_seqval_t **out, size_t *n, char *err,
                    size_t errlen)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p)
            return 0;
        const char *word = p;
        size_t wlen = strcspn (word, " \t\r\n");
        unsigned long long times = 0;
        if (*p == '_') {
            p++;
            if (*p == 'x') {
                p++;
                if (s_count (&p, &times) != 0)
                    goto bad;
            } else
                times = 1;
            if (*p && !strchr (" \t\r\n", *p))
                goto bad;
            if (times > max || *n + times > max)
                goto toomany;
            for (unsigned long long i = 0; i < times; i++)
                s_push (out, n, &cap, 0, RULES_VALUE_OMITTED);
            continue;
        }
        if (strncmp (p, "stale", 5) == 0 && (!p[5] || strchr (" \t\r\n", p[5]))) {
            p += 5;
            if (*n + 1 > max)
                goto toomany;
            s_push (out, n, &cap, rules_stale_nan (), RULES_VALUE_STALE);
            continue;
        }
        double a, b = 0;
        if (s_number (&p, &a) != 0)
            goto bad;
        if (*p == '+' || *p == '-') {
            if (s_number (&p, &b) != 0 || *p != 'x')
                goto bad;
        }
        if (*p == 'x') {
            p++;
            if (s_count (&p, &times) != 0)
                goto bad;
        } else if (b != 0)
            goto bad;
        if (*p && !strchr (" \t\r\n", *p))
            goto bad;
        if (times >= max || *n + times + 1 > max)
            goto toomany;
        for (unsigned long long i = 0; i <= times; i++) {
            s_push (out, n, &cap, a, RULES_VALUE_SAMPLE);
            a += b;
        }
        continue;
    bad:
        snprintf (err, errlen,
                  "bad value \"%.*s\" in series values: expected a number, "
                  "a+bxn, a-bxn, axn, _, _xn or stale",
                  (int)(wlen > 40 ? 40 : wlen), word);
        goto fail;
    toomany:
        snprintf (err, errlen, "series values expand to more than %zu samples", max);
        goto fail;
    }
fail:
    free (*out);
    *out = NULL;
    *n = 0;
    return -1;
}
