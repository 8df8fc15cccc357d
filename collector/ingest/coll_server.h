/*  coll_server.h - the collector's receiving side: a ZeroMQ ROUTER socket
 *  that agents' DEALERs connect to.
 *
 *  Every message must be [routing id][VG_WIRE_BATCH][Batch]; each frame is
 *  checked before use (frame count, kind, size, then the validating decoder).
 *  What is malformed is logged with the peer and the reason and dropped; a
 *  batch whose sequence number can be read but that fails validation is
 *  answered REJECTED, counted per agent and reason (coll_peers). Valid
 *  batches go to the writer thread (coll_writer), whose answers become acks
 *  after the commit. When max_queued_batches (or max_queued_bytes) are
 *  waiting for the database, the server stops reading until they drain.
 *  With CURVE (coll_auth) only allowed keys get in, each for its hosts; the
 *  connections are watched and closed by coll_guard. SIGHUP, through
 *  coll_server_interrupt, reads the configuration and allow-list again.
 */
#ifndef COLL_SERVER_H
#define COLL_SERVER_H

#include "coll_commit.h"
#include "coll_config.h"

#include <stdint.h>

typedef struct coll_server_t coll_server_t;

typedef struct {
    uint64_t messages;         /* messages received from agents */
    uint64_t batches_accepted; /* decoded and handed to the writer */
    /* of them, naming the strings and series of the connection's batch
     * before in the same bytes: those were not read again */
    uint64_t batches_names_known;
    uint64_t batches_rejected; /* answered REJECTED */
    uint64_t messages_dropped; /* malformed, unanswerable: dropped */
    uint64_t acks_sent;
    uint64_t queued; /* batches with the writer, not answered yet */
    int paused;      /* 1 while not reading: max_queued_batches are waiting */
} coll_server_stats_t;

/* Binds the ROUTER socket and starts the writer thread. On error returns NULL
 * with the reason in err. config must outlive the server. observers (may be
 * NULL) are told of every batch stored, after its commit (coll_commit.h). */
coll_server_t *coll_server_new (const coll_config_t *config,
                                const coll_commit_observers_t *observers, char *err, size_t errlen);
void coll_server_destroy (coll_server_t **self_p);

/* What coll_server_run returns when interrupted a second time while stopping:
 * the writer may still be blocked on the database, so do not destroy the
 * server then; just exit. */
#define COLL_SERVER_FORCED 1

/* Serves until coll_server_interrupt: then stops reading, lets the writer
 * finish and answer its current group, flushes latest values and logs a
 * summary. Returns 0 after that clean stop, COLL_SERVER_FORCED, or VG_EIO
 * when ZeroMQ fails. */
int coll_server_run (coll_server_t *self);

/* Asks the server to stop; async-signal-safe (call it from a signal handler
 * with the signal number). */
void coll_server_interrupt (coll_server_t *self, int signum);

coll_server_stats_t coll_server_stats (const coll_server_t *self);

/* The endpoint bound, with the port chosen when listen asked for "*". */
const char *coll_server_endpoint (const coll_server_t *self);

#endif
