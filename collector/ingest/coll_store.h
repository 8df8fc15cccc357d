/*  coll_store.h - writes batches to PostgreSQL: binary COPY, exactly once.
 *
 *  A group of batches (from any agents) is written in one transaction together
 *  with their (host, seq) keys in vigil.batches; a batch whose key is already
 *  there is a duplicate, acknowledged but not stored again. The caller sends
 *  acks only after coll_store_write returns 0, that is, after the commit.
 *  Not thread-safe: one store per thread.
 */
#ifndef COLL_STORE_H
#define COLL_STORE_H

#include "coll_limits.h"
#include "vg_batch.h"
#include "vg_codec.h"

#include <stddef.h>
#include <stdint.h>

typedef struct coll_store_t coll_store_t;

typedef struct {
    vg_batch_t *batch;      /* not owned */
    int64_t received_ms;    /* collector clock at arrival */
    vg_ack_status_t status; /* out: VG_ACK_STORED, VG_ACK_DUPLICATE, or VG_ACK_REJECTED
                               when its agent may not register the series it brings */
    const char *reason;     /* out: why REJECTED; valid until the next coll_store_write */

    /* out, for a stored item, valid until the next coll_store_write: what the
     * stages after ingest are told (coll_commit.h) */
    int64_t host_id;
    const char *hostname;
    const int64_t *series_ids; /* batch->nseries */
    int64_t min_ts_ms;         /* the window of timestamps stored */
    int64_t max_ts_ms;
} coll_store_item_t;

typedef struct {
    uint64_t batches_stored;
    uint64_t batches_duplicate;
    uint64_t samples_stored;  /* samples + distributions */
    uint64_t samples_dropped; /* timestamps out of the accepted range */
    uint64_t transactions;
    uint64_t failures;
    uint64_t incarnation_changes; /* agents seen starting a new incarnation */
    uint64_t statements;          /* statements sent (each piece of a large one counts) */
} coll_store_stats_t;

/* The URL is copied; nothing connects yet. */
coll_store_t *coll_store_new (const char *dburl);
void coll_store_destroy (coll_store_t **self_p);

/* No statement carries more than bytes (COLL_REGISTRY_STATEMENT_BYTES unless
 * set): larger work (series, hosts, keys, COPY data) goes in pieces. */
void coll_store_set_statement_bytes (coll_store_t *self, size_t bytes);

/* The parts each new UTC day's samples are made in (1 unless set, at most
 * COLL_STORE_MAX_PARTS): the hosts whose host_id % parts is K go to part K.
 * Set to the number of writers, each writing the hosts of one part, so that
 * no two COPY streams share a table (vigil.ensure_partitions). */
#define COLL_STORE_MAX_PARTS 64
void coll_store_set_sample_parts (coll_store_t *self, int parts);

/* Applies per-agent cardinality limits (not owned; NULL: none): a batch
 * that passes them is answered REJECTED, and the rest of its group stored. */
void coll_store_set_limits (coll_store_t *self, coll_limits_t *limits);

/* 1 if the last failure broke a connection that was established, with no
 * SQLSTATE to say why (the server closed it, or the network failed). */
int coll_store_connection_lost (const coll_store_t *self);

/* Connects (if not connected) and applies migrations. Returns 0, VG_ERETRY
 * when the database is unreachable, or VG_EDB; err says why. */
int coll_store_connect (coll_store_t *self, char *err, size_t errlen);

/* Writes the group in one transaction, setting every item's status. Returns 0
 * after the commit; otherwise nothing of the group was stored, and err says
 * why: VG_ERETRY when the database is unreachable or the transaction failed
 * transiently (write the same group again later); VG_EINVAL when something
 * the group carries is refused (a data error, a constraint, a program limit:
 * narrow it down to the batch that fails); VG_EDB when the database refuses
 * for a reason no batch causes (rights, a missing object). */
int coll_store_write (coll_store_t *self, coll_store_item_t *items, size_t n, char *err,
                      size_t errlen);

/* Moves the batch ledger's window of day partitions to [today - keep_days,
 * today + ahead_days] (today: now_ms's UTC day), dropping the partitions that
 * fall out of it (vigil.ledger_maintain); *dropped receives how many. Returns
 * 0, or the code of the failure with err. */
int coll_store_maintain_ledger (coll_store_t *self, int64_t now_ms, int keep_days, int ahead_days,
                                int *dropped, char *err, size_t errlen);

/* Writes the newest value of each series seen since the last call into
 * vigil.series (last_ts, last_value) and hosts.last_seen; the ingest path
 * keeps them in memory so it need not update a row per sample. */
int coll_store_flush_latest (coll_store_t *self, char *err, size_t errlen);
/* The same, one piece of at most max_rows series (0: 20,000) at a time, the
 * oldest first; *more is set while more waits. */
int coll_store_flush_latest_piece (coll_store_t *self, size_t max_rows, int *more, char *err,
                                   size_t errlen);

coll_store_stats_t coll_store_stats (const coll_store_t *self);

#endif
