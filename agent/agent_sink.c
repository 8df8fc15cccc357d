/*  agent_sink.c - where an input puts what it collected. */
#include "agent_sink.h"
#include "vg_alloc.h"

#include <stdlib.h>
#include <string.h>

struct agent_sink_t {
    vg_batch_t *batch;
    int64_t ts_ms;
    vg_label_t *extra; /* the instance's labels (strings not owned) */
    size_t nextra;
    vg_label_t *scratch; /* extra + an input's labels, rebuilt per series */
    size_t scratch_cap;
    uint64_t count;
};

agent_sink_t *
agent_sink_new (vg_batch_t *batch, int64_t ts_ms, const vg_label_t *extra, size_t nextra)
{
    agent_sink_t *self = vg_calloc (1, sizeof *self);
    self->batch = batch;
    self->ts_ms = ts_ms;
    self->nextra = nextra;
    self->extra = vg_calloc (nextra + 1, sizeof *self->extra);
    if (nextra)
        memcpy (self->extra, extra, nextra * sizeof *extra);
    return self;
}

void
agent_sink_destroy (agent_sink_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->extra);
    free ((*self_p)->scratch);
    free (*self_p);
    *self_p = NULL;
}

void
agent_sink_retarget (agent_sink_t *self, vg_batch_t *batch, int64_t ts_ms)
{
    self->batch = batch;
    self->ts_ms = ts_ms;
}

/* The instance's labels followed by the input's; an input label overrides an
 * instance label of the same key, since the input knows its data best. */
static size_t
s_merge_labels (agent_sink_t *self, const vg_label_t *labels, size_t nlabels)
{
    VG_GROW (self->scratch, self->scratch_cap, self->nextra + nlabels);
    size_t n = 0;
    for (size_t j = 0; j < self->nextra; j++) {
        size_t i = 0;
        while (i < nlabels && strcmp (self->extra[j].key, labels[i].key) != 0)
            i++;
        if (i == nlabels)
            self->scratch[n++] = self->extra[j];
    }
    for (size_t i = 0; i < nlabels; i++)
        self->scratch[n++] = labels[i];
    return n;
}

static uint32_t
s_series (agent_sink_t *self, const char *name, vg_kind_t kind, const vg_label_t *labels,
          size_t nlabels)
{
    size_t n = s_merge_labels (self, labels, nlabels);
    return vg_batch_series (self->batch, name, kind, self->scratch, n);
}

void
agent_sink_gauge (agent_sink_t *self, const char *name, const vg_label_t *labels, size_t nlabels,
                  double value)
{
    uint32_t s = s_series (self, name, VG_KIND_GAUGE, labels, nlabels);
    vg_batch_add_sample (self->batch, s, self->ts_ms, value);
    self->count++;
}

void
agent_sink_counter (agent_sink_t *self, const char *name, const vg_label_t *labels, size_t nlabels,
                    double value)
{
    uint32_t s = s_series (self, name, VG_KIND_COUNTER, labels, nlabels);
    vg_batch_add_sample (self->batch, s, self->ts_ms, value);
    self->count++;
}

void
agent_sink_value (agent_sink_t *self, const char *name, vg_kind_t kind, const vg_label_t *labels,
                  size_t nlabels, double value, int64_t ts_ms)
{
    uint32_t s = s_series (self, name, kind, labels, nlabels);
    vg_batch_add_value (self->batch, s, ts_ms, value);
    self->count++;
}

void
agent_sink_dist (agent_sink_t *self, const char *name, const vg_label_t *labels, size_t nlabels,
                 const vg_sketch_t *sketch)
{
    if (!sketch || sketch->count == 0)
        return;
    uint32_t s = s_series (self, name, VG_KIND_DISTRIBUTION, labels, nlabels);
    vg_batch_add_dist (self->batch, s, self->ts_ms, sketch);
    self->count++;
}

void
agent_sink_event (agent_sink_t *self, const char *name, const vg_label_t *labels, size_t nlabels,
                  const char *text)
{
    size_t n = s_merge_labels (self, labels, nlabels);
    vg_batch_add_event (self->batch, self->ts_ms, name, self->scratch, n, text);
}

uint64_t
agent_sink_take_count (agent_sink_t *self)
{
    uint64_t n = self->count;
    self->count = 0;
    return n;
}

int64_t
agent_sink_ts (const agent_sink_t *self)
{
    return self->ts_ms;
}
