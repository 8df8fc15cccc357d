/*  test_in_system_statvfs.c - statvfs off the loop: a mount whose call
 *  never returns is reported hung after the timeout and counted once, the
 *  other mounts go on being read meanwhile, and it answers again once its
 *  call returns. The hang is a call that blocks until the test lets it go
 *  (no hung NFS server is needed); waits poll with generous deadlines. */
#include "in_system_statvfs.h"
#include "test_assert.h"
#include "test_proc.h"
#include "vg_time.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t s_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t s_cv = PTHREAD_COND_INITIALIZER;
static int s_release;

static int
s_fake (const char *path, struct statvfs *out)
{
    if (strstr (path, "hang")) {
        pthread_mutex_lock (&s_mu);
        while (!s_release)
            pthread_cond_wait (&s_cv, &s_mu);
        pthread_mutex_unlock (&s_mu);
    }
    return statvfs ("/", out);
}

/* Calls get until it answers want (or fails the test after 15 s). */
static void
s_until (in_system_statvfs_t *sv, const char *path, int want, uint64_t *timeouts)
{
    int64_t until = vg_mono_ms () + 15000;
    struct statvfs vfs;
    int err = 0, got;
    while ((got = in_system_statvfs_get (sv, path, &vfs, &err, timeouts)) != want) {
        if (vg_mono_ms () > until)
            TEST_FAIL ("%s: still %d, want %d", path, got, want);
        test_sleep_ms (20);
    }
    if (want == IN_SYSTEM_STATVFS_OK)
        ASSERT (vfs.f_blocks > 0);
}

int
main (void)
{
    in_system_statvfs_t *sv = in_system_statvfs_new (200);
    in_system_statvfs_set_call (sv, s_fake);
    uint64_t timeouts = 0;
    s_until (sv, "/", IN_SYSTEM_STATVFS_OK, &timeouts);
    ASSERT_EQ (timeouts, 0);

    struct statvfs vfs;
    int err;
    ASSERT_EQ (in_system_statvfs_get (sv, "/mnt/hang", &vfs, &err, &timeouts),
               IN_SYSTEM_STATVFS_PENDING);
    s_until (sv, "/mnt/hang", IN_SYSTEM_STATVFS_HUNG, &timeouts);
    ASSERT_EQ (timeouts, 1);
    /* Hung, and the others are still read: a new worker serves them. */
    s_until (sv, "/", IN_SYSTEM_STATVFS_OK, &timeouts);
    ASSERT_EQ (in_system_statvfs_get (sv, "/mnt/hang", &vfs, &err, &timeouts),
               IN_SYSTEM_STATVFS_HUNG);
    ASSERT_EQ (timeouts, 1); /* counted once per hang */

    pthread_mutex_lock (&s_mu);
    s_release = 1;
    pthread_cond_broadcast (&s_cv);
    pthread_mutex_unlock (&s_mu);
    s_until (sv, "/mnt/hang", IN_SYSTEM_STATVFS_OK, &timeouts);
    ASSERT_EQ (timeouts, 1);
    in_system_statvfs_destroy (&sv);
    ASSERT (sv == NULL);
    printf ("test_in_system_statvfs: OK\n");
    return 0;
}
