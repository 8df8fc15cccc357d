/*  agent_sink.h - where an input puts what it collected.
 *
 *  The sink stamps every sample with the collection time, adds the input
 *  instance's configured labels, and counts what each input produced. Label
 *  arrays and strings are copied; the input keeps ownership of its own.
 */
#ifndef AGENT_SINK_H
#define AGENT_SINK_H

#include "vg_batch.h"
#include "vg_sketch.h"

#include <stddef.h>
#include <stdint.h>

typedef struct agent_sink_t agent_sink_t;

/* A sink that writes into batch, for samples taken at ts_ms, adding extra
 * labels (may be NULL) to every series. The batch is not owned. */
agent_sink_t *agent_sink_new (vg_batch_t *batch, int64_t ts_ms, const vg_label_t *extra,
                              size_t nextra);
void agent_sink_destroy (agent_sink_t **self_p);
/* Point the sink at another batch or time (the loop reuses one sink). */
void agent_sink_retarget (agent_sink_t *self, vg_batch_t *batch, int64_t ts_ms);

void agent_sink_gauge (agent_sink_t *self, const char *name, const vg_label_t *labels,
                       size_t nlabels, double value);
void agent_sink_counter (agent_sink_t *self, const char *name, const vg_label_t *labels,
                         size_t nlabels, double value);
/* A value as a source reported it, at ts_ms (not the sink's time): NaN and
 * infinities are kept (vg_batch_add_value), where gauge and counter drop
 * what is not finite. kind is VG_KIND_GAUGE or VG_KIND_COUNTER. */
void agent_sink_value (agent_sink_t *self, const char *name, vg_kind_t kind,
                       const vg_label_t *labels, size_t nlabels, double value, int64_t ts_ms);
/* Copies the sketch. An empty sketch is skipped. */
void agent_sink_dist (agent_sink_t *self, const char *name, const vg_label_t *labels,
                      size_t nlabels, const vg_sketch_t *sketch);
void agent_sink_event (agent_sink_t *self, const char *name, const vg_label_t *labels,
                       size_t nlabels, const char *text);

/* Samples and distributions added since the sink was made or the counter read. */
uint64_t agent_sink_take_count (agent_sink_t *self);
int64_t agent_sink_ts (const agent_sink_t *self);

#endif
