/*  vg_time.c - clocks and duration/size parsing. */
#include "vg_time.h"
#include "vg_error.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int64_t
vg_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
vg_mono_ms (void)
{
    return vg_mono_ns () / 1000000;
}

int64_t
vg_mono_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Splits "12.5unit" into a finite non-negative number and its unit. */
static int
s_number_unit (const char *text, double *number, const char **unit)
{
    if (!text || !*text)
        return VG_EINVAL;
    char *end;
    errno = 0;
    double v = strtod (text, &end);
    if (end == text || errno || !isfinite (v) || v < 0)
        return VG_EINVAL;
    while (*end == ' ')
        end++;
    *number = v;
    *unit = end;
    return VG_OK;
}

int
vg_parse_duration_ms (const char *text, int64_t *ms)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    double v;
    const char *unit;
    if (s_number_unit (text, &v, &unit))
        return VG_EINVAL;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp (unit, units[i].unit) == 0) {
            double r = v * units[i].ms;
            if (r > 9.2e18)
                return VG_EINVAL;
            *ms = (int64_t) llround (r);
            return VG_OK;
        }
    return VG_EINVAL;
}

int
vg_parse_size (const char *text, int64_t *bytes)
{
    static const struct {
        const char *unit;
        double mult;
    } units[] = {{"", 1},       {"b", 1},       {"k", 1024},    {"kb", 1024},
                 {"kib", 1024}, {"m", 1 << 20}, {"mb", 1 << 20}, {"mib", 1 << 20},
                 {"g", 1 << 30}, {"gb", 1 << 30}, {"gib", 1 << 30}};
    double v;
    const char *unit;
    if (s_number_unit (text, &v, &unit))
        return VG_EINVAL;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcasecmp (unit, units[i].unit) == 0) {
            double r = v * units[i].mult;
            if (r > 9.2e18)
                return VG_EINVAL;
            *bytes = (int64_t) llround (r);
            return VG_OK;
        }
    return VG_EINVAL;
}
