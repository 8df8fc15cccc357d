/*  notify_tz.h - named time zones read from the system's zoneinfo (TZif files
 *  under /usr/share/zoneinfo, or $TZDIR), for digests and daily summaries at
 *  a wall-clock time.
 *
 *  Thread-safe and free of the process's TZ: a zone is a value of its own.
 *  Times past the file's last transition follow its footer rule (the POSIX
 *  TZ string, e.g. "CET-1CEST,M3.5.0,M10.5.0/3").
 */
#ifndef NOTIFY_TZ_H
#define NOTIFY_TZ_H

#include <stddef.h>
#include <stdint.h>

typedef struct notify_tz_t notify_tz_t;

/* Loads zone name ("Europe/Berlin", "UTC"). Returns NULL with the reason in
 * err when the name is unsafe, the file is missing or it is not TZif. */
notify_tz_t *notify_tz_load (const char *name, char *err, size_t errlen);
void notify_tz_destroy (notify_tz_t **self_p);
const char *notify_tz_name (const notify_tz_t *self);

/* Seconds east of UTC in force at utc_s (seconds since the epoch). */
int32_t notify_tz_offset (const notify_tz_t *self, int64_t utc_s);

/* The instant a wall-clock time (local_s: seconds since the epoch as if the
 * wall clock were UTC) happens. When the clock runs through it twice (the
 * autumn change), the first time; when the clock skips it (the spring
 * change), the instant the clock jumps over it. */
int64_t notify_tz_resolve (const notify_tz_t *self, int64_t local_s);

#endif
