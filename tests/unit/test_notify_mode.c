/*  test_notify_mode.c - zones from the system's zoneinfo, and digests and
 *  daily summaries across midnight and across the DST changes of
 *  Europe/Berlin and America/New_York, with the clock passed in. */
#include "notify_mode.h"
#include "notify_tz.h"
#include "test_assert.h"
#include "vg_error.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* "2024-03-31T01:00:00" UTC, in ms. */
static int64_t
s_utc (const char *text)
{
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    const char *end = strptime (text, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end || *end)
        TEST_FAIL ("bad time %s", text);
    return (int64_t)timegm (&tm) * 1000;
}

static notify_tz_t *
s_zone (const char *name)
{
    char err[256];
    notify_tz_t *tz = notify_tz_load (name, err, sizeof err);
    if (!tz)
        TEST_FAIL ("%s", err);
    return tz;
}

static void
s_mode (notify_mode_t *m, const char *text)
{
    char err[256];
    if (notify_mode_parse (m, text, err, sizeof err) != VG_OK)
        TEST_FAIL ("%s: %s", text, err);
}

/* Each next instant after from, in order. */
static void
s_expect_sequence (const char *mode, const char *from, const char *const *want)
{
    notify_mode_t m;
    s_mode (&m, mode);
    int64_t t = s_utc (from);
    for (size_t i = 0; want[i]; i++) {
        int64_t next = notify_mode_next (&m, t);
        if (next != s_utc (want[i])) {
            time_t s = (time_t)(next / 1000);
            struct tm tm;
            gmtime_r (&s, &tm);
            char got[64];
            strftime (got, sizeof got, "%Y-%m-%dT%H:%M:%S", &tm);
            TEST_FAIL ("%s after %s: step %zu is %s, want %s", mode, from, i, got, want[i]);
        }
        t = next;
    }
    notify_mode_free (&m);
}

static void
test_offsets (void)
{
    notify_tz_t *berlin = s_zone ("Europe/Berlin");
    ASSERT_EQ (notify_tz_offset (berlin, s_utc ("2024-03-31T00:59:59") / 1000), 3600);
    ASSERT_EQ (notify_tz_offset (berlin, s_utc ("2024-03-31T01:00:00") / 1000), 7200);
    ASSERT_EQ (notify_tz_offset (berlin, s_utc ("2024-10-27T00:59:59") / 1000), 7200);
    ASSERT_EQ (notify_tz_offset (berlin, s_utc ("2024-10-27T01:00:00") / 1000), 3600);
    /* Past the file's transitions: the footer rule. */
    ASSERT_EQ (notify_tz_offset (berlin, s_utc ("2100-07-01T12:00:00") / 1000), 7200);
    ASSERT_EQ (notify_tz_offset (berlin, s_utc ("2100-12-01T12:00:00") / 1000), 3600);
    ASSERT_EQ (notify_tz_offset (berlin, s_utc ("2100-03-28T00:59:59") / 1000), 3600);
    ASSERT_EQ (notify_tz_offset (berlin, s_utc ("2100-03-28T01:00:00") / 1000), 7200);
    notify_tz_t *ny = s_zone ("America/New_York");
    ASSERT_EQ (notify_tz_offset (ny, s_utc ("2024-03-10T06:59:59") / 1000), -18000);
    ASSERT_EQ (notify_tz_offset (ny, s_utc ("2024-03-10T07:00:00") / 1000), -14400);
    ASSERT_EQ (notify_tz_offset (ny, s_utc ("2024-11-03T05:59:59") / 1000), -14400);
    ASSERT_EQ (notify_tz_offset (ny, s_utc ("2024-11-03T06:00:00") / 1000), -18000);
    ASSERT_EQ (notify_tz_offset (ny, s_utc ("2099-11-01T06:00:00") / 1000), -18000);
    /* A wall time the clock skips: the instant of the jump; one it runs
     * through twice: the first. */
    ASSERT_EQ (notify_tz_resolve (berlin, s_utc ("2024-03-31T02:30:00") / 1000),
               s_utc ("2024-03-31T01:00:00") / 1000);
    ASSERT_EQ (notify_tz_resolve (berlin, s_utc ("2024-10-27T02:30:00") / 1000),
               s_utc ("2024-10-27T00:30:00") / 1000);
    ASSERT_EQ (notify_tz_resolve (ny, s_utc ("2024-03-10T02:15:00") / 1000),
               s_utc ("2024-03-10T07:00:00") / 1000);
    ASSERT_EQ (notify_tz_resolve (ny, s_utc ("2024-11-03T01:30:00") / 1000),
               s_utc ("2024-11-03T05:30:00") / 1000);
    notify_tz_destroy (&berlin);
    notify_tz_destroy (&ny);

    char err[256];
    ASSERT (notify_tz_load ("../etc/passwd", err, sizeof err) == NULL);
    ASSERT_STR_CONTAINS (err, "not a time zone name");
    ASSERT (notify_tz_load ("Mars/Olympus_Mons", err, sizeof err) == NULL);
    ASSERT_STR_CONTAINS (err, "cannot read");
}

static void
test_digest_dst (void)
{
    /* Hourly on Berlin's clock through the spring change: 02:00 does not
     * exist, so 01:00 CET, then the jump (03:00 CEST) once, then 04:00. */
    const char *spring[] = {"2024-03-31T00:00:00", "2024-03-31T01:00:00", "2024-03-31T02:00:00",
                            NULL};
    s_expect_sequence ("digest 1h Europe/Berlin", "2024-03-30T23:30:00", spring);
    /* Through the autumn change: 02:00 happens twice and fires once. */
    const char *autumn[] = {"2024-10-27T00:00:00", "2024-10-27T02:00:00", "2024-10-27T03:00:00",
                            NULL};
    s_expect_sequence ("digest 1h Europe/Berlin", "2024-10-26T23:30:00", autumn);
    /* Every 30 minutes in New York through the spring gap (02:00-03:00). */
    const char *ny[] = {"2024-03-10T06:30:00", "2024-03-10T07:00:00", "2024-03-10T07:30:00", NULL};
    s_expect_sequence ("digest 30m America/New_York", "2024-03-10T06:10:00", ny);
    /* Across midnight, and aligned to the local day (UTC+5:30). */
    const char *kolkata[] = {"2024-05-01T18:00:00", "2024-05-01T18:30:00", NULL};
    s_expect_sequence ("digest 30m Asia/Kolkata", "2024-05-01T17:45:00", kolkata);
    const char *berlin_midnight[] = {"2024-05-01T22:00:00", "2024-05-02T00:00:00", NULL};
    s_expect_sequence ("digest 2h Europe/Berlin", "2024-05-01T21:59:59", berlin_midnight);
}

static void
test_daily_dst (void)
{
    /* 02:30 in Berlin: the spring day has none, so it fires at the jump;
     * the autumn day has two, and fires at the first. */
    const char *spring[] = {"2024-03-30T01:30:00", "2024-03-31T01:00:00", "2024-04-01T00:30:00",
                            NULL};
    s_expect_sequence ("daily 02:30 Europe/Berlin", "2024-03-29T12:00:00", spring);
    const char *autumn[] = {"2024-10-27T00:30:00", "2024-10-28T01:30:00", NULL};
    s_expect_sequence ("daily 02:30 Europe/Berlin", "2024-10-26T12:00:00", autumn);
    /* Midnight in New York through both changes: the days are 23 h and 25 h long. */
    const char *ny[] = {"2024-03-10T05:00:00", "2024-03-11T04:00:00", NULL};
    s_expect_sequence ("daily 00:00 America/New_York", "2024-03-09T12:00:00", ny);
    const char *ny2[] = {"2024-11-03T04:00:00", "2024-11-04T05:00:00", NULL};
    s_expect_sequence ("daily 00:00 America/New_York", "2024-11-02T12:00:00", ny2);
    /* The checklists' morning summary: 09:00 in Seoul is 00:00 UTC. */
    const char *seoul[] = {"2024-05-02T00:00:00", "2024-05-03T00:00:00", NULL};
    s_expect_sequence ("daily 09:00 Asia/Seoul", "2024-05-01T00:00:00", seoul);
}

static void
test_parse_errors (void)
{
    notify_mode_t m;
    char err[256];
    ASSERT_EQ (notify_mode_parse (&m, "immediate", err, sizeof err), VG_OK);
    ASSERT_EQ (m.kind, NOTIFY_MODE_IMMEDIATE);
    ASSERT_EQ (notify_mode_next (&m, 1234), 1234);
    notify_mode_free (&m);
    ASSERT_EQ (notify_mode_parse (&m, "hourly", err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "expected immediate, digest");
    ASSERT_EQ (notify_mode_parse (&m, "digest 10s", err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "1m to 24h");
    ASSERT_EQ (notify_mode_parse (&m, "daily 25:00", err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "time of day");
    ASSERT_EQ (notify_mode_parse (&m, "daily 09:00 Europe/Nowhere", err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "Europe/Nowhere");
}

int
main (void)
{
    test_offsets ();
    test_digest_dst ();
    test_daily_dst ();
    test_parse_errors ();
    printf ("test_notify_mode: ok\n");
    return 0;
}
