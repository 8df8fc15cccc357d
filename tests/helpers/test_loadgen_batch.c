/*  test_loadgen_batch.c - the batches of vigil-loadgen's simulated agents. */
#include "test_loadgen_batch.h"
#include "vg_alloc.h"
#include "vg_codec.h"
#include "vg_time.h"
#include "vg_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The strings and series of the batches beginning with one series. */
typedef struct {
    uint8_t *bytes; /* fields 10 and 11 (and 6), encoded, without the CRC trailer */
    size_t len;
    uint32_t *sample_series; /* the batch's series column */
} s_table_t;

/* Past this, batches whose table is not kept are built whole: series and
 * batch sizes with many first series (say 1,000,000 and 9,999) would
 * otherwise keep a table for each. */
#define S_TABLES_MAX_BYTES (256u << 20)

struct test_loadgen_batches_t {
    test_loadgen_shape_t shape;
    char **label_values; /* "s0000".. */
    s_table_t *tables;   /* by the series of the first sample; filled on first use */
    size_t tables_bytes;
    int64_t *ts; /* the sample columns of the batch being built */
    double *values;
};

test_loadgen_batches_t *
test_loadgen_batches_new (const test_loadgen_shape_t *shape)
{
    test_loadgen_batches_t *self = vg_calloc (1, sizeof *self);
    self->shape = *shape;
    size_t series = (size_t)shape->series, batch = (size_t)shape->batch;
    self->label_values = vg_calloc (series, sizeof *self->label_values);
    for (size_t s = 0; s < series; s++)
        self->label_values[s] = vg_asprintf ("s%04zu", s);
    self->tables = vg_calloc (series, sizeof *self->tables);
    self->ts = vg_calloc (batch, sizeof *self->ts);
    self->values = vg_calloc (batch, sizeof *self->values);
    return self;
}

void
test_loadgen_batches_destroy (test_loadgen_batches_t **self_p)
{
    test_loadgen_batches_t *self = *self_p;
    if (!self)
        return;
    for (int s = 0; s < self->shape.series; s++) {
        free (self->label_values[s]);
        free (self->tables[s].bytes);
        free (self->tables[s].sample_series);
    }
    free (self->label_values);
    free (self->tables);
    free (self->ts);
    free (self->values);
    free (self);
    *self_p = NULL;
}

/* Sample g: its series, time and value. */
static uint32_t
s_sample (const test_loadgen_batches_t *self, uint64_t g, int64_t *ts, double *value)
{
    uint32_t s = (uint32_t)(g % (uint64_t)self->shape.series);
    int64_t tick = (int64_t)(g / (uint64_t)self->shape.series);
    *ts = self->shape.base_ms + tick * self->shape.step_ms;
    *value = (double)(s % 97) + (double)(tick % 1000) * 0.125;
    return s;
}

/* Adds series s to b as an agent would: interned by name and labels. */
static uint32_t
s_series (const test_loadgen_batches_t *self, vg_batch_t *b, uint32_t s)
{
    char **values = self->label_values;
    vg_label_t label[2] = {{"series", values[s]}};
    if (self->shape.two_labels) /* few strings for many series */
        label[0].value = values[s % 1000], label[1] = (vg_label_t){"group", values[s / 1000]};
    return vg_batch_series (b, "loadgen_value", VG_KIND_GAUGE, label,
                            self->shape.two_labels ? 2 : 1);
}

static void
s_encode (vg_batch_t *b, uint8_t **out, size_t *len)
{
    if (vg_codec_encode_batch (b, out, len) != 0) {
        fprintf (stderr, "vigil-loadgen: cannot encode a batch\n");
        exit (1);
    }
}

/* The batch built and encoded whole, as an agent does. */
static void
s_encode_fresh (test_loadgen_batches_t *self, vg_batch_t *b, uint64_t seq, uint64_t g0,
                uint8_t **out, size_t *len)
{
    vg_batch_clear (b);
    /* seq and sent_ms have no setter: the batch's identity fields are the
     * sender's to fill. */
    b->seq = seq;
    b->sent_ms = vg_now_ms ();
    for (uint64_t g = g0; g < g0 + (uint64_t)self->shape.batch; g++) {
        int64_t ts;
        double value;
        uint32_t s = s_sample (self, g, &ts, &value);
        vg_batch_add_sample (b, s_series (self, b, s), ts, value);
    }
    s_encode (b, out, len);
}

/* The table of batches beginning with series first; NULL when it is not kept. */
static const s_table_t *
s_table (test_loadgen_batches_t *self, uint32_t first)
{
    s_table_t *t = &self->tables[first];
    if (t->bytes)
        return t;
    if (self->tables_bytes > S_TABLES_MAX_BYTES)
        return NULL;
    size_t n = (size_t)self->shape.batch;
    vg_batch_t *b = vg_batch_new (NULL, NULL);
    for (size_t j = 0; j < n; j++)
        vg_batch_add_sample (
            b, s_series (self, b, (uint32_t)((first + j) % (size_t)self->shape.series)), 0, 0);
    t->sample_series = vg_malloc (n * sizeof *t->sample_series);
    memcpy (t->sample_series, b->sample_series, n * sizeof *t->sample_series);
    b->nsamples = 0; /* the table alone: empty fields are not encoded */
    s_encode (b, &t->bytes, &t->len);
    t->len -= VG_WIRE_CRC_TRAILER;
    self->tables_bytes += t->len + n * sizeof *t->sample_series;
    vg_batch_destroy (&b);
    return t;
}

/* The table's bytes, then the identity and the sample columns: a protobuf
 * message's fields may come in any order. */
static void
s_encode_shared (test_loadgen_batches_t *self, const s_table_t *t, const vg_batch_t *agent,
                 uint64_t seq, uint64_t g0, uint8_t **out, size_t *len)
{
    size_t n = (size_t)self->shape.batch;
    for (size_t j = 0; j < n; j++)
        s_sample (self, g0 + j, &self->ts[j], &self->values[j]);
    vg_batch_t head = {
        .agent_id = agent->agent_id,
        .hostname = agent->hostname,
        .incarnation = agent->incarnation,
        .interval_ms = agent->interval_ms,
        .seq = seq,
        .sent_ms = vg_now_ms (),
        .sample_series = t->sample_series,
        .sample_ts_ms = self->ts,
        .sample_value = self->values,
        .nsamples = n,
    };
    uint8_t *part;
    size_t plen;
    s_encode (&head, &part, &plen);
    plen -= VG_WIRE_CRC_TRAILER;
    *out = vg_malloc (t->len + plen + VG_WIRE_CRC_TRAILER);
    memcpy (*out, t->bytes, t->len);
    memcpy (*out + t->len, part, plen);
    *len = t->len + plen;
    free (part);
    vg_codec_seal_batch (out, len);
}

void
test_loadgen_batch_encode (test_loadgen_batches_t *self, vg_batch_t *agent, uint64_t seq,
                           uint64_t g0, uint8_t **out, size_t *len)
{
    const s_table_t *t =
        self->shape.fresh ? NULL : s_table (self, (uint32_t)(g0 % (uint64_t)self->shape.series));
    if (t)
        s_encode_shared (self, t, agent, seq, g0, out, len);
    else
        s_encode_fresh (self, agent, seq, g0, out, len);
}
