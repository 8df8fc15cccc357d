/*  vg_log.h - levelled logging to stderr, with rate-limited complaints.
 *
 *  Lines look like:  2026-11-22T02:40:01.123Z vigil-agent WARN  http[api]: timeout
 *  Log once, at the layer that knows the context.
 */
#ifndef VG_LOG_H
#define VG_LOG_H

#include <stdint.h>

typedef enum {
    VG_LOG_DEBUG = 0,
    VG_LOG_INFO = 1,
    VG_LOG_WARN = 2,
    VG_LOG_ERROR = 3,
} vg_log_level_t;

/* The program name shown on every line ("vigil-agent"). The string is copied. */
void vg_log_set_ident (const char *ident);
void vg_log_set_level (vg_log_level_t level);
vg_log_level_t vg_log_get_level (void);
/* Parses "debug", "info", "warn" or "error"; returns 0 or VG_EINVAL. */
int vg_log_parse_level (const char *text, vg_log_level_t *level);

void vg_log (vg_log_level_t level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

#define vg_debug(...) vg_log (VG_LOG_DEBUG, __VA_ARGS__)
#define vg_info(...)  vg_log (VG_LOG_INFO, __VA_ARGS__)
#define vg_warn(...)  vg_log (VG_LOG_WARN, __VA_ARGS__)
#define vg_error(...) vg_log (VG_LOG_ERROR, __VA_ARGS__)

/* A complaint that repeats is logged at most once per interval, with a count of
 * the ones held back (after collectd's utils_complain). Zero-initialise it. */
typedef struct {
    int64_t last_ms;     /* monotonic time of the last logged complaint */
    uint64_t suppressed; /* complaints held back since then */
    int failing;         /* set while the condition lasts */
} vg_complain_t;

/* Logs at most once per interval_ms; returns 1 if it logged. */
int vg_complain (vg_complain_t *c, int64_t interval_ms, vg_log_level_t level, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
/* The condition is over: logs "fmt" at INFO once if a complaint was made. */
void vg_complain_clear (vg_complain_t *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

#endif
