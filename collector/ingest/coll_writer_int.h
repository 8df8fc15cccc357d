/*  coll_writer_int.h - what the writers' shared side (coll_writer.c) and
 *  each writer thread (coll_writer_thread.c) share. Not for other modules. */
#ifndef COLL_WRITER_INT_H
#define COLL_WRITER_INT_H

#include "coll_limits.h"
#include "coll_store.h"
#include "coll_writer.h"

#include <czmq.h>
#include <pthread.h>

typedef struct coll_writer_thread_t coll_writer_thread_t;

#define COLL_WRITER_MAX_THREADS 64
/* A writer busy with one group this long gives its agents up to the others. */
#define COLL_WRITER_STEAL_MS 2000

struct coll_writer_t {
    const coll_config_t *config;
    char dbdesc[256]; /* where the database URL points, without the password */
    size_t group_max_samples;
    coll_commit_observers_t observers;
    coll_limits_t *limits;

    void *pipe;  /* the server's end */
    void *wpipe; /* the writers' end, shared under answer_lock */
    pthread_mutex_t answer_lock;

    /* The queue every thread takes groups from, under lock. */
    pthread_mutex_t lock;
    pthread_cond_t cond;       /* on the monotonic clock: work or stop */
    pthread_cond_t watch_cond; /* the watchdog's: stop */
    coll_writer_item_t **queue;
    size_t qhead, qlen, qcap;
    int stopping;
    int live;                  /* threads still running */
    coll_writer_stats_t stats; /* of the threads that ended */
    size_t queued_bytes;       /* atomic: submitted and not answered */

    coll_writer_thread_t **threads;
    zhashx_t *agents;    /* agent id -> its writer's index + 1, under lock */
    size_t next_writer;  /* the writer the next new agent goes to */
    size_t nthreads;     /* started */
    size_t nwanted;      /* config->writers: agents are shared out among these */
    int64_t *busy_since; /* per thread, atomic: when its current group began, 0 if none */

    /* The watchdog of acknowledgements (atomics, written by any thread). */
    uint64_t submitted;
    uint64_t answered;
    int64_t last_answer_ms; /* monotonic */
    pthread_t watchdog;
    int watchdog_started;
};

/* Sends the items back to the server, answered, and forgets them (items[i]
 * is nulled). Any thread. */
void coll_writer_answer (coll_writer_t *self, coll_writer_item_t **items, size_t n);
/* A thread is ending with these figures; the last one reports done. */
void coll_writer_done (coll_writer_t *self, const coll_writer_stats_t *stats);
/* With self->lock held: moves the next group for writer me from the queue
 * into *group (grown as needed); returns how many items. */
size_t coll_writer_take (coll_writer_t *self, int me, int64_t now, coll_writer_item_t ***group,
                         size_t *cap);

/* After items[i] were written as sitems[i]: each agent stored from now on
 * goes to the writer of its host's part of the day (host_id % writers),
 * whose COPY then has that part to itself (coll_store_set_sample_parts).
 * Any thread. */
void coll_writer_follow_hosts (coll_writer_t *self, coll_writer_item_t *const *items,
                               const coll_store_item_t *sitems, size_t n);

/* One writer thread (coll_writer_thread.c). */
coll_writer_thread_t *coll_writer_thread_new (coll_writer_t *writer, int index);
int coll_writer_thread_start (coll_writer_thread_t *self);
/* Joins the thread if it was started (the caller has asked it to stop). */
void coll_writer_thread_destroy (coll_writer_thread_t **self_p);

#endif
