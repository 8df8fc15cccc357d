/*  in_system_statvfs.c - statvfs in a worker thread, with a timeout. */
#include "in_system_statvfs.h"
#include "vg_alloc.h"
#include "vg_log.h"
#include "vg_time.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char *path;
    int have;   /* a reading came */
    int failed; /* the last call failed, with err */
    int err;
    struct statvfs vfs;
    int requested;   /* waits for a worker */
    int64_t started; /* monotonic ms a worker began it; 0: not running */
    uint64_t done;   /* calls completed */
    int hung;        /* running past the timeout */
    uint64_t timeouts;
} s_mount_t;

struct in_system_statvfs_t {
    pthread_mutex_t mu;
    pthread_cond_t work; /* something requested, or stop */
    pthread_cond_t done; /* a call completed */
    s_mount_t *mounts;
    size_t n, cap;
    int64_t timeout_ms;
    uint64_t generation; /* the worker of this generation serves; older ones are stuck */
    int stuck;           /* workers left in a hung call */
    int refs;            /* the owner and every worker */
    int stop;
    in_system_statvfs_fn *call;
};

static void
s_unref (in_system_statvfs_t *self)
{
    /* called with the lock held; frees when the last one leaves */
    if (--self->refs > 0) {
        pthread_mutex_unlock (&self->mu);
        return;
    }
    pthread_mutex_unlock (&self->mu);
    for (size_t i = 0; i < self->n; i++)
        free (self->mounts[i].path);
    free (self->mounts);
    pthread_mutex_destroy (&self->mu);
    pthread_cond_destroy (&self->work);
    pthread_cond_destroy (&self->done);
    free (self);
}

typedef struct {
    in_system_statvfs_t *owner;
    uint64_t generation;
} s_worker_arg_t;

static void *
s_worker (void *arg)
{
    s_worker_arg_t a = *(s_worker_arg_t *)arg;
    free (arg);
    in_system_statvfs_t *self = a.owner;
    pthread_mutex_lock (&self->mu);
    for (;;) {
        if (self->stop || self->generation != a.generation)
            break;
        size_t i = 0;
        while (i < self->n && !(self->mounts[i].requested && !self->mounts[i].started))
            i++;
        if (i == self->n) {
            pthread_cond_wait (&self->work, &self->mu);
            continue;
        }
        s_mount_t *m = &self->mounts[i];
        m->requested = 0;
        m->started = vg_mono_ms ();
        char *path = vg_strdup (m->path);
        pthread_mutex_unlock (&self->mu);
        struct statvfs vfs;
        int rc = self->call (path, &vfs), e = errno;
        free (path);
        pthread_mutex_lock (&self->mu);
        m = &self->mounts[i]; /* the table may have grown meanwhile */
        m->started = 0;
        m->done++;
        m->failed = rc != 0;
        m->err = e;
        if (rc == 0) {
            m->vfs = vfs;
            m->have = 1;
        }
        if (m->hung) {
            m->hung = 0;
            self->stuck--;
            vg_info ("system: %s answers again", m->path);
        }
        pthread_cond_broadcast (&self->done);
    }
    s_unref (self);
    return NULL;
}

/* A new worker for the current generation (called with the lock held). */
static void
s_spawn (in_system_statvfs_t *self)
{
    s_worker_arg_t *arg = vg_malloc (sizeof *arg);
    arg->owner = self;
    arg->generation = self->generation;
    pthread_attr_t attr;
    pthread_attr_init (&attr);
    pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize (&attr, 64 * 1024);
    /* The agent's signals stay with its loop. */
    sigset_t all, old;
    sigfillset (&all);
    pthread_sigmask (SIG_BLOCK, &all, &old);
    pthread_t t;
    if (pthread_create (&t, &attr, s_worker, arg) == 0)
        self->refs++;
    else {
        free (arg);
        vg_warn ("system: cannot start a thread for statvfs: %s", strerror (errno));
    }
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    pthread_attr_destroy (&attr);
}

in_system_statvfs_t *
in_system_statvfs_new (int64_t timeout_ms)
{
    in_system_statvfs_t *self = vg_calloc (1, sizeof *self);
    pthread_mutex_init (&self->mu, NULL);
    pthread_cond_init (&self->work, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init (&ca);
    pthread_condattr_setclock (&ca, CLOCK_MONOTONIC);
    pthread_cond_init (&self->done, &ca);
    pthread_condattr_destroy (&ca);
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : IN_SYSTEM_STATVFS_TIMEOUT_MS;
    self->call = statvfs;
    self->refs = 1;
    pthread_mutex_lock (&self->mu);
    s_spawn (self);
    pthread_mutex_unlock (&self->mu);
    return self;
}

void
in_system_statvfs_set_call (in_system_statvfs_t *self, in_system_statvfs_fn *fn)
{
    pthread_mutex_lock (&self->mu);
    self->call = fn ? fn : statvfs;
    pthread_mutex_unlock (&self->mu);
}

void
in_system_statvfs_destroy (in_system_statvfs_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    in_system_statvfs_t *self = *self_p;
    *self_p = NULL;
    pthread_mutex_lock (&self->mu);
    self->stop = 1;
    pthread_cond_broadcast (&self->work);
    /* A worker not stuck is gone within a moment; wait for it, so that a
     * clean stop leaves no thread behind. */
    int64_t until = vg_mono_ms () + 1000;
    while (self->refs > 1 + self->stuck && vg_mono_ms () < until) {
        pthread_mutex_unlock (&self->mu);
        nanosleep (&(struct timespec){0, 10 * 1000000L}, NULL);
        pthread_mutex_lock (&self->mu);
    }
    s_unref (self);
}

static s_mount_t *
s_find (in_system_statvfs_t *self, const char *path)
{
    for (size_t i = 0; i < self->n; i++)
        if (strcmp (self->mounts[i].path, path) == 0)
            return &self->mounts[i];
    VG_GROW (self->mounts, self->cap, self->n + 1);
    s_mount_t *m = &self->mounts[self->n++];
    memset (m, 0, sizeof *m);
    m->path = vg_strdup (path);
    return m;
}

int
in_system_statvfs_get (in_system_statvfs_t *self, const char *path, struct statvfs *out, int *err,
                       uint64_t *timeouts)
{
    pthread_mutex_lock (&self->mu);
    s_mount_t *m = s_find (self, path);
    int64_t now = vg_mono_ms ();
    if (m->started && now - m->started >= self->timeout_ms && !m->hung) {
        m->hung = 1;
        m->timeouts++;
        self->stuck++;
        vg_warn ("system: statvfs %s has not returned for %lld ms; reporting it as hung and "
                 "going on without it",
                 path, (long long)(now - m->started));
        if (self->stuck <= IN_SYSTEM_STATVFS_MAX_STUCK) {
            self->generation++; /* the stuck worker leaves when its call returns */
            s_spawn (self);
        }
    }
    *timeouts = m->timeouts;
    if (m->hung) {
        pthread_mutex_unlock (&self->mu);
        return IN_SYSTEM_STATVFS_HUNG;
    }
    if (!m->requested && !m->started) {
        m->requested = 1;
        pthread_cond_broadcast (&self->work);
    }
    /* A healthy mount answers within microseconds: wait that long for a
     * fresh reading, not longer. */
    uint64_t want = m->done + 1;
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += IN_SYSTEM_STATVFS_WAIT_MS * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    while (m->done < want) {
        if (pthread_cond_timedwait (&self->done, &self->mu, &ts) != 0)
            break;
        m = s_find (self, path);
    }
    int rc = IN_SYSTEM_STATVFS_PENDING;
    if (m->have && !(m->failed && m->done >= want)) {
        *out = m->vfs;
        rc = IN_SYSTEM_STATVFS_OK;
    }
    if (m->failed) {
        *err = m->err;
        rc = IN_SYSTEM_STATVFS_FAILED;
    }
    pthread_mutex_unlock (&self->mu);
    return rc;
}
