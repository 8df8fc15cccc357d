/*  coll_rollup.c - the rollup's queue, thread and flush schedule. */
#include "coll_rollup.h"
#include "coll_rollup_acc.h"
#include "coll_rollup_db.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_hash.h"
#include "vg_log.h"
#include "vg_time.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_BACKOFF_MIN_MS 1000
#define S_BACKOFF_MAX_MS 30000
#define S_COMPLAIN_MS    30000
#define S_STOP_TRY_MS    10000
#define S_SPREAD         4 /* a pause after a piece: at most this many times its time */
#define S_SPARES         4 /* folded chunks kept for the next commits */

/* What one commit handed over: samples and distributions by column. */
typedef struct s_chunk {
    struct s_chunk *next;
    size_t bytes; /* what it holds, counted against COLL_ROLLUP_MAX_QUEUED */
    size_t cap;   /* room for columns after the struct */
    size_t n, nd;
    int64_t *host, *series, *ts; /* n each */
    double *value;
    int64_t *d_host, *d_series, *d_ts; /* nd each */
    vg_sketch_t **d_sketch;            /* owned copies */
} s_chunk_t;

/* Per series, the newest minute and hour written by this collector: a row
 * after them is new to the database (a plain insert, see coll_rollup_db.c),
 * unless another process wrote it, which the database then says. */
typedef struct {
    int64_t host_id, series_id;
    int64_t minute_ms, hour_ms; /* INT64_MIN: none */
} s_written_t;

struct coll_rollup_t {
    pthread_mutex_t lock;
    pthread_cond_t wake;   /* the thread waits on it */
    pthread_cond_t room;   /* observers wait on it for room in the queue */
    pthread_cond_t synced; /* coll_rollup_sync waits on it */
    s_chunk_t *head, *tail;
    size_t queued_bytes;
    /* Folded chunks, to be filled again: a fresh allocation per commit had
     * the kernel zero its pages every time (5 % of the collector's CPU
     * under tests/bench/ingest.sh). */
    s_chunk_t *spares;
    size_t nspares;
    int stop;
    uint64_t sync_asked, sync_done;
    coll_rollup_stats_t stats;
    size_t rows_bytes; /* the thread's rows, as of its last round */
    pthread_t thread;
    int started;

    /* The thread's own. */
    int64_t flush_interval_ms;
    coll_rollup_acc_t *acc;   /* per-minute rows */
    coll_rollup_acc_t *hours; /* per-hour rows, made of minute rows written */
    coll_rollup_db_t *db;
    s_written_t *written; /* open addressing; host_id 0: empty (ids start at 1) */
    size_t nwritten, written_slots;
    coll_rollup_row_t *rows;
    size_t rows_cap;
    int64_t next_flush_ms; /* monotonic */
    int64_t round_ms;      /* monotonic: when the last round of writes began */
    int64_t next_try_ms;   /* monotonic; 0 unless backing off */
    int64_t backoff_ms;
    vg_complain_t db_failed, behind;
};

/* ---- the observer: copy and return ---- */

/* Drops the chunk's copies of sketches. */
static void
s_chunk_clear (s_chunk_t *c)
{
    for (size_t i = 0; i < c->nd; i++)
        vg_sketch_destroy (&c->d_sketch[i]);
    c->nd = 0;
}

static void
s_chunk_free (s_chunk_t *c)
{
    s_chunk_clear (c);
    free (c);
}

static void
s_chunk_free_list (s_chunk_t *c)
{
    while (c) {
        s_chunk_t *next = c->next;
        s_chunk_free (c);
        c = next;
    }
}

/* A chunk with room for cap bytes of columns: a spare if one is big enough. */
static s_chunk_t *
s_chunk_new (coll_rollup_t *self, size_t cap)
{
    pthread_mutex_lock (&self->lock);
    s_chunk_t **pp = &self->spares;
    while (*pp && (*pp)->cap < cap)
        pp = &(*pp)->next;
    if (!*pp)
        pp = &self->spares; /* none big enough: the first goes, to make room */
    s_chunk_t *c = *pp;
    if (c) {
        *pp = c->next;
        self->nspares--;
    }
    pthread_mutex_unlock (&self->lock);
    if (c && c->cap < cap) {
        free (c);
        c = NULL;
    }
    if (!c) {
        cap += cap / 4; /* the next commits, a little larger, fit too */
        c = vg_malloc (sizeof *c + cap);
        c->cap = cap;
    }
    size_t keep = c->cap;
    memset (c, 0, sizeof *c);
    c->cap = keep;
    return c;
}

/* A folded chunk back to the spares, or freed when there are enough. */
static void
s_chunk_done (coll_rollup_t *self, s_chunk_t *c)
{
    s_chunk_clear (c);
    pthread_mutex_lock (&self->lock);
    int park = self->nspares < S_SPARES;
    if (park) {
        c->next = self->spares;
        self->spares = c;
        self->nspares++;
    }
    pthread_mutex_unlock (&self->lock);
    if (!park)
        free (c);
}

static int
s_in_window (const coll_committed_t *c, int64_t ts, uint32_t series)
{
    return ts >= c->min_ts_ms && ts <= c->max_ts_ms && series < c->batch->nseries;
}

static s_chunk_t *
s_copy (coll_rollup_t *self, const coll_committed_t *batches, size_t nb)
{
    size_t n = 0, nd = 0;
    for (size_t b = 0; b < nb; b++) {
        const vg_batch_t *batch = batches[b].batch;
        for (size_t k = 0; k < batch->nsamples; k++)
            n += s_in_window (&batches[b], batch->sample_ts_ms[k], batch->sample_series[k]);
        for (size_t k = 0; k < batch->ndists; k++)
            nd += batch->dists[k].sketch &&
                  s_in_window (&batches[b], batch->dists[k].ts_ms, batch->dists[k].series);
    }
    if (n + nd == 0)
        return NULL;
    size_t columns = n * 4 * sizeof (int64_t) + nd * 4 * sizeof (int64_t);
    size_t bytes = sizeof (s_chunk_t) + columns;
    s_chunk_t *c = s_chunk_new (self, columns);
    int64_t *p = (int64_t *)(c + 1);
    c->host = p, c->series = p + n, c->ts = p + 2 * n, c->value = (double *)(p + 3 * n);
    p += 4 * n;
    c->d_host = p, c->d_series = p + nd, c->d_ts = p + 2 * nd;
    c->d_sketch = (vg_sketch_t **)(p + 3 * nd);
    c->bytes = bytes;
    for (size_t b = 0; b < nb; b++) {
        const coll_committed_t *cb = &batches[b];
        const vg_batch_t *batch = cb->batch;
        for (size_t k = 0; k < batch->nsamples; k++) {
            uint32_t s = batch->sample_series[k];
            if (!s_in_window (cb, batch->sample_ts_ms[k], s))
                continue;
            c->host[c->n] = cb->host_id;
            c->series[c->n] = cb->series_ids[s];
            c->ts[c->n] = batch->sample_ts_ms[k];
            c->value[c->n++] = batch->sample_value[k];
        }
        for (size_t k = 0; k < batch->ndists; k++) {
            const vg_dist_t *d = &batch->dists[k];
            if (!d->sketch || !s_in_window (cb, d->ts_ms, d->series))
                continue;
            c->d_host[c->nd] = cb->host_id;
            c->d_series[c->nd] = cb->series_ids[d->series];
            c->d_ts[c->nd] = d->ts_ms;
            c->d_sketch[c->nd] = vg_sketch_dup (d->sketch);
            c->bytes += sizeof (vg_sketch_t) +
                        ((size_t)d->sketch->pos.len + d->sketch->neg.len) * sizeof (uint64_t);
            c->nd++;
        }
    }
    return c;
}

static void
s_on_commit (const coll_committed_t *batches, size_t n, void *arg)
{
    coll_rollup_t *self = arg;
    s_chunk_t *c = s_copy (self, batches, n);
    if (!c)
        return;
    pthread_mutex_lock (&self->lock);
    if (self->queued_bytes + c->bytes > COLL_ROLLUP_MAX_QUEUED && self->queued_bytes > 0 &&
        !self->stop) {
        self->stats.ingest_waits++;
        vg_complain (&self->behind, S_COMPLAIN_MS, VG_LOG_WARN,
                     "rollups: %zu bytes wait to be rolled up; ingest waits for room (is the "
                     "database slow or away?)",
                     self->queued_bytes);
        while (self->queued_bytes > 0 && self->queued_bytes + c->bytes > COLL_ROLLUP_MAX_QUEUED &&
               !self->stop)
            pthread_cond_wait (&self->room, &self->lock);
    }
    if (self->tail)
        self->tail->next = c;
    else
        self->head = c;
    self->tail = c;
    self->queued_bytes += c->bytes;
    self->stats.values_in += c->n + c->nd;
    pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->lock);
}

/* ---- the thread ---- */

static void
s_fold (coll_rollup_t *self, s_chunk_t *c)
{
    coll_rollup_acc_set_clock (self->acc, vg_mono_ms ());
    while (c) {
        s_chunk_t *next = c->next;
        coll_rollup_acc_add_samples (self->acc, c->n, c->host, c->series, c->ts, c->value);
        for (size_t i = 0; i < c->nd; i++)
            coll_rollup_acc_add_dist (self->acc, c->d_host[i], c->d_series[i], c->d_ts[i],
                                      c->d_sketch[i]);
        s_chunk_done (self, c);
        c = next;
    }
}

static size_t
s_rows_bytes (const coll_rollup_t *self)
{
    return coll_rollup_acc_bytes (self->acc) + coll_rollup_acc_bytes (self->hours);
}

/* Whether the rows in memory passed their bound while the database is away:
 * then the queue is left to fill, and ingest waits. */
static int
s_full_and_stuck (const coll_rollup_t *self)
{
    return s_rows_bytes (self) > COLL_ROLLUP_MAX_ROWS_BYTES && self->next_try_ms > vg_mono_ms ();
}

/* Folds everything queued into the minute rows, unless s_full_and_stuck.
 * Returns whether the queue is empty afterwards. */
static int
s_drain (coll_rollup_t *self)
{
    pthread_mutex_lock (&self->lock);
    if (s_full_and_stuck (self)) {
        int empty = self->head == NULL;
        pthread_mutex_unlock (&self->lock);
        return empty;
    }
    s_chunk_t *chunks = self->head;
    self->head = self->tail = NULL;
    self->queued_bytes = 0;
    pthread_cond_broadcast (&self->room);
    pthread_mutex_unlock (&self->lock);
    s_fold (self, chunks);
    return 1;
}

static uint64_t
s_written_hash (int64_t host_id, int64_t series_id)
{
    return vg_hash_mix ((uint64_t)host_id * 0x9e3779b97f4a7c15ULL ^ (uint64_t)series_id);
}

static s_written_t *
s_written (coll_rollup_t *self, int64_t host_id, int64_t series_id, int make)
{
    if (make && (self->nwritten + 1) * 2 > self->written_slots) {
        size_t slots = self->written_slots ? self->written_slots * 2 : 1024;
        s_written_t *old = self->written;
        size_t nold = self->written_slots;
        self->written = vg_calloc (slots, sizeof *self->written);
        self->written_slots = slots;
        for (size_t i = 0; i < nold; i++)
            if (old[i].host_id) {
                size_t k = s_written_hash (old[i].host_id, old[i].series_id) & (slots - 1);
                while (self->written[k].host_id)
                    k = (k + 1) & (slots - 1);
                self->written[k] = old[i];
            }
        free (old);
    }
    if (!self->written_slots)
        return NULL;
    size_t mask = self->written_slots - 1;
    size_t k = s_written_hash (host_id, series_id) & mask;
    while (self->written[k].host_id) {
        if (self->written[k].host_id == host_id && self->written[k].series_id == series_id)
            return &self->written[k];
        k = (k + 1) & mask;
    }
    if (!make)
        return NULL;
    self->nwritten++;
    self->written[k] = (s_written_t){host_id, series_id, INT64_MIN, INT64_MIN};
    return &self->written[k];
}

/* Marks the rows that come after everything written of their series. */
static void
s_mark_fresh (coll_rollup_t *self, coll_rollup_tier_t tier, coll_rollup_row_t *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const s_written_t *w = s_written (self, rows[i].host_id, rows[i].series_id, 0);
        int64_t newest = !w ? INT64_MIN : tier == COLL_ROLLUP_HOUR ? w->hour_ms : w->minute_ms;
        rows[i].fresh = rows[i].bucket_ms > newest;
    }
}

static void
s_note_written (coll_rollup_t *self, coll_rollup_tier_t tier, const coll_rollup_row_t *rows,
                size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s_written_t *w = s_written (self, rows[i].host_id, rows[i].series_id, 1);
        int64_t *newest = tier == COLL_ROLLUP_HOUR ? &w->hour_ms : &w->minute_ms;
        if (rows[i].bucket_ms > *newest)
            *newest = rows[i].bucket_ms;
    }
}

static void
s_timed_wait (pthread_cond_t *cond, pthread_mutex_t *lock, int64_t until_mono_ms)
{
    int64_t wait = until_mono_ms - vg_mono_ms ();
    if (wait <= 0)
        return;
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(wait / 1000);
    ts.tv_nsec += (long)(wait % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait (cond, lock, &ts);
}

/* Between two pieces of a round: folds what arrives until until_ms, or
 * less if a stop or a sync is asked. */
static void
s_pause (coll_rollup_t *self, int64_t until_ms)
{
    pthread_mutex_lock (&self->lock);
    while (!self->stop && self->sync_asked == self->sync_done && vg_mono_ms () < until_ms) {
        if (self->head) {
            pthread_mutex_unlock (&self->lock);
            s_drain (self);
            pthread_mutex_lock (&self->lock);
            continue;
        }
        s_timed_wait (&self->wake, &self->lock, until_ms);
    }
    pthread_mutex_unlock (&self->lock);
}

/* Writes rows of tier in pieces, folding the queue between pieces so that
 * ingest never waits on a write. With pace_until_ms in the future, the
 * pieces are spread out: each is followed by a pause of up to S_SPREAD times
 * its own time, shortened so that the pieces left fit before pace_until_ms,
 * and none when they do not. Written back to back, a round's pieces made a
 * burst of writes that held every commit of the samples behind the WAL's
 * flush for 300 ms and more; with the pauses but a deadline of half the
 * interval, rounds of 350,000-620,000 rows ran past it and wrote their last
 * seconds back to back (tests/bench/alert-latency.sh). Written minute rows
 * go on into the hour rows. Returns 0 when all were written (or refused for
 * good), VG_ERETRY when the database is away: then the rows not written are
 * back in their table. */
static int
s_write (coll_rollup_t *self, coll_rollup_tier_t tier, coll_rollup_row_t *rows, size_t n,
         int64_t pace_until_ms)
{
    coll_rollup_acc_t *back = tier == COLL_ROLLUP_HOUR ? self->hours : self->acc;
    const char *name = tier == COLL_ROLLUP_HOUR ? "per-hour" : "per-minute";
    int rc = 0;
    size_t i = 0;
    while (i < n) {
        size_t piece = n - i < COLL_ROLLUP_PIECE_ROWS ? n - i : COLL_ROLLUP_PIECE_ROWS;
        char err[512] = "";
        int64_t start_ms = vg_mono_ms ();
        s_mark_fresh (self, tier, rows + i, piece);
        size_t merged = 0;
        rc = coll_rollup_db_write (self->db, tier, rows + i, piece, &merged, err, sizeof err);
        if (rc == 0)
            s_note_written (self, tier, rows + i, piece);
        pthread_mutex_lock (&self->lock);
        if (rc == 0) {
            self->stats.rows_written += piece;
            self->stats.rows_merged += merged;
            self->stats.pieces++;
        } else {
            self->stats.failures++;
            if (rc != VG_ERETRY)
                self->stats.rows_dropped += piece;
        }
        pthread_mutex_unlock (&self->lock);
        if (rc == VG_ERETRY) {
            vg_complain (&self->db_failed, S_COMPLAIN_MS, VG_LOG_WARN,
                         "rollups: cannot write %zu %s rows: %s; keeping them and trying again "
                         "(samples are stored all the same)",
                         n - i, name, err);
            break;
        }
        if (rc)
            vg_error ("rollups: the database refused %zu %s rows (from host %lld series %lld "
                      "on): %s; dropped them - the raw samples are stored, and those rollups "
                      "miss them",
                      piece, name, (long long)rows[i].host_id, (long long)rows[i].series_id, err);
        int64_t now = vg_mono_ms ();
        for (size_t k = i; k < i + piece; k++) {
            if (rc == 0 && tier == COLL_ROLLUP_MINUTE) {
                rows[k].bucket_ms = coll_rollup_acc_bucket (rows[k].bucket_ms, COLL_ROLLUP_HOUR_MS);
                coll_rollup_acc_add_row (self->hours, &rows[k], now);
            } else
                coll_rollup_acc_row_free (&rows[k]);
        }
        i += piece;
        s_drain (self);
        if (i < n) {
            /* The time left shared among the pieces left, less a piece's
             * own time: no pause when the round is behind. */
            int64_t took = now - start_ms;
            int64_t left = (int64_t)((n - i + COLL_ROLLUP_PIECE_ROWS - 1) / COLL_ROLLUP_PIECE_ROWS);
            int64_t even = (pace_until_ms - now) / left - took;
            int64_t pause = took * S_SPREAD < even ? took * S_SPREAD : even;
            if (pause > 0)
                s_pause (self, now + pause);
        }
    }
    if (rc == VG_ERETRY) {
        int64_t now = vg_mono_ms ();
        for (; i < n; i++)
            coll_rollup_acc_add_row (back, &rows[i], now);
        return VG_ERETRY;
    }
    return 0;
}

/* Writes the minutes that are due, then the hours; unless all is set,
 * spread over the interval. */
static int
s_flush (coll_rollup_t *self, int all)
{
    int64_t start_ms = vg_mono_ms ();
    int64_t pace_until = all ? 0 : start_ms + self->flush_interval_ms;
    int64_t since = self->round_ms;
    self->round_ms = start_ms;
    int64_t wall = vg_now_ms () - COLL_ROLLUP_GRACE_MS;
    /* A row still being filled is held: a late batch or an agent replaying
     * its spool sends old minutes back to back, and a row written half full
     * is merged with its other half later, at many times the cost of a new
     * row (on the database's side). On time, a series' next minute has begun
     * by the time a minute is due, so the minute is not held (the last
     * minute of a series that stopped is, a round); an hour takes its last
     * minutes a round later, so it is held a round: a stream of minutes
     * makes one write per hour, not one per minute. */
    coll_rollup_due_t due = {all,
                             COLL_ROLLUP_MINUTE_MS,
                             coll_rollup_acc_bucket (wall, COLL_ROLLUP_MINUTE_MS),
                             since,
                             start_ms,
                             COLL_ROLLUP_MAX_HOLD_MS};
    size_t minutes = coll_rollup_acc_take_due (self->acc, &due, &self->rows, &self->rows_cap);
    int rc = s_write (self, COLL_ROLLUP_MINUTE, self->rows, minutes, pace_until);
    if (rc)
        return rc;
    due.width_ms = COLL_ROLLUP_HOUR_MS;
    due.before_ms = coll_rollup_acc_bucket (wall, COLL_ROLLUP_HOUR_MS);
    due.now_ms = vg_mono_ms ();
    size_t hours = coll_rollup_acc_take_due (self->hours, &due, &self->rows, &self->rows_cap);
    rc = s_write (self, COLL_ROLLUP_HOUR, self->rows, hours, pace_until);
    if (rc == 0) {
        vg_complain_clear (&self->db_failed, "rollups: written again");
        if (minutes || hours)
            vg_debug ("rollups: wrote %zu minute and %zu hour rows in %lld ms", minutes, hours,
                      (long long)(vg_mono_ms () - start_ms));
    }
    return rc;
}

/* Waits until there is work: chunks to fold (unless s_full_and_stuck), a
 * write due, a sync asked or a stop. Called locked. */
static void
s_wait_for_work (coll_rollup_t *self, int64_t *stop_deadline)
{
    for (;;) {
        int64_t now = vg_mono_ms ();
        if (self->stop && !*stop_deadline)
            *stop_deadline = now + S_STOP_TRY_MS;
        int backing_off = self->next_try_ms > now;
        int sync = self->sync_asked > self->sync_done;
        if (self->head && !s_full_and_stuck (self))
            return;
        if (!backing_off && (self->stop || sync || now >= self->next_flush_ms))
            return;
        if (self->stop && now >= *stop_deadline)
            return;
        int64_t until = backing_off ? self->next_try_ms : self->next_flush_ms;
        if (self->stop && until > *stop_deadline)
            until = *stop_deadline;
        s_timed_wait (&self->wake, &self->lock, until);
    }
}

static void
s_after_write (coll_rollup_t *self, int rc)
{
    int64_t now = vg_mono_ms ();
    if (rc == 0) {
        self->backoff_ms = S_BACKOFF_MIN_MS;
        self->next_try_ms = 0;
        self->next_flush_ms = now + self->flush_interval_ms;
        return;
    }
    self->next_try_ms = now + self->backoff_ms;
    self->backoff_ms =
        self->backoff_ms * 2 > S_BACKOFF_MAX_MS ? S_BACKOFF_MAX_MS : self->backoff_ms * 2;
}

static void *
s_thread (void *arg)
{
    coll_rollup_t *self = arg;
    int64_t stop_deadline = 0;
    self->next_flush_ms = vg_mono_ms () + self->flush_interval_ms;
    for (;;) {
        pthread_mutex_lock (&self->lock);
        s_wait_for_work (self, &stop_deadline);
        uint64_t sync = self->sync_asked;
        int stopping = self->stop;
        pthread_mutex_unlock (&self->lock);

        int drained = s_drain (self);
        int64_t now = vg_mono_ms ();
        int all =
            stopping || sync > self->sync_done || s_rows_bytes (self) > COLL_ROLLUP_MAX_ROWS_BYTES;
        if ((all || now >= self->next_flush_ms) && now >= self->next_try_ms) {
            int rc = s_flush (self, all);
            s_after_write (self, rc);
            if (rc == 0 && all && drained && sync > self->sync_done) {
                pthread_mutex_lock (&self->lock);
                /* What was folded while writing is written too, or it waits. */
                if (self->head == NULL && coll_rollup_acc_count (self->acc) == 0 &&
                    coll_rollup_acc_count (self->hours) == 0) {
                    self->sync_done = sync;
                    pthread_cond_broadcast (&self->synced);
                }
                pthread_mutex_unlock (&self->lock);
            }
        }
        pthread_mutex_lock (&self->lock);
        size_t in_memory = coll_rollup_acc_count (self->acc) + coll_rollup_acc_count (self->hours);
        self->stats.rows_in_memory = in_memory;
        self->rows_bytes = s_rows_bytes (self);
        int empty = self->head == NULL && in_memory == 0;
        pthread_mutex_unlock (&self->lock);
        /* Stopping: done once everything is written; the deadline only
         * counts while writes fail (the database is away). */
        if (stopping && (empty || (self->next_try_ms > 0 && vg_mono_ms () >= stop_deadline)))
            break;
    }
    size_t left = coll_rollup_acc_count (self->acc) + coll_rollup_acc_count (self->hours);
    if (left)
        vg_error ("rollups: stopping with %zu rows not written (the database is away); the raw "
                  "samples are stored, the rollups of those minutes and hours miss them",
                  left);
    return NULL;
}

/* ---- life cycle ---- */

coll_rollup_t *
coll_rollup_new (const coll_config_t *config)
{
    if (!config->rollups)
        return NULL;
    coll_rollup_t *self = vg_calloc (1, sizeof *self);
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->wake, NULL);
    pthread_cond_init (&self->room, NULL);
    pthread_cond_init (&self->synced, NULL);
    self->flush_interval_ms = config->rollup_flush_interval_ms;
    self->backoff_ms = S_BACKOFF_MIN_MS;
    self->acc = coll_rollup_acc_new ();
    self->hours = coll_rollup_acc_new ();
    self->db = coll_rollup_db_new (config->database_url);
    /* The thread takes no signals: they are the main loop's. */
    sigset_t all, old;
    sigfillset (&all);
    pthread_sigmask (SIG_BLOCK, &all, &old);
    int rc = pthread_create (&self->thread, NULL, s_thread, self);
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        vg_error ("rollups: cannot start a thread: %s; running without rollups", strerror (rc));
        coll_rollup_destroy (&self);
        return NULL;
    }
    self->started = 1;
    return self;
}

void
coll_rollup_destroy (coll_rollup_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    coll_rollup_t *self = *self_p;
    if (self->started) {
        pthread_mutex_lock (&self->lock);
        self->stop = 1;
        pthread_cond_signal (&self->wake);
        pthread_cond_broadcast (&self->room);
        pthread_mutex_unlock (&self->lock);
        pthread_join (self->thread, NULL);
    }
    s_chunk_free_list (self->head);
    s_chunk_free_list (self->spares);
    coll_rollup_acc_destroy (&self->acc);
    coll_rollup_acc_destroy (&self->hours);
    coll_rollup_db_destroy (&self->db);
    free (self->written);
    free (self->rows);
    pthread_cond_destroy (&self->synced);
    pthread_cond_destroy (&self->room);
    pthread_cond_destroy (&self->wake);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

void
coll_rollup_observe (coll_rollup_t *self, coll_commit_observers_t *observers)
{
    if (!self || observers->n >= COLL_COMMIT_MAX_OBSERVERS)
        return;
    observers->items[observers->n++] = (coll_commit_observer_t){s_on_commit, self};
}

int
coll_rollup_sync (coll_rollup_t *self, int64_t timeout_ms)
{
    int64_t deadline = vg_mono_ms () + timeout_ms;
    pthread_mutex_lock (&self->lock);
    uint64_t ticket = ++self->sync_asked;
    pthread_cond_signal (&self->wake);
    int rc = 0;
    while (self->sync_done < ticket) {
        if (vg_mono_ms () >= deadline) {
            rc = VG_ERETRY;
            break;
        }
        s_timed_wait (&self->synced, &self->lock, deadline);
    }
    pthread_mutex_unlock (&self->lock);
    return rc;
}

coll_rollup_stats_t
coll_rollup_stats (coll_rollup_t *self)
{
    pthread_mutex_lock (&self->lock);
    coll_rollup_stats_t st = self->stats;
    st.bytes_in_memory = self->queued_bytes + self->rows_bytes;
    pthread_mutex_unlock (&self->lock);
    return st;
}
