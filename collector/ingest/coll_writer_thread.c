/*  coll_writer_thread.c - one writer thread: its own connection and store,
 *  groups taken from the shared queue, and what becomes of a group that
 *  fails (coll_writer.h says what, this file how).
 *
 *  A failing group is kept on the thread's own stack of work. Splitting one
 *  that the data broke pushes both halves, the first on top, so the thread
 *  finishes narrowing it down before it takes anything new; meanwhile the
 *  other threads keep taking groups from the queue.
 */
#include "coll_migrate.h"
#include "coll_store.h"
#include "coll_writer_int.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"
#include "vg_time.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_MIN_MS   100
#define BACKOFF_MAX_MS   1000
#define COMPLAIN_MS      30000
#define FLUSH_GAP_MAX_MS 60000
#define FLUSH_PIECE      2000    /* series per statement of newest values */
#define FLUSH_SPREAD     4       /* a round's pieces are this many times their time apart */
#define LEDGER_EVERY_MS  3600000 /* the ledger's window is moved this often */
#define LEDGER_AHEAD     2       /* days of ledger partitions made ahead */
#define DAY_MS           86400000LL

/* Work waiting on this thread: items of a group, in the order received. */
typedef struct {
    coll_writer_item_t **items; /* owned array */
    size_t n;
    int breaks; /* times the connection broke under it while the server was up */
} s_seg_t;

struct coll_writer_thread_t {
    coll_writer_t *w;
    int index;
    pthread_t thread;
    int started;

    coll_store_t *store;
    s_seg_t *stack;
    size_t nstack, stack_cap;
    coll_writer_item_t **take;
    size_t take_cap;
    coll_store_item_t *sitems;
    size_t sitems_cap;
    coll_committed_t *committed;
    size_t committed_cap;
    size_t *lens; /* string lengths of the batch being checked */
    size_t lens_cap;

    int connected;
    int64_t backoff_ms;
    int64_t next_try_ms; /* no connection attempt or write before this */
    int dirty;           /* written since the last flush of latest values */
    int64_t next_ledger_ms;
    int64_t last_flush_ms; /* when the last round of newest values ended */
    int64_t flush_gap_ms;
    int flushing;          /* a round is under way */
    int64_t round_ms;      /* the time its pieces took */
    int64_t next_piece_ms; /* when the round's next piece is due */
    vg_complain_t write_failed, flush_failed, refused, split;
    coll_writer_stats_t stats;
};

/* Rate-limited complaints shared by every thread, so that one outage is one
 * line however many writers see it. */
static pthread_mutex_t s_log_lock = PTHREAD_MUTEX_INITIALIZER;

static void
s_wait_until (coll_writer_thread_t *self, int64_t deadline_ms)
{
    coll_writer_t *w = self->w;
    pthread_mutex_lock (&w->lock);
    if (!w->stopping) {
        struct timespec ts;
        clock_gettime (CLOCK_MONOTONIC, &ts);
        int64_t wait = deadline_ms - vg_mono_ms ();
        if (wait > 0) {
            ts.tv_sec += (time_t)(wait / 1000);
            ts.tv_nsec += (long)(wait % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait (&w->cond, &w->lock, &ts);
        }
    }
    pthread_mutex_unlock (&w->lock);
}

static int
s_stopping (coll_writer_t *w)
{
    pthread_mutex_lock (&w->lock);
    int stopping = w->stopping;
    pthread_mutex_unlock (&w->lock);
    return stopping;
}

static void
s_backoff (coll_writer_thread_t *self)
{
    self->next_try_ms = vg_mono_ms () + self->backoff_ms;
    self->backoff_ms *= 2;
    if (self->backoff_ms > BACKOFF_MAX_MS)
        self->backoff_ms = BACKOFF_MAX_MS;
}

/* ---- connecting ----------------------------------------------------- */

static int s_ever_connected;
static vg_complain_t s_db_down;

static void
s_log_connected (coll_writer_thread_t *self)
{
    coll_writer_t *w = self->w;
    pthread_mutex_lock (&s_log_lock);
    int first = !s_ever_connected;
    s_ever_connected = 1;
    size_t queued = w->qlen;
    vg_complain_clear (&s_db_down, "database reachable again (%s); writing %zu queued batches",
                       w->dbdesc, queued);
    pthread_mutex_unlock (&s_log_lock);
    if (!first)
        return;
    /* The schema version, read on a short connection of its own: the store
     * does not expose its connection. */
    PGconn *conn = PQconnectdb (w->config->database_url);
    int version = PQstatus (conn) == CONNECTION_OK ? coll_migrate_current (conn) : -1;
    PQfinish (conn);
    if (version >= 0)
        vg_info ("connected to the database (%s); schema version %d", w->dbdesc, version);
    else
        vg_info ("connected to the database (%s); schema version unknown", w->dbdesc);
}

static void
s_connect (coll_writer_thread_t *self)
{
    char err[512] = "";
    int rc = coll_store_connect (self->store, err, sizeof err);
    int64_t *busy = &self->w->busy_since[self->index];
    if (rc == VG_OK) {
        self->connected = 1;
        self->backoff_ms = BACKOFF_MIN_MS;
        self->next_try_ms = 0;
        __atomic_store_n (busy, 0, __ATOMIC_RELAXED);
        s_log_connected (self);
        return;
    }
    if (!__atomic_load_n (busy, __ATOMIC_RELAXED)) /* the others may take its agents */
        __atomic_store_n (busy, vg_mono_ms (), __ATOMIC_RELAXED);
    double wait_s = (double)self->backoff_ms / 1000;
    pthread_mutex_lock (&s_log_lock);
    if (rc == VG_ERETRY)
        vg_complain (&s_db_down, COMPLAIN_MS, VG_LOG_WARN,
                     "database unreachable (%s): %s; retrying in %.1f s and then at least every "
                     "%d s (batches are not acknowledged meanwhile; agents keep them)",
                     self->w->dbdesc, err, wait_s, BACKOFF_MAX_MS / 1000);
    else
        vg_complain (&s_db_down, COMPLAIN_MS, VG_LOG_ERROR,
                     "database refused the collector (%s): %s; retrying in %.1f s - check "
                     "database_url, the role's rights and the database's log",
                     self->w->dbdesc, err, wait_s);
    pthread_mutex_unlock (&s_log_lock);
    s_backoff (self);
}

/* ---- what is taken -------------------------------------------------- */

static void
s_push (coll_writer_thread_t *self, coll_writer_item_t **items, size_t n, int breaks)
{
    VG_GROW (self->stack, self->stack_cap, self->nstack + 1);
    s_seg_t *seg = &self->stack[self->nstack++];
    seg->items = vg_malloc (n * sizeof *items);
    memcpy (seg->items, items, n * sizeof *items);
    seg->n = n;
    seg->breaks = breaks;
}

static void
s_refuse (coll_writer_thread_t *self, coll_writer_item_t *item, const char *why)
{
    item->status = VG_ACK_REJECTED;
    free (item->reason);
    item->reason = vg_strdup (why);
    self->stats.batches_rejected++;
    vg_complain (&self->refused, 10000, VG_LOG_WARN,
                 "refused batch %llu of agent \"%s\": %s; answered REJECTED, so the agent sets it "
                 "aside instead of sending it again",
                 (unsigned long long)item->seq, item->batch->agent_id, why);
    coll_writer_answer (self->w, &item, 1);
}

/* Why the batch cannot be stored whatever the database says: a series whose
 * name and labels are larger than max_series_bytes, or whose metric name is
 * longer than the index on vigil.series.metric takes. 0 if it can. */
static int
s_series_refused (coll_writer_thread_t *self, const vg_batch_t *b, size_t max, char *why,
                  size_t whylen)
{
    VG_GROW (self->lens, self->lens_cap, (size_t)b->nstrings + 1);
    for (uint32_t i = 0; i < b->nstrings; i++)
        self->lens[i] = b->strings[i] ? strlen (b->strings[i]) : 0;
    for (uint32_t i = 0; i < b->nseries; i++) {
        const vg_series_t *s = &b->series[i];
        size_t name_len = s->name < b->nstrings ? self->lens[s->name] : 0;
        size_t n = name_len;
        for (uint32_t l = 0; l < 2 * s->nlabels; l++)
            n += s->labels[l] < b->nstrings ? self->lens[s->labels[l]] : 0;
        if (n <= max && name_len <= COLL_METRIC_NAME_MAX)
            continue;
        const char *name = name_len ? b->strings[s->name] : "";
        if (name_len > COLL_METRIC_NAME_MAX)
            snprintf (why, whylen,
                      "series %u has a metric name of %zu bytes (%.64s...), over the %d bytes the "
                      "collector's index of metric names takes",
                      i, name_len, name, COLL_METRIC_NAME_MAX);
        else
            snprintf (why, whylen,
                      "series %u (%.64s%s) has %zu bytes of name and labels, over the collector's "
                      "max_series_bytes of %zu",
                      i, name, name_len > 64 ? "..." : "", n, max);
        return 1;
    }
    return 0;
}

/* Answers what cannot be stored whatever the database says, and keeps the
 * rest as one group. */
static void
s_accept (coll_writer_thread_t *self, size_t n)
{
    size_t keep = 0;
    size_t max = (size_t)self->w->config->max_series_bytes;
    for (size_t i = 0; i < n; i++) {
        coll_writer_item_t *item = self->take[i];
        char why[512];
        if (s_series_refused (self, item->batch, max, why, sizeof why))
            s_refuse (self, item, why);
        else
            self->take[keep++] = item;
    }
    if (keep)
        s_push (self, self->take, keep, 0);
}

/* ---- writing -------------------------------------------------------- */

static void
s_tell_observers (coll_writer_thread_t *self, size_t n)
{
    const coll_commit_observers_t *obs = &self->w->observers;
    if (obs->n == 0)
        return;
    VG_GROW (self->committed, self->committed_cap, n);
    size_t m = 0;
    int64_t now = vg_now_ms ();
    for (size_t i = 0; i < n; i++) {
        const coll_store_item_t *g = &self->sitems[i];
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
    for (size_t k = 0; k < obs->n; k++)
        obs->items[k].fn (self->committed, m, obs->items[k].arg);
}

static void
s_stored (coll_writer_thread_t *self, s_seg_t *seg, int64_t start_ns)
{
    vg_debug ("writer %d: wrote a group of %zu batches in %.1f ms", self->index + 1, seg->n,
              (double)(vg_mono_ns () - start_ns) / 1e6);
    for (size_t i = 0; i < seg->n; i++) {
        coll_writer_item_t *item = seg->items[i];
        item->status = self->sitems[i].status;
        if (item->status == VG_ACK_REJECTED) {
            const char *why = self->sitems[i].reason ? self->sitems[i].reason : "refused";
            free (item->reason);
            item->reason = vg_strdup (why);
            self->stats.batches_rejected++;
            vg_complain (&self->refused, 10000, VG_LOG_WARN,
                         "refused batch %llu of agent \"%s\": %s; answered REJECTED, so the agent "
                         "sets it aside instead of sending it again",
                         (unsigned long long)item->seq, item->batch->agent_id, why);
        } else if (item->status == VG_ACK_DUPLICATE)
            self->stats.batches_duplicate++;
        else
            self->stats.batches_stored++;
    }
    self->backoff_ms = BACKOFF_MIN_MS;
    self->dirty = 1;
    coll_writer_follow_hosts (self->w, seg->items, self->sitems, seg->n);
    s_tell_observers (self, seg->n);
    coll_writer_answer (self->w, seg->items, seg->n);
    vg_complain_clear (&self->write_failed, "database writes succeed again");
}

/* The data broke the group: split it, or refuse the one batch. */
static void
s_narrow (coll_writer_thread_t *self, s_seg_t *seg, const char *err)
{
    if (seg->n == 1) {
        coll_writer_item_t *item = seg->items[0];
        /* Once more alone before refusing, in case what failed was ours (a
         * cache of partitions gone stale). */
        if (++item->data_failures < 2) {
            s_push (self, seg->items, 1, 0);
            return;
        }
        char why[1024];
        snprintf (why, sizeof why, "the collector's database refused the batch: %.960s", err);
        s_refuse (self, item, why);
        return;
    }
    self->stats.splits++;
    vg_complain (&self->split, 10000, VG_LOG_WARN,
                 "the database refused a group of %zu batches: %s; writing it in halves to find "
                 "the batch at fault (the others are stored)",
                 seg->n, err);
    size_t half = seg->n / 2;
    s_push (self, seg->items + half, seg->n - half, 0);
    s_push (self, seg->items, half, 0);
}

static void s_write_seg (coll_writer_thread_t *self, s_seg_t seg);

/* Writes the work on top of the stack, telling the others how long this
 * writer has been at it. */
static void
s_write_top (coll_writer_thread_t *self)
{
    s_seg_t seg = self->stack[--self->nstack];
    int64_t *busy = &self->w->busy_since[self->index];
    __atomic_store_n (busy, vg_mono_ms (), __ATOMIC_RELAXED);
    s_write_seg (self, seg);
    if (self->connected)
        __atomic_store_n (busy, 0, __ATOMIC_RELAXED);
}

static void
s_write_seg (coll_writer_thread_t *self, s_seg_t seg)
{
    VG_GROW (self->sitems, self->sitems_cap, seg.n);
    for (size_t i = 0; i < seg.n; i++)
        self->sitems[i] = (coll_store_item_t){.batch = seg.items[i]->batch,
                                              .received_ms = seg.items[i]->received_ms,
                                              .status = VG_ACK_STORED};
    char err[1024] = "";
    int64_t start_ns = vg_mono_ns ();
    int rc = coll_store_write (self->store, self->sitems, seg.n, err, sizeof err);
    if (rc == VG_OK) {
        s_stored (self, &seg, start_ns);
        free (seg.items);
        return;
    }
    if (rc == VG_ERETRY) {
        int lost = coll_store_connection_lost (self->store);
        self->connected = 0;
        if (lost) {
            /* Was the server up? A connection it drops again and again while
             * it accepts new ones is dropped for what we send. */
            s_connect (self);
            if (self->connected)
                seg.breaks++;
        }
        if (seg.breaks < 2) {
            vg_complain (&self->write_failed, COMPLAIN_MS, VG_LOG_WARN,
                         "could not write %zu batches: %s; writing them again once reconnected "
                         "(agents keep them until acknowledged)",
                         seg.n, err);
            s_push (self, seg.items, seg.n, seg.breaks);
            free (seg.items);
            if (!self->connected && self->next_try_ms == 0)
                s_backoff (self);
            return;
        }
        char why[1024];
        snprintf (why, sizeof why,
                  "the database closed the connection twice while these were written, though it "
                  "accepts new ones (%.900s)",
                  err);
        snprintf (err, sizeof err, "%s", why);
        rc = VG_EINVAL;
    }
    if (rc == VG_EINVAL) {
        s_narrow (self, &seg, err);
        free (seg.items);
        return;
    }
    vg_complain (&self->write_failed, COMPLAIN_MS, VG_LOG_ERROR,
                 "the database refused %zu batches: %s; answering RETRY so agents send them "
                 "again - look for the cause in the database's log",
                 seg.n, err);
    for (size_t i = 0; i < seg.n; i++) {
        coll_writer_item_t *item = seg.items[i];
        item->status = VG_ACK_RETRY;
        free (item->reason);
        item->reason = vg_asprintf ("the collector's database refused the batch: %s", err);
    }
    self->stats.batches_retry += seg.n;
    coll_writer_answer (self->w, seg.items, seg.n);
    free (seg.items);
    s_backoff (self);
}

/* At most one writer writes newest values at a time, so another is always
 * free for groups. */
static int s_flushing;

/* When the next piece of newest values is due: a round starts every
 * flush_gap_ms, and its pieces are spread out so that groups keep flowing. */
static int64_t
s_piece_due_ms (const coll_writer_thread_t *self)
{
    return self->flushing ? self->next_piece_ms : self->last_flush_ms + self->flush_gap_ms;
}

/* One piece of the newest values (FLUSH_PIECE series), between groups, so a
 * round never holds this writer for long, and never all writers at once.
 * The next piece waits FLUSH_SPREAD times this one's time: back to back,
 * a round over a writer's 25,000 series held its groups behind it for
 * 113-382 ms, the slowest alerts of tests/bench/alert-latency.sh. */
static void
s_flush_piece (coll_writer_thread_t *self)
{
    if (__atomic_exchange_n (&s_flushing, 1, __ATOMIC_ACQUIRE))
        return;
    char err[512] = "";
    int64_t start_ms = vg_mono_ms ();
    if (!self->flushing) {
        self->flushing = 1;
        self->round_ms = 0;
    }
    int more = 0;
    int rc = coll_store_flush_latest_piece (self->store, FLUSH_PIECE, &more, err, sizeof err);
    __atomic_store_n (&s_flushing, 0, __ATOMIC_RELEASE);
    int64_t now = vg_mono_ms ();
    self->round_ms += now - start_ms;
    self->next_piece_ms = now + (now - start_ms) * FLUSH_SPREAD;
    if (rc == VG_OK && !more) {
        /* The round is over. With many series it can take seconds of this
         * writer's time, so keep rounds to about a tenth of it, without
         * letting the newest values fall more than a minute behind. */
        vg_debug ("writer %d: wrote the newest values in %lld ms", self->index + 1,
                  (long long)self->round_ms);
        self->flushing = 0;
        self->dirty = 0;
        self->last_flush_ms = now;
        int64_t gap = self->round_ms * 9 < FLUSH_GAP_MAX_MS ? self->round_ms * 9 : FLUSH_GAP_MAX_MS;
        int64_t interval = self->w->config->latest_flush_interval_ms;
        self->flush_gap_ms = gap > interval ? gap : interval;
        vg_complain_clear (&self->flush_failed, "latest values are written again");
        return;
    }
    if (rc == VG_OK)
        return;
    vg_complain (&self->flush_failed, COMPLAIN_MS, VG_LOG_WARN,
                 "could not write the latest values to vigil.series: %s; trying again (samples "
                 "are not affected)",
                 err);
    if (rc == VG_ERETRY) {
        self->connected = 0;
        s_backoff (self);
    }
}

/* The first writer keeps the ledger's window of partitions moving: at start,
 * then hourly (every collector may; they take turns). */
static void
s_maintain_ledger (coll_writer_thread_t *self, int64_t now)
{
    if (self->index != 0 || now < self->next_ledger_ms)
        return;
    int keep = (int)((self->w->config->ledger_retention_ms + DAY_MS - 1) / DAY_MS);
    int dropped = 0;
    char err[512] = "";
    int rc = coll_store_maintain_ledger (self->store, vg_now_ms (), keep, LEDGER_AHEAD, &dropped,
                                         err, sizeof err);
    if (rc == VG_OK) {
        self->next_ledger_ms = now + LEDGER_EVERY_MS;
        if (dropped)
            vg_info ("batch ledger: dropped %d partitions of keys older than %d days "
                     "(ledger_retention)",
                     dropped, keep);
        return;
    }
    self->next_ledger_ms = now + 60000;
    vg_warn ("batch ledger: %s; trying again in a minute (nothing is lost: the ledger only "
             "grows meanwhile)",
             err);
    if (rc == VG_ERETRY)
        self->connected = 0;
}

/* ---- the loop ------------------------------------------------------- */

static void *
s_run (void *arg)
{
    coll_writer_thread_t *self = arg;
    coll_writer_t *w = self->w;
    self->store = coll_store_new (w->config->database_url);
    coll_store_set_statement_bytes (self->store, (size_t)w->config->max_statement_bytes);
    coll_store_set_limits (self->store, w->limits);
    coll_store_set_sample_parts (self->store, (int)w->nwanted);
    self->last_flush_ms = vg_mono_ms ();
    self->flush_gap_ms = w->config->latest_flush_interval_ms;
    for (;;) {
        int64_t now = vg_mono_ms ();
        int stopping = s_stopping (w);
        if (!self->connected && now >= self->next_try_ms && !stopping)
            s_connect (self);
        now = vg_mono_ms ();
        if (self->connected && !stopping)
            s_maintain_ledger (self, now);
        if (self->connected && self->dirty && now >= s_piece_due_ms (self))
            s_flush_piece (self);
        int ready = self->connected && now >= self->next_try_ms;
        if (self->nstack > 0) {
            if (ready) {
                s_write_top (self);
                continue;
            }
            if (stopping)
                break;
            s_wait_until (self, self->next_try_ms);
            continue;
        }
        pthread_mutex_lock (&w->lock);
        size_t n = ready ? coll_writer_take (w, self->index, now, &self->take, &self->take_cap) : 0;
        if (n == 0) {
            if (w->stopping && (w->qlen == 0 || !self->connected)) {
                pthread_mutex_unlock (&w->lock);
                break;
            }
            /* Sleep until work arrives, or the next connection attempt or
             * flush is due. */
            int64_t deadline = INT64_MAX;
            if (!ready)
                deadline = self->next_try_ms;
            else if (self->dirty)
                deadline = s_piece_due_ms (self);
            /* Work for another writer: look again soon, in case it is stuck. */
            if (ready && w->qlen > 0 && deadline > now + COLL_WRITER_STEAL_MS / 2)
                deadline = now + COLL_WRITER_STEAL_MS / 2;
            {
                if (deadline == INT64_MAX)
                    pthread_cond_wait (&w->cond, &w->lock);
                else {
                    pthread_mutex_unlock (&w->lock);
                    s_wait_until (self, deadline < now + 1 ? now + 1 : deadline);
                    continue;
                }
            }
            pthread_mutex_unlock (&w->lock);
            continue;
        }
        pthread_mutex_unlock (&w->lock);
        s_accept (self, n);
    }
    if (self->connected && self->dirty) {
        char err[512] = "";
        if (coll_store_flush_latest (self->store, err, sizeof err) != VG_OK)
            vg_warn ("could not write the latest values to vigil.series before stopping: %s", err);
    }
    size_t left = 0;
    for (size_t k = 0; k < self->nstack; k++) {
        left += self->stack[k].n;
        for (size_t i = 0; i < self->stack[k].n; i++)
            coll_writer_item_destroy (&self->stack[k].items[i]);
        free (self->stack[k].items);
    }
    self->nstack = 0;
    if (left > 0)
        vg_warn ("writer %d: stopping with %zu batches not written: the database is "
                 "unreachable; agents keep them and send them again",
                 self->index + 1, left);
    coll_store_stats_t st = coll_store_stats (self->store);
    self->stats.samples_stored = st.samples_stored;
    self->stats.samples_dropped = st.samples_dropped;
    self->stats.transactions = st.transactions;
    coll_store_destroy (&self->store);
    coll_writer_done (w, &self->stats);
    return NULL;
}

coll_writer_thread_t *
coll_writer_thread_new (coll_writer_t *writer, int index)
{
    coll_writer_thread_t *self = vg_calloc (1, sizeof *self);
    self->w = writer;
    self->index = index;
    self->backoff_ms = BACKOFF_MIN_MS;
    return self;
}

int
coll_writer_thread_start (coll_writer_thread_t *self)
{
    int rc = pthread_create (&self->thread, NULL, s_run, self);
    if (rc != 0)
        return VG_EIO;
    self->started = 1;
    return 0;
}

void
coll_writer_thread_destroy (coll_writer_thread_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    coll_writer_thread_t *self = *self_p;
    if (self->started)
        pthread_join (self->thread, NULL);
    free (self->stack);
    free (self->take);
    free (self->sitems);
    free (self->committed);
    free (self->lens);
    free (self);
    *self_p = NULL;
}
