/*  coll_writer.h - the writer thread: owns the database connection, writes
 *  groups of batches, and answers each batch only after its commit.
 *
 *  The server thread submits items through an inproc PAIR socket (pointers in
 *  frames) and reads the answers from the same socket. The writer connects and
 *  migrates at start, retrying with backoff (1 s .. 30 s) while the database is
 *  unreachable; it takes everything queued, up to group_max_samples, as one
 *  group. On a transient failure it keeps the group and writes it again after
 *  reconnecting (no answers meanwhile: agents resend, and the batch ledger
 *  makes that harmless); on a permanent one it answers the group RETRY.
 */
#ifndef COLL_WRITER_H
#define COLL_WRITER_H

#include "coll_commit.h"
#include "coll_config.h"
#include "vg_batch.h"
#include "vg_codec.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t rid[256]; /* the agent's ZeroMQ routing id */
    size_t rid_len;
    vg_batch_t *batch; /* owned; the writer frees it once the item is answered */
    int64_t received_ms;
    uint64_t seq;
    vg_ack_status_t status; /* the answer: STORED, DUPLICATE or RETRY */
    char *reason;           /* owned, NULL unless RETRY */
} coll_writer_item_t;

/* Caller owns the item; batch is taken and nulled. */
coll_writer_item_t *coll_writer_item_new (const void *rid, size_t rid_len, vg_batch_t **batch_p,
                                          int64_t received_ms);
void coll_writer_item_destroy (coll_writer_item_t **self_p);

typedef struct {
    uint64_t batches_stored;
    uint64_t batches_duplicate;
    uint64_t batches_retry; /* answered RETRY after a permanent database error */
    uint64_t samples_stored;
    uint64_t samples_dropped; /* timestamps outside what the store accepts */
    uint64_t transactions;
} coll_writer_stats_t;

typedef struct coll_writer_t coll_writer_t;

/* Starts the writer thread; zmq_ctx is the caller's ZeroMQ context. config
 * must outlive the writer. observers (may be NULL) are told of every commit,
 * on the writer's thread, before its answers go back; they are copied. */
coll_writer_t *coll_writer_new (void *zmq_ctx, const coll_config_t *config,
                                const coll_commit_observers_t *observers);
/* Stops the writer if still running, waits for it, and frees what is left. */
void coll_writer_destroy (coll_writer_t **self_p);

/* The server's end of the pipe: poll it for ZMQ_POLLIN, then call
 * coll_writer_recv. */
void *coll_writer_socket (coll_writer_t *self);

/* Queues an item; takes ownership and nulls *item_p. */
void coll_writer_submit (coll_writer_t *self, coll_writer_item_t **item_p);

/* Asks the writer to finish: it completes the group it is writing (and what
 * is already queued while the database keeps answering), flushes the latest
 * values and reports done. */
void coll_writer_stop (coll_writer_t *self);

/* Called for each answered item; the callback owns it. */
typedef void (coll_writer_answer_fn) (coll_writer_item_t *item, void *arg);

/* Reads one message from the writer without blocking. Returns 0 after
 * answering a group, 1 when the writer is done (its final figures in *stats),
 * VG_ERETRY when nothing was waiting, or VG_EIO. */
int coll_writer_recv (coll_writer_t *self, coll_writer_answer_fn *answer, void *arg,
                      coll_writer_stats_t *stats);

#endif
