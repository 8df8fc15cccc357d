/*  agent_sender.c - delivers batches to the collector until acknowledged. */
#include "agent_sender.h"
#include "agent_curve.h"
#include "vg_alloc.h"
#include "vg_codec.h"
#include "vg_error.h"
#include "vg_log.h"
#include "vg_time.h"
#include "vg_wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_COMPLAIN_MS      60000
#define S_DOWN_COMPLAIN_MS 30000
/* Bounds what ZeroMQ copies into its queue; the store keeps the rest. */
#define S_SNDHWM 256

/* ---- The pending store ------------------------------------------------
 * Batches by ascending seq. In memory for now; a bounded disk spool can take
 * its place behind these s_store_* functions. Acks usually arrive in order,
 * so removal leaves a tombstone and the front is trimmed: put, find and
 * remove stay cheap at thousands of entries. */

typedef struct {
    uint64_t seq;
    uint8_t *data; /* NULL: removed (tombstone) */
    size_t len;
    int64_t sent_mono; /* last transmission; -1 while waiting to be sent */
    uint32_t sends;
} s_entry_t;

typedef struct {
    s_entry_t *items;
    size_t start, end, cap; /* entries in [start, end) */
    size_t live;
} s_store_t;

static void
s_store_trim (s_store_t *st)
{
    while (st->start < st->end && !st->items[st->start].data)
        st->start++;
    while (st->end > st->start && !st->items[st->end - 1].data)
        st->end--;
    if (st->start == st->end)
        st->start = st->end = 0;
    else if (st->start > 64 && st->start >= st->end / 2) {
        memmove (st->items, st->items + st->start, (st->end - st->start) * sizeof *st->items);
        st->end -= st->start;
        st->start = 0;
    }
}

/* First index in [start, end) whose seq is >= seq. */
static size_t
s_store_lower (const s_store_t *st, uint64_t seq)
{
    size_t lo = st->start, hi = st->end;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->items[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Takes ownership of data. */
static void
s_store_put (s_store_t *st, uint64_t seq, uint8_t *data, size_t len)
{
    VG_GROW (st->items, st->cap, st->end + 1);
    size_t at = s_store_lower (st, seq);
    if (at < st->end)
        memmove (st->items + at + 1, st->items + at, (st->end - at) * sizeof *st->items);
    st->items[at] = (s_entry_t){seq, data, len, -1, 0};
    st->end++;
    st->live++;
}

static s_entry_t *
s_store_find (s_store_t *st, uint64_t seq)
{
    size_t at = s_store_lower (st, seq);
    if (at < st->end && st->items[at].seq == seq && st->items[at].data)
        return &st->items[at];
    return NULL;
}

static void
s_store_remove (s_store_t *st, s_entry_t *e)
{
    free (e->data);
    e->data = NULL;
    st->live--;
    s_store_trim (st);
}

static s_entry_t *
s_store_oldest (s_store_t *st)
{
    return st->live ? &st->items[st->start] : NULL;
}

/* Iteration in seq order: for (e = s_store_next (st, NULL); e; e = s_store_next (st, e)). */
static s_entry_t *
s_store_next (s_store_t *st, s_entry_t *e)
{
    size_t i = e ? (size_t)(e - st->items) + 1 : st->start;
    for (; i < st->end; i++)
        if (st->items[i].data)
            return &st->items[i];
    return NULL;
}

static void
s_store_free (s_store_t *st)
{
    for (size_t i = st->start; i < st->end; i++)
        free (st->items[i].data);
    free (st->items);
    memset (st, 0, sizeof *st);
}

/* ---- The sender ------------------------------------------------------- */

struct agent_sender_t {
    void *ctx;
    void *dealer;
    void *monitor;
    char *endpoint;
    int64_t ack_timeout_ms;
    size_t max_pending;
    s_store_t store;
    agent_sender_stats_t stats;
    int ever_connected;
    int64_t down_since; /* monotonic: since when there is no connection */
    vg_complain_t link_complain;
    vg_complain_t drop_complain;
    vg_complain_t retry_complain;
    vg_complain_t bad_ack_complain;
};

static int
s_setopt_int (void *sock, int opt, int value)
{
    return zmq_setsockopt (sock, opt, &value, sizeof value);
}

agent_sender_t *
agent_sender_new (const char *endpoint, int64_t ack_timeout_ms, size_t max_pending, char *err,
                  size_t errlen)
{
    agent_sender_t *self = vg_calloc (1, sizeof *self);
    self->endpoint = vg_strdup (endpoint);
    self->ack_timeout_ms = ack_timeout_ms > 0 ? ack_timeout_ms : 10000;
    self->max_pending = max_pending ? max_pending : 1;
    self->stats.last_ack_latency_ms = -1;
    self->down_since = vg_mono_ms ();
    self->ctx = zmq_ctx_new ();
    self->dealer = self->ctx ? zmq_socket (self->ctx, ZMQ_DEALER) : NULL;
    if (!self->dealer) {
        snprintf (err, errlen, "cannot create a ZeroMQ socket: %s", zmq_strerror (errno));
        agent_sender_destroy (&self);
        return NULL;
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

    char inproc[64];
    snprintf (inproc, sizeof inproc, "inproc://vigil-agent-sender-%p", (void *)self);
    if (zmq_socket_monitor (
            self->dealer, inproc,
            ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0 ||
        !(self->monitor = zmq_socket (self->ctx, ZMQ_PAIR)) ||
        s_setopt_int (self->monitor, ZMQ_LINGER, 0) != 0 ||
        zmq_connect (self->monitor, inproc) != 0) {
        snprintf (err, errlen, "cannot monitor the ZeroMQ socket: %s", zmq_strerror (errno));
        agent_sender_destroy (&self);
        return NULL;
    }
    if (agent_curve_apply (self->dealer, err, errlen) != VG_OK) {
        agent_sender_destroy (&self);
        return NULL;
    }
    if (zmq_connect (self->dealer, endpoint) != 0) {
        snprintf (err, errlen,
                  "cannot connect to collector %s: %s; set agent.collector to an endpoint like "
                  "tcp://collector.example:5555",
                  endpoint, zmq_strerror (errno));
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
    if (self->dealer) {
        if (self->monitor)
            zmq_socket_monitor (self->dealer, NULL, 0);
        zmq_close (self->dealer);
    }
    if (self->monitor)
        zmq_close (self->monitor);
    if (self->ctx)
        zmq_ctx_term (self->ctx);
    s_store_free (&self->store);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

static void
s_drop_oldest (agent_sender_t *self)
{
    s_entry_t *e = s_store_oldest (&self->store);
    uint64_t seq = e->seq;
    s_store_remove (&self->store, e);
    self->stats.dropped++;
    vg_complain (&self->drop_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                 "more than %zu batches wait for the collector at %s (agent.max_pending): "
                 "dropped the oldest, seq %llu; %llu dropped in all",
                 self->max_pending, self->endpoint, (unsigned long long)seq,
                 (unsigned long long)self->stats.dropped);
}

void
agent_sender_configure (agent_sender_t *self, int64_t ack_timeout_ms, size_t max_pending)
{
    self->ack_timeout_ms = ack_timeout_ms > 0 ? ack_timeout_ms : 10000;
    self->max_pending = max_pending ? max_pending : 1;
    while (self->store.live > self->max_pending)
        s_drop_oldest (self);
}

int
agent_sender_set_endpoint (agent_sender_t *self, const char *endpoint, char *err, size_t errlen)
{
    if (strcmp (endpoint, self->endpoint) == 0)
        return VG_OK;
    if (zmq_connect (self->dealer, endpoint) != 0) {
        snprintf (err, errlen, "cannot connect to collector %s: %s", endpoint,
                  zmq_strerror (errno));
        return VG_EINVAL;
    }
    zmq_disconnect (self->dealer, self->endpoint);
    free (self->endpoint);
    self->endpoint = vg_strdup (endpoint);
    self->stats.connected = 0;
    self->ever_connected = 0;
    self->down_since = vg_mono_ms ();
    /* Whatever was in flight to the old collector goes to the new one. */
    for (s_entry_t *e = s_store_next (&self->store, NULL); e; e = s_store_next (&self->store, e))
        e->sent_mono = -1;
    return VG_OK;
}

/* One transmission; 0, or -1 when the socket takes nothing now. */
static int
s_transmit (agent_sender_t *self, s_entry_t *e, int64_t now)
{
    if (zmq_send (self->dealer, VG_WIRE_BATCH, strlen (VG_WIRE_BATCH), ZMQ_SNDMORE | ZMQ_DONTWAIT) <
        0)
        return -1;
    /* The rest of a multipart message is always accepted once its first part was. */
    zmq_send (self->dealer, e->data, e->len, ZMQ_DONTWAIT);
    if (e->sends)
        self->stats.resent++;
    else
        self->stats.sent++;
    e->sends++;
    e->sent_mono = now;
    return 0;
}

/* Sends what waits, oldest first, until the socket takes no more. */
static void
s_flush (agent_sender_t *self, int64_t now)
{
    for (s_entry_t *e = s_store_next (&self->store, NULL); e; e = s_store_next (&self->store, e))
        if (e->sent_mono < 0 && s_transmit (self, e, now) != 0)
            break;
}

void
agent_sender_send (agent_sender_t *self, uint64_t seq, uint8_t **payload_p, size_t len,
                   int64_t now_mono_ms)
{
    uint8_t *data = *payload_p;
    *payload_p = NULL;
    s_entry_t *old = s_store_find (&self->store, seq);
    if (old) {
        /* Not expected: the state never repeats a seq. Keep the newer. */
        free (old->data);
        old->data = data;
        old->len = len;
        old->sent_mono = -1;
    } else {
        while (self->store.live >= self->max_pending)
            s_drop_oldest (self);
        s_store_put (&self->store, seq, data, len);
    }
    s_flush (self, now_mono_ms);
    /* ZeroMQ retries quietly forever: say so when that goes on. */
    if (!self->stats.connected && now_mono_ms - self->down_since >= S_DOWN_COMPLAIN_MS)
        vg_complain (&self->link_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                     "no connection to the collector at %s for %lld s; %zu batches wait (is "
                     "vigil-collector running there, and is agent.collector right?)",
                     self->endpoint, (long long)((now_mono_ms - self->down_since) / 1000),
                     self->store.live);
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
    short events = ZMQ_POLLIN;
    s_store_t *st = (s_store_t *)&self->store;
    for (s_entry_t *e = s_store_next (st, NULL); e; e = s_store_next (st, e))
        if (e->sent_mono < 0) {
            events |= ZMQ_POLLOUT;
            break;
        }
    return events;
}

static void
s_apply_ack (agent_sender_t *self, uint64_t seq, vg_ack_status_t status, const char *reason,
             int64_t now)
{
    s_entry_t *e = s_store_find (&self->store, seq);
    if (!e) {
        /* An ack for a batch resent twice, or dropped meanwhile. */
        vg_debug ("ack for seq %llu, which is no longer pending", (unsigned long long)seq);
        return;
    }
    switch (status) {
    case VG_ACK_STORED:
    case VG_ACK_DUPLICATE:
        self->stats.acked++;
        if (e->sent_mono >= 0) /* not when already marked to be sent again */
            self->stats.last_ack_latency_ms = now - e->sent_mono;
        s_store_remove (&self->store, e);
        vg_complain_clear (&self->retry_complain, "the collector at %s stores batches again",
                           self->endpoint);
        break;
    case VG_ACK_REJECTED:
        self->stats.rejected++;
        vg_warn ("the collector at %s rejected batch seq %llu: %s; dropped it (resending would "
                 "not help)",
                 self->endpoint, (unsigned long long)seq, *reason ? reason : "no reason given");
        s_store_remove (&self->store, e);
        break;
    case VG_ACK_RETRY:
    default:
        self->stats.retried++;
        e->sent_mono = now; /* again after ack_timeout */
        vg_complain (&self->retry_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                     "the collector at %s cannot store batches now (%s); keeping them and "
                     "resending",
                     self->endpoint, *reason ? reason : "no reason given");
        break;
    }
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
                             self->endpoint, vg_strerror (rc));
        } else
            vg_complain (&self->bad_ack_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                         "unexpected message of %d frames from the collector at %s; ignored it "
                         "(is agent.collector a Vigil collector?)",
                         n, self->endpoint);
        for (int i = 0; i < n && i < 3; i++)
            zmq_msg_close (&frames[i]);
    }
    s_flush (self, now_mono_ms);
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
        if (event == ZMQ_EVENT_CONNECTED) {
            size_t n = self->store.live;
            self->stats.connected = 1;
            if (self->link_complain.failing)
                vg_complain_clear (&self->link_complain,
                                   "connected to the collector at %s again; sending %zu pending "
                                   "batches",
                                   self->endpoint, n);
            else if (!self->ever_connected)
                vg_info ("connected to the collector at %s", self->endpoint);
            self->ever_connected = 1;
            /* Whatever was sent before this connection came up - on the
             * old one, or into its pipe while it was being torn down - may
             * be lost, the batch or its ack: send all of it again now. The
             * collector stores each seq once. (A batch that went out on the
             * new connection just before this event is read is sent twice:
             * harmless.) */
            for (s_entry_t *e = s_store_next (&self->store, NULL); e;
                 e = s_store_next (&self->store, e))
                e->sent_mono = -1;
        } else if (event == ZMQ_EVENT_DISCONNECTED) {
            self->stats.connected = 0;
            self->down_since = now_mono_ms;
            vg_complain (&self->link_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                         "lost the connection to the collector at %s; keeping batches until it "
                         "is back",
                         self->endpoint);
        } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
                   event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
            vg_complain (&self->link_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                         "the collector at %s refused the connection (ZeroMQ handshake error "
                         "%u); check that agent.collector is a Vigil collector",
                         self->endpoint, value);
        }
    }
    s_flush (self, now_mono_ms);
}

void
agent_sender_tick (agent_sender_t *self, int64_t now_mono_ms)
{
    for (s_entry_t *e = s_store_next (&self->store, NULL); e; e = s_store_next (&self->store, e))
        if (e->sent_mono >= 0 && now_mono_ms - e->sent_mono >= self->ack_timeout_ms) {
            vg_debug ("batch seq %llu not acknowledged within %lld ms; sending it again",
                      (unsigned long long)e->seq, (long long)self->ack_timeout_ms);
            e->sent_mono = -1;
        }
    s_flush (self, now_mono_ms);
}

int64_t
agent_sender_next_due (const agent_sender_t *self)
{
    int64_t due = INT64_MAX;
    s_store_t *st = (s_store_t *)&self->store;
    for (s_entry_t *e = s_store_next (st, NULL); e; e = s_store_next (st, e))
        if (e->sent_mono >= 0 && e->sent_mono + self->ack_timeout_ms < due)
            due = e->sent_mono + self->ack_timeout_ms;
    return due;
}

size_t
agent_sender_pending (const agent_sender_t *self)
{
    return self->store.live;
}

uint64_t
agent_sender_dropped (const agent_sender_t *self)
{
    return self->stats.dropped;
}

void
agent_sender_stats (const agent_sender_t *self, agent_sender_stats_t *out)
{
    *out = self->stats;
    out->pending = self->store.live;
}

const char *
agent_sender_endpoint (const agent_sender_t *self)
{
    return self->endpoint;
}
