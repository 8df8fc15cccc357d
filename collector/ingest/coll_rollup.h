/*  coll_rollup.h - per-minute and per-hour rollups, kept up to date as
 *  batches commit.
 *
 *  The rollup is a commit observer (coll_commit.h): after each commit the
 *  writer hands it the batches stored, and it copies their samples and
 *  distributions into a queue and returns. A thread of its own folds them
 *  into per-minute rows in memory (coll_rollup_acc.h) and, every
 *  rollup_flush_interval, writes the minutes that are over (and every minute
 *  that a late batch touched) in pieces of a few thousand rows on a
 *  connection of its own (coll_rollup_db.h), folding the queue between
 *  pieces. Minutes written go on into per-hour rows, written once their hour
 *  is over and quiet: a row per series per hour, not per minute.
 *  Stored rows are merged with, not replaced, so a batch replayed from an
 *  agent's spool hours later lands in the rows it falls into.
 *
 *  Memory is bounded: the queue holds at most COLL_ROLLUP_MAX_QUEUED bytes,
 *  past which the writer (and so ingest) waits for room; rows in memory past
 *  COLL_ROLLUP_MAX_ROWS_BYTES are written at once, and while the database
 *  cannot take them the queue stops draining. Nothing is dropped for lack of
 *  room. A piece the database refuses outright is logged and dropped (the
 *  raw samples are stored all the same).
 */
#ifndef COLL_ROLLUP_H
#define COLL_ROLLUP_H

#include "coll_commit.h"
#include "coll_config.h"

#include <stdint.h>

#define COLL_ROLLUP_MAX_QUEUED     (64u << 20)
#define COLL_ROLLUP_MAX_ROWS_BYTES (256u << 20)
/* Rows per transaction. */
#define COLL_ROLLUP_PIECE_ROWS 4000
/* A minute is written once it ended this long ago: samples arrive up to an
 * agent's interval after they were taken. */
#define COLL_ROLLUP_GRACE_MS 15000
/* A row still being filled (its series' newest, added to since the round
 * before) is held in memory until it is not, or at most this long. */
#define COLL_ROLLUP_MAX_HOLD_MS 600000

typedef struct coll_rollup_t coll_rollup_t;

typedef struct {
    uint64_t values_in;       /* samples and distributions taken in */
    uint64_t rows_written;    /* per-minute and per-hour rows written (each a delta) */
    uint64_t rows_merged;     /* of those, rows merged into a row stored before */
    uint64_t pieces;          /* transactions committed */
    uint64_t failures;        /* pieces that failed (and were kept, or dropped) */
    uint64_t rows_dropped;    /* rows the database refused for good */
    uint64_t ingest_waits;    /* times the writer waited for room in the queue */
    uint64_t rows_in_memory;  /* per-minute rows not written yet */
    uint64_t bytes_in_memory; /* those rows and the queue */
} coll_rollup_stats_t;

/* Starts the rollup thread; config must outlive it. Returns NULL when
 * config->rollups is off. */
coll_rollup_t *coll_rollup_new (const coll_config_t *config);
/* Writes what is left (trying for up to 10 s while the database is away),
 * stops the thread and frees everything. Call after the writers stopped. */
void coll_rollup_destroy (coll_rollup_t **self_p);

/* Adds the rollup's observer to observers; nothing when self is NULL. */
void coll_rollup_observe (coll_rollup_t *self, coll_commit_observers_t *observers);

/* Waits until everything handed over before the call is written, every
 * minute included; for tests and benchmarks. Returns 0, or VG_ERETRY when
 * timeout_ms passed first (the database is away). */
int coll_rollup_sync (coll_rollup_t *self, int64_t timeout_ms);

coll_rollup_stats_t coll_rollup_stats (coll_rollup_t *self);

#endif
