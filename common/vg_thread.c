/*  vg_thread.c - a background thread with a stop flag and a timed sleep. */
#include "vg_thread.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

int
vg_thread_start (vg_thread_t *self, void *(*fn) (void *), void *arg)
{
    memset (self, 0, sizeof *self);
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->wake, NULL);
    sigset_t all, old;
    sigfillset (&all);
    pthread_sigmask (SIG_BLOCK, &all, &old);
    int rc = pthread_create (&self->thread, NULL, fn, arg);
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy (&self->wake);
        pthread_mutex_destroy (&self->lock);
        return rc;
    }
    self->started = 1;
    return 0;
}

void
vg_thread_stop (vg_thread_t *self)
{
    if (!self->started)
        return;
    pthread_mutex_lock (&self->lock);
    self->stop = 1;
    pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->lock);
    pthread_join (self->thread, NULL);
    pthread_cond_destroy (&self->wake);
    pthread_mutex_destroy (&self->lock);
    self->started = 0;
}

int
vg_thread_sleep_until (vg_thread_t *self, int64_t at_ms)
{
    /* vg_now_ms is CLOCK_REALTIME, the condition's clock. */
    struct timespec ts = {.tv_sec = (time_t)(at_ms / 1000),
                          .tv_nsec = (long)(at_ms % 1000) * 1000000L};
    pthread_mutex_lock (&self->lock);
    while (!self->stop && pthread_cond_timedwait (&self->wake, &self->lock, &ts) != ETIMEDOUT)
        ;
    int stop = self->stop;
    pthread_mutex_unlock (&self->lock);
    return stop;
}
