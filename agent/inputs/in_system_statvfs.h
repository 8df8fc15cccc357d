/*  in_system_statvfs.h - statvfs off the agent's loop, for the system
 *  input's disk usage.
 *
 *  statvfs on a network mount whose server is gone can block for minutes.
 *  Here a worker thread makes the calls; a collect asks for a fresh reading
 *  of each mount and waits for it a few milliseconds at most, else takes the
 *  last one. A call that has run longer than the timeout makes its mount
 *  hung: reported as such (and counted once per hang) instead of waited for,
 *  its worker is left to it, and a new worker serves the other mounts (at
 *  most IN_SYSTEM_STATVFS_MAX_STUCK are left stuck; past that every mount
 *  waits for them). A hung mount's call that returns makes it answer again.
 */
#ifndef IN_SYSTEM_STATVFS_H
#define IN_SYSTEM_STATVFS_H

#include <stdint.h>
#include <sys/statvfs.h>

#define IN_SYSTEM_STATVFS_TIMEOUT_MS 5000
#define IN_SYSTEM_STATVFS_WAIT_MS    50
#define IN_SYSTEM_STATVFS_MAX_STUCK  4

enum {
    IN_SYSTEM_STATVFS_OK = 0,  /* *out holds a reading */
    IN_SYSTEM_STATVFS_PENDING, /* none yet */
    IN_SYSTEM_STATVFS_HUNG,    /* the call runs longer than the timeout */
    IN_SYSTEM_STATVFS_FAILED,  /* statvfs said no (errno in *err) */
};

typedef struct in_system_statvfs_t in_system_statvfs_t;

in_system_statvfs_t *in_system_statvfs_new (int64_t timeout_ms);
/* What the workers call instead of statvfs (tests: a mount that hangs).
 * Set before the first in_system_statvfs_get. */
typedef int (in_system_statvfs_fn) (const char *path, struct statvfs *out);
void in_system_statvfs_set_call (in_system_statvfs_t *self, in_system_statvfs_fn *fn);
/* A worker stuck in a call keeps what it needs and frees it when it returns. */
void in_system_statvfs_destroy (in_system_statvfs_t **self_p);

/* Asks for a fresh reading of path and returns the newest one there is:
 * one of the IN_SYSTEM_STATVFS_* results. *timeouts gets how many times
 * this mount hung so far. */
int in_system_statvfs_get (in_system_statvfs_t *self, const char *path, struct statvfs *out,
                           int *err, uint64_t *timeouts);

#endif
