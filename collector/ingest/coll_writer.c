/*  coll_writer.c - the writer thread: groups batches, writes them with
 *  coll_store, and hands the answers back to the server thread.
 *
 *  Server -> writer:  ["B"][item pointer]   a batch to write
 *                     ["S"]                 finish and report
 *  Writer -> server:  ["A"][item pointer]... a group, answered after its commit
 *                     ["D"][stats]          done; the thread is ending
 *  Pointers only travel inside this process, between two threads; whoever
 *  reads a pointer owns the item from then on.
 */
#include "coll_writer.h"
#include "coll_migrate.h"
#include "coll_store.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"
#include "vg_time.h"

#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define BACKOFF_MIN_MS   1000
#define BACKOFF_MAX_MS   30000
#define COMPLAIN_MS      30000
#define FLUSH_GAP_MAX_MS 60000

struct coll_writer_t {
    void *pipe;  /* the server's end */
    void *wpipe; /* the writer's end; only the thread touches it while it runs */
    pthread_t thread;
    int started;
    int stop_sent;

    char *dburl;
    char dbdesc[256]; /* where dburl points, without the password */
    size_t group_max_samples;
    int64_t flush_interval_ms; /* latest_flush_interval */
    int64_t flush_gap_ms;      /* the same, stretched while flushes are slow */

    /* The thread's own state from here on. */
    coll_store_t *store;
    coll_writer_item_t **queue; /* queue[qhead .. qhead + qlen) waits to be written */
    size_t qhead, qlen, qcap;
    coll_store_item_t *group;
    size_t group_cap;
    coll_commit_observers_t observers;
    coll_committed_t *committed; /* what the observers are told of a group */
    size_t committed_cap;
    int stopping;
    int connected;
    int ever_connected;
    int64_t backoff_ms;
    int64_t next_try_ms;
    int dirty; /* written since the last flush of latest values */
    int64_t last_flush_ms;
    vg_complain_t db_down, write_failed, flush_failed;
    coll_writer_stats_t stats;
};

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

/* Sends a pointer-sized frame. Inproc with no high-water mark: never blocks. */
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

/* ---- the writer thread ---------------------------------------------- */

static void
s_queue_push (coll_writer_t *self, coll_writer_item_t *item)
{
    if (self->qhead > 0 && self->qhead + self->qlen == self->qcap) {
        memmove (self->queue, self->queue + self->qhead, self->qlen * sizeof *self->queue);
        self->qhead = 0;
    }
    VG_GROW (self->queue, self->qcap, self->qhead + self->qlen + 1);
    self->queue[self->qhead + self->qlen++] = item;
}

/* Reads one command; returns 1 if there was one, 0 if none was waiting. */
static int
s_recv_command (coll_writer_t *self)
{
    zmq_msg_t cmd;
    zmq_msg_init (&cmd);
    if (zmq_msg_recv (&cmd, self->wpipe, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&cmd);
        return 0;
    }
    char c = zmq_msg_size (&cmd) > 0 ? *(char *)zmq_msg_data (&cmd) : 0;
    int more = zmq_msg_more (&cmd);
    zmq_msg_close (&cmd);
    if (c == 'B' && more) {
        coll_writer_item_t *item = s_recv_ptr (self->wpipe);
        if (item)
            s_queue_push (self, item);
    } else if (c == 'S')
        self->stopping = 1;
    s_drop_rest (self->wpipe);
    return 1;
}

/* Waits up to timeout_ms (-1: forever, 0: not at all) for commands, then
 * reads every one waiting. */
static void
s_drain (coll_writer_t *self, int64_t timeout_ms)
{
    if (timeout_ms != 0) {
        zmq_pollitem_t item = {self->wpipe, 0, ZMQ_POLLIN, 0};
        if (timeout_ms > INT_MAX)
            timeout_ms = INT_MAX;
        if (zmq_poll (&item, 1, (long)timeout_ms) <= 0)
            return;
    }
    while (s_recv_command (self))
        ;
}

static void
s_backoff (coll_writer_t *self)
{
    self->next_try_ms = vg_mono_ms () + self->backoff_ms;
    self->backoff_ms *= 2;
    if (self->backoff_ms > BACKOFF_MAX_MS)
        self->backoff_ms = BACKOFF_MAX_MS;
}

/* The schema version, read on a short connection of its own: the store does
 * not expose its connection. */
static int
s_schema_version (const char *url)
{
    PGconn *conn = PQconnectdb (url);
    int version = -1;
    if (PQstatus (conn) == CONNECTION_OK)
        version = coll_migrate_current (conn);
    PQfinish (conn);
    return version;
}

static void
s_connect (coll_writer_t *self)
{
    char err[512] = "";
    int rc = coll_store_connect (self->store, err, sizeof err);
    if (rc == VG_OK) {
        self->connected = 1;
        self->backoff_ms = BACKOFF_MIN_MS;
        self->next_try_ms = 0;
        if (!self->ever_connected) {
            self->ever_connected = 1;
            int version = s_schema_version (self->dburl);
            if (version >= 0)
                vg_info ("connected to the database (%s); schema version %d", self->dbdesc,
                         version);
            else
                vg_info ("connected to the database (%s); schema version unknown", self->dbdesc);
        }
        vg_complain_clear (&self->db_down,
                           "database reachable again (%s); writing %zu queued batches",
                           self->dbdesc, self->qlen);
        return;
    }
    int64_t wait_s = self->backoff_ms / 1000;
    if (rc == VG_ERETRY)
        vg_complain (&self->db_down, COMPLAIN_MS, VG_LOG_WARN,
                     "database unreachable (%s): %s; retrying in %lld s (batches are not "
                     "acknowledged meanwhile; agents keep them)",
                     self->dbdesc, err, (long long)wait_s);
    else
        vg_complain (&self->db_down, COMPLAIN_MS, VG_LOG_ERROR,
                     "database refused the collector (%s): %s; retrying in %lld s - check "
                     "database_url, the role's rights and the database's log",
                     self->dbdesc, err, (long long)wait_s);
    s_backoff (self);
}

/* Tells the observers which batches of the group just committed were stored. */
static void
s_tell_observers (coll_writer_t *self, size_t n)
{
    if (self->observers.n == 0)
        return;
    VG_GROW (self->committed, self->committed_cap, n);
    size_t m = 0;
    int64_t now = vg_now_ms ();
    for (size_t i = 0; i < n; i++) {
        const coll_store_item_t *g = &self->group[i];
        if (g->status != VG_ACK_STORED)
            continue;
        self->committed[m++] = (coll_committed_t){.host_id = g->host_id,
                                                  .hostname = g->hostname,
                                                  .batch = g->batch,
                                                  .series_ids = g->series_ids,
                                                  .received_ms = g->received_ms,
                                                  .committed_ms = now,
                                                  .min_ts_ms = g->min_ts_ms,
                                                  .max_ts_ms = g->max_ts_ms};
    }
    if (m == 0)
        return;
    for (size_t k = 0; k < self->observers.n; k++)
        self->observers.items[k].fn (self->committed, m, self->observers.items[k].arg);
}

/* Hands the first n queued items back to the server, answered. */
static void
s_answer (coll_writer_t *self, size_t n)
{
    zmq_send (self->wpipe, "A", 1, ZMQ_SNDMORE);
    for (size_t i = 0; i < n; i++) {
        coll_writer_item_t *item = self->queue[self->qhead + i];
        vg_batch_destroy (&item->batch);
        s_send_ptr (self->wpipe, item, i + 1 < n);
    }
    self->qhead += n;
    self->qlen -= n;
    if (self->qlen == 0)
        self->qhead = 0;
}

/* Whether the first n items of the queue hold a batch with item's key: the
 * same batch sent twice must go to two transactions, so that the second is
 * seen as the duplicate it is. */
static int
s_in_group (coll_writer_t *self, size_t n, const coll_writer_item_t *item)
{
    for (size_t i = 0; i < n; i++) {
        const coll_writer_item_t *other = self->queue[self->qhead + i];
        if (other->seq == item->seq && strcmp (other->batch->agent_id, item->batch->agent_id) == 0)
            return 1;
    }
    return 0;
}

static size_t
s_take_group (coll_writer_t *self)
{
    size_t n = 0, samples = 0;
    while (n < self->qlen) {
        coll_writer_item_t *item = self->queue[self->qhead + n];
        size_t count = vg_batch_count (item->batch);
        if (n > 0 && (samples + count > self->group_max_samples || s_in_group (self, n, item)))
            break;
        VG_GROW (self->group, self->group_cap, n + 1);
        self->group[n] = (coll_store_item_t){
            .batch = item->batch, .received_ms = item->received_ms, .status = VG_ACK_STORED};
        samples += count;
        n++;
    }
    return n;
}

static void
s_write_group (coll_writer_t *self)
{
    size_t n = s_take_group (self);
    char err[512] = "";
    int64_t start_ns = vg_mono_ns ();
    int rc = coll_store_write (self->store, self->group, n, err, sizeof err);
    if (rc == VG_OK) {
        vg_debug ("wrote a group of %zu batches in %.1f ms; %zu more waiting", n,
                  (double)(vg_mono_ns () - start_ns) / 1e6, self->qlen - n);
        for (size_t i = 0; i < n; i++) {
            coll_writer_item_t *item = self->queue[self->qhead + i];
            item->status = self->group[i].status;
            if (item->status == VG_ACK_DUPLICATE)
                self->stats.batches_duplicate++;
            else
                self->stats.batches_stored++;
        }
        self->backoff_ms = BACKOFF_MIN_MS;
        self->dirty = 1;
        s_tell_observers (self, n);
        s_answer (self, n);
        vg_complain_clear (&self->write_failed, "database writes succeed again");
        return;
    }
    if (rc == VG_ERETRY) {
        /* Keep the group: nothing was stored, and the agents hold their copies. */
        self->connected = 0;
        vg_complain (&self->write_failed, COMPLAIN_MS, VG_LOG_WARN,
                     "could not write %zu batches (%s): %s; reconnecting and writing them again "
                     "in %lld s (agents keep them until acknowledged)",
                     n, self->dbdesc, err, (long long)(self->backoff_ms / 1000));
        s_backoff (self);
        return;
    }
    vg_complain (&self->write_failed, COMPLAIN_MS, VG_LOG_ERROR,
                 "the database refused %zu batches: %s; answering RETRY so agents send them "
                 "again - look for the cause in the database's log",
                 n, err);
    for (size_t i = 0; i < n; i++) {
        coll_writer_item_t *item = self->queue[self->qhead + i];
        item->status = VG_ACK_RETRY;
        free (item->reason);
        item->reason = vg_asprintf ("the collector's database refused the batch: %s", err);
    }
    self->stats.batches_retry += n;
    s_answer (self, n);
}

static void
s_flush_latest (coll_writer_t *self)
{
    char err[512] = "";
    int64_t start_ms = vg_mono_ms ();
    int rc = coll_store_flush_latest (self->store, err, sizeof err);
    self->last_flush_ms = vg_mono_ms ();
    /* Flushing holds up writing: with many series it can take seconds, so
     * keep it to about a tenth of the writer's time, without letting the
     * latest values fall more than a minute behind. */
    int64_t took = self->last_flush_ms - start_ms;
    int64_t gap = took * 9 < FLUSH_GAP_MAX_MS ? took * 9 : FLUSH_GAP_MAX_MS;
    self->flush_gap_ms = gap > self->flush_interval_ms ? gap : self->flush_interval_ms;
    if (rc == VG_OK) {
        vg_debug ("wrote the latest values in %lld ms; the next time in %lld ms at the earliest",
                  (long long)took, (long long)self->flush_gap_ms);
        self->dirty = 0;
        vg_complain_clear (&self->flush_failed, "latest values are written again");
        return;
    }
    vg_complain (&self->flush_failed, COMPLAIN_MS, VG_LOG_WARN,
                 "could not write the latest values to vigil.series: %s; trying again (samples "
                 "are not affected)",
                 err);
    if (rc == VG_ERETRY) {
        self->connected = 0;
        s_backoff (self);
    }
}

static void *
s_thread (void *arg)
{
    coll_writer_t *self = arg;
    self->store = coll_store_new (self->dburl);
    self->last_flush_ms = vg_mono_ms ();
    for (;;) {
        s_drain (self, 0);
        int64_t now = vg_mono_ms ();
        if (!self->connected && !self->stopping && now >= self->next_try_ms)
            s_connect (self);
        if (self->stopping && (!self->connected || self->qlen == 0))
            break;
        now = vg_mono_ms ();
        if (self->connected && self->dirty && now - self->last_flush_ms >= self->flush_gap_ms)
            s_flush_latest (self);
        if (self->connected && self->qlen > 0) {
            s_write_group (self);
            continue;
        }
        /* Sleep until a command arrives, or until the next connection
         * attempt or flush is due. */
        int64_t timeout = -1;
        now = vg_mono_ms ();
        if (!self->connected)
            timeout = self->next_try_ms - now;
        else if (self->dirty)
            timeout = self->last_flush_ms + self->flush_gap_ms - now;
        if ((!self->connected || self->dirty) && timeout < 1)
            timeout = 1;
        s_drain (self, timeout);
    }
    if (self->connected && self->dirty)
        s_flush_latest (self);
    if (self->qlen > 0)
        vg_warn ("stopping with %zu batches not written: the database is unreachable; agents "
                 "keep them and send them again",
                 self->qlen);
    for (size_t i = 0; i < self->qlen; i++)
        coll_writer_item_destroy (&self->queue[self->qhead + i]);
    self->qhead = self->qlen = 0;

    coll_store_stats_t st = coll_store_stats (self->store);
    self->stats.samples_stored = st.samples_stored;
    self->stats.samples_dropped = st.samples_dropped;
    self->stats.transactions = st.transactions;
    coll_store_destroy (&self->store);

    zmq_send (self->wpipe, "D", 1, ZMQ_SNDMORE);
    zmq_send (self->wpipe, &self->stats, sizeof self->stats, 0);
    return NULL;
}

/* ---- the server's side ---------------------------------------------- */

static void *
s_pair (void *ctx)
{
    void *sock = zmq_socket (ctx, ZMQ_PAIR);
    int zero = 0;
    /* No high-water mark: the server bounds the queue (max_queued_batches). */
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
    self->dburl = vg_strdup (config->database_url);
    coll_config_describe_db (self->dburl, self->dbdesc, sizeof self->dbdesc);
    self->group_max_samples = (size_t)config->group_max_samples;
    self->flush_interval_ms = config->latest_flush_interval_ms;
    self->flush_gap_ms = self->flush_interval_ms;
    self->backoff_ms = BACKOFF_MIN_MS;
    if (observers)
        self->observers = *observers;

    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://vigil-writer-%p", (void *)self);
    self->pipe = s_pair (zmq_ctx);
    self->wpipe = s_pair (zmq_ctx);
    if (!self->pipe || !self->wpipe || zmq_bind (self->pipe, endpoint) != 0 ||
        zmq_connect (self->wpipe, endpoint) != 0) {
        vg_error ("cannot make the writer's pipe: %s", zmq_strerror (errno));
        coll_writer_destroy (&self);
        return NULL;
    }
    int rc = pthread_create (&self->thread, NULL, s_thread, self);
    if (rc != 0) {
        vg_error ("cannot start the writer thread: %s", strerror (rc));
        coll_writer_destroy (&self);
        return NULL;
    }
    self->started = 1;
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
    zmq_send (self->pipe, "B", 1, ZMQ_SNDMORE);
    s_send_ptr (self->pipe, *item_p, 0);
    *item_p = NULL;
}

void
coll_writer_stop (coll_writer_t *self)
{
    if (self->stop_sent)
        return;
    zmq_send (self->pipe, "S", 1, 0);
    self->stop_sent = 1;
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
        while (more && (c == 'A' || c == 'B')) {
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
    if (self->started) {
        coll_writer_stop (self);
        pthread_join (self->thread, NULL);
    }
    /* The thread has ended: both ends are ours to empty and close. */
    if (self->pipe)
        s_discard (self->pipe);
    if (self->wpipe)
        s_discard (self->wpipe);
    if (self->pipe)
        zmq_close (self->pipe);
    if (self->wpipe)
        zmq_close (self->wpipe);
    free (self->queue);
    free (self->group);
    free (self->committed);
    free (self->dburl);
    free (self);
    *self_p = NULL;
}
