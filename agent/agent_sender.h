/*  agent_sender.h - delivers encoded batches to the collector until each is
 *  acknowledged.
 *
 *  A ZeroMQ DEALER connected to the collector's ROUTER sends
 *  [VG_WIRE_BATCH][payload] and receives [VG_WIRE_ACK][Ack]. Every batch is
 *  kept, by sequence number, until an Ack for it arrives:
 *      STORED, DUPLICATE  done, forgotten;
 *      REJECTED           dropped, the reason logged at warn;
 *      RETRY              sent again after ack_timeout.
 *  A batch not acknowledged within ack_timeout is sent again, and when the
 *  connection comes (back) up every pending batch is sent at once: the
 *  collector stores each (agent, seq) once, so resending is always safe.
 *  At most max_pending batches are kept; past it the oldest is dropped and
 *  counted. The sender does no I/O of its own: the agent's loop polls its two
 *  sockets and calls in.
 */
#ifndef AGENT_SENDER_H
#define AGENT_SENDER_H

#include <stddef.h>
#include <stdint.h>

typedef struct agent_sender_t agent_sender_t;

typedef struct {
    uint64_t sent;               /* batches handed to the socket the first time */
    uint64_t resent;             /* transmissions after the first */
    uint64_t acked;              /* STORED or DUPLICATE */
    uint64_t rejected;           /* REJECTED */
    uint64_t retried;            /* RETRY answers */
    uint64_t dropped;            /* oldest dropped past max_pending */
    size_t pending;              /* batches waiting for an ack */
    int64_t last_ack_latency_ms; /* last send to its ack; -1 before the first ack */
    int connected;
} agent_sender_stats_t;

/* Connects a DEALER to endpoint. On failure returns NULL and fills err. */
agent_sender_t *agent_sender_new (const char *endpoint, int64_t ack_timeout_ms, size_t max_pending,
                                  char *err, size_t errlen);
/* Closes the sockets at once (linger 0); pending batches are lost. */
void agent_sender_destroy (agent_sender_t **self_p);

/* Changes the limits (on reload). A lower max_pending drops the oldest. */
void agent_sender_configure (agent_sender_t *self, int64_t ack_timeout_ms, size_t max_pending);
/* Moves to another collector, keeping what is pending. */
int agent_sender_set_endpoint (agent_sender_t *self, const char *endpoint, char *err,
                               size_t errlen);

/* Takes ownership of *payload_p (malloc'd, as vg_codec_encode_batch gives
 * it) and nulls it; keeps it until acknowledged and sends it now if the
 * connection takes it. seq must not be pending already. */
void agent_sender_send (agent_sender_t *self, uint64_t seq, uint8_t **payload_p, size_t len,
                        int64_t now_mono_ms);

/* For zmq_poll: the DEALER (with agent_sender_events) and the monitor socket
 * (ZMQ_POLLIN). */
void *agent_sender_socket (agent_sender_t *self);
void *agent_sender_monitor (agent_sender_t *self);
/* ZMQ_POLLIN, plus ZMQ_POLLOUT while batches wait for room on the socket. */
short agent_sender_events (const agent_sender_t *self);

/* Reads and applies every ack waiting on the DEALER, then sends what waits. */
void agent_sender_on_readable (agent_sender_t *self, int64_t now_mono_ms);
/* Reads connection events; on connect, sends every pending batch. */
void agent_sender_on_monitor (agent_sender_t *self, int64_t now_mono_ms);
/* Sends again what timed out, and what waits for room. Call when due. */
void agent_sender_tick (agent_sender_t *self, int64_t now_mono_ms);
/* Monotonic time of the next resend, or INT64_MAX if none is due. */
int64_t agent_sender_next_due (const agent_sender_t *self);

size_t agent_sender_pending (const agent_sender_t *self);
uint64_t agent_sender_dropped (const agent_sender_t *self);
void agent_sender_stats (const agent_sender_t *self, agent_sender_stats_t *out);
const char *agent_sender_endpoint (const agent_sender_t *self);

#endif
