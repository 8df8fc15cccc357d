/*  vg_time.h - clocks and durations. Time is passed in as a parameter wherever
 *  logic depends on it, so schedules are tested without sleeping. */
#ifndef VG_TIME_H
#define VG_TIME_H

#include <stdint.h>

/* Wall clock, milliseconds since the Unix epoch. */
int64_t vg_now_ms (void);
/* Monotonic clock, milliseconds; only differences mean anything. */
int64_t vg_mono_ms (void);
/* Monotonic clock, nanoseconds. */
int64_t vg_mono_ns (void);

/* Parses "250ms", "10s", "5m", "2h", "1d" or a bare number of seconds into
 * milliseconds. Returns 0 or VG_EINVAL. */
int vg_parse_duration_ms (const char *text, int64_t *ms);
/* Parses "512", "64k", "16KB", "8MiB", "1G" into bytes. Returns 0 or VG_EINVAL. */
int vg_parse_size (const char *text, int64_t *bytes);

#endif
