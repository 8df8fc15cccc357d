/*  coll_commit.h - what the ingest stage tells the stages after it (rules,
 *  rollups) about the batches it has committed.
 *
 *  After each commit a writer calls every observer once with the batches of
 *  that group that were stored now (duplicates and refused batches are not
 *  passed), on the writer's own thread: several writers may call at the same
 *  time, so an observer is thread-safe. What is passed is valid only during
 *  the call. An observer copies what it keeps and returns at once, handing
 *  the work to a thread of its own: the writer does not go on until it
 *  returns, so an observer that waits slows ingest.
 *
 *  So a rule never reads data that was not stored, and a rollup never counts
 *  a sample twice: a batch reaches the observers exactly once, after its
 *  commit.
 */
#ifndef COLL_COMMIT_H
#define COLL_COMMIT_H

#include "vg_batch.h"

#include <stddef.h>
#include <stdint.h>

/* One stored batch. Series i of batch is stored as (host_id, series_ids[i]);
 * every sample and distribution of the batch was stored, except those whose
 * timestamps the store refused (outside [min_ts_ms, max_ts_ms]). */
typedef struct {
    int64_t host_id;
    const char *hostname;      /* the agent's hostname: every series' "host" label */
    const vg_batch_t *batch;   /* decoded */
    const int64_t *series_ids; /* batch->nseries ids */
    int64_t received_ms;       /* collector clock when it arrived */
    int64_t committed_ms;      /* collector clock at the commit */
    int64_t min_ts_ms;         /* the timestamps the store accepts */
    int64_t max_ts_ms;
} coll_committed_t;

/* Called after a commit with the n batches it stored (n >= 1). */
typedef void (coll_commit_fn) (const coll_committed_t *batches, size_t n, void *arg);

typedef struct {
    coll_commit_fn *fn;
    void *arg;
} coll_commit_observer_t;

/* At most this many observers (rules, rollups, and room for one more). */
#define COLL_COMMIT_MAX_OBSERVERS 4

/* The observers a collector runs with; set before the writers start, never
 * changed while they run. */
typedef struct {
    coll_commit_observer_t items[COLL_COMMIT_MAX_OBSERVERS];
    size_t n;
} coll_commit_observers_t;

#endif
