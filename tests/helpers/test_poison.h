/*  test_poison.h - the poison batch: valid, yet absurd to store. 720 series
 *  with 64 labels each, every label value 4,096 control characters: about
 *  120 KB on the wire, about 1.1 GB of JSON if a collector registered its
 *  series as they are. */
#ifndef TEST_POISON_H
#define TEST_POISON_H

#include "vg_batch.h"

#include <stdint.h>

/* Caller owns the batch. */
vg_batch_t *test_poison_batch (const char *agent, uint64_t seq, int64_t now_ms);

#endif
