/*  test_log.c - log levels, line format and rate-limited complaints. */
#include "test_assert.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *s_capture_path;
static int s_saved_stderr = -1;

/* Sends stderr to a file until s_capture_end, which returns what was written. */
static void
s_capture_begin (void)
{
    fflush (stderr);
    s_saved_stderr = dup (2);
    int fd = open (s_capture_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT (s_saved_stderr >= 0 && fd >= 0);
    dup2 (fd, 2);
    close (fd);
}

static char *
s_capture_end (void)
{
    fflush (stderr);
    dup2 (s_saved_stderr, 2);
    close (s_saved_stderr);
    char *text = test_read_file (s_capture_path);
    ASSERT (text);
    return text;
}

static size_t
s_count (const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr (p, needle)); p += strlen (needle))
        n++;
    return n;
}

static void
test_parse_level (void)
{
    static const struct {
        const char *text;
        vg_log_level_t level;
    } good[] = {{"debug", VG_LOG_DEBUG}, {"info", VG_LOG_INFO},    {"warn", VG_LOG_WARN},
                {"error", VG_LOG_ERROR}, {"WARNING", VG_LOG_WARN}, {"Info", VG_LOG_INFO}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        vg_log_level_t level = (vg_log_level_t)-1;
        ASSERT_EQ (vg_log_parse_level (good[i].text, &level), VG_OK);
        ASSERT_EQ (level, good[i].level);
    }
    static const char *bad[] = {"", "verbose", "err", "info ", "fatal"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vg_log_level_t level = VG_LOG_ERROR;
        if (vg_log_parse_level (bad[i], &level) != VG_EINVAL)
            TEST_FAIL ("level \"%s\" was accepted", bad[i]);
        ASSERT_EQ (level, VG_LOG_ERROR); /* untouched */
    }
}

static void
test_lines (void)
{
    vg_log_set_ident ("vigil-test");
    vg_log_set_level (VG_LOG_INFO);
    ASSERT_EQ (vg_log_get_level (), VG_LOG_INFO);
    s_capture_begin ();
    vg_debug ("hidden %d", 1);
    vg_info ("shown %d", 2);
    vg_warn ("warned %s", "here");
    vg_log_set_level (VG_LOG_ERROR);
    vg_warn ("hidden too");
    vg_error ("failed");
    char *out = s_capture_end ();
    ASSERT_EQ (s_count (out, "\n"), 3);
    ASSERT (strstr (out, "hidden") == NULL);
    ASSERT_STR_CONTAINS (out, " vigil-test INFO  shown 2\n");
    ASSERT_STR_CONTAINS (out, " vigil-test WARN  warned here\n");
    ASSERT_STR_CONTAINS (out, " vigil-test ERROR failed\n");
    /* Lines start with a UTC timestamp: 2026-11-22T02:40:01.123Z */
    ASSERT (strlen (out) > 24 && out[4] == '-' && out[10] == 'T' && out[19] == '.' &&
            out[23] == 'Z' && out[24] == ' ');
    free (out);
    vg_log_set_level (VG_LOG_INFO);
}

static void
test_complain (void)
{
    vg_complain_t c;
    memset (&c, 0, sizeof c);
    const int64_t hour = 3600 * 1000;
    s_capture_begin ();
    /* Within one (long) interval only the first complaint is logged. */
    ASSERT_EQ (vg_complain (&c, hour, VG_LOG_WARN, "target %s down", "a"), 1);
    ASSERT_EQ (c.failing, 1);
    ASSERT_EQ (vg_complain (&c, hour, VG_LOG_WARN, "target %s down", "a"), 0);
    ASSERT_EQ (vg_complain (&c, hour, VG_LOG_WARN, "target %s down", "a"), 0);
    ASSERT_EQ (c.suppressed, 2);
    /* Once the interval has passed (moved back by hand, no sleeping), the next
     * one is logged with a count of those held back. */
    c.last_ms -= hour;
    ASSERT_EQ (vg_complain (&c, hour, VG_LOG_WARN, "target %s down", "a"), 1);
    ASSERT_EQ (c.suppressed, 0);
    /* The condition ends: one INFO line, and the next complaint is logged at once. */
    vg_complain_clear (&c, "target %s back", "a");
    ASSERT_EQ (c.failing, 0);
    vg_complain_clear (&c, "not logged: nothing was failing");
    ASSERT_EQ (vg_complain (&c, hour, VG_LOG_WARN, "target %s down", "b"), 1);
    /* With a zero interval every complaint is logged. */
    vg_complain_t z;
    memset (&z, 0, sizeof z);
    ASSERT_EQ (vg_complain (&z, 0, VG_LOG_WARN, "z"), 1);
    ASSERT_EQ (vg_complain (&z, 0, VG_LOG_WARN, "z"), 1);
    char *out = s_capture_end ();
    ASSERT_EQ (s_count (out, "target a down\n"), 1);
    ASSERT_EQ (s_count (out, "target a down (and 2 more like it)\n"), 1);
    ASSERT_EQ (s_count (out, "INFO  target a back\n"), 1);
    ASSERT_EQ (s_count (out, "not logged"), 0);
    ASSERT_EQ (s_count (out, "target b down\n"), 1);
    ASSERT_EQ (s_count (out, " z\n"), 2);
    free (out);
}

int
main (void)
{
    char *dir = test_tmpdir ("log");
    s_capture_path = vg_asprintf ("%s/stderr.txt", dir);
    test_parse_level ();
    test_lines ();
    test_complain ();
    free (s_capture_path);
    free (dir);
    printf ("test_log: ok\n");
    return 0;
}
