/*  coll_writer.h - the writers: threads that own database connections, write
 *  groups of batches, and answer each batch only after its commit.
 *
 *  The server thread submits items (coll_writer_submit) to one queue that
 *  the writer threads take groups from: whatever is queued for them, up to
 *  group_max_samples, so groups are small when agents are few and grow under
 *  load. Each writer has its own connection (config->writers of them) and its
 *  agents (by a hash of the agent id); one busy with a group for 2 s gives
 *  its agents up to the others, so while one retries or narrows down a
 *  failing group the others go on.
 *  Answers come back to the server thread through an inproc PAIR socket
 *  (poll coll_writer_socket, then coll_writer_recv).
 *
 *  What becomes of a group that fails (see coll_pg.h for the classes):
 *    transient    kept, and written again after reconnecting (the backoff
 *                 starts at 100 ms and is capped at 1 s); no answer meanwhile:
 *                 agents resend, and the batch ledger makes that harmless. A
 *                 connection that breaks twice on the same group, with no
 *                 reason given and the server up, counts as caused by it;
 *    caused by    split in two, each half written on its own, until the
 *    the data     batch that fails alone is found: the others are committed
 *                 and answered STORED; that one, once it failed alone twice,
 *                 is answered REJECTED with the database's reason;
 *    otherwise    answered RETRY with the reason (rights, a missing object:
 *                 no batch causes it), and the writer waits before the next.
 *  A batch with a series larger than max_series_bytes, or with a metric name
 *  longer than COLL_METRIC_NAME_MAX, is answered REJECTED before anything is
 *  sent to the database.
 */
#ifndef COLL_WRITER_H
#define COLL_WRITER_H

#include "coll_commit.h"
#include "coll_config.h"
#include "vg_batch.h"
#include "vg_codec.h"

#include <stddef.h>
#include <stdint.h>

/* The longest metric name stored: vigil.series.metric has a btree index,
 * whose entries hold at most about 2,700 bytes. */
#define COLL_METRIC_NAME_MAX 2048

typedef struct {
    uint8_t rid[256]; /* the agent's ZeroMQ routing id */
    size_t rid_len;
    vg_batch_t *batch; /* owned; the writer frees it once the item is answered */
    int64_t received_ms;
    uint64_t seq;
    vg_ack_status_t status; /* the answer: STORED, DUPLICATE, REJECTED or RETRY */
    char *reason;           /* owned, NULL unless REJECTED or RETRY */
    size_t bytes;           /* what the decoded batch takes in memory, about */
    int data_failures;      /* times it failed alone for what it carries */
    unsigned pref;          /* the writer its agent goes to */
} coll_writer_item_t;

/* Caller owns the item; batch is taken and nulled. */
coll_writer_item_t *coll_writer_item_new (const void *rid, size_t rid_len, vg_batch_t **batch_p,
                                          int64_t received_ms);
void coll_writer_item_destroy (coll_writer_item_t **self_p);

typedef struct {
    uint64_t batches_stored;
    uint64_t batches_duplicate;
    uint64_t batches_retry;    /* answered RETRY after a database error no batch causes */
    uint64_t batches_rejected; /* answered REJECTED: what they carry is refused */
    uint64_t samples_stored;
    uint64_t samples_dropped; /* timestamps outside what the store accepts */
    uint64_t transactions;
    uint64_t splits; /* failing groups split in two to find the batch at fault */
} coll_writer_stats_t;

typedef struct coll_writer_t coll_writer_t;

/* Starts the writer threads; zmq_ctx is the caller's ZeroMQ context. config
 * must outlive the writer. observers (may be NULL) are told of every commit,
 * on the writer's thread, before its answers go back; they are copied. */
coll_writer_t *coll_writer_new (void *zmq_ctx, const coll_config_t *config,
                                const coll_commit_observers_t *observers);
/* Stops the writers if still running, waits for them, and frees what is left. */
void coll_writer_destroy (coll_writer_t **self_p);

/* The server's end of the pipe: poll it for ZMQ_POLLIN, then call
 * coll_writer_recv. */
void *coll_writer_socket (coll_writer_t *self);

/* Queues an item; takes ownership and nulls *item_p. */
void coll_writer_submit (coll_writer_t *self, coll_writer_item_t **item_p);

/* Bytes of the items submitted and not answered yet (item->bytes summed):
 * what the writers hold, for the server's bound (max_queued_bytes). */
size_t coll_writer_queued_bytes (coll_writer_t *self);

/* Asks the writers to finish: each completes the group it is writing (and
 * what is already queued while the database keeps answering), flushes the
 * latest values, and the last one reports done. */
void coll_writer_stop (coll_writer_t *self);

/* Called for each answered item; the callback owns it. */
typedef void (coll_writer_answer_fn) (coll_writer_item_t *item, void *arg);

/* Reads what the writers sent, without blocking. Returns 0 after answering
 * items, 1 when the writers are done (their final figures in *stats),
 * VG_ERETRY when nothing was waiting, or VG_EIO. */
int coll_writer_recv (coll_writer_t *self, coll_writer_answer_fn *answer, void *arg,
                      coll_writer_stats_t *stats);

#endif
