/*  notify_mode.h - when a route sends: its mode.
 *
 *      immediate                  as soon as Alertmanager's group timers allow
 *      digest 1h Europe/Berlin    every hour on the hour of Berlin's wall clock
 *      digest 30m                 every half hour, UTC
 *      daily 09:00 Asia/Seoul     every day at 09:00 in Seoul
 *
 *  A digest's instants are its period counted from each local midnight
 *  (00:00, 01:00, ... for 1h). A wall-clock time that happens twice (the
 *  autumn change) fires once, the first time; one the clock skips (the spring
 *  change) fires once, at the instant of the jump.
 */
#ifndef NOTIFY_MODE_H
#define NOTIFY_MODE_H

#include "notify_tz.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    NOTIFY_MODE_IMMEDIATE = 0,
    NOTIFY_MODE_DIGEST,
    NOTIFY_MODE_DAILY,
} notify_mode_kind_t;

typedef struct {
    notify_mode_kind_t kind;
    int64_t period_s; /* digest: the period; daily: 86400 */
    int64_t at_s;     /* daily: seconds after local midnight */
    notify_tz_t *tz;  /* owned; NULL for immediate */
    char *text;       /* as written, for messages and keys */
} notify_mode_t;

/* Parses "immediate", "digest DURATION [ZONE]" or "daily HH:MM [ZONE]" (zone
 * default UTC). A digest's period is 1m to 24h. Returns 0 or VG_EINVAL with
 * the reason in err. */
int notify_mode_parse (notify_mode_t *self, const char *text, char *err, size_t errlen);
/* Deep copy into dst (zones are loaded again: they are small). */
void notify_mode_copy (notify_mode_t *dst, const notify_mode_t *src);
void notify_mode_free (notify_mode_t *self);

/* The first instant of a digest or daily mode strictly after after_ms, in ms
 * since the epoch; for immediate, after_ms itself. */
int64_t notify_mode_next (const notify_mode_t *self, int64_t after_ms);

#endif
