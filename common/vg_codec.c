/*  vg_codec.c - protobuf encoding of batches (and sealing them with their
 *  checksum), peeking at a batch that failed to decode, and acks. Decoding
 *  a batch is vg_codec_decode.c's. With it and vg_codec_unpack.c, the only
 *  files that include the generated vigil.pb-c.h.
 */
#include "vg_codec.h"
#include "vg_codec_wire.h"
#include "vg_crc32c.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_wire.h"

#include "vigil.pb-c.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

vg_codec_limits_t
vg_codec_default_limits (void)
{
    vg_codec_limits_t limits = {
        .max_samples = VG_WIRE_MAX_SAMPLES,
        .max_strings = VG_WIRE_MAX_STRINGS,
        .max_strlen = VG_WIRE_MAX_STRLEN,
        .max_labels = VG_WIRE_MAX_LABELS,
        .max_buckets = VG_WIRE_MAX_BUCKETS,
        .max_label_bytes = VG_WIRE_MAX_LABEL_BYTES,
        .max_event_bytes = VG_WIRE_MAX_EVENT_BYTES,
    };
    return limits;
}

/* ---- encoding ---- */

static int
s_finite_dist (const vg_sketch_t *sk)
{
    return sk && sk->count > 0 && isfinite (sk->sum) && isfinite (sk->min) && isfinite (sk->max);
}

static size_t
s_nonzero (const vg_sketch_store_t *store)
{
    size_t n = 0;
    for (uint32_t k = 0; k < store->len; k++)
        n += store->counts[k] != 0;
    return n;
}

/* Writes the store's non-empty buckets, ascending. */
static size_t
s_sparse (const vg_sketch_store_t *store, int32_t *index, uint64_t *count)
{
    size_t n = 0;
    for (uint32_t k = 0; k < store->len; k++)
        if (store->counts[k]) {
            index[n] = store->offset + (int32_t)k;
            count[n] = store->counts[k];
            n++;
        }
    return n;
}

int
vg_codec_encode_batch (const vg_batch_t *batch, uint8_t **out, size_t *len)
{
    int rc = VG_EINVAL;
    Vigil__Batch msg = VIGIL__BATCH__INIT;
    Vigil__Series *series = NULL, **series_p = NULL;
    Vigil__Distribution *dists = NULL, **dists_p = NULL;
    Vigil__Event *events = NULL, **events_p = NULL;
    int64_t *deltas = NULL;
    int32_t *bidx = NULL;
    uint64_t *bcnt = NULL;
    *out = NULL;
    *len = 0;

    /* base_ts_ms is the earliest timestamp, so every delta is >= 0 and small. */
    int64_t base = 0;
    int have = 0;
    for (size_t i = 0; i < batch->nsamples; i++)
        if (!have || batch->sample_ts_ms[i] < base)
            base = batch->sample_ts_ms[i], have = 1;
    for (size_t i = 0; i < batch->ndists; i++)
        if (s_finite_dist (batch->dists[i].sketch) && (!have || batch->dists[i].ts_ms < base))
            base = batch->dists[i].ts_ms, have = 1;
    for (size_t i = 0; i < batch->nevents; i++)
        if (!have || batch->events[i].ts_ms < base)
            base = batch->events[i].ts_ms, have = 1;

    msg.agent_id = batch->agent_id ? batch->agent_id : "";
    msg.hostname = batch->hostname ? batch->hostname : "";
    msg.seq = batch->seq;
    msg.incarnation = batch->incarnation;
    msg.interval_ms = batch->interval_ms;
    msg.sent_ms = batch->sent_ms;
    msg.base_ts_ms = base;
    msg.relative_accuracy_ppm = VG_CODEC_ACCURACY_PPM;
    msg.n_strings = batch->nstrings;
    msg.strings = batch->strings;

    series = vg_calloc (batch->nseries + 1, sizeof *series);
    series_p = vg_calloc (batch->nseries + 1, sizeof *series_p);
    for (uint32_t i = 0; i < batch->nseries; i++) {
        vigil__series__init (&series[i]);
        series[i].name = batch->series[i].name;
        series[i].kind = (Vigil__Kind)batch->series[i].kind;
        series[i].n_labels = 2 * (size_t)batch->series[i].nlabels;
        series[i].labels = batch->series[i].labels;
        series_p[i] = &series[i];
    }
    msg.n_series = batch->nseries;
    msg.series = series_p;

    /* The columns go out as they are. */
    size_t n = batch->nsamples;
    const uint32_t *col_series = batch->sample_series;
    const int64_t *col_ts = batch->sample_ts_ms;
    const double *col_value = batch->sample_value;
    deltas = vg_malloc ((n + 1) * sizeof *deltas);
    for (size_t i = 0; i < n; i++)
        if (__builtin_sub_overflow (col_ts[i], base, &deltas[i]))
            goto out;
    msg.n_sample_series = msg.n_sample_ts_delta_ms = msg.n_sample_value = n;
    msg.sample_series = (uint32_t *)col_series;
    msg.sample_ts_delta_ms = deltas;
    msg.sample_value = (double *)col_value;

    size_t nbuckets = 0;
    for (size_t i = 0; i < batch->ndists; i++)
        if (s_finite_dist (batch->dists[i].sketch))
            nbuckets +=
                s_nonzero (&batch->dists[i].sketch->pos) + s_nonzero (&batch->dists[i].sketch->neg);
    bidx = vg_malloc ((nbuckets + 1) * sizeof *bidx);
    bcnt = vg_malloc ((nbuckets + 1) * sizeof *bcnt);
    dists = vg_calloc (batch->ndists + 1, sizeof *dists);
    dists_p = vg_calloc (batch->ndists + 1, sizeof *dists_p);
    size_t nd = 0, used = 0;
    for (size_t i = 0; i < batch->ndists; i++) {
        const vg_dist_t *d = &batch->dists[i];
        const vg_sketch_t *sk = d->sketch;
        if (!s_finite_dist (sk))
            continue; /* empty or overflowed: nothing a reader could use */
        Vigil__Distribution *pd = &dists[nd];
        vigil__distribution__init (pd);
        pd->series = d->series;
        if (__builtin_sub_overflow (d->ts_ms, base, &pd->ts_delta_ms))
            goto out;
        pd->count = sk->count;
        pd->sum = sk->sum;
        pd->min = sk->min;
        pd->max = sk->max;
        pd->zero_count = sk->zero_count;
        pd->bucket_index = bidx + used;
        pd->bucket_count = bcnt + used;
        pd->n_bucket_index = pd->n_bucket_count = s_sparse (&sk->pos, bidx + used, bcnt + used);
        used += pd->n_bucket_index;
        pd->neg_bucket_index = bidx + used;
        pd->neg_bucket_count = bcnt + used;
        pd->n_neg_bucket_index = pd->n_neg_bucket_count =
            s_sparse (&sk->neg, bidx + used, bcnt + used);
        used += pd->n_neg_bucket_index;
        dists_p[nd++] = pd;
    }
    msg.n_distributions = nd;
    msg.distributions = dists_p;

    events = vg_calloc (batch->nevents + 1, sizeof *events);
    events_p = vg_calloc (batch->nevents + 1, sizeof *events_p);
    for (size_t i = 0; i < batch->nevents; i++) {
        const vg_event_t *e = &batch->events[i];
        vigil__event__init (&events[i]);
        if (__builtin_sub_overflow (e->ts_ms, base, &events[i].ts_delta_ms))
            goto out;
        events[i].name = e->name;
        events[i].n_labels = 2 * (size_t)e->nlabels;
        events[i].labels = e->labels;
        events[i].text = e->text ? e->text : "";
        events_p[i] = &events[i];
    }
    msg.n_events = batch->nevents;
    msg.events = events_p;

    *len = protobuf_c_message_get_packed_size (&msg.base);
    *out = vg_malloc (*len + VG_WIRE_CRC_TRAILER);
    protobuf_c_message_pack (&msg.base, *out);
    vg_codec_seal_batch (out, len);
    rc = 0;
out:
    free (series);
    free (series_p);
    free (dists);
    free (dists_p);
    free (events);
    free (events_p);
    free (deltas);
    free (bidx);
    free (bcnt);
    return rc;
}

void
vg_codec_seal_batch (uint8_t **data, size_t *len)
{
    uint32_t crc = vg_crc32c (0, *data, *len);
    uint8_t *p = vg_realloc (*data, *len + VG_WIRE_CRC_TRAILER);
    uint8_t *t = p + *len;
    t[0] = VG_WIRE_CRC_TAG0;
    t[1] = VG_WIRE_CRC_TAG1;
    for (int k = 0; k < 4; k++)
        t[2 + k] = (uint8_t)(crc >> (8 * k));
    *data = p;
    *len += VG_WIRE_CRC_TRAILER;
}

/* ---- peeking at a batch that failed to decode ---- */

/* Copies an agent id for a log line (see vg_codec_peek_batch). */
static void
s_peek_agent (const uint8_t *p, size_t len, char *out, size_t outlen)
{
    size_t n = 0;
    for (; n < len && n + 1 < outlen; n++)
        out[n] = (p[n] >= 0x20 && p[n] < 0x7f && p[n] != '"' && p[n] != '\\') ? (char)p[n] : '?';
    if (n < len && n >= 3)
        memcpy (out + n - 3, "...", 3);
    out[n] = '\0';
}

int
vg_codec_peek_batch (const uint8_t *data, size_t len, uint64_t *seq, char *agent_id,
                     size_t agent_id_len)
{
    int have_seq = 0;
    uint64_t found = 0;
    *seq = 0;
    if (agent_id && agent_id_len)
        agent_id[0] = '\0';
    if (!data)
        return VG_EPROTO;
    size_t i = 0;
    while (i < len) {
        uint64_t tag, v;
        size_t k = vg_codec_varint (data + i, len - i, &tag);
        if (!k || tag >> 3 == 0)
            return VG_EPROTO;
        i += k;
        switch (tag & 7) {
        case 0:
            k = vg_codec_varint (data + i, len - i, &v);
            if (!k)
                return VG_EPROTO;
            i += k;
            if (tag >> 3 == 3) {
                found = v;
                have_seq = 1;
            }
            break;
        case 1:
        case 5:
            k = (tag & 7) == 1 ? 8 : 4;
            if (len - i < k)
                return VG_EPROTO;
            i += k;
            break;
        case 2:
            k = vg_codec_varint (data + i, len - i, &v);
            if (!k || v > len - i - k)
                return VG_EPROTO;
            i += k;
            if (tag >> 3 == 1 && v > 0 && agent_id && agent_id_len)
                s_peek_agent (data + i, (size_t)v, agent_id, agent_id_len);
            i += (size_t)v;
            break;
        default:
            return VG_EPROTO; /* groups (3, 4) and wire types that do not exist */
        }
    }
    if (!have_seq)
        return VG_EPROTO;
    *seq = found;
    return 0;
}

/* ---- acks ---- */

int
vg_codec_encode_ack (uint64_t seq, vg_ack_status_t status, const char *reason, uint8_t **out,
                     size_t *len)
{
    Vigil__Ack msg = VIGIL__ACK__INIT;
    msg.seq = seq;
    msg.status = (Vigil__Ack__Status)status;
    msg.reason = (char *)(reason ? reason : "");
    *len = vigil__ack__get_packed_size (&msg);
    *out = vg_malloc (*len);
    vigil__ack__pack (&msg, *out);
    return 0;
}

int
vg_codec_decode_ack (const uint8_t *data, size_t len, uint64_t *seq, vg_ack_status_t *status,
                     char *reason, size_t reasonlen)
{
    if (reason && reasonlen)
        reason[0] = '\0';
    if (!data && len)
        return VG_EPROTO;
    Vigil__Ack *m = vigil__ack__unpack (NULL, len, data);
    if (!m)
        return VG_EPROTO;
    int rc = VG_EPROTO;
    if ((unsigned)m->status <= VIGIL__ACK__STATUS__RETRY) {
        *seq = m->seq;
        *status = (vg_ack_status_t)m->status;
        if (reason && reasonlen)
            snprintf (reason, reasonlen, "%s", m->reason);
        rc = 0;
    }
    vigil__ack__free_unpacked (m, NULL);
    return rc;
}
