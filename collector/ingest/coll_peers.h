/*  coll_peers.h - what the collector remembers about the agents and the
 *  connections that send to it, bounded whatever they send.
 *
 *  Agents: refusals counted by agent id and reason, so a log line says how
 *  often this agent was refused for this. Connections: one entry per TCP
 *  connection (by file descriptor, from the socket monitor), with the time of
 *  its last message, so idle connections are closed and their count capped.
 *  Both tables are capped: past the cap, the entries idle longest are
 *  evicted, counted and logged. Time is passed in. Not thread-safe: it
 *  belongs to the server's thread.
 */
#ifndef COLL_PEERS_H
#define COLL_PEERS_H

#include "vg_batch.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    COLL_REFUSED_SIZE,     /* over max_frame */
    COLL_REFUSED_CHECKSUM, /* truncated or corrupted */
    COLL_REFUSED_LIMIT,    /* a per-batch limit: rows, strings, label or event bytes */
    COLL_REFUSED_INVALID,  /* values the schema cannot hold, bad indexes, ... */
    COLL_REFUSED_HOST,     /* a host its key may not write for */
    COLL_REFUSED_COUNT
} coll_refused_t;

/* "size", "checksum", ...: for log lines and metrics. */
const char *coll_peers_reason_name (coll_refused_t reason);

typedef struct {
    uint64_t agents;         /* agent entries now */
    uint64_t agents_evicted; /* dropped to stay under the cap */
    uint64_t connections;    /* connections open now */
    uint64_t conns_refused;  /* closed at once: max_peers were open */
    uint64_t conns_idle;     /* closed after idle_ms without a message */
    uint64_t conns_hoarding; /* closed for holding too much unfinished input */
    uint64_t held_peak;      /* most bytes all connections held at one check */
    uint64_t held_now;       /* at the last check */
    uint64_t names_bytes;    /* the connections' names kept, about */
    uint64_t names_peak;     /* the most names_bytes has been */
    uint64_t names_not_kept; /* names over the caps below, not kept */
    uint64_t refused[COLL_REFUSED_COUNT];
} coll_peers_stats_t;

typedef struct coll_peers_t coll_peers_t;

/* max_agents, max_conns: the caps (at least 1); idle_ms: a connection
 * without a message for so long is closed (0: never). */
coll_peers_t *coll_peers_new (size_t max_agents, size_t max_conns, int64_t idle_ms);
void coll_peers_destroy (coll_peers_t **self_p);
/* New caps and idle time (on reload); entries over a lower cap go at once. */
void coll_peers_configure (coll_peers_t *self, size_t max_agents, size_t max_conns, int64_t idle_ms,
                           int64_t now_ms);

/* Counts a refusal of agent_id's batch; returns how many this agent has had
 * for this reason (1 the first time). */
uint64_t coll_peers_refused (coll_peers_t *self, const char *agent_id, coll_refused_t reason,
                             int64_t now_ms);
/* Refusals of agent_id for reason so far (0 if unknown or evicted). */
uint64_t coll_peers_refusals (const coll_peers_t *self, const char *agent_id,
                              coll_refused_t reason);

/* A connection was accepted on fd from addr ("127.0.0.1:40312"). Returns 0,
 * or -1 when max_conns are open: the caller closes it. */
int coll_peers_accepted (coll_peers_t *self, int fd, const char *addr, int64_t now_ms);
/* The connection on fd is gone. */
void coll_peers_closed (coll_peers_t *self, int fd);
/* A message came on fd. */
void coll_peers_seen (coll_peers_t *self, int fd, int64_t now_ms);
/* Fills fds (room for max) with connections idle past idle_ms, forgets them
 * and returns how many: the caller closes them. */
size_t coll_peers_take_idle (coll_peers_t *self, int64_t now_ms, int *fds, size_t max);
/* Payload bytes of a message read from fd (ZMQ_SRCFD). */
void coll_peers_delivered (coll_peers_t *self, int fd, size_t bytes);
/* Whole messages libzmq queues per connection before it stops reading it
 * (the ROUTER's ZMQ_RCVHWM). */
#define COLL_PEERS_QUEUED_MESSAGES 4

/* What each open connection holds inside libzmq: the bytes TCP received
 * (TCP_INFO) less those still in the kernel (FIONREAD) and those delivered
 * as messages, less framing (per_frame_slack bytes per message). libzmq
 * keeps every frame of a multipart message until its last one arrives, and
 * its high-water mark counts only whole messages, so this is the one bound
 * on a peer that never ends its message. Fills fds (room for max) with the
 * connections holding more than per_conn bytes, then, while all of them
 * together hold more than total, with those holding most; forgets them and
 * returns how many: the caller closes them. While paused (the collector does
 * not read: the database is behind), libzmq queues up to
 * COLL_PEERS_QUEUED_MESSAGES whole messages for every connection, and ten
 * thousand healthy agents waiting so are not hoarding: against total then
 * counts only what a connection holds beyond that many messages of its own
 * average size. Each call measures again the
 * hot connections (those holding more than 256 KiB at their last check) and
 * budget of the others, in turn; the rest keep their last figure. */
size_t coll_peers_take_hoarders (coll_peers_t *self, size_t per_conn, size_t total, size_t budget,
                                 int paused, int *fds, size_t max);
/* The connection that held most unfinished input at the last measure, if
 * more than min_held: forgets it and returns its fd (the caller closes it);
 * -1 if none. */
int coll_peers_take_largest (coll_peers_t *self, uint64_t min_held);
/* The strings and series of each connection's last batch are kept, so that
 * the next batch naming the same ones in the same bytes is not read again
 * (vg_codec_decode_batch_named): at most COLL_PEERS_NAMES_PER_CONN bytes for
 * one connection and COLL_PEERS_NAMES_TOTAL for all; past them, the names
 * are read in every batch, as without keeping. They go with the connection. */
#define COLL_PEERS_NAMES_PER_CONN ((uint64_t)1 << 20)
#define COLL_PEERS_NAMES_TOTAL    ((uint64_t)64 << 20)
/* The names kept for the connection on fd, or NULL. */
vg_batch_names_t *coll_peers_names (const coll_peers_t *self, int fd);
/* Keeps names (a reference taken) for the connection on fd in place of the
 * ones before, if they fit the caps. */
void coll_peers_keep_names (coll_peers_t *self, int fd, vg_batch_names_t *names);

/* The address noted when the connection on fd was accepted (kept after it
 * closed, until another takes the number), or NULL. */
const char *coll_peers_addr (const coll_peers_t *self, int fd);

coll_peers_stats_t coll_peers_stats (const coll_peers_t *self);

#endif
