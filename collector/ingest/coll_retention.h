/*  coll_retention.h - partitions ahead of the data, and retention per tier.
 *
 *  Once at start and then every COLL_RETENTION_INTERVAL_MS, on a connection
 *  of its own, the collector makes the partitions of every tier (raw samples
 *  and distributions, per-minute and per-hour rollups) from today to
 *  COLL_RETENTION_DAYS_AHEAD days ahead, then drops each partition whose
 *  whole range ended longer ago than its tier's retention (retention_raw,
 *  retention_minute, retention_hour in collector.yaml; 0 keeps a tier for
 *  good). Whole partitions are dropped, never rows deleted. A drop waits at
 *  most 5 s for its lock (a long report holding the table); one that times
 *  out is tried again at the next pass.
 *
 *  After each pass and every COLL_RETENTION_TIERS_INTERVAL_MS the thread
 *  also measures what each tier holds (vigil.storage_tiers ()), which
 *  /metrics then shows from memory: a scrape costs no query.
 */
#ifndef COLL_RETENTION_H
#define COLL_RETENTION_H

#include "coll_config.h"
#include "vg_buf.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#define COLL_RETENTION_DAYS_AHEAD        2
#define COLL_RETENTION_INTERVAL_MS       3600000LL
#define COLL_RETENTION_RETRY_MS          60000LL
#define COLL_RETENTION_TIERS_INTERVAL_MS 60000LL

typedef struct {
    int days_ahead; /* days whose partitions were made sure of */
    int dropped;    /* partitions dropped */
    int failed;     /* partitions that could not be dropped this time */
} coll_retention_result_t;

/* One pass on conn as of now_ms (ms since the epoch). Returns 0, or VG_ERETRY
 * / VG_EDB with the reason in err when it could not run at all; a partition
 * that could not be dropped is logged and counted in out->failed. */
int coll_retention_run (PGconn *conn, const coll_config_t *config, int64_t now_ms,
                        coll_retention_result_t *out, char *err, size_t errlen);

/* What one tier holds, as vigil.storage_tiers () says. */
typedef struct {
    char tier[8]; /* raw, minute, hour */
    int64_t partitions, bytes, rows_estimate;
    int64_t oldest_s; /* start of its oldest partition; 0 when it has none */
} coll_retention_tier_t;

#define COLL_RETENTION_TIERS 3

/* Measures the tiers on conn into out (COLL_RETENTION_TIERS of them).
 * Returns 0 or the code of coll_pg_exec with err. */
int coll_retention_measure (PGconn *conn, coll_retention_tier_t *out, char *err, size_t errlen);

typedef struct coll_retention_t coll_retention_t;

/* Starts the thread that runs a pass now and every hour; config must outlive
 * it. NULL if the thread cannot start (logged). */
coll_retention_t *coll_retention_new (const coll_config_t *config);
void coll_retention_destroy (coll_retention_t **self_p);

/* An http_metrics_fn (arg: the coll_retention_t): the tiers as last measured,
 * their retention and when they were measured, in Prometheus's text format;
 * nothing before the first measurement. */
void coll_retention_metrics (vg_buf_t *out, void *arg);

#endif
