/*  fuzz_batch.c - libFuzzer target for the collector's first contact with a
 *  peer: vg_codec_decode_batch (and the agent's vg_codec_decode_ack) on
 *  arbitrary bytes. Whatever decodes must re-encode and decode to a batch of
 *  the same shape. Each input is tried as it is (the checksum trailer almost
 *  never matches, and must be refused) and sealed with its trailer, so the
 *  fuzzer reaches the rules behind the checksum. The codec's own reader of
 *  a Batch's bytes must agree with protobuf-c's on every input
 *  (tests/helpers/test_unpack.c). Decoding with shared names
 *  (vg_codec_decode_batch_named) must answer as the plain decode does, with
 *  the names of the input before and with the input's own: the same bytes
 *  again always share them. */
#include "test_unpack.h"
#include "vg_batch.h"
#include "vg_codec.h"
#include "vg_error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_same_shape (const vg_batch_t *a, const vg_batch_t *b)
{
    if (a->seq != b->seq || a->nstrings != b->nstrings || a->nseries != b->nseries ||
        a->nsamples != b->nsamples || a->ndists != b->ndists || a->nevents != b->nevents ||
        strcmp (a->agent_id, b->agent_id) != 0 || strcmp (a->hostname, b->hostname) != 0)
        abort ();
    for (size_t i = 0; i < a->nsamples; i++)
        if (a->sample_series[i] != b->sample_series[i] ||
            a->sample_ts_ms[i] != b->sample_ts_ms[i] ||
            memcmp (&a->sample_value[i], &b->sample_value[i], sizeof (double)) != 0)
            abort ();
    for (size_t i = 0; i < a->ndists; i++)
        if (a->dists[i].sketch->count != b->dists[i].sketch->count ||
            a->dists[i].ts_ms != b->dists[i].ts_ms)
            abort ();
}

static void s_decode (const uint8_t *data, size_t size);

/* The names of the last input that made some, for the next one. */
static vg_batch_names_t *s_known;

static void
s_same_names (const vg_batch_t *a, const vg_batch_t *b)
{
    s_same_shape (a, b);
    for (uint32_t i = 0; i < a->nstrings; i++)
        if (strcmp (a->strings[i], b->strings[i]) != 0)
            abort ();
    for (uint32_t i = 0; i < a->nseries; i++)
        if (a->series[i].name != b->series[i].name || a->series[i].kind != b->series[i].kind ||
            a->series[i].nlabels != b->series[i].nlabels ||
            memcmp (a->series[i].labels, b->series[i].labels,
                    2 * sizeof (uint32_t) * a->series[i].nlabels) != 0)
            abort ();
}

/* Decodes with known names; abort unless it answers as the plain decode
 * did (rc, err and plain). Returns the batch. */
static vg_batch_t *
s_named (const uint8_t *data, size_t size, const vg_codec_limits_t *limits, vg_batch_names_t *known,
         int rc, const char *err, const vg_batch_t *plain)
{
    vg_batch_t *named = NULL;
    char e2[256];
    int rc2 = vg_codec_decode_batch_named (data, size, limits, known, &named, e2, sizeof e2);
    if (rc2 != rc || (rc != 0 && strcmp (err, e2) != 0)) {
        fprintf (stderr, "fuzz_batch: named decode: %d (%s), plain: %d (%s)\n", rc2, e2, rc, err);
        abort ();
    }
    if (rc == 0)
        s_same_names (plain, named);
    return named;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_decode (data, size);
    uint8_t *sealed = malloc (size + 1);
    if (!sealed)
        abort ();
    if (size)
        memcpy (sealed, data, size);
    size_t len = size;
    vg_codec_seal_batch (&sealed, &len);
    s_decode (sealed, len);
    free (sealed);
    return 0;
}

static void
s_decode (const uint8_t *data, size_t size)
{
    char err[256];
    if (test_unpack_same (data, size, NULL, err, sizeof err)) {
        fprintf (stderr, "fuzz_batch: the readers differ: %s\n", err);
        abort ();
    }
    vg_batch_t *batch = NULL;
    vg_codec_limits_t limits = vg_codec_default_limits ();
    int rc = vg_codec_decode_batch (data, size, &limits, &batch, err, sizeof err);
    vg_batch_t *with_last = s_named (data, size, &limits, s_known, rc, err, batch);
    vg_batch_t *first = s_named (data, size, &limits, NULL, rc, err, batch);
    if (first && first->names) {
        vg_batch_t *again = s_named (data, size, &limits, first->names, rc, err, batch);
        if (again->names != first->names)
            abort ();
        vg_batch_names_unref (&s_known);
        s_known = vg_batch_names_ref (first->names);
        vg_batch_destroy (&again);
    }
    vg_batch_destroy (&first);
    vg_batch_destroy (&with_last);
    if (rc == 0) {
        if (!batch || vg_batch_count (batch) > limits.max_samples)
            abort ();
        uint8_t *enc = NULL;
        size_t len = 0;
        /* Only timestamps too far apart for one base may fail to encode. */
        rc = vg_codec_encode_batch (batch, &enc, &len);
        if (rc == 0) {
            vg_batch_t *again = NULL;
            if (vg_codec_decode_batch (enc, len, &limits, &again, err, sizeof err) != 0)
                abort ();
            s_same_shape (batch, again);
            vg_batch_destroy (&again);
            free (enc);
        } else if (rc != VG_EINVAL) {
            abort ();
        }
        vg_batch_destroy (&batch);
    } else if (batch || (rc != VG_EPROTO && rc != VG_ETOOBIG) || err[0] == '\0') {
        abort ();
    }

    uint64_t seq;
    vg_ack_status_t status;
    char reason[128];
    vg_codec_decode_ack (data, size, &seq, &status, reason, sizeof reason);
}
