/*  rules_fmt.c - Go's float formatting and Prometheus's humanize helpers. */
#include "rules_fmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The shortest decimal digits that read back as v (v finite, > 0): digits
 * without a point in d (NUL-terminated), and the decimal exponent of the
 * first digit. */
static void
s_shortest (double v, char *d, int *exp10)
{
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf (tmp, sizeof tmp, "%.*e", prec - 1, v);
        if (strtod (tmp, NULL) == v || prec == 17)
            break;
    }
    /* tmp is d[.ddd]e[+-]xx */
    size_t n = 0;
    const char *p = tmp;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            d[n++] = *p;
    d[n] = '\0';
    *exp10 = atoi (p + 1);
    while (n > 1 && d[n - 1] == '0')
        d[--n] = '\0';
}

/* Digits d (first digit at exponent e) in exponent form with all digits. */
static void
s_write_e (const char *d, int e, vg_buf_t *out)
{
    vg_buf_append (out, d, 1);
    if (d[1]) {
        vg_buf_append (out, ".", 1);
        vg_buf_puts (out, d + 1);
    }
    vg_buf_printf (out, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
}

/* Digits d (first digit at exponent e) in plain decimal form. */
static void
s_write_f (const char *d, int e, vg_buf_t *out)
{
    int nd = (int)strlen (d);
    if (e < 0) {
        vg_buf_puts (out, "0.");
        for (int i = 0; i < -e - 1; i++)
            vg_buf_append (out, "0", 1);
        vg_buf_puts (out, d);
        return;
    }
    for (int i = 0; i <= e; i++)
        vg_buf_append (out, i < nd ? d + i : "0", 1);
    if (nd > e + 1) {
        vg_buf_append (out, ".", 1);
        vg_buf_puts (out, d + e + 1);
    }
}

/* NaN and infinities as Go spells them; returns 1 if v was one. */
static int
s_special (double v, vg_buf_t *out)
{
    if (isnan (v)) {
        vg_buf_puts (out, "NaN");
        return 1;
    }
    if (isinf (v)) {
        vg_buf_puts (out, v > 0 ? "+Inf" : "-Inf");
        return 1;
    }
    return 0;
}

void
rules_fmt_float (double v, vg_buf_t *out)
{
    if (s_special (v, out))
        return;
    if (v == 0) {
        vg_buf_puts (out, signbit (v) ? "-0" : "0");
        return;
    }
    if (v < 0) {
        vg_buf_append (out, "-", 1);
        v = -v;
    }
    char d[32];
    int e;
    s_shortest (v, d, &e);
    if (e < -4 || e >= 6)
        s_write_e (d, e, out);
    else
        s_write_f (d, e, out);
}

void
rules_fmt_g (double v, int prec, vg_buf_t *out)
{
    if (s_special (v, out))
        return;
    /* C's %g and Go's agree for finite values: same rounding, trailing
     * zeros dropped, two-digit exponents. */
    vg_buf_printf (out, "%.*g", prec, v);
}

static void
s_scaled (double v, const char *const *prefixes, size_t n, double step, vg_buf_t *out)
{
    const char *prefix = "";
    for (size_t i = 0; i < n; i++) {
        if (fabs (v) < step)
            break;
        prefix = prefixes[i];
        v /= step;
    }
    rules_fmt_g (v, 4, out);
    vg_buf_puts (out, prefix);
}

static void
s_small (double v, const char *suffix, vg_buf_t *out)
{
    static const char *const prefixes[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
    const char *prefix = "";
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        if (fabs (v) >= 1)
            break;
        prefix = prefixes[i];
        v *= 1000;
    }
    rules_fmt_g (v, 4, out);
    vg_buf_puts (out, prefix);
    vg_buf_puts (out, suffix);
}

void
rules_fmt_humanize (double v, vg_buf_t *out)
{
    static const char *const big[] = {"k", "M", "G", "T", "P", "E", "Z", "Y"};
    if (v == 0 || isnan (v) || isinf (v)) {
        rules_fmt_g (v, 4, out);
        return;
    }
    if (fabs (v) >= 1) {
        s_scaled (v, big, sizeof big / sizeof big[0], 1000, out);
        return;
    }
    s_small (v, "", out);
}

void
rules_fmt_humanize1024 (double v, vg_buf_t *out)
{
    static const char *const big[] = {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"};
    if (fabs (v) <= 1 || isnan (v) || isinf (v)) {
        rules_fmt_g (v, 4, out);
        return;
    }
    s_scaled (v, big, sizeof big / sizeof big[0], 1024, out);
}

void
rules_fmt_humanize_duration (double v, vg_buf_t *out)
{
    if (isnan (v) || isinf (v)) {
        rules_fmt_g (v, 4, out);
        return;
    }
    if (v == 0) {
        rules_fmt_g (v, 4, out);
        vg_buf_puts (out, "s");
        return;
    }
    if (fabs (v) >= 1) {
        const char *sign = "";
        if (v < 0) {
            sign = "-";
            v = -v;
        }
        /* Go's int64 conversion truncates; beyond its range the result is
         * undefined there, here it saturates. */
        long long duration = v >= 9.2e18 ? 9200000000000000000LL : (long long)v;
        long long seconds = duration % 60, minutes = (duration / 60) % 60,
                  hours = (duration / 3600) % 24, days = duration / 86400;
        if (days)
            vg_buf_printf (out, "%s%lldd %lldh %lldm %llds", sign, days, hours, minutes, seconds);
        else if (hours)
            vg_buf_printf (out, "%s%lldh %lldm %llds", sign, hours, minutes, seconds);
        else if (minutes)
            vg_buf_printf (out, "%s%lldm %llds", sign, minutes, seconds);
        else {
            vg_buf_puts (out, sign);
            rules_fmt_g (v, 4, out);
            vg_buf_puts (out, "s");
        }
        return;
    }
    s_small (v, "s", out);
}

void
rules_fmt_humanize_percentage (double v, vg_buf_t *out)
{
    rules_fmt_g (v * 100, 4, out);
    vg_buf_puts (out, "%");
}
