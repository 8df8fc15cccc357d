/*  test_unpack.c - the codec's own Batch reader held against protobuf-c's
 *  (test_unpack.h). */
#include "test_unpack.h"
#include "vg_arena.h"
#include "vg_codec_unpack.h"
#include "vg_codec_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether two messages of one type serialize to the same bytes. */
static int
s_same_packed (const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    size_t na = protobuf_c_message_get_packed_size (a);
    if (na != protobuf_c_message_get_packed_size (b))
        return 0;
    uint8_t *pa = malloc (na + 1), *pb = malloc (na + 1);
    protobuf_c_message_pack (a, pa);
    protobuf_c_message_pack (b, pb);
    int same = memcmp (pa, pb, na) == 0;
    free (pa);
    free (pb);
    return same;
}

static int
s_compare (const Vigil__Batch *a, const Vigil__Batch *b, char *why, size_t whylen)
{
    if (strcmp (a->agent_id, b->agent_id) || strcmp (a->hostname, b->hostname))
        return vg_codec_fail (why, whylen, -1, "agent_id or hostname");
    if (a->seq != b->seq || a->sent_ms != b->sent_ms || a->base_ts_ms != b->base_ts_ms ||
        a->relative_accuracy_ppm != b->relative_accuracy_ppm || a->incarnation != b->incarnation ||
        a->interval_ms != b->interval_ms || a->crc32c != b->crc32c)
        return vg_codec_fail (why, whylen, -1, "a scalar field");
    if (a->n_strings != b->n_strings)
        return vg_codec_fail (why, whylen, -1, "%zu strings against %zu", a->n_strings,
                              b->n_strings);
    for (size_t i = 0; i < a->n_strings; i++)
        if (strcmp (a->strings[i], b->strings[i]))
            return vg_codec_fail (why, whylen, -1, "string %zu", i);
    if (a->n_series != b->n_series)
        return vg_codec_fail (why, whylen, -1, "%zu series against %zu", a->n_series, b->n_series);
    for (size_t i = 0; i < a->n_series; i++) {
        const Vigil__Series *x = a->series[i], *y = b->series[i];
        if (x->name != y->name || x->kind != y->kind || x->n_labels != y->n_labels ||
            (x->n_labels && memcmp (x->labels, y->labels, x->n_labels * sizeof *x->labels)))
            return vg_codec_fail (why, whylen, -1, "series %zu", i);
    }
    if (a->n_sample_series != b->n_sample_series ||
        a->n_sample_ts_delta_ms != b->n_sample_ts_delta_ms ||
        a->n_sample_value != b->n_sample_value)
        return vg_codec_fail (why, whylen, -1, "the lengths of the sample columns");
    if ((a->n_sample_series &&
         memcmp (a->sample_series, b->sample_series, a->n_sample_series * 4)) ||
        (a->n_sample_ts_delta_ms &&
         memcmp (a->sample_ts_delta_ms, b->sample_ts_delta_ms, a->n_sample_ts_delta_ms * 8)) ||
        (a->n_sample_value && memcmp (a->sample_value, b->sample_value, a->n_sample_value * 8)))
        return vg_codec_fail (why, whylen, -1, "the sample columns");
    if (a->n_distributions != b->n_distributions || a->n_events != b->n_events)
        return vg_codec_fail (why, whylen, -1, "the number of distributions or events");
    for (size_t i = 0; i < a->n_distributions; i++)
        if (!s_same_packed (&a->distributions[i]->base, &b->distributions[i]->base))
            return vg_codec_fail (why, whylen, -1, "distribution %zu", i);
    for (size_t i = 0; i < a->n_events; i++)
        if (!s_same_packed (&a->events[i]->base, &b->events[i]->base))
            return vg_codec_fail (why, whylen, -1, "event %zu", i);
    return 0;
}

int
test_unpack_same (const uint8_t *data, size_t len, int *read, char *why, size_t whylen)
{
    if (read)
        *read = 0;
    vg_codec_counts_t counts;
    char err[256];
    if (vg_codec_prescan (data, len, &counts, err, sizeof err))
        return 0;
    vg_arena_t arena = {0};
    ProtobufCAllocator alloc = vg_codec_arena_allocator (&arena);
    Vigil__Batch *ours = vg_codec_unpack_batch (data, len, &counts, &alloc);
    Vigil__Batch *theirs = vigil__batch__unpack (&alloc, len, data);
    int rc = 0;
    if (!ours != !theirs)
        rc = vg_codec_fail (why, whylen, -1, "%s reads it, %s refuses it",
                            ours ? "vg_codec_unpack_batch" : "protobuf-c",
                            ours ? "protobuf-c" : "vg_codec_unpack_batch");
    else if (ours) {
        rc = s_compare (ours, theirs, why, whylen);
        if (read)
            *read = 1;
    }
    vg_arena_free (&arena);
    return rc;
}
