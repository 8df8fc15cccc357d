/*  test_time.c - clocks, durations and sizes. */
#include "test_assert.h"
#include "vg_error.h"
#include "vg_time.h"

static void
s_duration_ok (const char *text, int64_t expected)
{
    int64_t ms = -1;
    if (vg_parse_duration_ms (text, &ms) != VG_OK)
        TEST_FAIL ("duration \"%s\" was refused", text);
    if (ms != expected)
        TEST_FAIL ("duration \"%s\": %" PRId64 " ms, expected %" PRId64, text, ms, expected);
}

static void
s_duration_bad (const char *text)
{
    int64_t ms = 12345;
    if (vg_parse_duration_ms (text, &ms) != VG_EINVAL)
        TEST_FAIL ("duration \"%s\" was accepted as %" PRId64 " ms", text, ms);
    ASSERT_EQ (ms, 12345); /* untouched on error */
}

static void
s_size_ok (const char *text, int64_t expected)
{
    int64_t bytes = -1;
    if (vg_parse_size (text, &bytes) != VG_OK)
        TEST_FAIL ("size \"%s\" was refused", text);
    if (bytes != expected)
        TEST_FAIL ("size \"%s\": %" PRId64 " bytes, expected %" PRId64, text, bytes, expected);
}

static void
s_size_bad (const char *text)
{
    int64_t bytes = 12345;
    if (vg_parse_size (text, &bytes) != VG_EINVAL)
        TEST_FAIL ("size \"%s\" was accepted as %" PRId64 " bytes", text, bytes);
    ASSERT_EQ (bytes, 12345);
}

static void
test_durations (void)
{
    s_duration_ok ("250ms", 250);
    s_duration_ok ("10s", 10000);
    s_duration_ok ("5m", 300000);
    s_duration_ok ("2h", 7200000);
    s_duration_ok ("1d", 86400000);
    s_duration_ok ("30", 30000); /* a bare number is seconds */
    s_duration_ok ("0", 0);
    s_duration_ok ("0ms", 0);
    s_duration_ok ("1.5s", 1500);
    s_duration_ok ("0.5m", 30000);
    s_duration_ok ("365d", 365LL * 86400000);

    s_duration_bad ("");
    s_duration_bad ("ten");
    s_duration_bad ("s");
    s_duration_bad ("10x");
    s_duration_bad ("10 seconds");
    s_duration_bad ("10sec");
    s_duration_bad ("-5s");
    s_duration_bad ("1e400s");
    s_duration_bad ("nan");
    s_duration_bad ("inf");
    s_duration_bad ("1e30d"); /* more milliseconds than an int64_t holds */
}

static void
test_sizes (void)
{
    s_size_ok ("512", 512);
    s_size_ok ("0", 0);
    s_size_ok ("10b", 10);
    s_size_ok ("64k", 65536);
    s_size_ok ("16KB", 16384);
    s_size_ok ("16kb", 16384);
    s_size_ok ("4KiB", 4096);
    s_size_ok ("8MiB", 8 * 1024 * 1024);
    s_size_ok ("2M", 2 * 1024 * 1024);
    s_size_ok ("1G", 1024LL * 1024 * 1024);
    s_size_ok ("3GiB", 3LL * 1024 * 1024 * 1024);
    s_size_ok ("1.5k", 1536);

    s_size_bad ("");
    s_size_bad ("abc");
    s_size_bad ("k");
    s_size_bad ("-1");
    s_size_bad ("1kk");
    s_size_bad ("12 parsecs");
    s_size_bad ("1e30G");
    s_size_bad ("nan");
}

static void
test_clocks (void)
{
    /* Only orderings: no assertion depends on how fast this machine is. */
    int64_t a = vg_mono_ns ();
    int64_t b = vg_mono_ns ();
    ASSERT_GE (b, a);
    int64_t m1 = vg_mono_ms ();
    int64_t m2 = vg_mono_ms ();
    ASSERT_GE (m2, m1);
    ASSERT_GT (vg_now_ms (), 1577836800000LL); /* after 2020-01-01 */
}

int
main (void)
{
    test_durations ();
    test_sizes ();
    test_clocks ();
    printf ("test_time: ok\n");
    return 0;
}
