/*  coll_server.c - the ROUTER loop: check every frame, decode, hand valid
 *  batches to the writer thread, send its answers back as acks. */
#include "coll_server.h"
#include "coll_auth.h"
#include "coll_guard.h"
#include "coll_peers.h"
#include "coll_reload.h"
#include "coll_writer.h"
#include "vg_alloc.h"
#include "vg_codec.h"
#include "vg_error.h"
#include "vg_log.h"
#include "vg_time.h"
#include "vg_wire.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

/* Complaints about what peers send: a burst of REASON_BURST lines per reason
 * and REASON_WINDOW_MS, then one per window with a count of the rest, so a
 * flood of bad messages cannot flood the log. */
#define REASON_BURST     5
#define REASON_WINDOW_MS 10000

enum { R_FRAMES, R_KIND, R_SIZE, R_MALFORMED, R_INVALID, R_COUNT };

typedef struct {
    vg_complain_t complain;
    int64_t window_ms;
    unsigned used;
} reason_t;

/* Messages read per wake-up before the writer's answers get a turn. */
#define READ_BURST 200

struct coll_server_t {
    const coll_config_t *config;       /* the one in force: config_start or a reloaded one */
    const coll_config_t *config_start; /* the caller's; the writer keeps using it */
    void *ctx;
    void *router;
    void *monitor; /* the ROUTER's connection events */
    coll_writer_t *writer;
    coll_guard_t *guard;   /* the connections: noted, measured, closed */
    coll_peers_t *peers;   /* the guard's figures per agent and connection */
    coll_auth_t *auth;     /* NULL: plain */
    int own_ctx;           /* ctx is ours to end (not czmq's, which zauth needs) */
    int64_t cap;           /* ZMQ_MAXMSGSIZE */
    int64_t next_guard_ms; /* monotonic */
    int sigfd[2];          /* self-pipe: signal handler -> loop */
    char endpoint[256];
    vg_codec_limits_t limits;
    size_t queued; /* batches handed to the writer and not answered yet */
    int paused;    /* not reading from agents: the writer is behind */
    coll_server_stats_t stats;
    coll_writer_stats_t wstats;
    reason_t reasons[R_COUNT];
    reason_t refusals[COLL_REFUSED_COUNT]; /* rejected batches, by kind */
    vg_complain_t backpressure;
};

static void s_complain (coll_server_t *self, int reason, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_complain (coll_server_t *self, int reason, const char *fmt, ...)
{
    /* Reasons from R_COUNT on are kinds of rejected batches, each rate-limited
     * on its own so one kind cannot hide another. */
    reason_t *r = reason < R_COUNT ? &self->reasons[reason] : &self->refusals[reason - R_COUNT];
    char msg[1024];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    int64_t now = vg_mono_ms ();
    if (r->window_ms == 0 || now - r->window_ms >= REASON_WINDOW_MS) {
        r->window_ms = now;
        r->used = 0;
    }
    if (r->used < REASON_BURST) {
        r->used++;
        vg_warn ("%s", msg);
    } else
        vg_complain (&r->complain, REASON_WINDOW_MS, VG_LOG_WARN, "%s", msg);
}

/* Copies bytes for a log line, replacing anything unprintable. */
static void
s_printable (const void *data, size_t len, char *out, size_t outlen)
{
    const unsigned char *p = data;
    size_t n = 0;
    for (size_t i = 0; i < len && n + 4 < outlen; i++)
        out[n++] = (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\') ? (char)p[i] : '?';
    if (len > 0 && n + 4 >= outlen && n >= 3)
        memcpy (out + n - 3, "...", 3);
    out[n] = '\0';
}

/* "peer 127.0.0.1 id 0080000029": who sent a message. */
static void
s_describe_peer (zmq_msg_t *rid, zmq_msg_t *frame, char *buf, size_t len)
{
    const char *addr = zmq_msg_gets (frame, "Peer-Address");
    int n = snprintf (buf, len, "peer %s id ", addr && *addr ? addr : "(unknown address)");
    const unsigned char *id = zmq_msg_data (rid);
    size_t idlen = zmq_msg_size (rid);
    for (size_t i = 0; i < idlen && i < 32 && n > 0 && (size_t)n + 3 < len; i++)
        n += snprintf (buf + n, len - (size_t)n, "%02x", id[i]);
    if (idlen > 32 && n > 0 && (size_t)n + 4 < len)
        snprintf (buf + n, len - (size_t)n, "...");
}

/* ---- acks --------------------------------------------------------------- */

static void
s_send_ack (coll_server_t *self, const void *rid, size_t rid_len, uint64_t seq,
            vg_ack_status_t status, const char *reason)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (vg_codec_encode_ack (seq, status, reason, &buf, &len) != VG_OK) {
        vg_error ("cannot encode the ack for batch %llu; the agent will send it again",
                  (unsigned long long)seq);
        return;
    }
    /* A ROUTER drops what it cannot deliver (peer gone, or its queue full):
     * the agent then resends, and the ledger answers DUPLICATE. */
    if (zmq_send (self->router, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0 &&
        zmq_send (self->router, VG_WIRE_ACK, strlen (VG_WIRE_ACK), ZMQ_SNDMORE | ZMQ_DONTWAIT) >=
            0 &&
        zmq_send (self->router, buf, len, ZMQ_DONTWAIT) >= 0)
        self->stats.acks_sent++;
    free (buf);
}

static void
s_on_answer (coll_writer_item_t *item, void *arg)
{
    coll_server_t *self = arg;
    if (self->queued > 0)
        self->queued--;
    s_send_ack (self, item->rid, item->rid_len, item->seq, item->status, item->reason);
    coll_writer_item_destroy (&item);
}

/* ---- one message from an agent ------------------------------------------ */

/* Answers REJECTED when the payload names its batch, else drops it. Only a
 * payload well-formed at the top level, with a seq and an agent id, names it:
 * then the REJECTED ack stops the agent from sending it forever. */
static void
s_refuse (coll_server_t *self, zmq_msg_t *rid, const char *peer, const uint8_t *data, size_t len,
          int reason, coll_refused_t kind, const char *why)
{
    uint64_t seq;
    char agent[VG_WIRE_MAX_AGENT_ID + 8];
    if (vg_codec_peek_batch (data, len, &seq, agent, sizeof agent) == 0 && agent[0]) {
        self->stats.batches_rejected++;
        uint64_t nth = coll_peers_refused (self->peers, agent, kind, vg_mono_ms ());
        (void)reason;
        s_complain (self, R_COUNT + (int)kind,
                    "rejected batch %llu of agent \"%s\" from %s (%s, refusal %llu of this agent "
                    "for it): %s; answered REJECTED, so the agent drops it - fix the agent that "
                    "builds such batches",
                    (unsigned long long)seq, agent, peer, coll_peers_reason_name (kind),
                    (unsigned long long)nth, why);
        s_send_ack (self, zmq_msg_data (rid), zmq_msg_size (rid), seq, VG_ACK_REJECTED, why);
        return;
    }
    self->stats.messages_dropped++;
    s_complain (self, reason,
                "dropped a malformed batch of %zu bytes from %s: %s; not answered - check that "
                "the sender is a Vigil agent of a compatible version",
                len, peer, why);
}

static void
s_handle (coll_server_t *self, zmq_msg_t *parts, size_t nparts, size_t total)
{
    char peer[160];
    s_describe_peer (&parts[0], &parts[nparts > 1 ? 1 : 0], peer, sizeof peer);
    if (total != 3) {
        self->stats.messages_dropped++;
        s_complain (self, R_FRAMES,
                    "dropped a message of %zu frames from %s: expected 3 ([routing id][kind]"
                    "[payload]); check that the sender is a Vigil agent",
                    total, peer);
        return;
    }
    size_t klen = zmq_msg_size (&parts[1]);
    if (klen != strlen (VG_WIRE_BATCH) || memcmp (zmq_msg_data (&parts[1]), VG_WIRE_BATCH, klen)) {
        char kind[64];
        s_printable (zmq_msg_data (&parts[1]), klen, kind, sizeof kind);
        self->stats.messages_dropped++;
        s_complain (self, R_KIND,
                    "dropped a message of unknown kind \"%s\" from %s: expected \"%s\"; check "
                    "that the sender is a Vigil agent of a compatible version",
                    kind, peer, VG_WIRE_BATCH);
        return;
    }
    const uint8_t *data = zmq_msg_data (&parts[2]);
    size_t len = zmq_msg_size (&parts[2]);
    int64_t received_ms = vg_now_ms ();
    char err[512];
    if ((int64_t)len > self->config->max_frame) {
        snprintf (err, sizeof err,
                  "batch of %zu bytes is over the collector's max_frame of %lld bytes", len,
                  (long long)self->config->max_frame);
        s_refuse (self, &parts[0], peer, data, len, R_SIZE, COLL_REFUSED_SIZE, err);
        return;
    }
    vg_batch_t *batch = NULL;
    err[0] = '\0';
    int fd = zmq_msg_get (&parts[2], ZMQ_SRCFD);
    vg_batch_names_t *known = coll_peers_names (self->peers, fd);
    int rc = vg_codec_decode_batch_named (data, len, &self->limits, known, &batch, err, sizeof err);
    if (rc == VG_OK && batch->names) {
        if (batch->names == known)
            self->stats.batches_names_known++;
        else
            coll_peers_keep_names (self->peers, fd, batch->names);
    }
    if (rc != VG_OK) {
        vg_batch_destroy (&batch);
        coll_refused_t kind = rc == VG_ETOOBIG                         ? COLL_REFUSED_LIMIT
                              : strstr (err, "truncated or corrupted") ? COLL_REFUSED_CHECKSUM
                                                                       : COLL_REFUSED_INVALID;
        s_refuse (self, &parts[0], peer, data, len, R_MALFORMED, kind,
                  *err ? err : "cannot decode");
        return;
    }
    if (self->auth) {
        const char *key = zmq_msg_gets (&parts[2], "User-Id");
        rc = coll_auth_check (self->auth, key, batch->hostname, err, sizeof err);
        if (rc == VG_ENOTFOUND) {
            /* Allowed at its handshake, removed from the list since. */
            vg_batch_destroy (&batch);
            self->stats.messages_dropped++;
            coll_guard_cut (self->guard, fd, err);
            return;
        }
        if (rc != VG_OK) {
            vg_batch_destroy (&batch);
            s_refuse (self, &parts[0], peer, data, len, R_INVALID, COLL_REFUSED_HOST, err);
            return;
        }
    }
    coll_writer_item_t *item = coll_writer_item_new (zmq_msg_data (&parts[0]),
                                                     zmq_msg_size (&parts[0]), &batch, received_ms);
    coll_writer_submit (self->writer, &item);
    self->queued++;
    self->stats.batches_accepted++;
}

/* Reads one message; returns 0 when none was waiting. */
static int
s_read_message (coll_server_t *self)
{
    zmq_msg_t parts[3];
    size_t nparts = 0, total = 0;
    int more = 1;
    for (size_t i = 0; i < 3; i++)
        zmq_msg_init (&parts[i]);
    while (more) {
        zmq_msg_t extra;
        zmq_msg_t *m = nparts < 3 ? &parts[nparts] : &extra;
        if (m == &extra)
            zmq_msg_init (&extra);
        if (zmq_msg_recv (m, self->router, ZMQ_DONTWAIT) < 0) {
            if (m == &extra)
                zmq_msg_close (&extra);
            break;
        }
        more = zmq_msg_more (m);
        total++;
        /* Frames past the third are read only to be dropped. */
        if (m == &extra)
            zmq_msg_close (&extra);
        else
            nparts++;
    }
    if (total > 0) {
        self->stats.messages++;
        int fd = zmq_msg_get (&parts[nparts - 1], ZMQ_SRCFD);
        size_t bytes = 0;
        for (size_t i = 1; i < nparts; i++)
            bytes += zmq_msg_size (&parts[i]);
        coll_peers_seen (self->peers, fd, vg_mono_ms ());
        coll_peers_delivered (self->peers, fd, bytes);
        s_handle (self, parts, nparts, total);
    }
    for (size_t i = 0; i < 3; i++)
        zmq_msg_close (&parts[i]);
    return total > 0;
}

/* Whether to read from agents now: not while max_queued_batches wait for the
 * database; again once half of them are written. */
static int
s_reading (coll_server_t *self)
{
    size_t max = (size_t)self->config->max_queued_batches;
    size_t bytes = coll_writer_queued_bytes (self->writer);
    size_t max_bytes = (size_t)self->config->max_queued_bytes;
    if (self->paused && self->queued <= max / 2 && bytes <= max_bytes / 2) {
        self->paused = 0;
        vg_debug ("%zu batches waiting for the database: reading from agents again", self->queued);
    } else if (!self->paused && (self->queued >= max || bytes >= max_bytes)) {
        self->paused = 1;
        vg_complain (&self->backpressure, 60000, VG_LOG_WARN,
                     "%zu batches are waiting for the database (%zu bytes; max_queued_batches, "
                     "max_queued_bytes): not reading from agents until it catches up; they keep "
                     "their batches meanwhile",
                     self->queued, bytes);
    }
    return !self->paused;
}

/* ---- life cycle -------------------------------------------------------- */

static void
s_set_batch_limits (coll_server_t *self, const coll_config_t *config)
{
    self->limits = vg_codec_default_limits ();
    self->limits.max_samples = (size_t)config->max_samples_per_batch;
    self->limits.max_label_bytes = (size_t)config->max_batch_label_bytes;
    self->limits.max_event_bytes = (size_t)config->max_batch_event_bytes;
}

static int
s_setopt_int (void *sock, int opt, int value)
{
    return zmq_setsockopt (sock, opt, &value, sizeof value);
}

/* ZeroMQ's limits, each set on purpose (docs/security.md says the same). */
static void
s_set_limits (coll_server_t *self, const coll_config_t *config)
{
    /* Payloads up to max_frame are read and judged here, with a log line and
     * a REJECTED answer. Past a hard cap libzmq itself refuses the frame and
     * drops the connection: no frame bigger than the cap is ever allocated. */
    self->cap = config->max_frame + (config->max_frame > (1 << 20) ? config->max_frame : (1 << 20));
    zmq_setsockopt (self->router, ZMQ_MAXMSGSIZE, &self->cap, sizeof self->cap);
    coll_guard_configure (self->guard, (size_t)config->max_peers, config->peer_idle_timeout_ms,
                          self->cap);
    /* Whole messages queued per connection before libzmq stops reading it:
     * the server reads at once, so a queue only fills while it is paused
     * for the database; then each agent holds at most this many batches
     * here and keeps the rest itself. */
    s_setopt_int (self->router, ZMQ_RCVHWM, COLL_PEERS_QUEUED_MESSAGES);
    /* Acks queued per connection; an agent that does not read them loses
     * them (ROUTER drops), and resends: the ledger answers DUPLICATE. */
    s_setopt_int (self->router, ZMQ_SNDHWM, 1000);
    /* A connection must finish its ZMTP (and CURVE) handshake within 5 s:
     * half-open handshakes cannot pile up. */
    s_setopt_int (self->router, ZMQ_HANDSHAKE_IVL, 5000);
    /* A peer whose host stopped answering is gone within about 30 s (TCP
     * keepalive: 15 s idle, then 3 probes 5 s apart): its connection and what
     * it holds are freed, not kept for hours. Not ZeroMQ heartbeats: libzmq
     * 4.3.4 aborts on the heartbeat of a connection it stopped reading (the
     * queue full while the database is slow) once that peer hangs up
     * (libzmq issue 4364; test_collector.c, s_test_database_down). A peer
     * that is up but silent is closed after peer_idle_timeout. */
    s_setopt_int (self->router, ZMQ_TCP_KEEPALIVE_IDLE, 15);
    s_setopt_int (self->router, ZMQ_TCP_KEEPALIVE_INTVL, 5);
    s_setopt_int (self->router, ZMQ_TCP_KEEPALIVE_CNT, 3);
    /* Give acks already queued 2 s to leave when we stop, no more. */
    s_setopt_int (self->router, ZMQ_LINGER, 2000);
    /* Connections waiting to be accepted: bursts of reconnecting agents,
     * not an unbounded kernel queue. */
    s_setopt_int (self->router, ZMQ_BACKLOG, 1024);
    s_setopt_int (self->router, ZMQ_TCP_KEEPALIVE, 1);
    /* A new connection with the routing id of an existing one takes it
     * over: an agent that reconnects is never refused for its old pipe. */
    s_setopt_int (self->router, ZMQ_ROUTER_HANDOVER, 1);
}

coll_server_t *
coll_server_new (const coll_config_t *config, const coll_commit_observers_t *observers, char *err,
                 size_t errlen)
{
    coll_server_t *self = vg_calloc (1, sizeof *self);
    self->config = self->config_start = config;
    self->sigfd[0] = self->sigfd[1] = -1;
    s_set_batch_limits (self, config);
    self->guard = coll_guard_new ((size_t)config->max_peers, config->peer_idle_timeout_ms, 0);
    self->peers = coll_guard_peers (self->guard);

    /* Threads made from here on (ZeroMQ's and the writer) inherit a mask
     * without the stop signals, so these reach the main thread's loop. */
    sigset_t block, old;
    sigemptyset (&block);
    sigaddset (&block, SIGINT);
    sigaddset (&block, SIGTERM);
    sigaddset (&block, SIGHUP);
    sigaddset (&block, SIGQUIT);
    pthread_sigmask (SIG_BLOCK, &block, &old);

    if (pipe2 (self->sigfd, O_NONBLOCK | O_CLOEXEC) != 0) {
        snprintf (err, errlen, "cannot make a pipe: %s", strerror (errno));
        goto fail;
    }
    int mode = coll_auth_mode (config, err, errlen);
    if (mode < 0)
        goto fail;
    if (mode == COLL_AUTH_CURVE) {
        /* zauth answers ZAP in czmq's context: the ROUTER must live there. */
        self->auth = coll_auth_new (config, err, errlen);
        if (!self->auth)
            goto fail;
        self->ctx = zsys_init ();
    } else {
        self->ctx = zmq_ctx_new ();
        self->own_ctx = 1;
    }
    self->router = self->ctx ? zmq_socket (self->ctx, ZMQ_ROUTER) : NULL;
    if (!self->router) {
        snprintf (err, errlen, "cannot make a ZeroMQ socket: %s", zmq_strerror (errno));
        goto fail;
    }
    s_set_limits (self, config);
    if (self->auth && coll_auth_apply (self->auth, self->router, err, errlen) != VG_OK)
        goto fail;
    char inproc[64];
    snprintf (inproc, sizeof inproc, "inproc://vigil-collector-monitor-%p", (void *)self);
    if (zmq_socket_monitor (self->router, inproc,
                            ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED) != 0 ||
        !(self->monitor = zmq_socket (self->ctx, ZMQ_PAIR)) ||
        s_setopt_int (self->monitor, ZMQ_LINGER, 0) != 0 ||
        zmq_connect (self->monitor, inproc) != 0) {
        snprintf (err, errlen, "cannot monitor the ZeroMQ socket: %s", zmq_strerror (errno));
        goto fail;
    }
    if (zmq_bind (self->router, config->listen) != 0) {
        snprintf (err, errlen,
                  "cannot listen on %s: %s; check listen in the configuration and that no other "
                  "collector uses it",
                  config->listen, zmq_strerror (errno));
        goto fail;
    }
    size_t elen = sizeof self->endpoint;
    if (zmq_getsockopt (self->router, ZMQ_LAST_ENDPOINT, self->endpoint, &elen) != 0)
        snprintf (self->endpoint, sizeof self->endpoint, "%s", config->listen);
    self->writer = coll_writer_new (self->ctx, config, observers);
    if (!self->writer) {
        snprintf (err, errlen, "cannot start the writer thread");
        goto fail;
    }
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    vg_info ("listening on %s for agents (max_frame %lld bytes, max_queued_batches %lld, "
             "max_peers %lld)",
             self->endpoint, (long long)config->max_frame, (long long)config->max_queued_batches,
             (long long)config->max_peers);
    if (!self->auth)
        vg_warn ("transport is plain (%s): anyone who can connect to %s may send batches for "
                 "any host; set curve_secret_key and curve_allow_dir for CURVE (see "
                 "docs/security.md)",
                 strcmp (config->transport, "plain") == 0 ? "transport: plain"
                                                          : "no CURVE keys, loopback only",
                 self->endpoint);
    return self;
fail:
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    coll_server_destroy (&self);
    return NULL;
}

void
coll_server_destroy (coll_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    coll_server_t *self = *self_p;
    coll_writer_destroy (&self->writer);
    if (self->router) {
        if (self->monitor)
            zmq_socket_monitor (self->router, NULL, 0);
        zmq_close (self->router);
    }
    if (self->monitor)
        zmq_close (self->monitor);
    coll_guard_destroy (&self->guard);
    if (self->config != self->config_start) {
        coll_config_t *live = (coll_config_t *)self->config;
        coll_config_destroy (&live);
    }
    if (self->ctx && self->own_ctx)
        zmq_ctx_term (self->ctx);
    coll_auth_destroy (&self->auth);
    for (int i = 0; i < 2; i++)
        if (self->sigfd[i] >= 0)
            close (self->sigfd[i]);
    free (self);
    *self_p = NULL;
}

void
coll_server_interrupt (coll_server_t *self, int signum)
{
    int saved = errno;
    unsigned char c = (unsigned char)signum;
    ssize_t rc = write (self->sigfd[1], &c, 1);
    (void)rc;
    errno = saved;
}

coll_server_stats_t
coll_server_stats (const coll_server_t *self)
{
    coll_server_stats_t s = self->stats;
    s.queued = self->queued;
    s.paused = self->paused;
    return s;
}

/* Reads the signals written to the self-pipe, in order, into sigs (room
 * for max); returns how many. */
static size_t
s_read_signals (coll_server_t *self, unsigned char *sigs, size_t max)
{
    size_t n = 0;
    ssize_t got;
    while (n < max && (got = read (self->sigfd[0], sigs + n, max - n)) > 0)
        n += (size_t)got;
    return n;
}

/* SIGHUP: the configuration file and the allow-list read again. A file
 * that does not load changes nothing. What only a restart applies (listen,
 * the database, the keys, the writer's settings) is said and left. */
static void
s_reload (coll_server_t *self)
{
    if (!self->config->path) {
        vg_info ("SIGHUP: no configuration file (-c) to read again; reading the allow-list");
    } else {
        vg_info ("SIGHUP: reading %s again", self->config->path);
        char err[1024] = "";
        coll_config_t *fresh = coll_config_load (self->config->path, err, sizeof err);
        if (!fresh) {
            vg_error ("reload: %s; keeping the running configuration", err);
            return;
        }
        /* A new log level first, so the lines below follow it. */
        if (fresh->level != self->config->level)
            vg_log_set_level (fresh->level);
        size_t n = coll_reload_log_changes (self->config, fresh);
        s_set_batch_limits (self, fresh);
        self->cap =
            fresh->max_frame + (fresh->max_frame > (1 << 20) ? fresh->max_frame : (1 << 20));
        zmq_setsockopt (self->router, ZMQ_MAXMSGSIZE, &self->cap, sizeof self->cap);
        coll_guard_configure (self->guard, (size_t)fresh->max_peers, fresh->peer_idle_timeout_ms,
                              self->cap);
        if (self->config != self->config_start) {
            coll_config_t *old = (coll_config_t *)self->config;
            coll_config_destroy (&old);
        }
        self->config = fresh;
        vg_info ("reload: %zu options changed", n);
    }
    if (self->auth && coll_auth_refresh (self->auth, 1) >= 0)
        vg_info ("reload: %llu agent keys in the allow-list",
                 (unsigned long long)coll_auth_stats (self->auth).keys);
}

int
coll_server_run (coll_server_t *self)
{
    int stopping = 0, done = 0;
    while (!done) {
        int reading = !stopping && s_reading (self);
        zmq_pollitem_t items[5] = {
            {coll_writer_socket (self->writer), 0, ZMQ_POLLIN, 0},
            {NULL, self->sigfd[0], ZMQ_POLLIN, 0},
            {self->monitor, 0, ZMQ_POLLIN, 0},
            {self->auth ? coll_auth_log_socket (self->auth) : NULL, self->auth ? 0 : -1, ZMQ_POLLIN,
             0},
            {self->router, 0, ZMQ_POLLIN, 0},
        };
        if (zmq_poll (items, reading ? 5 : 4, COLL_GUARD_TICK_MS) < 0) {
            if (errno == EINTR)
                continue;
            vg_error ("polling failed: %s; stopping", zmq_strerror (errno));
            return VG_EIO;
        }
        if (items[1].revents & ZMQ_POLLIN) {
            unsigned char sigs[64];
            size_t nsigs = s_read_signals (self, sigs, sizeof sigs);
            for (size_t k = 0; k < nsigs; k++) {
                int sig = sigs[k];
                if (sig == SIGHUP) {
                    s_reload (self);
                } else if (stopping) {
                    vg_warn ("%s again: exiting now without waiting for the database; "
                             "unanswered batches will be sent again by their agents",
                             strsignal (sig));
                    return COLL_SERVER_FORCED;
                } else {
                    stopping = 1;
                    vg_info ("%s: stopping; no longer reading from agents, finishing the %zu "
                             "batches already received",
                             strsignal (sig), self->queued);
                    coll_writer_stop (self->writer);
                }
            }
        }
        if (items[0].revents & ZMQ_POLLIN) {
            int rc;
            while ((rc = coll_writer_recv (self->writer, s_on_answer, self, &self->wstats)) == 0)
                ;
            if (rc == 1)
                done = 1;
        }
        if (items[2].revents & ZMQ_POLLIN)
            coll_guard_on_monitor (self->guard, self->monitor);
        if (self->auth && (items[3].revents & ZMQ_POLLIN))
            coll_auth_on_log (self->auth);
        if (reading && (items[4].revents & ZMQ_POLLIN))
            for (int i = 0; i < READ_BURST && s_reading (self); i++)
                if (!s_read_message (self))
                    break;
        int64_t now = vg_mono_ms ();
        if (now >= self->next_guard_ms) {
            self->next_guard_ms = now + COLL_GUARD_TICK_MS;
            coll_guard_tick (self->guard, now, self->paused);
            if (self->auth)
                coll_auth_refresh (self->auth, 0); /* at most once a second */
        }
    }
    coll_peers_stats_t ps = coll_peers_stats (self->peers);
    vg_info ("refused: %llu for size, %llu checksum, %llu limits, %llu invalid values, %llu "
             "host; connections closed: %llu holding too much unfinished input, %llu idle, "
             "%llu over max_peers; %llu unknown CURVE keys",
             (unsigned long long)ps.refused[COLL_REFUSED_SIZE],
             (unsigned long long)ps.refused[COLL_REFUSED_CHECKSUM],
             (unsigned long long)ps.refused[COLL_REFUSED_LIMIT],
             (unsigned long long)ps.refused[COLL_REFUSED_INVALID],
             (unsigned long long)ps.refused[COLL_REFUSED_HOST],
             (unsigned long long)ps.conns_hoarding, (unsigned long long)ps.conns_idle,
             (unsigned long long)ps.conns_refused,
             (unsigned long long)(self->auth ? coll_auth_stats (self->auth).unknown_keys : 0));
    vg_info ("names read once: %llu of %llu batches shared the strings and series of the "
             "batch before on their connection; the names kept took at most %.1f MiB, %llu "
             "not kept over the caps",
             (unsigned long long)self->stats.batches_names_known,
             (unsigned long long)self->stats.batches_accepted, (double)ps.names_peak / 1048576.0,
             (unsigned long long)ps.names_not_kept);
    vg_info ("stopped: %llu batches stored, %llu duplicate, %llu rejected, %llu answered RETRY; "
             "%llu malformed messages dropped; %llu samples stored in %llu transactions, %llu "
             "dropped for timestamps out of range",
             (unsigned long long)self->wstats.batches_stored,
             (unsigned long long)self->wstats.batches_duplicate,
             (unsigned long long)(self->stats.batches_rejected + self->wstats.batches_rejected),
             (unsigned long long)self->wstats.batches_retry,
             (unsigned long long)self->stats.messages_dropped,
             (unsigned long long)self->wstats.samples_stored,
             (unsigned long long)self->wstats.transactions,
             (unsigned long long)self->wstats.samples_dropped);
    return VG_OK;
}

const char *
coll_server_endpoint (const coll_server_t *self)
{
    return self->endpoint;
}
