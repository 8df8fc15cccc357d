/*  agent_sender.c - delivers queued batches to a collector, with a window,
 *  backed-off resends and failover along a list of collectors. */
#include "agent_sender.h"
#include "agent_aside.h"
#include "vg_alloc.h"
#include "vg_codec.h"
#include "vg_error.h"
#include "vg_hash.h"
#include "vg_log.h"
#include "vg_time.h"
#include "vg_wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <zmq.h>

#define S_COMPLAIN_MS      60000
#define S_DOWN_COMPLAIN_MS 30000
#define S_DEFAULT_WINDOW   64
#define S_DEFAULT_BACKOFF  (5 * 60 * 1000)
/* Bounds what ZeroMQ copies into its queue; the window keeps it far below. */
#define S_SNDHWM 1024

struct agent_sender_t {
    void *ctx;
    void *dealer;
    void *monitor;
    char **endpoints;
    size_t nendpoints;
    size_t home;    /* the endpoint this agent's id hashes to */
    size_t current; /* the one connected to */
    uint64_t id_hash;
    agent_sender_opts_t opts;
    agent_queue_t *queue;
    char *aside_dir;
    agent_sender_done_fn *on_done;
    void *on_done_arg;

    uint64_t *window; /* seqs the sender deals with: in flight or backing off */
    size_t nwindow, window_cap;
    uint64_t cursor; /* every queued seq below it is in the window or was dealt with */

    int64_t last_answer; /* monotonic: any answer, a move, or the queue filling from empty */
    int64_t moved_at;    /* monotonic: the last move to another endpoint */
    int64_t down_since;  /* monotonic: since when there is no connection */
    int ever_connected;
    uint64_t rng;
    uint64_t sockets_made;
    agent_sender_stats_t stats;
    vg_complain_t link_complain;
    vg_complain_t retry_complain;
    vg_complain_t bad_ack_complain;
    vg_complain_t aside_complain;
};

static int
s_setopt_int (void *sock, int opt, int value)
{
    return zmq_setsockopt (sock, opt, &value, sizeof value);
}

/* xorshift64*: jitter only, seeded from getrandom. */
static uint64_t
s_rand (agent_sender_t *self)
{
    uint64_t x = self->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    self->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static void
s_apply_opts (agent_sender_t *self, const agent_sender_opts_t *o)
{
    self->opts = *o;
    if (self->opts.ack_timeout_ms <= 0)
        self->opts.ack_timeout_ms = 10000;
    if (self->opts.max_backoff_ms <= 0)
        self->opts.max_backoff_ms = S_DEFAULT_BACKOFF;
    if (self->opts.max_backoff_ms < self->opts.ack_timeout_ms)
        self->opts.max_backoff_ms = self->opts.ack_timeout_ms;
    if (self->opts.window == 0)
        self->opts.window = S_DEFAULT_WINDOW;
    if (self->opts.failover_ms <= 0)
        self->opts.failover_ms = 30000;
    if (self->opts.failback_ms <= 0)
        self->opts.failback_ms = 300000;
}

/* Waits after the n-th transmission: ack_timeout doubled per earlier one,
 * capped, give or take a quarter. */
static int64_t
s_backoff (agent_sender_t *self, uint32_t sends)
{
    int64_t t = self->opts.ack_timeout_ms;
    for (uint32_t i = 1; i < sends && t < self->opts.max_backoff_ms; i++)
        t *= 2;
    if (t > self->opts.max_backoff_ms)
        t = self->opts.max_backoff_ms;
    if (sends <= 1)
        return t; /* the first wait is the ack timeout as configured */
    int64_t quarter = t / 4;
    if (quarter > 0)
        t += (int64_t)(s_rand (self) % (uint64_t)(2 * quarter + 1)) - quarter;
    return t;
}

static void
s_free_endpoints (agent_sender_t *self)
{
    for (size_t i = 0; i < self->nendpoints; i++)
        free (self->endpoints[i]);
    free (self->endpoints);
    self->endpoints = NULL;
    self->nendpoints = 0;
}

static void
s_copy_endpoints (agent_sender_t *self, const char *const *endpoints, size_t n)
{
    self->endpoints = vg_calloc (n + 1, sizeof *self->endpoints);
    for (size_t i = 0; i < n; i++)
        self->endpoints[i] = vg_strdup (endpoints[i]);
    self->nendpoints = n;
    self->home = (size_t)(self->id_hash % n);
}

static void
s_close_socket (agent_sender_t *self)
{
    if (self->dealer) {
        if (self->monitor)
            zmq_socket_monitor (self->dealer, NULL, 0);
        zmq_close (self->dealer);
    }
    if (self->monitor)
        zmq_close (self->monitor);
    self->dealer = self->monitor = NULL;
}

/* A fresh DEALER (and its monitor) connected to endpoint i, after the
 * socket hook: every move gets one, so no event of the old connection is
 * taken for the new one. */
static int
s_open_socket (agent_sender_t *self, size_t i, char *err, size_t errlen)
{
    const char *ep = self->endpoints[i];
    self->current = i;
    self->stats.endpoint = i;
    self->stats.connected = 0;
    self->ever_connected = 0;
    self->down_since = vg_mono_ms ();
    self->dealer = zmq_socket (self->ctx, ZMQ_DEALER);
    if (!self->dealer) {
        snprintf (err, errlen, "cannot create a ZeroMQ socket: %s", zmq_strerror (errno));
        return VG_EIO;
    }
    /* Nothing queues on a pipe that is not up, nothing lingers at close, and
     * a silent peer is noticed by heartbeats rather than by TCP, hours later. */
    s_setopt_int (self->dealer, ZMQ_LINGER, 0);
    s_setopt_int (self->dealer, ZMQ_IMMEDIATE, 1);
    s_setopt_int (self->dealer, ZMQ_SNDHWM, S_SNDHWM);
    s_setopt_int (self->dealer, ZMQ_RECONNECT_IVL, 100);
    s_setopt_int (self->dealer, ZMQ_RECONNECT_IVL_MAX, 5000);
    s_setopt_int (self->dealer, ZMQ_HEARTBEAT_IVL, 5000);
    s_setopt_int (self->dealer, ZMQ_HEARTBEAT_TIMEOUT, 15000);

    char inproc[96];
    snprintf (inproc, sizeof inproc, "inproc://vigil-agent-sender-%p-%" PRIu64, (void *)self,
              ++self->sockets_made);
    if (zmq_socket_monitor (
            self->dealer, inproc,
            ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0 ||
        !(self->monitor = zmq_socket (self->ctx, ZMQ_PAIR)) ||
        s_setopt_int (self->monitor, ZMQ_LINGER, 0) != 0 ||
        zmq_connect (self->monitor, inproc) != 0) {
        snprintf (err, errlen, "cannot monitor the ZeroMQ socket: %s", zmq_strerror (errno));
        return VG_EIO;
    }
    if (self->opts.socket_hook) {
        char why[512] = "";
        int rc =
            self->opts.socket_hook (self->opts.socket_hook_arg, self->dealer, ep, why, sizeof why);
        if (rc != VG_OK) {
            snprintf (err, errlen, "cannot set up the connection to collector %s: %s", ep,
                      *why ? why : vg_strerror (rc));
            return rc;
        }
    }
    if (zmq_connect (self->dealer, ep) != 0) {
        snprintf (err, errlen,
                  "cannot connect to collector %s: %s; write agent.collector like "
                  "tcp://collector.example:5555",
                  ep, zmq_strerror (errno));
        return VG_EINVAL;
    }
    return VG_OK;
}

agent_sender_t *
agent_sender_new (const char *const *endpoints, size_t n, const char *agent_id,
                  const agent_sender_opts_t *opts, agent_queue_t *queue, char *err, size_t errlen)
{
    agent_sender_t *self = vg_calloc (1, sizeof *self);
    self->queue = queue;
    s_apply_opts (self, opts);
    self->id_hash = vg_hash_bytes (agent_id ? agent_id : "", agent_id ? strlen (agent_id) : 0);
    if (getrandom (&self->rng, sizeof self->rng, GRND_NONBLOCK) != (ssize_t)sizeof self->rng)
        self->rng = (uint64_t)vg_now_ms () ^ self->id_hash;
    self->rng |= 1;
    self->stats.last_ack_latency_ms = -1;
    self->stats.last_send_delay_ms = -1;
    self->last_answer = self->moved_at = self->down_since = vg_mono_ms ();
    if (n == 0) {
        snprintf (err, errlen, "no collector endpoint given; set agent.collector");
        agent_sender_destroy (&self);
        return NULL;
    }
    s_copy_endpoints (self, endpoints, n);
    self->ctx = zmq_ctx_new ();
    if (!self->ctx) {
        snprintf (err, errlen, "cannot start ZeroMQ: %s", zmq_strerror (errno));
        agent_sender_destroy (&self);
        return NULL;
    }
    if (s_open_socket (self, self->home, err, errlen) != VG_OK) {
        agent_sender_destroy (&self);
        return NULL;
    }
    return self;
}

void
agent_sender_destroy (agent_sender_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    agent_sender_t *self = *self_p;
    s_close_socket (self);
    if (self->ctx)
        zmq_ctx_term (self->ctx);
    /* What was in flight is sent again by whoever takes the queue next. */
    for (size_t i = 0; i < self->nwindow; i++) {
        agent_queue_entry_t *e = agent_queue_find (self->queue, self->window[i]);
        if (e) {
            e->in_window = 0;
            e->sent_mono = -1;
        }
    }
    s_free_endpoints (self);
    free (self->window);
    free (self->aside_dir);
    free (self);
    *self_p = NULL;
}

void
agent_sender_configure (agent_sender_t *self, const agent_sender_opts_t *opts)
{
    s_apply_opts (self, opts);
}

void
agent_sender_on_done (agent_sender_t *self, agent_sender_done_fn *fn, void *arg)
{
    self->on_done = fn;
    self->on_done_arg = arg;
}

void
agent_sender_set_aside_dir (agent_sender_t *self, const char *dir)
{
    free (self->aside_dir);
    self->aside_dir = dir ? vg_strdup (dir) : NULL;
}

/* ---- the window ------------------------------------------------------- */

static void
s_window_remove (agent_sender_t *self, uint64_t seq)
{
    for (size_t i = 0; i < self->nwindow; i++)
        if (self->window[i] == seq) {
            self->window[i] = self->window[--self->nwindow];
            return;
        }
}

/* Everything in the window goes again at once (a new connection). */
static void
s_window_resend_all (agent_sender_t *self)
{
    for (size_t i = 0; i < self->nwindow; i++) {
        agent_queue_entry_t *e = agent_queue_find (self->queue, self->window[i]);
        if (e) {
            e->sent_mono = -1;
            e->due_mono = 0;
        }
    }
}

/* One transmission; 0, or -1 when the socket takes nothing now. */
static int
s_transmit (agent_sender_t *self, agent_queue_entry_t *e, int64_t now)
{
    uint8_t *data = NULL;
    size_t len = 0;
    uint64_t seq = e->loc.seq;
    int rc = agent_queue_payload (self->queue, e, &data, &len);
    if (rc == VG_EPROTO) { /* dropped by the queue: damaged */
        s_window_remove (self, seq);
        return 0;
    }
    if (rc != VG_OK)
        return -1;
    if (zmq_send (self->dealer, VG_WIRE_BATCH, strlen (VG_WIRE_BATCH), ZMQ_SNDMORE | ZMQ_DONTWAIT) <
        0) {
        free (data);
        return -1;
    }
    /* The rest of a multipart message is always accepted once its first part was. */
    zmq_send (self->dealer, data, len, ZMQ_DONTWAIT);
    free (data);
    if (e->sends)
        self->stats.resent++;
    else {
        self->stats.sent++;
        int64_t delay = vg_now_ms () - e->loc.made_ms;
        self->stats.last_send_delay_ms = delay > 0 ? delay : 0;
        agent_queue_release_copy (self->queue, e);
    }
    e->sends++;
    e->sent_mono = now;
    e->due_mono = now + s_backoff (self, e->sends);
    return 0;
}

/* Sends what is due in the window, then fills the window from the cursor,
 * until the socket takes no more. */
static void
s_pump (agent_sender_t *self, int64_t now)
{
    for (size_t i = 0; i < self->nwindow;) {
        uint64_t seq = self->window[i];
        agent_queue_entry_t *e = agent_queue_find (self->queue, seq);
        if (!e) { /* dropped at a bound meanwhile */
            self->window[i] = self->window[--self->nwindow];
            continue;
        }
        if (e->sent_mono < 0 && e->due_mono <= now && s_transmit (self, e, now) != 0)
            return;
        if (i < self->nwindow && self->window[i] == seq)
            i++;
    }
    while (self->nwindow < self->opts.window) {
        agent_queue_entry_t *e = agent_queue_from (self->queue, self->cursor);
        if (!e)
            break;
        uint64_t seq = e->loc.seq;
        VG_GROW (self->window, self->window_cap, self->nwindow + 1);
        self->window[self->nwindow++] = seq;
        e->in_window = 1;
        e->sent_mono = -1;
        e->due_mono = 0;
        self->cursor = seq + 1;
        if (s_transmit (self, e, now) != 0)
            return;
    }
}

/* ---- failover --------------------------------------------------------- */

static void
s_move (agent_sender_t *self, size_t to, const char *why, int64_t now)
{
    char err[768];
    s_close_socket (self);
    self->stats.failovers++;
    self->moved_at = self->last_answer = now;
    if (s_open_socket (self, to, err, sizeof err) != VG_OK)
        vg_warn ("%s; %s; trying the next collector after agent.failover_timeout", why, err);
    else
        vg_warn ("%s; now sending to the collector at %s (%zu of %zu), %zu batches waiting", why,
                 self->endpoints[to], to + 1, self->nendpoints, agent_queue_len (self->queue));
    s_window_resend_all (self);
}

static void
s_failover_check (agent_sender_t *self, int64_t now)
{
    if (self->nendpoints < 2)
        return;
    size_t waiting = agent_queue_len (self->queue);
    if (self->current != self->home && now - self->moved_at >= self->opts.failback_ms) {
        char why[256];
        snprintf (why, sizeof why, "trying this agent's first collector again after %lld s",
                  (long long)((now - self->moved_at) / 1000));
        s_move (self, self->home, why, now);
        return;
    }
    if (waiting == 0 || now - self->last_answer < self->opts.failover_ms)
        return;
    char why[512];
    snprintf (why, sizeof why, "no answer from the collector at %s for %lld s (%s)",
              self->endpoints[self->current], (long long)((now - self->last_answer) / 1000),
              self->stats.connected ? "connected, but it does not acknowledge" : "no connection");
    s_move (self, (self->current + 1) % self->nendpoints, why, now);
}

int
agent_sender_set_endpoints (agent_sender_t *self, const char *const *endpoints, size_t n, char *err,
                            size_t errlen)
{
    if (n == 0) {
        snprintf (err, errlen, "no collector endpoint given; set agent.collector");
        return VG_EINVAL;
    }
    int same = n == self->nendpoints;
    for (size_t i = 0; same && i < n; i++)
        same = strcmp (endpoints[i], self->endpoints[i]) == 0;
    if (same)
        return VG_OK;
    s_free_endpoints (self);
    s_copy_endpoints (self, endpoints, n);
    s_close_socket (self);
    self->moved_at = self->last_answer = vg_mono_ms ();
    s_window_resend_all (self);
    /* A failing hook or endpoint is logged; failover goes on along the list. */
    return s_open_socket (self, self->home, err, errlen);
}

/* ---- batches in, answers in ------------------------------------------- */

void
agent_sender_send (agent_sender_t *self, uint64_t seq, int64_t made_ms, uint8_t **payload_p,
                   size_t len, const agent_spool_ckpt_t *ckpts, size_t nckpts, int64_t now_mono_ms)
{
    if (agent_queue_len (self->queue) == 0)
        self->last_answer = now_mono_ms; /* waiting starts now */
    agent_queue_add (self->queue, seq, made_ms, payload_p, len, ckpts, nckpts, now_mono_ms);
    s_pump (self, now_mono_ms);
    /* ZeroMQ retries quietly forever: say so when that goes on. */
    if (!self->stats.connected && now_mono_ms - self->down_since >= S_DOWN_COMPLAIN_MS)
        vg_complain (&self->link_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                     "no connection to the collector at %s for %lld s; %zu batches wait (is "
                     "vigil-collector running there, and is agent.collector right?)",
                     self->endpoints[self->current],
                     (long long)((now_mono_ms - self->down_since) / 1000),
                     agent_queue_len (self->queue));
}

void *
agent_sender_socket (agent_sender_t *self)
{
    return self->dealer;
}

void *
agent_sender_monitor (agent_sender_t *self)
{
    return self->monitor;
}

short
agent_sender_events (const agent_sender_t *self)
{
    /* POLLOUT only while a send waits for room: the window is full of
     * transmissions or empty of anything to send otherwise. */
    short events = ZMQ_POLLIN;
    if (!self->stats.connected)
        return events;
    if (self->nwindow < self->opts.window && agent_queue_from (self->queue, self->cursor))
        return events | ZMQ_POLLOUT;
    for (size_t i = 0; i < self->nwindow; i++) {
        agent_queue_entry_t *e = agent_queue_find (self->queue, self->window[i]);
        if (e && e->sent_mono < 0 && e->due_mono == 0)
            return events | ZMQ_POLLOUT;
    }
    return events;
}

static void
s_keep_aside (agent_sender_t *self, agent_queue_entry_t *e, const char *reason)
{
    if (!self->aside_dir)
        return;
    uint8_t *data = NULL;
    size_t len = 0;
    char err[512];
    if (agent_queue_payload (self->queue, e, &data, &len) != VG_OK)
        return;
    if (agent_aside_keep (self->aside_dir, e->loc.seq, data, len, reason, err, sizeof err) != VG_OK)
        vg_complain (&self->aside_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                     "cannot keep a refused batch aside: %s", err);
    free (data);
}

static void
s_apply_ack (agent_sender_t *self, uint64_t seq, vg_ack_status_t status, const char *reason,
             int64_t now)
{
    self->last_answer = now;
    agent_queue_entry_t *e = agent_queue_find (self->queue, seq);
    if (!e) {
        /* An ack for a batch sent twice, or dropped meanwhile. */
        vg_debug ("ack for seq %" PRIu64 ", which is no longer pending", seq);
        return;
    }
    switch (status) {
    case VG_ACK_STORED:
    case VG_ACK_DUPLICATE:
        self->stats.acked++;
        if (e->sent_mono >= 0) /* not when already marked to be sent again */
            self->stats.last_ack_latency_ms = now - e->sent_mono;
        vg_complain_clear (&self->retry_complain, "the collector at %s stores batches again",
                           self->endpoints[self->current]);
        break;
    case VG_ACK_REJECTED:
        self->stats.rejected++;
        s_keep_aside (self, e, reason);
        vg_warn ("the collector at %s refused batch seq %" PRIu64 ": %s; kept it aside in %s "
                 "rather than send it again",
                 self->endpoints[self->current], seq, *reason ? reason : "no reason given",
                 self->aside_dir ? self->aside_dir : "(nowhere: no state directory)");
        break;
    case VG_ACK_RETRY:
    default:
        self->stats.retried++;
        /* Again after the back-off, from now. */
        e->sent_mono = -1;
        e->due_mono = now + s_backoff (self, e->sends);
        vg_complain (&self->retry_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                     "the collector at %s cannot store batches now (%s); keeping them and "
                     "resending",
                     self->endpoints[self->current], *reason ? reason : "no reason given");
        return;
    }
    s_window_remove (self, seq);
    agent_queue_remove (self->queue, e, vg_now_ms ());
    if (self->on_done)
        self->on_done (self->on_done_arg, seq);
}

void
agent_sender_on_readable (agent_sender_t *self, int64_t now_mono_ms)
{
    for (;;) {
        zmq_msg_t frames[3];
        int n = 0, more = 1;
        while (more) {
            /* Frames past the third are read and thrown away. */
            zmq_msg_t *part = &frames[n < 2 ? n : 2];
            if (n >= 3)
                zmq_msg_close (part);
            zmq_msg_init (part);
            if (zmq_msg_recv (part, self->dealer, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
                zmq_msg_close (part);
                zmq_msg_init (part); /* an empty message: closing it again is harmless */
                break;
            }
            more = zmq_msg_more (part);
            n++;
        }
        if (n == 0)
            break;
        if (n == 2 && zmq_msg_size (&frames[0]) == strlen (VG_WIRE_ACK) &&
            memcmp (zmq_msg_data (&frames[0]), VG_WIRE_ACK, strlen (VG_WIRE_ACK)) == 0) {
            uint64_t seq = 0;
            vg_ack_status_t status = VG_ACK_RETRY;
            char reason[512] = "";
            int rc = vg_codec_decode_ack (zmq_msg_data (&frames[1]), zmq_msg_size (&frames[1]),
                                          &seq, &status, reason, sizeof reason);
            if (rc == VG_OK)
                s_apply_ack (self, seq, status, reason, now_mono_ms);
            else
                vg_complain (&self->bad_ack_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                             "malformed ack from the collector at %s (%s); ignored it",
                             self->endpoints[self->current], vg_strerror (rc));
        } else
            vg_complain (&self->bad_ack_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                         "unexpected message of %d frames from the collector at %s; ignored it "
                         "(is agent.collector a Vigil collector?)",
                         n, self->endpoints[self->current]);
        for (int i = 0; i < n && i < 3; i++)
            zmq_msg_close (&frames[i]);
    }
    s_pump (self, now_mono_ms);
}

void
agent_sender_on_monitor (agent_sender_t *self, int64_t now_mono_ms)
{
    for (;;) {
        zmq_msg_t head, addr;
        zmq_msg_init (&head);
        if (zmq_msg_recv (&head, self->monitor, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&head);
            break;
        }
        uint16_t event = 0;
        uint32_t value = 0;
        if (zmq_msg_size (&head) >= 6) {
            memcpy (&event, zmq_msg_data (&head), 2);
            memcpy (&value, (uint8_t *)zmq_msg_data (&head) + 2, 4);
        }
        int more = zmq_msg_more (&head);
        zmq_msg_close (&head);
        if (more) {
            zmq_msg_init (&addr);
            zmq_msg_recv (&addr, self->monitor, 0);
            zmq_msg_close (&addr);
        }
        const char *ep = self->endpoints[self->current];
        if (event == ZMQ_EVENT_CONNECTED) {
            self->stats.connected = 1;
            if (self->link_complain.failing)
                vg_complain_clear (&self->link_complain,
                                   "connected to the collector at %s again; sending %zu pending "
                                   "batches",
                                   ep, agent_queue_len (self->queue));
            else if (!self->ever_connected)
                vg_info ("connected to the collector at %s", ep);
            self->ever_connected = 1;
            /* Whatever was sent before this connection came up - on the old
             * one, or into its pipe while it was being torn down - may be
             * lost, the batch or its ack: send it again now. The collector
             * stores each seq once. */
            s_window_resend_all (self);
        } else if (event == ZMQ_EVENT_DISCONNECTED) {
            self->stats.connected = 0;
            self->down_since = now_mono_ms;
            vg_complain (&self->link_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                         "lost the connection to the collector at %s; keeping batches until it "
                         "is back",
                         ep);
        } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
                   event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
            vg_complain (&self->link_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                         "the collector at %s refused the connection (ZeroMQ handshake error "
                         "%u); check that agent.collector is a Vigil collector",
                         ep, value);
        }
    }
    s_pump (self, now_mono_ms);
}

void
agent_sender_tick (agent_sender_t *self, int64_t now_mono_ms)
{
    for (size_t i = 0; i < self->nwindow; i++) {
        agent_queue_entry_t *e = agent_queue_find (self->queue, self->window[i]);
        if (e && e->sent_mono >= 0 && now_mono_ms >= e->due_mono) {
            vg_debug ("batch seq %" PRIu64 " not acknowledged within %lld ms; sending it again",
                      e->loc.seq, (long long)(e->due_mono - e->sent_mono));
            e->sent_mono = -1;
            e->due_mono = 0;
        }
    }
    s_failover_check (self, now_mono_ms);
    s_pump (self, now_mono_ms);
}

int64_t
agent_sender_next_due (const agent_sender_t *self)
{
    int64_t due = INT64_MAX;
    for (size_t i = 0; i < self->nwindow; i++) {
        agent_queue_entry_t *e = agent_queue_find (self->queue, self->window[i]);
        /* In flight: its time-out. Backing off: its time, once connected
         * (a new connection sends it anyway). Ready: POLLOUT wakes the loop. */
        if (!e || (e->sent_mono < 0 && (e->due_mono == 0 || !self->stats.connected)))
            continue;
        if (e->due_mono < due)
            due = e->due_mono;
    }
    if (self->nendpoints > 1) {
        if (agent_queue_len (self->queue) && self->last_answer + self->opts.failover_ms < due)
            due = self->last_answer + self->opts.failover_ms;
        if (self->current != self->home && self->moved_at + self->opts.failback_ms < due)
            due = self->moved_at + self->opts.failback_ms;
    }
    return due;
}

size_t
agent_sender_pending (const agent_sender_t *self)
{
    return agent_queue_len (self->queue);
}

void
agent_sender_stats (const agent_sender_t *self, agent_sender_stats_t *out)
{
    *out = self->stats;
    out->in_flight = self->nwindow;
}

const char *
agent_sender_endpoint (const agent_sender_t *self)
{
    return self->endpoints[self->current];
}
