/*  fuzz_batch.c - libFuzzer target for the collector's first contact with a
 *  peer: vg_codec_decode_batch (and the agent's vg_codec_decode_ack) on
 *  arbitrary bytes. Whatever decodes must re-encode and decode to a batch of
 *  the same shape. Each input is tried as it is (the checksum trailer almost
 *  never matches, and must be refused) and sealed with its trailer, so the
 *  fuzzer reaches the rules behind the checksum. The codec's own reader of
 *  a Batch's bytes must agree with protobuf-c's on every input
 *  (tests/helpers/test_unpack.c). */
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
