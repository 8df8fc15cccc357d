/*  coll_registry.h - the collector's host and series registries.
 *
 *  In memory, agent_id -> host_id and (host, kind, metric, labels) ->
 *  series_id, learnt from PostgreSQL in bulk before the data transaction:
 *  hosts new to the cache in one upsert, series new to it in a few statements
 *  from arrays, each committed on its own. Those rows are right whatever
 *  happens to the data transaction, so the ids are cached at once. The newest
 *  value of each series and the newest contact of each host are kept here too
 *  and written by coll_registry_flush, so ingest never updates a row per
 *  sample. Not thread-safe: it belongs to one store.
 */
#ifndef COLL_REGISTRY_H
#define COLL_REGISTRY_H

#include "coll_limits.h"
#include "vg_batch.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

typedef struct coll_registry_t coll_registry_t;
typedef struct coll_registry_host_t coll_registry_host_t;

/* One item of a group of batches as the registry sees it. The caller fills
 * the inputs; the calls below fill the outputs. */
typedef struct {
    const vg_batch_t *batch; /* in; not owned */
    int64_t received_ms;     /* in: collector clock at arrival */
    int skip;                /* in: repeats an earlier item of the group, left alone */

    /* out of coll_registry_hosts */
    coll_registry_host_t *host;
    int64_t host_id;
    const char *hostname; /* owned by the registry; valid until its next call */

    /* out of coll_registry_series: the ids of the batch's series are
     * coll_registry_ids () [first .. first + batch->nseries) */
    size_t first;
    /* out of coll_registry_series: why the agent may not register the new
     * series the batch brings (coll_limits.h), or NULL; valid until the next
     * call. Such a batch must not be stored. */
    const char *refused;

    /* in, for coll_registry_note */
    int stored;    /* its key went into vigil.batches: not a duplicate */
    int64_t lo_ms; /* the window of timestamps that were stored */
    int64_t hi_ms;
} coll_registry_item_t;

/* No statement the registry sends carries more than this many bytes of
 * parameters unless set otherwise: well under PostgreSQL's 1 GiB limit on a
 * message. */
#define COLL_REGISTRY_STATEMENT_BYTES (16u * 1024 * 1024)

coll_registry_t *coll_registry_new (void);
/* Sets the bound on a statement's bytes; larger work goes in pieces. */
void coll_registry_set_statement_bytes (coll_registry_t *self, size_t bytes);
/* Applies limits (not owned; NULL: none) to the series agents register. */
void coll_registry_set_limits (coll_registry_t *self, coll_limits_t *limits);
/* How many statements the registry has sent (every piece counts). */
uint64_t coll_registry_statements (const coll_registry_t *self);
void coll_registry_destroy (coll_registry_t **self_p);

/* Gives every item that is not skipped its host, registering the agents the
 * cache does not know (or whose hostname changed) in one upsert, committed by
 * itself. Returns 0, or the code of coll_pg_fail (VG_ERETRY / VG_EDB) with err
 * saying why. */
int coll_registry_hosts (coll_registry_t *self, PGconn *conn, coll_registry_item_t *items, size_t n,
                         char *err, size_t errlen);

/* After coll_registry_hosts on the same items: looks up every series of
 * every item that is not skipped, registering those the database does not
 * have (committed by themselves, in pieces), and sets each item's first.
 * Returns 0, or VG_ERETRY / VG_EINVAL / VG_EDB with err (VG_EINVAL also when
 * one series is too big for a statement); what was learnt before a failure
 * stays. */
int coll_registry_series (coll_registry_t *self, PGconn *conn, coll_registry_item_t *items,
                          size_t n, char *err, size_t errlen);

/* The series ids of the last successful coll_registry_series, valid until
 * the next call. */
const int64_t *coll_registry_ids (const coll_registry_t *self);

/* After the commit of the items (from the same coll_registry_series): notes
 * each host's contact, seq and clock skew, and the newest value of each
 * series the stored items carry, for coll_registry_flush. */
void coll_registry_note (coll_registry_t *self, const coll_registry_item_t *items, size_t n);

/* 1 if anything noted waits for coll_registry_flush. */
int coll_registry_dirty (const coll_registry_t *self);

/* Writes a piece of what was noted - at most max_rows series (0: up to
 * 20,000), the oldest first, with every host noted - into vigil.series
 * (last_ts, last_value) and vigil.hosts (last_seen, last_seq,
 * clock_skew_ms), only ever forward, in one statement. A round of pieces
 * writes what was noted when it began; *more is set while the round goes
 * on. What is noted meanwhile waits for the next round, so that a round
 * ends under any load. On failure the piece stays noted for the next call.
 * Returns 0, or VG_ERETRY / VG_EINVAL / VG_EDB with err. */
int coll_registry_flush (coll_registry_t *self, PGconn *conn, size_t max_rows, int *more, char *err,
                         size_t errlen);

/* How many times an agent was seen to start a new incarnation (its state
 * directory lost or made anew), since the registry was made. */
uint64_t coll_registry_incarnation_changes (const coll_registry_t *self);

/* 1 if a batch's sent_ms can be a real clock reading (after 1970, before
 * 2100): only then is it recorded, and a host's clock skew taken from it. */
int coll_registry_sent_plausible (int64_t sent_ms);

#endif
