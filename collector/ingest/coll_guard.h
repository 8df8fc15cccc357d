/*  coll_guard.h - the watch over the ROUTER's connections: each one noted
 *  from the socket monitor, measured for the input libzmq holds for it
 *  unfinished, and closed when it holds too much, is idle too long, or comes
 *  when max_peers are open (coll_peers keeps the figures).
 *
 *  libzmq keeps every frame of a multipart message until its last frame, and
 *  its high-water marks count whole messages only: no socket option bounds
 *  what a peer that never finishes its message makes it hold. The guard does,
 *  in bytes, per connection and for all of them (docs/security.md).
 */
#ifndef COLL_GUARD_H
#define COLL_GUARD_H

#include "coll_peers.h"

#include <stddef.h>
#include <stdint.h>

/* How often coll_guard_tick wants to run: the hot connections are measured
 * then, all of them every 100 ms. */
#define COLL_GUARD_TICK_MS 10
/* All connections together may hold this much unfinished input. */
#define COLL_GUARD_TOTAL_HELD (64 * 1024 * 1024)
/* The limits above count bytes on the wire; libzmq keeps each frame in a
 * 64-byte slot, so a message of empty frames costs up to 32 times its bytes.
 * When the collector's RSS passes this, the connection holding most
 * unfinished input is closed, one a tick, until it is back under. */
#define COLL_GUARD_RSS_VALVE (384ULL * 1024 * 1024)

typedef struct coll_guard_t coll_guard_t;

/* frame_cap: ZMQ_MAXMSGSIZE; one connection may hold that and 64 KiB. */
coll_guard_t *coll_guard_new (size_t max_conns, int64_t idle_ms, int64_t frame_cap);
void coll_guard_destroy (coll_guard_t **self_p);
/* New limits (on reload). */
void coll_guard_configure (coll_guard_t *self, size_t max_conns, int64_t idle_ms,
                           int64_t frame_cap);

/* The figures per agent and connection; owned by the guard. */
coll_peers_t *coll_guard_peers (coll_guard_t *self);

/* Reads the events waiting on monitor (a PAIR connected to the ROUTER's
 * monitor, with ZMQ_EVENT_ACCEPTED, DISCONNECTED and CLOSED). */
void coll_guard_on_monitor (coll_guard_t *self, void *monitor);

/* Measures, and closes what must be closed. Call every COLL_GUARD_TICK_MS;
 * paused: the collector is not reading from agents (the database is behind),
 * so libzmq queues whole messages for every connection; they are allowed for
 * until 10 s after the last pause, while the collector drains them. */
void coll_guard_tick (coll_guard_t *self, int64_t now_ms, int paused);

/* How many connections one tick measures among connections open (besides
 * the hot ones, measured at every tick): a tenth, so each is measured every
 * 100 ms, but at least 64 and at most 256. */
size_t coll_guard_budget (size_t connections);

/* Closes the connection on fd, saying why (rate-limited): only while fd is
 * still the connection noted, never another that took its number. */
void coll_guard_cut (coll_guard_t *self, int fd, const char *why);

#endif
