/*  test_codec_names.c - names shared between batches
 *  (vg_codec_decode_batch_named): a batch whose strings and series are, byte
 *  for byte, those of the batch before shares what that one decoded; any
 *  other batch is decoded whole. Either way the batch holds what a plain
 *  decode of the same bytes holds, and is refused for what that refuses.
 *
 *  Frames are made by hand (test_pb.h) to place the names where a test needs
 *  them: after the identity fields as the agent writes them, or first as
 *  vigil-loadgen does.
 */
#include "test_assert.h"
#include "test_codec_ref.h"
#include "test_pb.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_buf.h"
#include "vg_codec.h"
#include "vg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 TEST_CODEC_T0

typedef struct {
    size_t nseries;      /* gauges m{k="v0"}, m{k="v1"}, ... */
    const char *changed; /* NULL, or another value for the last series' label */
    int names_first;     /* the names before the identity fields */
    int extra_series;    /* one more series field right after the names */
    int late_string;     /* a string field after the samples */
    int event;           /* an event, naming string 0 */
    uint32_t index0;     /* the series index of sample 0 (0 unless a test says) */
} s_shape_t;

static void
s_put_names (vg_buf_t *b, const s_shape_t *sh)
{
    test_pb_bytes (b, 10, "m", 1);
    test_pb_bytes (b, 10, "k", 1);
    for (size_t i = 0; i < sh->nseries; i++) {
        char v[32];
        snprintf (v, sizeof v, "v%zu", i);
        const char *s = sh->changed && i + 1 == sh->nseries ? sh->changed : v;
        test_pb_bytes (b, 10, s, strlen (s));
    }
    for (size_t i = 0; i < sh->nseries; i++) {
        vg_buf_t ser = {0};
        test_pb_uint (&ser, 1, 0);
        uint64_t labels[2] = {1, 2 + i};
        test_pb_packed_u (&ser, 3, labels, 2);
        test_pb_msg (b, 11, &ser);
    }
}

static void
s_put_head (vg_buf_t *b, uint64_t seq)
{
    test_pb_bytes (b, 1, "agent-names", 11);
    test_pb_bytes (b, 2, "host-names", 10);
    test_pb_uint (b, 3, seq);
    test_pb_uint (b, 5, (uint64_t)T0);
}

/* A sealed frame of shape sh; sample i is (series i, T0 + i s, base + i). */
static uint8_t *
s_frame (const s_shape_t *sh, uint64_t seq, double base, size_t *len)
{
    vg_buf_t b = {0};
    if (!sh->names_first)
        s_put_head (&b, seq);
    s_put_names (&b, sh);
    if (sh->extra_series) {
        vg_buf_t ser = {0};
        test_pb_uint (&ser, 1, 0);
        test_pb_uint (&ser, 2, 1); /* a counter of the same name and labels */
        uint64_t labels[2] = {1, 2};
        test_pb_packed_u (&ser, 3, labels, 2);
        test_pb_msg (&b, 11, &ser);
    }
    if (sh->names_first)
        s_put_head (&b, seq);
    size_t n = sh->nseries;
    uint64_t *idx = vg_calloc (n, sizeof *idx);
    int64_t *ts = vg_calloc (n, sizeof *ts);
    double *val = vg_calloc (n, sizeof *val);
    for (size_t i = 0; i < n; i++) {
        idx[i] = i;
        ts[i] = (int64_t)i * 1000;
        val[i] = base + (double)i;
    }
    idx[0] = sh->index0;
    test_pb_packed_u (&b, 12, idx, n);
    test_pb_packed_s (&b, 13, ts, n);
    test_pb_packed_d (&b, 14, val, n);
    if (sh->event) {
        vg_buf_t ev = {0};
        test_pb_sint (&ev, 1, 5);
        test_pb_uint (&ev, 2, 0);
        test_pb_bytes (&ev, 4, "deployed", 8);
        test_pb_msg (&b, 16, &ev);
    }
    if (sh->late_string)
        test_pb_bytes (&b, 10, "late", 4);
    free (idx);
    free (ts);
    free (val);
    uint8_t *p = vg_malloc (b.len);
    memcpy (p, b.data, b.len);
    *len = b.len;
    vg_buf_free (&b);
    vg_codec_seal_batch (&p, len);
    return p;
}

/* Decodes the frame with known; checks it holds what a plain decode does. */
static vg_batch_t *
s_decode (const s_shape_t *sh, uint64_t seq, double base, const vg_codec_limits_t *lim,
          vg_batch_names_t *known)
{
    size_t len;
    uint8_t *p = s_frame (sh, seq, base, &len);
    vg_batch_t *plain = NULL, *named = NULL;
    char err[256] = "";
    if (vg_codec_decode_batch (p, len, lim, &plain, err, sizeof err) != 0)
        TEST_FAIL ("plain decode: %s", err);
    if (vg_codec_decode_batch_named (p, len, lim, known, &named, err, sizeof err) != 0)
        TEST_FAIL ("named decode: %s", err);
    ASSERT (plain->names == NULL);
    test_codec_assert_same (plain, named);
    ASSERT_EQ (named->nstrings, plain->nstrings);
    vg_batch_destroy (&plain);
    free (p);
    return named;
}

/* The same names in the next batch are shared, and outlive the batch that
 * made them; other names are decoded and made shareable in turn. */
static void
test_shared (int names_first)
{
    s_shape_t sh = {.nseries = 50, .names_first = names_first};
    vg_batch_t *b1 = s_decode (&sh, 1, 0.5, NULL, NULL);
    vg_batch_names_t *known = vg_batch_names_ref (b1->names);
    ASSERT (known);
    ASSERT_EQ (known->nseries, 50);
    ASSERT_EQ (known->nstrings, 52);
    vg_batch_destroy (&b1);

    vg_batch_t *b2 = s_decode (&sh, 2, 7.25, NULL, known);
    ASSERT (b2->names == known);
    ASSERT (b2->strings == known->strings);
    ASSERT_NEAR (b2->sample_value[3], 10.25, 0);
    vg_batch_t *b3 = s_decode (&sh, 3, 9, NULL, known);
    ASSERT (b3->names == known);
    vg_batch_names_unref (&known);
    ASSERT (known == NULL);
    vg_batch_destroy (&b2);
    /* b3 holds the last reference: its names are still there. */
    ASSERT_STR_EQ (b3->strings[b3->series[49].labels[1]], "v49");

    sh.changed = "other";
    vg_batch_t *b4 = s_decode (&sh, 4, 1, NULL, b3->names);
    ASSERT (b4->names && b4->names != b3->names);
    ASSERT (b4->names->serial != b3->names->serial);
    ASSERT_STR_EQ (b4->strings[b4->series[49].labels[1]], "other");
    vg_batch_destroy (&b3);
    vg_batch_destroy (&b4);
}

/* Names read under other limits are read again, and refused when the new
 * limits refuse them. */
static void
test_limits (void)
{
    s_shape_t sh = {.nseries = 10};
    vg_batch_t *b1 = s_decode (&sh, 1, 0, NULL, NULL);
    vg_codec_limits_t lim = vg_codec_default_limits ();
    lim.max_strlen = 64;
    vg_batch_t *b2 = s_decode (&sh, 2, 0, &lim, b1->names);
    ASSERT (b2->names && b2->names != b1->names);

    lim.max_strings = 5;
    size_t len;
    uint8_t *p = s_frame (&sh, 3, 0, &len);
    vg_batch_t *b3 = NULL;
    char err[256] = "";
    ASSERT_EQ (vg_codec_decode_batch_named (p, len, &lim, b2->names, &b3, err, sizeof err),
               VG_ETOOBIG);
    ASSERT (b3 == NULL);
    ASSERT_STR_CONTAINS (err, "12 strings (limit 5)");
    free (p);
    vg_batch_destroy (&b1);
    vg_batch_destroy (&b2);
}

/* Batches whose names could not be compared whole are decoded whole and
 * share nothing: with events (which add to the strings), with a names field
 * after the samples, with one more series right after the same names. */
static void
test_read_whole (void)
{
    s_shape_t sh = {.nseries = 20};
    vg_batch_t *b1 = s_decode (&sh, 1, 0, NULL, NULL);
    vg_batch_names_t *known = b1->names;

    s_shape_t ev = sh;
    ev.event = 1;
    vg_batch_t *b = s_decode (&ev, 2, 0, NULL, known);
    ASSERT (b->names == NULL);
    ASSERT_EQ (b->nevents, 1);
    ASSERT_STR_EQ (b->strings[b->events[0].name], "m");
    vg_batch_destroy (&b);

    s_shape_t late = sh;
    late.late_string = 1;
    b = s_decode (&late, 3, 0, NULL, known);
    ASSERT (b->names == NULL);
    ASSERT_EQ (b->nstrings, 23);
    ASSERT_STR_EQ (b->strings[22], "late");
    vg_batch_destroy (&b);

    s_shape_t extra = sh;
    extra.extra_series = 1;
    b = s_decode (&extra, 4, 0, NULL, known);
    ASSERT (b->names && b->names != known);
    ASSERT_EQ (b->nseries, 21);
    ASSERT_EQ (b->series[20].kind, VG_KIND_COUNTER);
    vg_batch_destroy (&b);
    vg_batch_destroy (&b1);
}

/* A batch sharing names is checked like any other: a sample naming a series
 * it does not have is refused, with the same reason. */
static void
test_refused_alike (void)
{
    s_shape_t sh = {.nseries = 8, .names_first = 1};
    vg_batch_t *b1 = s_decode (&sh, 1, 0, NULL, NULL);
    sh.index0 = 8;
    size_t len;
    uint8_t *p = s_frame (&sh, 2, 0, &len);
    vg_batch_t *plain = NULL, *named = NULL;
    char e1[256] = "", e2[256] = "";
    ASSERT_EQ (vg_codec_decode_batch (p, len, NULL, &plain, e1, sizeof e1), VG_EPROTO);
    ASSERT_EQ (vg_codec_decode_batch_named (p, len, NULL, b1->names, &named, e2, sizeof e2),
               VG_EPROTO);
    ASSERT (plain == NULL && named == NULL);
    ASSERT_STR_EQ (e1, e2);
    ASSERT_STR_CONTAINS (e2, "series index 8 out of range (batch has 8 series)");

    /* Cut short after the names: the checksum refuses it before anything. */
    ASSERT_EQ (vg_codec_decode_batch_named (p, len - 3, NULL, b1->names, &named, e2, sizeof e2),
               VG_EPROTO);
    ASSERT_STR_CONTAINS (e2, "truncated or corrupted");
    free (p);
    vg_batch_destroy (&b1);
}

/* Adding to a batch that shares names copies them first: the shared ones
 * stay as they were. */
static void
test_builder_copies (void)
{
    s_shape_t sh = {.nseries = 4};
    vg_batch_t *b1 = s_decode (&sh, 1, 0, NULL, NULL);
    vg_batch_t *b2 = s_decode (&sh, 2, 0, NULL, b1->names);
    ASSERT (b2->names == b1->names);
    vg_label_t l[] = {{"k", "v2"}};
    ASSERT_EQ (vg_batch_series (b2, "m", VG_KIND_GAUGE, l, 1), 2);
    ASSERT (b2->names == NULL);
    ASSERT_EQ (vg_batch_intern (b2, "fresh"), 6);
    ASSERT_EQ (b2->nstrings, 7);
    ASSERT_EQ (b1->names->nstrings, 6);
    ASSERT_EQ (b1->nstrings, 6);
    vg_batch_clear (b1);
    ASSERT (b1->names == NULL && b1->nstrings == 0);
    vg_batch_destroy (&b1);
    vg_batch_destroy (&b2);
}

int
main (void)
{
    test_shared (0);
    test_shared (1);
    test_limits ();
    test_read_whole ();
    test_refused_alike ();
    test_builder_copies ();
    printf ("test_codec_names: ok\n");
    return 0;
}
