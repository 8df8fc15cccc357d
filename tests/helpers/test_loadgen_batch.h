/*  test_loadgen_batch.h - what vigil-loadgen's simulated agents send: sample
 *  g of an agent is series g % S at tick g / S, gauge loadgen_value named by
 *  one label (series="sNNNN") or two (--two-labels), so every (series, time)
 *  pair is sent once and the database can be checked for exactly-once.
 *
 *  A batch's strings and series depend only on the series of its first
 *  sample, so they are encoded once for each such series and shared by every
 *  agent (up to a bound in bytes); each batch then encodes its identity and
 *  sample columns after them. With fresh set, every batch is built whole and
 *  encoded as an agent does. The collector receives the same message either
 *  way. Not thread-safe: one generator thread. */
#ifndef TEST_LOADGEN_BATCH_H
#define TEST_LOADGEN_BATCH_H

#include "vg_batch.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int series;      /* series per agent */
    int batch;       /* samples per batch */
    int64_t base_ms; /* the time of tick 0 */
    int64_t step_ms; /* time between a series' samples */
    int two_labels;
    int fresh; /* build and encode every batch whole */
} test_loadgen_shape_t;

typedef struct test_loadgen_batches_t test_loadgen_batches_t;

test_loadgen_batches_t *test_loadgen_batches_new (const test_loadgen_shape_t *shape);
void test_loadgen_batches_destroy (test_loadgen_batches_t **self_p);

/* Encodes into *out (malloc'd) the batch seq of the agent whose ids agent
 * holds, with samples g0 .. g0 + batch - 1; agent is cleared and refilled
 * when the batch is built whole. Exits on an encoding failure, which would
 * be a bug in the generator. */
void test_loadgen_batch_encode (test_loadgen_batches_t *self, vg_batch_t *agent, uint64_t seq,
                                uint64_t g0, uint8_t **out, size_t *len);

#endif
