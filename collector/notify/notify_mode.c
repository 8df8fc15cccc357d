/*  notify_mode.c - digests and daily summaries on a named zone's wall clock. */
#include "notify_mode.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_time_of_day (const char *s, int64_t *out)
{
    int h, m, n = 0;
    if (sscanf (s, "%2d:%2d%n", &h, &m, &n) != 2 || s[n] || h < 0 || h > 23 || m < 0 || m > 59)
        return VG_EINVAL;
    *out = h * 3600 + m * 60;
    return VG_OK;
}

int
notify_mode_parse (notify_mode_t *self, const char *text, char *err, size_t errlen)
{
    memset (self, 0, sizeof *self);
    char word[32] = "", arg[64] = "", zone[256] = "", extra[8] = "";
    int n = sscanf (text, "%31s %63s %255s %7s", word, arg, zone, extra);
    if (n >= 1 && strcmp (word, "immediate") == 0 && n == 1) {
        self->text = vg_strdup ("immediate");
        return VG_OK;
    }
    int digest = strcmp (word, "digest") == 0, daily = strcmp (word, "daily") == 0;
    if ((!digest && !daily) || n < 2 || n > 3) {
        snprintf (err, errlen,
                  "\"%s\": expected immediate, digest PERIOD [ZONE] (digest 1h Europe/Berlin) or "
                  "daily HH:MM [ZONE] (daily 09:00 Asia/Seoul)",
                  text);
        return VG_EINVAL;
    }
    if (digest) {
        int64_t ms;
        if (vg_parse_duration_ms (arg, &ms) != VG_OK || ms < 60000 || ms > 86400000 || ms % 1000) {
            snprintf (err, errlen, "\"%s\": the digest period must be 1m to 24h, like 1h or 30m",
                      text);
            return VG_EINVAL;
        }
        self->kind = NOTIFY_MODE_DIGEST;
        self->period_s = ms / 1000;
    } else {
        if (s_time_of_day (arg, &self->at_s) != VG_OK) {
            snprintf (err, errlen, "\"%s\": expected a time of day like 09:00", text);
            return VG_EINVAL;
        }
        self->kind = NOTIFY_MODE_DAILY;
        self->period_s = 86400;
    }
    self->tz = notify_tz_load (n == 3 ? zone : "UTC", err, errlen);
    if (!self->tz)
        return VG_EINVAL;
    self->text = vg_strdup (text);
    return VG_OK;
}

void
notify_mode_copy (notify_mode_t *dst, const notify_mode_t *src)
{
    *dst = *src;
    dst->text = vg_strdup (src->text);
    if (src->tz) {
        char err[256];
        dst->tz = notify_tz_load (notify_tz_name (src->tz), err, sizeof err);
    }
}

void
notify_mode_free (notify_mode_t *self)
{
    notify_tz_destroy (&self->tz);
    free (self->text);
    memset (self, 0, sizeof *self);
}

static int64_t
s_floor_div (int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t
notify_mode_next (const notify_mode_t *self, int64_t after_ms)
{
    if (self->kind == NOTIFY_MODE_IMMEDIATE)
        return after_ms;
    int64_t after_s = s_floor_div (after_ms, 1000);
    int64_t local = after_s + notify_tz_offset (self->tz, after_s);
    int64_t day = s_floor_div (local, 86400);
    /* The answer lies within the local day of after or the next one; the day
     * before is looked at too, for a slot the clock jumped over into today. */
    int64_t best = INT64_MAX;
    for (int64_t d = day - 1; d <= day + 2; d++) {
        for (int64_t slot = self->at_s; slot < 86400; slot += self->period_s) {
            int64_t t = notify_tz_resolve (self->tz, d * 86400 + slot);
            if (t * 1000 > after_ms && t < best)
                best = t;
            if (self->kind == NOTIFY_MODE_DAILY)
                break;
        }
        if (best != INT64_MAX && d > day)
            break;
    }
    return best * 1000;
}
