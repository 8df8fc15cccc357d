/*  rules_queue.h - batches handed from ingest's writers to the rule engine.
 *
 *  The commit observer runs on a writer's thread and must return at once:
 *  it copies each stored batch (strings, series, samples, sketches: a few
 *  memcpy) into this queue and signals the engine, which drains it on its
 *  own thread. The queue is bounded in bytes; a batch that does not fit is
 *  not queued, and the queue remembers it overflowed, so that the engine
 *  reads what it missed back from PostgreSQL (where it was stored) instead
 *  of evaluating on a hole.
 */
#ifndef RULES_QUEUE_H
#define RULES_QUEUE_H

#include "coll_commit.h"
#include "vg_sketch.h"

#include <stddef.h>
#include <stdint.h>

/* One stored batch, copied. Series i is (host_id, series_ids[i]) of kind
 * kinds[i]; when the batch has series the engine has not seen (strings not
 * NULL), it has name strings[names[i]] and label pairs labels[label_at[i] ..
 * label_at[i] + 2 * nlabels[i]) (string indexes: key, value, ...). Only the
 * samples of series the filter kept are copied. */
typedef struct {
    int64_t host_id;
    char *hostname;
    int64_t received_ms;
    uint32_t interval_ms; /* the agent's; 0 when unknown */
    int64_t min_ts_ms, max_ts_ms;
    char **strings;
    uint32_t nstrings;
    uint32_t nseries;
    int64_t *series_ids;
    uint32_t *names;
    uint8_t *kinds;
    uint32_t *label_at;
    uint32_t *nlabels;
    uint32_t *labels;
    size_t nsamples;
    uint32_t *sample_series;
    int64_t *sample_ts;
    double *sample_value;
    size_t ndists;
    uint32_t *dist_series;
    int64_t *dist_ts;
    vg_sketch_t **dist_sketch;
    size_t bytes; /* what the copy holds, for the bound */
} rules_queue_batch_t;

typedef struct rules_queue_t rules_queue_t;

/* Says which series of a batch to copy samples of: keep[i] = 1 for series
 * a rule reads, 0 for those none does; returns 1 if some series is unknown
 * yet (then names and labels are copied too). Called on the writer's
 * thread. */
typedef int (rules_queue_filter_fn) (void *arg, int64_t host_id, const int64_t *series_ids,
                                     uint32_t n, uint8_t *keep);

/* filter may be NULL: everything is copied. */
rules_queue_t *rules_queue_new (size_t max_bytes, rules_queue_filter_fn *filter, void *arg);
void rules_queue_destroy (rules_queue_t **self_p);

/* Copies the batches in (any thread). Returns how many did not fit. */
size_t rules_queue_push (rules_queue_t *self, const coll_committed_t *batches, size_t n);
/* Takes every queued batch (*n of them; caller frees each with
 * rules_queue_batch_free and the array with free()); *overflowed says
 * whether any was lost since the last drain. */
rules_queue_batch_t **rules_queue_drain (rules_queue_t *self, size_t *n, int *overflowed);
/* Waits until a batch is queued, rules_queue_wake is called, or deadline_ms
 * (vg_mono_ms clock) passes. */
void rules_queue_wait (rules_queue_t *self, int64_t deadline_ms);
void rules_queue_wake (rules_queue_t *self);
void rules_queue_batch_free (rules_queue_batch_t **batch_p);

typedef struct {
    uint64_t batches;
    uint64_t dropped; /* batches that did not fit */
    size_t bytes;     /* queued now */
    size_t queued;    /* batches queued now */
} rules_queue_stats_t;

rules_queue_stats_t rules_queue_stats (rules_queue_t *self);

#endif
