/*  agent_sender.h - delivers the queued batches (agent_queue.h) to a
 *  collector until each is acknowledged, failing over along a list of
 *  collectors.
 *
 *  A ZeroMQ DEALER connected to one collector's ROUTER sends
 *  [VG_WIRE_BATCH][payload] and receives [VG_WIRE_ACK][Ack]:
 *      STORED, DUPLICATE  done: out of the queue (and the spool);
 *      REJECTED           kept aside (agent_aside.h) and out of the queue, the
 *                         reason logged at warn: resending would not help;
 *      RETRY              sent again after a back-off.
 *
 *  Flow: batches go out oldest first, at most `window` of them awaiting an
 *  answer at a time, so a collector that comes back after an outage gets the
 *  backlog at the pace it acknowledges it rather than all at once. One not
 *  answered within ack_timeout is sent again, and each further time waits
 *  twice as long (up to max_backoff), with a random quarter added or taken
 *  off, so many agents do not resend in step. When the connection comes
 *  (back) up, what awaited an answer is sent again at once: the collector
 *  stores each batch once, so resending is always safe.
 *
 *  Failover: with several endpoints, an agent starts at the one its id
 *  hashes to, so agents spread evenly. When batches wait and no answer has
 *  come for failover_timeout (the collector is down, unreachable, or hangs),
 *  the sender moves to the next endpoint, in list order, wrapping around.
 *  Away from its own, it goes back to it after failback_after; if it still
 *  does not answer, failover moves on again.
 *
 *  The sender does no I/O of its own: the agent's loop polls its two sockets
 *  and calls in.
 */
#ifndef AGENT_SENDER_H
#define AGENT_SENDER_H

#include "agent_queue.h"

#include <stddef.h>
#include <stdint.h>

/* Called with the DEALER before every connect (at start and on each
 * failover), to set socket options such as CURVE keys for that endpoint.
 * Returns 0, or a negative VG_E* code with the reason: the endpoint is then
 * skipped as if it did not answer. */
typedef int (agent_sender_socket_fn) (void *arg, void *socket, const char *endpoint, char *err,
                                      size_t errlen);

typedef struct {
    int64_t ack_timeout_ms; /* first resend after this without an answer */
    int64_t max_backoff_ms; /* resends wait at most this long (<= 0: 5 min) */
    size_t window;          /* batches awaiting an answer at once (0: 64) */
    int64_t failover_ms;    /* no answer this long with batches waiting: next endpoint */
    int64_t failback_ms;    /* away from the first endpoint this long: try it again */
    agent_sender_socket_fn *socket_hook; /* may be NULL */
    void *socket_hook_arg;
} agent_sender_opts_t;

typedef struct {
    uint64_t sent;               /* first transmissions */
    uint64_t resent;             /* transmissions after the first */
    uint64_t acked;              /* STORED or DUPLICATE */
    uint64_t rejected;           /* REJECTED */
    uint64_t retried;            /* RETRY answers */
    uint64_t failovers;          /* moves to another endpoint */
    int64_t last_ack_latency_ms; /* last transmission to its ack; -1 before the first */
    int64_t last_send_delay_ms;  /* sealed to first transmission; -1 before the first */
    size_t in_flight;
    size_t endpoint; /* index of the endpoint in use */
    int connected;
} agent_sender_stats_t;

typedef struct agent_sender_t agent_sender_t;

/* Connects a DEALER to one of endpoints (n >= 1; copied), chosen by
 * hashing agent_id. The queue is not owned. On failure returns NULL and
 * fills err. */
agent_sender_t *agent_sender_new (const char *const *endpoints, size_t n, const char *agent_id,
                                  const agent_sender_opts_t *opts, agent_queue_t *queue, char *err,
                                  size_t errlen);
/* Closes the sockets at once (linger 0). The queue keeps what is pending. */
void agent_sender_destroy (agent_sender_t **self_p);

/* New timeouts and window (a reload). */
void agent_sender_configure (agent_sender_t *self, const agent_sender_opts_t *opts);
/* Another list of collectors (a reload): connects to its first choice if the
 * list changed, keeping what is pending. */
int agent_sender_set_endpoints (agent_sender_t *self, const char *const *endpoints, size_t n,
                                char *err, size_t errlen);

/* Queues a sealed batch with the inputs' positions as of it (agent_queue_add:
 * takes *payload_p and nulls it) and sends it now if the window and the
 * connection allow. */
void agent_sender_send (agent_sender_t *self, uint64_t seq, int64_t made_ms, uint8_t **payload_p,
                        size_t len, const agent_spool_ckpt_t *ckpts, size_t nckpts,
                        int64_t now_mono_ms);

/* For zmq_poll: the DEALER (with agent_sender_events) and the monitor socket
 * (ZMQ_POLLIN). */
void *agent_sender_socket (agent_sender_t *self);
void *agent_sender_monitor (agent_sender_t *self);
short agent_sender_events (const agent_sender_t *self);

/* Reads and applies every answer waiting on the DEALER, then sends. */
void agent_sender_on_readable (agent_sender_t *self, int64_t now_mono_ms);
/* Reads connection events; on connect, resends what awaited an answer. */
void agent_sender_on_monitor (agent_sender_t *self, int64_t now_mono_ms);
/* Resends what timed out, fails over when due, sends what waits. */
void agent_sender_tick (agent_sender_t *self, int64_t now_mono_ms);
/* Monotonic time the sender next needs a tick, INT64_MAX if never. */
int64_t agent_sender_next_due (const agent_sender_t *self);

/* Called with the seq of every batch answered STORED, DUPLICATE or REJECTED. */
typedef void (agent_sender_done_fn) (void *arg, uint64_t seq);
void agent_sender_on_done (agent_sender_t *self, agent_sender_done_fn *fn, void *arg);
/* Where REJECTED batches are kept (NULL: nowhere, only logged). */
void agent_sender_set_aside_dir (agent_sender_t *self, const char *dir);

size_t agent_sender_pending (const agent_sender_t *self);
void agent_sender_stats (const agent_sender_t *self, agent_sender_stats_t *out);
const char *agent_sender_endpoint (const agent_sender_t *self);

#endif
