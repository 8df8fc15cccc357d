/*  vg_log.c - levelled logging to stderr. */
#include "vg_log.h"
#include "vg_error.h"
#include "vg_time.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static char s_ident[64] = "vigil";
static vg_log_level_t s_level = VG_LOG_INFO;
static const char *s_names[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};

void
vg_log_set_ident (const char *ident)
{
    snprintf (s_ident, sizeof s_ident, "%s", ident);
}

void
vg_log_set_level (vg_log_level_t level)
{
    s_level = level;
}

vg_log_level_t
vg_log_get_level (void)
{
    return s_level;
}

int
vg_log_parse_level (const char *text, vg_log_level_t *level)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcasecmp (text, names[i]) == 0) {
            *level = (vg_log_level_t) i;
            return VG_OK;
        }
    if (strcasecmp (text, "warning") == 0) {
        *level = VG_LOG_WARN;
        return VG_OK;
    }
    return VG_EINVAL;
}

__attribute__ ((format (printf, 2, 0))) static void
s_vlog (vg_log_level_t level, const char *fmt, va_list ap)
{
    char stamp[32];
    int64_t now = vg_now_ms ();
    time_t secs = (time_t) (now / 1000);
    struct tm tm;
    gmtime_r (&secs, &tm);
    strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

    char line[2048];
    int n = snprintf (line, sizeof line, "%s.%03dZ %s %s ", stamp, (int) (now % 1000), s_ident,
                      s_names[level]);
    if (n < 0 || (size_t) n >= sizeof line)
        n = 0;
    vsnprintf (line + n, sizeof line - (size_t) n, fmt, ap);
    /* One write per line so lines from several threads do not interleave. */
    fprintf (stderr, "%s\n", line);
}

void
vg_log (vg_log_level_t level, const char *fmt, ...)
{
    if (level < s_level)
        return;
    va_list ap;
    va_start (ap, fmt);
    s_vlog (level, fmt, ap);
    va_end (ap);
}

int
vg_complain (vg_complain_t *c, int64_t interval_ms, vg_log_level_t level, const char *fmt, ...)
{
    int64_t now = vg_mono_ms ();
    c->failing = 1;
    if (c->last_ms && now - c->last_ms < interval_ms) {
        c->suppressed++;
        return 0;
    }
    if (level >= s_level) {
        char msg[1536];
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (msg, sizeof msg, fmt, ap);
        va_end (ap);
        if (c->suppressed)
            vg_log (level, "%s (and %llu more like it)", msg, (unsigned long long) c->suppressed);
        else
            vg_log (level, "%s", msg);
    }
    c->last_ms = now;
    c->suppressed = 0;
    return 1;
}

void
vg_complain_clear (vg_complain_t *c, const char *fmt, ...)
{
    if (!c->failing)
        return;
    if (VG_LOG_INFO >= s_level) {
        va_list ap;
        va_start (ap, fmt);
        s_vlog (VG_LOG_INFO, fmt, ap);
        va_end (ap);
    }
    c->failing = 0;
    c->last_ms = 0;
    c->suppressed = 0;
}
