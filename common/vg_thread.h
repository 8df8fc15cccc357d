/*  vg_thread.h - a background thread that sleeps until a time of the wall
 *  clock or until it is told to stop: the shape of the collector's periodic
 *  threads (retention, the daily report).
 *
 *      vg_thread_start (&self->worker, s_thread, self);
 *      ...in s_thread:  while (!vg_thread_sleep_until (&self->worker, next)) { work }
 *      vg_thread_stop (&self->worker);     wakes it, joins it
 *
 *  lock also guards what the thread shares with others, if the owner wants.
 */
#ifndef VG_THREAD_H
#define VG_THREAD_H

#include <pthread.h>
#include <stdint.h>

typedef struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int started, stop;
} vg_thread_t;

/* Initialises self and runs fn (arg) on a new thread that takes no signals
 * (they are the main loop's). Returns 0, or the error of pthread_create
 * (self is then stopped already). */
int vg_thread_start (vg_thread_t *self, void *(*fn) (void *), void *arg);
/* Tells the thread to stop, wakes it, waits for it and releases self. Safe
 * on a thread that did not start. */
void vg_thread_stop (vg_thread_t *self);
/* Sleeps until at_ms (vg_now_ms's clock) or until told to stop; returns 1
 * when told to stop, else 0. */
int vg_thread_sleep_until (vg_thread_t *self, int64_t at_ms);

#endif
