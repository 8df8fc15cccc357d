/*  notify_sender.c - the notify thread: ticks the scheduler and drives the
 *  outbox's transfers with curl_multi, woken by PostgreSQL's NOTIFY. */
#include "notify_sender.h"
#include "coll_migrate.h"
#include "coll_pg.h"
#include "notify_transfer.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"
#include "vg_time.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Transfers at once, in all. */
#define MAX_INFLIGHT 32
/* The migration that made the last of notify's tables. */
#define NOTIFY_SENDER_SCHEMA 42
/* How long a claimed row stays ours beyond the longest request timeout,
 * should we die: then another run sends it again, with the same key. */
#define LEASE_SLACK_MS 5000
/* The longest sleep: the schedule is re-read at least this often. */
#define MAX_SLEEP_MS 5000

typedef struct {
    char key[256]; /* receiver/kind/index */
    int64_t last_ms;
} s_pace_t;

struct notify_sender_t {
    notify_engine_t *engine;
    char *db_url;
    pthread_t thread;
    atomic_int stop;
    atomic_int connected;
    int64_t lease_ms; /* the longest request timeout, plus slack */
    CURLM *multi;
    PGconn *conn;
    int inflight;
    notify_transfer_t *running[MAX_INFLIGHT]; /* NULL where free */
    s_pace_t *paces;
    size_t npaces, cappaces;
    pthread_mutex_t lock;
    notify_sender_stats_t stats;
    /* The tick runs when scheduled work falls due (schedule_ms, as of the
     * last look), after a NOTIFY other than a new notification's (a silence:
     * tick_asked), and at every (re)connection; a wake-up for new
     * notifications alone goes straight to claiming them. */
    int64_t schedule_ms;
    int tick_asked;
    vg_complain_t db_down;
    vg_complain_t tick_failing;
};

static int64_t *
s_pace (notify_sender_t *self, const char *receiver, notify_kind_t kind, int index)
{
    char key[256];
    snprintf (key, sizeof key, "%s/%s/%d", receiver, notify_config_kind_name (kind), index);
    for (size_t i = 0; i < self->npaces; i++)
        if (strcmp (self->paces[i].key, key) == 0)
            return &self->paces[i].last_ms;
    VG_GROW (self->paces, self->cappaces, self->npaces + 1);
    s_pace_t *p = &self->paces[self->npaces++];
    snprintf (p->key, sizeof p->key, "%s", key);
    p->last_ms = 0;
    return &p->last_ms;
}

static int
s_connect (notify_sender_t *self)
{
    char err[1024];
    int rc;
    self->conn = coll_pg_connect (self->db_url, "vigil-notify", &rc, err, sizeof err);
    if (!self->conn) {
        vg_complain (&self->db_down, 60000, VG_LOG_WARN,
                     "notify: %s; notifications wait in the outbox", err);
        return rc;
    }
    /* The writer applies the migrations at start: wait for notify's tables. */
    if (coll_migrate_current (self->conn) < NOTIFY_SENDER_SCHEMA) {
        vg_debug ("notify: the schema is not migrated yet; waiting");
        PQfinish (self->conn);
        self->conn = NULL;
        return VG_ERETRY;
    }
    if (coll_pg_command (self->conn, "listening for notify wake-ups", "LISTEN vigil_notify", 0,
                         NULL, err, sizeof err) != VG_OK) {
        vg_complain (&self->db_down, 60000, VG_LOG_WARN, "notify: %s", err);
        PQfinish (self->conn);
        self->conn = NULL;
        return VG_ERETRY;
    }
    vg_complain_clear (&self->db_down, "notify: connected to the database again");
    atomic_store (&self->connected, 1);
    self->tick_asked = 1;
    return VG_OK;
}

static void
s_disconnect (notify_sender_t *self)
{
    if (self->conn)
        PQfinish (self->conn);
    self->conn = NULL;
    atomic_store (&self->connected, 0);
}

/* Exponential backoff with jitter: half of the doubled delay, plus a random
 * part of the other half; never before a Retry-After. */
static int64_t
s_next_attempt (const notify_config_t *cfg, int attempts, int64_t retry_after_ms, int64_t now_ms)
{
    int64_t delay = cfg->retry_min_ms;
    for (int i = 1; i < attempts && delay < cfg->retry_max_ms; i++)
        delay *= 2;
    if (delay > cfg->retry_max_ms)
        delay = cfg->retry_max_ms;
    delay = delay / 2 + (int64_t)randombytes_uniform ((uint32_t)(delay / 2 + 1));
    if (retry_after_ms > delay)
        delay = retry_after_ms;
    return now_ms + delay;
}

static void
s_finish (notify_sender_t *self, notify_transfer_t *t, CURLcode code)
{
    int64_t now = vg_now_ms ();
    notify_attempt_t a;
    notify_transfer_outcome (t, code, now, &a);
    const notify_config_t *cfg = notify_engine_config (self->engine);
    int64_t next = s_next_attempt (cfg, t->item.attempts + 1, a.retry_after_ms, now);
    char err[1024];
    if (self->conn &&
        notify_outbox_record (self->conn, &t->item, &a, next, err, sizeof err) != VG_OK) {
        /* The lease will expire and the notification be sent again, with the
         * same idempotency key. */
        vg_warn ("notify: %s", err);
        s_disconnect (self);
    }
    pthread_mutex_lock (&self->lock);
    if (a.outcome == NOTIFY_OUTCOME_DELIVERED)
        self->stats.delivered++;
    else if (a.outcome == NOTIFY_OUTCOME_RETRY && next <= t->item.give_up_ms)
        self->stats.retried++;
    else
        self->stats.failed++;
    pthread_mutex_unlock (&self->lock);
    if (a.outcome == NOTIFY_OUTCOME_DELIVERED)
        vg_debug ("notify: notification %" PRId64 " delivered to %s", t->item.id, t->item.receiver);
    else if (a.outcome == NOTIFY_OUTCOME_RETRY && next <= t->item.give_up_ms)
        vg_info ("notify: notification %" PRId64 " to %s (%s) not delivered: %s; will retry",
                 t->item.id, t->item.receiver, notify_config_kind_name (t->item.kind), a.error);
    else
        vg_warn ("notify: notification %" PRId64 " to %s (%s) failed: %s%s; vigil notifications "
                 "shows it",
                 t->item.id, t->item.receiver, notify_config_kind_name (t->item.kind), a.error,
                 a.outcome == NOTIFY_OUTCOME_RETRY ? " (given up)" : "");
    curl_multi_remove_handle (self->multi, t->easy);
    for (int i = 0; i < MAX_INFLIGHT; i++)
        if (self->running[i] == t)
            self->running[i] = NULL;
    notify_transfer_destroy (&t);
    self->inflight--;
}

/* Claims what is due and starts it, spacing requests per target. */
static void
s_start_due (notify_sender_t *self, int64_t now)
{
    int room = MAX_INFLIGHT - self->inflight;
    if (room <= 0 || !self->conn)
        return;
    notify_outbox_item_t items[MAX_INFLIGHT];
    char err[1024];
    int n = notify_outbox_claim (self->conn, now, self->lease_ms, items, room, err, sizeof err);
    if (n < 0) {
        vg_warn ("notify: %s", err);
        s_disconnect (self);
        return;
    }
    const notify_config_t *cfg = notify_engine_config (self->engine);
    for (int i = 0; i < n; i++) {
        notify_outbox_item_t *item = &items[i];
        const notify_integration_t *it =
            item->kind < NOTIFY_KIND_COUNT
                ? notify_config_integration (cfg, item->receiver, item->kind, item->integration)
                : NULL;
        if (!it) {
            notify_attempt_t a = {
                .outcome = NOTIFY_OUTCOME_FAILED, .retry_after_ms = -1, .started_ms = now};
            snprintf (a.error, sizeof a.error,
                      "routes.yaml no longer has this receiver's integration (%s %s[%d])",
                      item->receiver, notify_config_kind_name (item->kind), item->integration);
            if (notify_outbox_record (self->conn, item, &a, now, err, sizeof err) != VG_OK)
                vg_warn ("notify: %s", err);
            vg_warn ("notify: notification %" PRId64 " failed: %s", item->id, a.error);
            notify_outbox_item_free (item);
            continue;
        }
        int64_t *last = s_pace (self, item->receiver, item->kind, item->integration);
        if (it->min_interval_ms > 0 && *last > 0 && now - *last < it->min_interval_ms) {
            if (notify_outbox_defer (self->conn, item->id, *last + it->min_interval_ms, err,
                                     sizeof err) != VG_OK)
                vg_warn ("notify: %s", err);
            notify_outbox_item_free (item);
            continue;
        }
        *last = now;
        notify_transfer_t *t = notify_transfer_new (item, it, now);
        curl_multi_add_handle (self->multi, t->easy);
        for (int k = 0; k < MAX_INFLIGHT; k++)
            if (!self->running[k]) {
                self->running[k] = t;
                break;
            }
        self->inflight++;
    }
}

static void
s_drain_notifies (notify_sender_t *self)
{
    if (!self->conn)
        return;
    if (!PQconsumeInput (self->conn)) {
        vg_warn ("notify: lost the database connection: %s", PQerrorMessage (self->conn));
        s_disconnect (self);
        return;
    }
    PGnotify *n;
    while ((n = PQnotifies (self->conn))) {
        if (strcmp (n->extra, NOTIFY_OUTBOX_WAKE) != 0)
            self->tick_asked = 1;
        PQfreemem (n);
    }
}

static void *
s_run (void *arg)
{
    notify_sender_t *self = arg;
    int64_t retry_db_at = 0, hold_until = 0;
    while (!atomic_load (&self->stop)) {
        int64_t now = vg_now_ms ();
        int64_t next = now + MAX_SLEEP_MS;
        if (!self->conn && now >= retry_db_at && s_connect (self) != VG_OK)
            retry_db_at = now + 1000;
        if (self->conn) {
            char err[1024];
            int tick = now >= hold_until && (self->tick_asked || now >= self->schedule_ms);
            int added = 0;
            if (tick) {
                self->tick_asked = 0;
                added = notify_engine_tick (self->engine, self->conn, now, err, sizeof err);
                pthread_mutex_lock (&self->lock);
                self->stats.ticks++;
                pthread_mutex_unlock (&self->lock);
            }
            if (added < 0) {
                /* What failed is still due: hold the ticks a second, not spin. */
                vg_complain (&self->tick_failing, 60000, VG_LOG_WARN,
                             "notify: %s; trying again every second", err);
                hold_until = now + 1000;
                if (PQstatus (self->conn) != CONNECTION_OK)
                    s_disconnect (self);
                self->tick_asked = 1;
            } else if (tick)
                vg_complain_clear (&self->tick_failing, "notify: the scheduler works again");
            s_start_due (self, now);
            /* The requests start now, not after the next query. */
            int running;
            curl_multi_perform (self->multi, &running);
            int64_t outbox_due;
            if (self->conn && notify_outbox_next_due (self->conn, &outbox_due, &self->schedule_ms,
                                                      err, sizeof err) == VG_OK) {
                if (outbox_due < next)
                    next = outbox_due;
                if (self->schedule_ms < next)
                    next = self->schedule_ms;
            } else
                self->tick_asked = 1; /* schedule unknown */
            /* Due but not startable (every slot busy, or ticks held): curl
             * wakes us when a transfer ends; the rest can wait a second. */
            if ((self->inflight >= MAX_INFLIGHT || hold_until > now) && next < now + 1000)
                next = now + 1000;
        } else if (retry_db_at < next)
            next = retry_db_at;
        int running;
        curl_multi_perform (self->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read (self->multi, &left)))
            if (msg->msg == CURLMSG_DONE) {
                notify_transfer_t *t;
                curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
                s_finish (self, t, msg->data.result);
                next = now; /* a retry or a freed slot may be due at once */
            }
        int64_t wait = next - vg_now_ms ();
        if (wait < 0)
            wait = 0;
        if (wait > MAX_SLEEP_MS)
            wait = MAX_SLEEP_MS;
        /* Pending rate-limited or retried rows are in the database's due
         * time; running transfers wake curl_multi_poll themselves. */
        struct curl_waitfd fds[1];
        unsigned nfds = 0;
        if (self->conn) {
            fds[0].fd = PQsocket (self->conn);
            fds[0].events = CURL_WAIT_POLLIN;
            fds[0].revents = 0;
            nfds = 1;
        }
        curl_multi_poll (self->multi, fds, nfds, (int)wait, NULL);
        s_drain_notifies (self);
    }
    return NULL;
}

notify_sender_t *
notify_sender_new (notify_engine_t *engine, const char *db_url)
{
    notify_sender_t *self = vg_calloc (1, sizeof *self);
    self->engine = engine;
    self->db_url = vg_strdup (db_url);
    const notify_config_t *cfg = notify_engine_config (engine);
    self->lease_ms = LEASE_SLACK_MS;
    for (size_t r = 0; r < cfg->nreceivers; r++)
        for (size_t i = 0; i < cfg->receivers[r].n; i++)
            if (cfg->receivers[r].items[i].timeout_ms + LEASE_SLACK_MS > self->lease_ms)
                self->lease_ms = cfg->receivers[r].items[i].timeout_ms + LEASE_SLACK_MS;
    pthread_mutex_init (&self->lock, NULL);
    curl_global_init (CURL_GLOBAL_DEFAULT);
    self->multi = curl_multi_init ();
    if (!self->multi || pthread_create (&self->thread, NULL, s_run, self) != 0) {
        vg_error ("notify: cannot start the sender thread");
        if (self->multi)
            curl_multi_cleanup (self->multi);
        free (self->db_url);
        free (self);
        return NULL;
    }
    return self;
}

void
notify_sender_destroy (notify_sender_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    notify_sender_t *self = *self_p;
    atomic_store (&self->stop, 1);
    curl_multi_wakeup (self->multi);
    pthread_join (self->thread, NULL);
    /* Transfers still running are dropped: their leases expire and they go
     * again, with the same key. */
    for (int i = 0; i < MAX_INFLIGHT; i++)
        if (self->running[i]) {
            curl_multi_remove_handle (self->multi, self->running[i]->easy);
            notify_transfer_destroy (&self->running[i]);
        }
    curl_multi_cleanup (self->multi);
    s_disconnect (self);
    free (self->paces);
    free (self->db_url);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

notify_sender_stats_t
notify_sender_stats (notify_sender_t *self)
{
    pthread_mutex_lock (&self->lock);
    notify_sender_stats_t s = self->stats;
    pthread_mutex_unlock (&self->lock);
    return s;
}

int
notify_sender_connected (notify_sender_t *self)
{
    return atomic_load (&self->connected);
}
