/*  report_fmt.c - figures as people read them. */
#include "report_fmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* An integer with thousands separators. */
static void
s_grouped (char *buf, size_t len, double v)
{
    char digits[64];
    snprintf (digits, sizeof digits, "%.0f", fabs (v));
    size_t n = strlen (digits), k = 0;
    if (v < 0 && k + 1 < len)
        buf[k++] = '-';
    for (size_t i = 0; i < n && k + 2 < len; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[k++] = ',';
        buf[k++] = digits[i];
    }
    buf[k < len ? k : len - 1] = '\0';
}

/* A wait in the two largest units that matter: 45 s, 12m 30s, 3h 05m, 2d 4h. */
static void
s_duration (char *buf, size_t len, double x)
{
    if (x < 0)
        x = 0;
    if (x < 100) {
        snprintf (buf, len, x < 10 ? "%.1f s" : "%.0f s", x);
        return;
    }
    long long s = (long long)(x + 0.5);
    if (s < 3600)
        snprintf (buf, len, "%lldm %02llds", s / 60, s % 60);
    else if (s < 86400)
        snprintf (buf, len, "%lldh %02lldm", s / 3600, s % 3600 / 60);
    else
        snprintf (buf, len, "%lldd %lldh", s / 86400, s % 86400 / 3600);
}

void
report_fmt_value (char *buf, size_t len, report_val_t v, report_unit_t unit, const char *currency)
{
    if (!v.has) {
        snprintf (buf, len, "-");
        return;
    }
    double x = v.v;
    if (!isfinite (x)) {
        snprintf (buf, len, "%s", isnan (x) ? "NaN" : x > 0 ? "+Inf" : "-Inf");
        return;
    }
    switch (unit) {
    case REPORT_UNIT_COUNT:
        s_grouped (buf, len, x);
        break;
    case REPORT_UNIT_PERCENT:
        snprintf (buf, len, "%.2f %%", 100 * x);
        break;
    case REPORT_UNIT_SECONDS:
        if (fabs (x) < 1)
            snprintf (buf, len, "%.0f ms", 1000 * x);
        else if (fabs (x) < 100)
            snprintf (buf, len, "%.2f s", x);
        else
            snprintf (buf, len, "%.0f s", x);
        break;
    case REPORT_UNIT_BYTES: {
        static const char *units[] = {"B", "kB", "MB", "GB", "TB"};
        int u = 0;
        while (fabs (x) >= 1000 && u < 4) {
            x /= 1000;
            u++;
        }
        snprintf (buf, len, u && fabs (x) < 10 ? "%.1f %s" : "%.0f %s", x, units[u]);
        break;
    }
    case REPORT_UNIT_MONEY:
        snprintf (buf, len, "%.2f %s", x, currency ? currency : "");
        break;
    case REPORT_UNIT_CPU:
        snprintf (buf, len, "%.1f %%", x);
        break;
    case REPORT_UNIT_RATE:
        snprintf (buf, len, fabs (x) < 10 ? "%.2f/min" : "%.0f/min", x);
        break;
    case REPORT_UNIT_DURATION:
        s_duration (buf, len, x);
        break;
    }
}

const char *
report_fmt_unit_name (report_unit_t unit)
{
    switch (unit) {
    case REPORT_UNIT_COUNT:
        return "count";
    case REPORT_UNIT_PERCENT:
        return "ratio";
    case REPORT_UNIT_SECONDS:
        return "seconds";
    case REPORT_UNIT_BYTES:
        return "bytes";
    case REPORT_UNIT_MONEY:
        return "money";
    case REPORT_UNIT_CPU:
        return "percent";
    case REPORT_UNIT_RATE:
        return "per_minute";
    case REPORT_UNIT_DURATION:
        return "seconds";
    }
    return "";
}

size_t
report_fmt_width (const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xc0) != 0x80;
    return n;
}
