/*  coll_writer.c - the writers' shared side: the queue the server thread
 *  fills, the answers it reads back, starting and stopping the threads.
 *  What one writer thread does is in coll_writer_thread.c.
 *
 *  Writers -> server:  ["A"][item pointer]... items answered
 *                      ["D"][stats]          done; the last thread is ending
 *  Every thread sends on the one PAIR socket under answer_lock, so the "D"
 *  of the last thread comes after every answer. Pointers only travel inside
 *  this process; whoever reads a pointer owns the item from then on.
 */
#include "coll_writer.h"
#include "coll_writer_int.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"
#include "vg_time.h"

#include <errno.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* What a decoded batch takes in memory, about: its columns, its strings and
 * the arrays that point at them (shared ones whole, though others may share
 * them). */
static size_t
s_batch_bytes (const vg_batch_t *b)
{
    size_t bytes = sizeof *b + 256;
    if (b->names) /* counted once, when they were made */
        bytes += b->names->bytes;
    else {
        for (uint32_t i = 0; i < b->nstrings; i++)
            bytes += sizeof (char *) + (b->strings[i] ? strlen (b->strings[i]) + 17 : 0);
        for (uint32_t i = 0; i < b->nseries; i++)
            bytes += sizeof (vg_series_t) + 8 * (size_t)b->series[i].nlabels;
    }
    bytes += b->nsamples * (sizeof (uint32_t) + sizeof (int64_t) + sizeof (double));
    for (size_t i = 0; i < b->ndists; i++) {
        const vg_sketch_t *sk = b->dists[i].sketch;
        bytes += sizeof (vg_dist_t);
        if (sk)
            bytes += sizeof *sk + 8 * ((size_t)sk->pos.len + sk->neg.len);
    }
    for (size_t i = 0; i < b->nevents; i++)
        bytes += sizeof (vg_event_t) + 8 * (size_t)b->events[i].nlabels +
                 (b->events[i].text ? strlen (b->events[i].text) + 1 : 0);
    return bytes;
}

coll_writer_item_t *
coll_writer_item_new (const void *rid, size_t rid_len, vg_batch_t **batch_p, int64_t received_ms)
{
    coll_writer_item_t *self = vg_calloc (1, sizeof *self);
    if (rid_len > sizeof self->rid)
        rid_len = sizeof self->rid;
    memcpy (self->rid, rid, rid_len);
    self->rid_len = rid_len;
    self->batch = *batch_p;
    *batch_p = NULL;
    self->seq = self->batch ? self->batch->seq : 0;
    self->received_ms = received_ms;
    self->bytes = sizeof *self + (self->batch ? s_batch_bytes (self->batch) : 0);
    return self;
}

void
coll_writer_item_destroy (coll_writer_item_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    coll_writer_item_t *self = *self_p;
    vg_batch_destroy (&self->batch);
    free (self->reason);
    free (self);
    *self_p = NULL;
}

static void
s_send_ptr (void *sock, const void *ptr, int more)
{
    zmq_send (sock, &ptr, sizeof ptr, more ? ZMQ_SNDMORE : 0);
}

static void *
s_recv_ptr (void *sock)
{
    void *ptr = NULL;
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, sock, ZMQ_DONTWAIT) >= 0 && zmq_msg_size (&msg) == sizeof ptr)
        memcpy (&ptr, zmq_msg_data (&msg), sizeof ptr);
    zmq_msg_close (&msg);
    return ptr;
}

static void
s_drop_rest (void *sock)
{
    int more = 1;
    size_t len = sizeof more;
    while (zmq_getsockopt (sock, ZMQ_RCVMORE, &more, &len) == 0 && more) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        zmq_msg_recv (&msg, sock, ZMQ_DONTWAIT);
        zmq_msg_close (&msg);
        len = sizeof more;
    }
}

/* ---- for the threads (coll_writer_int.h) ---------------------------- */

void
coll_writer_answer (coll_writer_t *self, coll_writer_item_t **items, size_t n)
{
    if (n == 0)
        return;
    size_t bytes = 0;
    pthread_mutex_lock (&self->answer_lock);
    zmq_send (self->wpipe, "A", 1, ZMQ_SNDMORE);
    for (size_t i = 0; i < n; i++) {
        coll_writer_item_t *item = items[i];
        bytes += item->bytes;
        vg_batch_destroy (&item->batch);
        s_send_ptr (self->wpipe, item, i + 1 < n);
        items[i] = NULL;
    }
    pthread_mutex_unlock (&self->answer_lock);
    __atomic_sub_fetch (&self->queued_bytes, bytes, __ATOMIC_RELAXED);
    __atomic_add_fetch (&self->answered, n, __ATOMIC_RELAXED);
    __atomic_store_n (&self->last_answer_ms, vg_mono_ms (), __ATOMIC_RELAXED);
}

/* ---- the watchdog: says when acknowledgements stall ----------------- */

#define STALL_MS          5000
#define STALL_COMPLAIN_MS 30000

static void *
s_watchdog (void *arg)
{
    coll_writer_t *self = arg;
    int64_t pending_since = 0, stalled_since = 0;
    vg_complain_t stalled = {0};
    pthread_mutex_lock (&self->lock);
    while (!self->stopping) {
        struct timespec ts;
        clock_gettime (CLOCK_MONOTONIC, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait (&self->watch_cond, &self->lock, &ts);
        if (self->stopping)
            break;
        size_t queued = self->qlen;
        pthread_mutex_unlock (&self->lock);
        int64_t now = vg_mono_ms ();
        uint64_t pending = __atomic_load_n (&self->submitted, __ATOMIC_RELAXED) -
                           __atomic_load_n (&self->answered, __ATOMIC_RELAXED);
        int64_t last = __atomic_load_n (&self->last_answer_ms, __ATOMIC_RELAXED);
        if (stalled_since && last > stalled_since) {
            vg_info ("acknowledgements resumed after %.1f s without any",
                     (double)(last - stalled_since) / 1000);
            stalled = (vg_complain_t){0};
            stalled_since = 0;
        }
        if (pending == 0)
            pending_since = 0;
        else if (!pending_since)
            pending_since = now;
        int64_t since = pending_since > last ? pending_since : last;
        if (pending > 0 && now - since >= STALL_MS) {
            if (!stalled_since)
                stalled_since = since;
            vg_complain (&stalled, STALL_COMPLAIN_MS, VG_LOG_WARN,
                         "acknowledgements stalled: none for %.0f s while %llu batches wait (%zu "
                         "not taken by a writer yet); the database is slow or unreachable - "
                         "agents keep their batches meanwhile",
                         (double)(now - since) / 1000, (unsigned long long)pending, queued);
        }
        pthread_mutex_lock (&self->lock);
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

void
coll_writer_done (coll_writer_t *self, const coll_writer_stats_t *stats)
{
    pthread_mutex_lock (&self->lock);
    coll_writer_stats_t *t = &self->stats;
    t->batches_stored += stats->batches_stored;
    t->batches_duplicate += stats->batches_duplicate;
    t->batches_retry += stats->batches_retry;
    t->batches_rejected += stats->batches_rejected;
    t->samples_stored += stats->samples_stored;
    t->samples_dropped += stats->samples_dropped;
    t->transactions += stats->transactions;
    t->splits += stats->splits;
    int last = --self->live == 0;
    coll_writer_stats_t total = self->stats;
    pthread_mutex_unlock (&self->lock);
    if (!last)
        return;
    pthread_mutex_lock (&self->answer_lock);
    zmq_send (self->wpipe, "D", 1, ZMQ_SNDMORE);
    zmq_send (self->wpipe, &total, sizeof total, 0);
    pthread_mutex_unlock (&self->answer_lock);
}

static int
s_same_key (const coll_writer_item_t *a, const coll_writer_item_t *b)
{
    return a->seq == b->seq && a->batch->incarnation == b->batch->incarnation &&
           strcmp (a->batch->agent_id, b->batch->agent_id) == 0;
}

size_t
coll_writer_take (coll_writer_t *self, int me, int64_t now, coll_writer_item_t ***group,
                  size_t *cap)
{
    /* Called with self->lock held. Each agent has its writer (its caches
     * then hold the agent's series once); a writer that has been busy with one
     * group for COLL_WRITER_STEAL_MS (narrowing it down, retrying it,
     * registering many series), or without a connection as long, gives its
     * agents up to the others meanwhile; so does every writer when stopping.
     * The same batch twice goes to two groups, so that the second is seen as
     * the duplicate it is. */
    int steal[COLL_WRITER_MAX_THREADS] = {0};
    for (size_t k = 0; k < self->nthreads; k++) {
        int64_t busy = __atomic_load_n (&self->busy_since[k], __ATOMIC_RELAXED);
        steal[k] = (int)k == me || self->stopping || (busy && now - busy >= COLL_WRITER_STEAL_MS);
    }
    size_t n = 0, samples = 0, keep = 0;
    int full = 0;
    for (size_t i = 0; i < self->qlen; i++) {
        coll_writer_item_t *item = self->queue[self->qhead + i];
        size_t count = vg_batch_count (item->batch);
        int take = !full && item->pref < self->nthreads && steal[item->pref];
        if (take && n > 0 && samples + count > self->group_max_samples)
            take = 0, full = 1;
        for (size_t k = 0; k < n && take; k++)
            take = !s_same_key ((*group)[k], item);
        if (!take) {
            self->queue[self->qhead + keep++] = item;
            continue;
        }
        VG_GROW (*group, *cap, n + 1);
        (*group)[n++] = item;
        samples += count;
    }
    self->qlen = keep;
    if (self->qlen == 0)
        self->qhead = 0;
    return n;
}

/* ---- the server's side ---------------------------------------------- */

static void *
s_pair (void *ctx)
{
    void *sock = zmq_socket (ctx, ZMQ_PAIR);
    int zero = 0;
    /* No high-water mark: the server bounds what is queued
     * (max_queued_batches, max_queued_bytes). */
    zmq_setsockopt (sock, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt (sock, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt (sock, ZMQ_LINGER, &zero, sizeof zero);
    return sock;
}

coll_writer_t *
coll_writer_new (void *zmq_ctx, const coll_config_t *config,
                 const coll_commit_observers_t *observers)
{
    coll_writer_t *self = vg_calloc (1, sizeof *self);
    pthread_mutex_init (&self->lock, NULL);
    pthread_mutex_init (&self->answer_lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init (&attr);
    pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
    pthread_cond_init (&self->cond, &attr);
    pthread_cond_init (&self->watch_cond, &attr);
    pthread_condattr_destroy (&attr);
    self->config = config;
    self->group_max_samples = (size_t)config->group_max_samples;
    coll_config_describe_db (config->database_url, self->dbdesc, sizeof self->dbdesc);
    if (observers)
        self->observers = *observers;
    self->limits =
        coll_limits_new (config->max_series_per_agent, config->max_new_series_per_minute);

    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://vigil-writer-%p", (void *)self);
    self->pipe = s_pair (zmq_ctx);
    self->wpipe = s_pair (zmq_ctx);
    if (!self->pipe || !self->wpipe || zmq_bind (self->pipe, endpoint) != 0 ||
        zmq_connect (self->wpipe, endpoint) != 0) {
        vg_error ("cannot make the writers' pipe: %s", zmq_strerror (errno));
        coll_writer_destroy (&self);
        return NULL;
    }
    size_t n = config->writers > 0 ? (size_t)config->writers : 1;
    if (n > COLL_WRITER_MAX_THREADS)
        n = COLL_WRITER_MAX_THREADS;
    self->agents = zhashx_new ();
    self->threads = vg_calloc (n, sizeof *self->threads);
    self->busy_since = vg_calloc (n, sizeof *self->busy_since);
    self->nwanted = n;
    for (size_t i = 0; i < n; i++) {
        self->threads[i] = coll_writer_thread_new (self, (int)i);
        pthread_mutex_lock (&self->lock);
        self->live++;
        pthread_mutex_unlock (&self->lock);
        if (coll_writer_thread_start (self->threads[i]) != 0) {
            pthread_mutex_lock (&self->lock);
            self->live--;
            pthread_mutex_unlock (&self->lock);
            coll_writer_thread_destroy (&self->threads[i]);
            vg_error ("cannot start writer thread %zu", i + 1);
            coll_writer_destroy (&self);
            return NULL;
        }
        self->nthreads++;
    }
    self->last_answer_ms = vg_mono_ms ();
    if (pthread_create (&self->watchdog, NULL, s_watchdog, self) == 0)
        self->watchdog_started = 1;
    return self;
}

void *
coll_writer_socket (coll_writer_t *self)
{
    return self->pipe;
}

void
coll_writer_submit (coll_writer_t *self, coll_writer_item_t **item_p)
{
    coll_writer_item_t *item = *item_p;
    *item_p = NULL;
    __atomic_add_fetch (&self->queued_bytes, item->bytes, __ATOMIC_RELAXED);
    __atomic_add_fetch (&self->submitted, 1, __ATOMIC_RELAXED);
    const char *agent = item->batch ? item->batch->agent_id : "";
    pthread_mutex_lock (&self->lock);
    /* Agents go to the writers in turn as they first appear, so that each
     * writer has as many: by a hash of their ids, 50 agents went 29 and 21,
     * and the busier writer's agents waited longer for their acks. Once
     * stored, an agent follows its host (coll_writer_follow_hosts). */
    uintptr_t writer = (uintptr_t)zhashx_lookup (self->agents, agent);
    if (writer == 0) {
        writer = self->next_writer++ % (self->nthreads ? self->nthreads : 1) + 1;
        zhashx_insert (self->agents, agent, (void *)writer);
    }
    item->pref = (unsigned)(writer - 1);
    if (self->qhead > 0 && self->qhead + self->qlen == self->qcap) {
        memmove (self->queue, self->queue + self->qhead, self->qlen * sizeof *self->queue);
        self->qhead = 0;
    }
    VG_GROW (self->queue, self->qcap, self->qhead + self->qlen + 1);
    self->queue[self->qhead + self->qlen++] = item;
    pthread_cond_broadcast (&self->cond); /* the item is for one writer: wake them all */
    pthread_mutex_unlock (&self->lock);
}

void
coll_writer_follow_hosts (coll_writer_t *self, coll_writer_item_t *const *items,
                          const coll_store_item_t *sitems, size_t n)
{
    size_t moved = 0;
    for (size_t i = 0; i < n; i++)
        moved += sitems[i].status == VG_ACK_STORED &&
                 (size_t)sitems[i].host_id % self->nwanted != items[i]->pref;
    if (moved == 0)
        return;
    pthread_mutex_lock (&self->lock);
    for (size_t i = 0; i < n; i++) {
        if (sitems[i].status != VG_ACK_STORED)
            continue;
        uintptr_t writer = (uintptr_t)sitems[i].host_id % self->nwanted + 1;
        if (writer - 1 != items[i]->pref)
            zhashx_update (self->agents, items[i]->batch->agent_id, (void *)writer);
    }
    pthread_mutex_unlock (&self->lock);
}

size_t
coll_writer_queued_bytes (coll_writer_t *self)
{
    return __atomic_load_n (&self->queued_bytes, __ATOMIC_RELAXED);
}

void
coll_writer_stop (coll_writer_t *self)
{
    pthread_mutex_lock (&self->lock);
    self->stopping = 1;
    pthread_cond_broadcast (&self->cond);
    pthread_cond_broadcast (&self->watch_cond);
    pthread_mutex_unlock (&self->lock);
}

int
coll_writer_recv (coll_writer_t *self, coll_writer_answer_fn *answer, void *arg,
                  coll_writer_stats_t *stats)
{
    zmq_msg_t kind;
    zmq_msg_init (&kind);
    if (zmq_msg_recv (&kind, self->pipe, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&kind);
        return errno == EAGAIN ? VG_ERETRY : VG_EIO;
    }
    char c = zmq_msg_size (&kind) > 0 ? *(char *)zmq_msg_data (&kind) : 0;
    int more = zmq_msg_more (&kind);
    zmq_msg_close (&kind);
    int rc = VG_OK;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, self->pipe, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&part);
            break;
        }
        more = zmq_msg_more (&part);
        if (c == 'A' && zmq_msg_size (&part) == sizeof (void *)) {
            coll_writer_item_t *item;
            memcpy (&item, zmq_msg_data (&part), sizeof item);
            answer (item, arg);
        } else if (c == 'D' && zmq_msg_size (&part) == sizeof *stats) {
            if (stats)
                memcpy (stats, zmq_msg_data (&part), sizeof *stats);
            rc = 1;
        }
        zmq_msg_close (&part);
    }
    return rc;
}

/* Frees the items of answers nobody read. */
static void
s_discard (void *sock)
{
    for (;;) {
        zmq_msg_t kind;
        zmq_msg_init (&kind);
        if (zmq_msg_recv (&kind, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&kind);
            return;
        }
        char c = zmq_msg_size (&kind) > 0 ? *(char *)zmq_msg_data (&kind) : 0;
        int more = zmq_msg_more (&kind);
        zmq_msg_close (&kind);
        while (more && c == 'A') {
            coll_writer_item_t *item = s_recv_ptr (sock);
            coll_writer_item_destroy (&item);
            size_t len = sizeof more;
            zmq_getsockopt (sock, ZMQ_RCVMORE, &more, &len);
        }
        s_drop_rest (sock);
    }
}

void
coll_writer_destroy (coll_writer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    coll_writer_t *self = *self_p;
    coll_writer_stop (self);
    if (self->watchdog_started)
        pthread_join (self->watchdog, NULL);
    for (size_t i = 0; i < self->nthreads; i++)
        coll_writer_thread_destroy (&self->threads[i]); /* joins it */
    free (self->threads);
    free (self->busy_since);
    zhashx_destroy (&self->agents);
    /* The threads have ended: both ends are ours to empty and close. */
    if (self->pipe)
        s_discard (self->pipe);
    if (self->wpipe)
        s_discard (self->wpipe);
    if (self->pipe)
        zmq_close (self->pipe);
    if (self->wpipe)
        zmq_close (self->wpipe);
    for (size_t i = 0; i < self->qlen; i++)
        coll_writer_item_destroy (&self->queue[self->qhead + i]);
    free (self->queue);
    coll_limits_destroy (&self->limits);
    pthread_cond_destroy (&self->cond);
    pthread_cond_destroy (&self->watch_cond);
    pthread_mutex_destroy (&self->lock);
    pthread_mutex_destroy (&self->answer_lock);
    free (self);
    *self_p = NULL;
}
