/*  vg_codec_decode.c - validated decoding of a batch (vg_codec.h): its bytes
 *  checked and read (vg_codec_wire.c, vg_codec_unpack.c), then every rule
 *  below, then a vg_batch_t built.
 *
 *  What decoding accepts, beyond what vg_codec.h lists:
 *    - seq > 0; agent_id of 1..VG_WIRE_MAX_AGENT_ID printable ASCII bytes;
 *      hostname at most 255 bytes; every string valid UTF-8 (no overlong
 *      forms, no surrogates), without NUL bytes, at most max_strlen bytes
 *      (event texts too);
 *    - relative_accuracy_ppm 0 or 10000: the only sketch mapping we know;
 *    - label keys unique and ascending, as the builder writes them;
 *    - gauge and counter values of any double, NaN and infinities
 *      included: an exposition may carry them, and they are stored as such;
 *    - distributions: count > 0, zero_count plus all bucket counts equal to
 *      count, every bucket count > 0, indexes strictly ascending and within
 *      the range a finite value can reach, sum/min/max finite, min <= max;
 *    - a checksum trailer ending the frame and matching (VG_WIRE_CRC_*), so
 *      a batch cut between two fields is not taken for a smaller one;
 *    - seq, distribution counts and zero counts at most INT64_MAX: they are
 *      stored as bigint;
 *    - every timestamp base_ts_ms + delta within what PostgreSQL holds
 *      (VG_WIRE_MIN_TS_MS .. VG_WIRE_END_TS_MS);
 *    - label bytes as series and events name them, and event bytes, within
 *      max_label_bytes and max_event_bytes: a string sent once may be named
 *      by every label of every event, and a small frame must not expand
 *      into a COPY of gigabytes;
 *    - series and events each at most max_samples, and the distributions'
 *      dense bucket spans at most S_MAX_DENSE cells in all, so a small
 *      hostile frame cannot make the decoder allocate gigabytes.
 *  Counts are checked on the wire before anything is allocated
 *  (vg_codec_wire.c).
 */
#include "vg_codec.h"
#include "vg_codec_unpack.h"
#include "vg_codec_wire.h"
#include "vg_utf8.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_wire.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_HOSTNAME 255
/* Cells of dense sketch stores a decoded batch may hold in all (32 MiB). */
#define S_MAX_DENSE (4u * 1024 * 1024)

/* Checks a name and label list (of a series or an event) against the strings. */
static int
s_check_names (const vg_batch_t *b, const char *what, size_t which, uint32_t name,
               const uint32_t *labels, size_t n, const vg_codec_limits_t *lim, char *err,
               size_t errlen)
{
    if (name >= b->nstrings)
        return vg_codec_fail (err, errlen, VG_EPROTO,
                              "%s %zu: name index %" PRIu32 " out of range (batch has %" PRIu32
                              " strings)",
                              what, which, name, b->nstrings);
    if (n % 2)
        return vg_codec_fail (err, errlen, VG_EPROTO, "%s %zu: label list has odd length %zu", what,
                              which, n);
    if (n / 2 > lim->max_labels)
        return vg_codec_fail (err, errlen, VG_ETOOBIG, "%s %zu: %zu labels (limit %zu)", what,
                              which, n / 2, lim->max_labels);
    for (size_t k = 0; k < n; k++)
        if (labels[k] >= b->nstrings)
            return vg_codec_fail (err, errlen, VG_EPROTO,
                                  "%s %zu: label %s index %" PRIu32
                                  " out of range (batch has %" PRIu32 " strings)",
                                  what, which, k % 2 ? "value" : "key", labels[k], b->nstrings);
    for (size_t k = 2; k < n; k += 2)
        if (strcmp (b->strings[labels[k - 2]], b->strings[labels[k]]) >= 0)
            return vg_codec_fail (
                err, errlen, VG_EPROTO,
                "%s %zu: label keys are not unique and ascending (key %zu after key "
                "%zu)",
                what, which, k / 2, k / 2 - 1);
    return 0;
}

/* base + delta, if it overflows nothing and PostgreSQL can hold it. */
static int
s_check_time (int64_t base, int64_t delta, int64_t *ts)
{
    if (__builtin_add_overflow (base, delta, ts))
        return -1;
    return *ts >= VG_WIRE_MIN_TS_MS && *ts < VG_WIRE_END_TS_MS ? 0 : -1;
}

/* Bytes of the label keys and values a list of string indexes names;
 * indexes out of range count nothing here (s_check_names refuses them). */
static size_t
s_named_bytes (const size_t *lens, uint32_t nstrings, const uint32_t *idx, size_t n)
{
    size_t sum = 0;
    for (size_t k = 0; k < n; k++)
        sum += idx[k] < nstrings ? lens[idx[k]] : 0;
    return sum;
}

/* What the batch expands to once every label names its strings: bounded
 * before anything is built from it. */
static int
s_check_expansion (const Vigil__Batch *m, const vg_codec_limits_t *lim, const vg_batch_t *b,
                   char *err, size_t errlen)
{
    size_t *lens = vg_malloc ((b->nstrings + 1) * sizeof *lens);
    for (uint32_t i = 0; i < b->nstrings; i++)
        lens[i] = strlen (b->strings[i]);
    size_t labels = 0, events = 0;
    for (size_t i = 0; i < m->n_series; i++)
        labels += s_named_bytes (lens, b->nstrings, m->series[i]->labels, m->series[i]->n_labels);
    for (size_t i = 0; i < m->n_events; i++) {
        const Vigil__Event *e = m->events[i];
        size_t named = s_named_bytes (lens, b->nstrings, e->labels, e->n_labels);
        labels += named;
        events += named + s_named_bytes (lens, b->nstrings, &e->name, 1) + strlen (e->text);
    }
    free (lens);
    if (labels > lim->max_label_bytes)
        return vg_codec_fail (err, errlen, VG_ETOOBIG,
                              "labels expand to %zu bytes (limit %zu): too many labels naming long "
                              "strings",
                              labels, lim->max_label_bytes);
    if (events > lim->max_event_bytes)
        return vg_codec_fail (err, errlen, VG_ETOOBIG,
                              "events expand to %zu bytes of names, labels and texts (limit %zu)",
                              events, lim->max_event_bytes);
    return 0;
}

static int
s_decode_strings (const Vigil__Batch *m, const vg_codec_limits_t *lim, vg_batch_t *b, char *err,
                  size_t errlen)
{
    VG_GROW (b->strings, b->strings_cap, m->n_strings);
    for (size_t i = 0; i < m->n_strings; i++) {
        const char *s = m->strings[i];
        size_t n = strlen (s);
        if (n > lim->max_strlen)
            return vg_codec_fail (err, errlen, VG_ETOOBIG, "string %zu is %zu bytes (limit %zu)", i,
                                  n, lim->max_strlen);
        size_t bad = vg_utf8_check (s, n);
        if (bad < n)
            return vg_codec_fail (err, errlen, VG_EPROTO,
                                  "string %zu is not valid UTF-8 (byte %zu)", i, bad);
        vg_batch_push_string (b, s, n);
    }
    return 0;
}

static int
s_decode_series (const Vigil__Batch *m, const vg_codec_limits_t *lim, vg_batch_t *b, char *err,
                 size_t errlen)
{
    VG_GROW (b->series, b->series_cap, m->n_series);
    for (size_t i = 0; i < m->n_series; i++) {
        const Vigil__Series *s = m->series[i];
        int rc = s_check_names (b, "series", i, s->name, s->labels, s->n_labels, lim, err, errlen);
        if (rc)
            return rc;
        if ((unsigned)s->kind > VIGIL__KIND__DISTRIBUTION)
            return vg_codec_fail (err, errlen, VG_EPROTO,
                                  "series %zu: kind %d is not gauge, counter or distribution", i,
                                  (int)s->kind);
        vg_batch_push_series (b, s->name, (vg_kind_t)s->kind, s->labels,
                              (uint32_t)(s->n_labels / 2));
    }
    return 0;
}

/* The columns: checked with loops the compiler can vectorize, then copied. */
static int
s_decode_samples (const Vigil__Batch *m, vg_batch_t *b, char *err, size_t errlen)
{
    size_t n = m->n_sample_series;
    if (m->n_sample_ts_delta_ms != n || m->n_sample_value != n)
        return vg_codec_fail (
            err, errlen, VG_EPROTO,
            "sample columns differ in length: %zu series, %zu timestamps, %zu values", n,
            m->n_sample_ts_delta_ms, m->n_sample_value);
    if (n == 0)
        return 0;
    const uint32_t *ss = m->sample_series;
    const int64_t *dt = m->sample_ts_delta_ms;
    const double *sv = m->sample_value;

    uint32_t smax = 0;
    for (size_t i = 0; i < n; i++)
        smax = ss[i] > smax ? ss[i] : smax;
    if (smax >= b->nseries)
        for (size_t i = 0; i < n; i++)
            if (ss[i] >= b->nseries)
                return vg_codec_fail (err, errlen, VG_EPROTO,
                                      "sample %zu: series index %" PRIu32
                                      " out of range (batch has "
                                      "%" PRIu32 " series)",
                                      i, ss[i], b->nseries);
    uint8_t *is_dist = vg_malloc (b->nseries);
    for (uint32_t k = 0; k < b->nseries; k++)
        is_dist[k] = b->series[k].kind == VG_KIND_DISTRIBUTION;
    unsigned wrong = 0;
    for (size_t i = 0; i < n; i++)
        wrong |= is_dist[ss[i]];
    free (is_dist);
    if (wrong)
        for (size_t i = 0; i < n; i++)
            if (b->series[ss[i]].kind == VG_KIND_DISTRIBUTION)
                return vg_codec_fail (err, errlen, VG_EPROTO,
                                      "sample %zu: series %" PRIu32
                                      " is a distribution, not a gauge or counter",
                                      i, ss[i]);

    int64_t dmin = dt[0], dmax = dt[0];
    for (size_t i = 0; i < n; i++) {
        dmin = dt[i] < dmin ? dt[i] : dmin;
        dmax = dt[i] > dmax ? dt[i] : dmax;
    }
    int64_t t;
    if (s_check_time (m->base_ts_ms, dmin, &t) || s_check_time (m->base_ts_ms, dmax, &t))
        for (size_t i = 0; i < n; i++)
            if (s_check_time (m->base_ts_ms, dt[i], &t))
                return vg_codec_fail (err, errlen, VG_EPROTO,
                                      "sample %zu: timestamp delta %" PRId64
                                      " from base_ts_ms %" PRId64
                                      " is outside what the database can hold",
                                      i, dt[i], m->base_ts_ms);

    b->sample_series = vg_malloc (n * sizeof *b->sample_series);
    b->sample_ts_ms = vg_malloc (n * sizeof *b->sample_ts_ms);
    b->sample_value = vg_malloc (n * sizeof *b->sample_value);
    b->samples_cap = n;
    memcpy (b->sample_series, ss, n * sizeof *ss);
    memcpy (b->sample_value, sv, n * sizeof *sv);
    const int64_t base = m->base_ts_ms;
    for (size_t i = 0; i < n; i++)
        b->sample_ts_ms[i] = base + dt[i];
    b->nsamples = n;
    return 0;
}

/* One store of a distribution: lengths, order, range and counts. */
static int
s_decode_store (size_t which, const char *name, const int32_t *index, size_t nindex,
                const uint64_t *count, size_t ncount, const vg_codec_limits_t *lim, vg_sketch_t *sk,
                int negative, uint64_t *total, size_t *dense, char *err, size_t errlen)
{
    if (nindex != ncount)
        return vg_codec_fail (err, errlen, VG_EPROTO,
                              "distribution %zu: %zu %s bucket indexes but %zu counts", which,
                              nindex, name, ncount);
    if (nindex > lim->max_buckets)
        return vg_codec_fail (err, errlen, VG_ETOOBIG,
                              "distribution %zu: %zu %s buckets (limit %zu)", which, nindex, name,
                              lim->max_buckets);
    if (nindex == 0)
        return 0;
    for (size_t k = 0; k < nindex; k++) {
        if (k > 0 && index[k] <= index[k - 1])
            return vg_codec_fail (err, errlen, VG_EPROTO,
                                  "distribution %zu: %s bucket index %" PRId32
                                  " not above the one before (%" PRId32 ")",
                                  which, name, index[k], index[k - 1]);
        if (count[k] == 0)
            return vg_codec_fail (err, errlen, VG_EPROTO,
                                  "distribution %zu: %s bucket %" PRId32 " has count 0", which,
                                  name, index[k]);
        if (__builtin_add_overflow (*total, count[k], total))
            return vg_codec_fail (err, errlen, VG_EPROTO,
                                  "distribution %zu: bucket counts overflow", which);
    }
    /* Check the range before the store allocates anything. */
    if (vg_sketch_add_bucket (sk, negative, index[0], 0) ||
        vg_sketch_add_bucket (sk, negative, index[nindex - 1], 0))
        return vg_codec_fail (err, errlen, VG_EPROTO,
                              "distribution %zu: %s bucket indexes %" PRId32 "..%" PRId32
                              " reach beyond any finite value",
                              which, name, index[0], index[nindex - 1]);
    size_t span = (size_t)((int64_t)index[nindex - 1] - index[0] + 1);
    if (span > S_MAX_DENSE - *dense)
        return vg_codec_fail (err, errlen, VG_ETOOBIG,
                              "distribution %zu: bucket ranges need more than %u cells in all",
                              which, S_MAX_DENSE);
    *dense += span;
    for (size_t k = 0; k < nindex; k++)
        vg_sketch_add_bucket (sk, negative, index[k], count[k]);
    return 0;
}

static int
s_decode_dists (const Vigil__Batch *m, const vg_codec_limits_t *lim, vg_batch_t *b, char *err,
                size_t errlen)
{
    size_t dense = 0;
    VG_GROW (b->dists, b->dists_cap, m->n_distributions);
    for (size_t i = 0; i < m->n_distributions; i++) {
        const Vigil__Distribution *d = m->distributions[i];
        if (d->series >= b->nseries)
            return vg_codec_fail (err, errlen, VG_EPROTO,
                                  "distribution %zu: series index %" PRIu32
                                  " out of range (batch has %" PRIu32 " series)",
                                  i, d->series, b->nseries);
        if (b->series[d->series].kind != VG_KIND_DISTRIBUTION)
            return vg_codec_fail (
                err, errlen, VG_EPROTO,
                "distribution %zu: series %" PRIu32 " is a %s, not a distribution", i, d->series,
                b->series[d->series].kind == VG_KIND_GAUGE ? "gauge" : "counter");
        int64_t ts;
        if (s_check_time (m->base_ts_ms, d->ts_delta_ms, &ts))
            return vg_codec_fail (err, errlen, VG_EPROTO,
                                  "distribution %zu: timestamp delta %" PRId64
                                  " from base_ts_ms %" PRId64
                                  " is outside what the database can hold",
                                  i, d->ts_delta_ms, m->base_ts_ms);
        if (d->count == 0)
            return vg_codec_fail (err, errlen, VG_EPROTO, "distribution %zu: count is 0", i);
        if (d->count > INT64_MAX || d->zero_count > INT64_MAX)
            return vg_codec_fail (err, errlen, VG_EPROTO,
                                  "distribution %zu: count %" PRIu64 " or zero_count %" PRIu64
                                  " is above %" PRId64 ", the most the database holds",
                                  i, d->count, d->zero_count, INT64_MAX);
        if (!isfinite (d->sum) || !isfinite (d->min) || !isfinite (d->max))
            return vg_codec_fail (err, errlen, VG_EPROTO,
                                  "distribution %zu: sum %g, min %g, max %g must all be finite", i,
                                  d->sum, d->min, d->max);
        if (d->min > d->max)
            return vg_codec_fail (err, errlen, VG_EPROTO, "distribution %zu: min %g above max %g",
                                  i, d->min, d->max);

        vg_sketch_t *sk = vg_sketch_new ();
        uint64_t total = d->zero_count;
        int rc = s_decode_store (i, "positive", d->bucket_index, d->n_bucket_index, d->bucket_count,
                                 d->n_bucket_count, lim, sk, 0, &total, &dense, err, errlen);
        if (rc == 0)
            rc = s_decode_store (i, "negative", d->neg_bucket_index, d->n_neg_bucket_index,
                                 d->neg_bucket_count, d->n_neg_bucket_count, lim, sk, 1, &total,
                                 &dense, err, errlen);
        if (rc == 0 && total != d->count)
            rc = vg_codec_fail (err, errlen, VG_EPROTO,
                                "distribution %zu: zero_count + bucket counts = %" PRIu64
                                ", but count is %" PRIu64,
                                i, total, d->count);
        if (rc) {
            vg_sketch_destroy (&sk);
            return rc;
        }
        sk->zero_count = d->zero_count;
        sk->count = d->count;
        sk->sum = d->sum;
        sk->min = d->min;
        sk->max = d->max;
        vg_batch_take_dist (b, d->series, ts, &sk);
    }
    return 0;
}

static int
s_decode_events (const Vigil__Batch *m, const vg_codec_limits_t *lim, vg_batch_t *b, char *err,
                 size_t errlen)
{
    vg_label_t *labels = NULL;
    size_t labels_cap = 0;
    int rc = 0;
    for (size_t i = 0; i < m->n_events && rc == 0; i++) {
        const Vigil__Event *e = m->events[i];
        rc = s_check_names (b, "event", i, e->name, e->labels, e->n_labels, lim, err, errlen);
        if (rc)
            break;
        int64_t ts;
        if (s_check_time (m->base_ts_ms, e->ts_delta_ms, &ts)) {
            rc = vg_codec_fail (err, errlen, VG_EPROTO,
                                "event %zu: timestamp delta %" PRId64 " from base_ts_ms %" PRId64
                                " is outside what the database can hold",
                                i, e->ts_delta_ms, m->base_ts_ms);
            break;
        }
        size_t n = strlen (e->text);
        if (n > lim->max_strlen) {
            rc = vg_codec_fail (err, errlen, VG_ETOOBIG, "event %zu: text is %zu bytes (limit %zu)",
                                i, n, lim->max_strlen);
            break;
        }
        size_t bad = vg_utf8_check (e->text, n);
        if (bad < n) {
            rc = vg_codec_fail (err, errlen, VG_EPROTO,
                                "event %zu: text is not valid UTF-8 (byte %zu)", i, bad);
            break;
        }
        /* Events are rare: the builder's call does the bookkeeping. */
        VG_GROW (labels, labels_cap, e->n_labels / 2 + 1);
        for (size_t k = 0; k < e->n_labels / 2; k++) {
            labels[k].key = b->strings[e->labels[2 * k]];
            labels[k].value = b->strings[e->labels[2 * k + 1]];
        }
        vg_batch_add_event (b, ts, b->strings[e->name], labels, e->n_labels / 2, e->text);
    }
    free (labels);
    return rc;
}

/* known: the names the batch's strings and series are, already decoded
 * (NULL: they are decoded here). */
static int
s_decode (const Vigil__Batch *m, const vg_codec_limits_t *lim, vg_batch_names_t *known,
          vg_batch_t **out, char *err, size_t errlen)
{
    size_t n = strlen (m->agent_id);
    if (n == 0)
        return vg_codec_fail (err, errlen, VG_EPROTO, "agent_id is empty");
    if (n > VG_WIRE_MAX_AGENT_ID)
        return vg_codec_fail (err, errlen, VG_EPROTO, "agent_id is %zu bytes (limit %d)", n,
                              VG_WIRE_MAX_AGENT_ID);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)m->agent_id[i];
        if (c < 0x20 || c > 0x7e)
            return vg_codec_fail (err, errlen, VG_EPROTO,
                                  "agent_id byte %zu (0x%02x) is not printable ASCII", i, c);
    }
    n = strlen (m->hostname);
    if (n > S_MAX_HOSTNAME)
        return vg_codec_fail (err, errlen, VG_EPROTO, "hostname is %zu bytes (limit %d)", n,
                              S_MAX_HOSTNAME);
    if (vg_utf8_check (m->hostname, n) < n)
        return vg_codec_fail (err, errlen, VG_EPROTO, "hostname is not valid UTF-8");
    if (m->seq == 0)
        return vg_codec_fail (err, errlen, VG_EPROTO, "seq is 0 (sequence numbers start at 1)");
    if (m->seq > INT64_MAX)
        return vg_codec_fail (err, errlen, VG_EPROTO,
                              "seq %" PRIu64 " is above %" PRId64 ", the most the database holds",
                              m->seq, INT64_MAX);
    if (m->relative_accuracy_ppm != 0 && m->relative_accuracy_ppm != VG_CODEC_ACCURACY_PPM)
        return vg_codec_fail (err, errlen, VG_EPROTO,
                              "relative accuracy %" PRIu32 " ppm is not supported (only %d)",
                              m->relative_accuracy_ppm, VG_CODEC_ACCURACY_PPM);

    vg_batch_t *b = vg_batch_new (m->agent_id, m->hostname);
    b->seq = m->seq;
    b->incarnation = m->incarnation;
    b->interval_ms = m->interval_ms;
    b->sent_ms = m->sent_ms;
    int rc = 0;
    if (known)
        vg_batch_use_names (b, known);
    else {
        rc = s_decode_strings (m, lim, b, err, errlen);
        if (rc == 0)
            rc = s_check_expansion (m, lim, b, err, errlen);
        if (rc == 0)
            rc = s_decode_series (m, lim, b, err, errlen);
    }
    if (rc == 0)
        rc = s_decode_samples (m, b, err, errlen);
    if (rc == 0)
        rc = s_decode_dists (m, lim, b, err, errlen);
    if (rc == 0)
        rc = s_decode_events (m, lim, b, err, errlen);
    if (rc) {
        vg_batch_destroy (&b);
        return rc;
    }
    *out = b;
    return 0;
}

/* Whether the names of the batch in data are known's: their bytes the same,
 * read under the same limits, and no other names field after them. Then
 * *c holds the batch's counts, with known's names. Events need the string
 * table to be checked and add to it: a batch with events is read whole. */
static int
s_names_known (const uint8_t *data, size_t len, const vg_codec_limits_t *lim,
               const vg_batch_names_t *known, vg_codec_counts_t *c)
{
    memset (c, 0, sizeof *c);
    size_t at, end;
    if (vg_codec_prescan_from (data, 0, len, c, 1, &at, NULL, 0) || at == len)
        return 0;
    size_t n = known->key_len - sizeof *lim;
    if (known->key_len < sizeof *lim || memcmp (known->key, lim, sizeof *lim) || n > len - at ||
        memcmp (data + at, known->key + sizeof *lim, n))
        return 0;
    c->strings = known->nstrings;
    c->series = known->nseries;
    if (vg_codec_prescan_from (data, at + n, len, c, 1, &end, NULL, 0) || end != len || c->events)
        return 0;
    c->names_at = at;
    c->names_end = at + n;
    c->names_known = 1;
    return 1;
}

/* Gives b's names for a later batch to share, when they can be: one run of
 * fields, and no events (which add to the strings). */
static void
s_share_names (vg_batch_t *b, const uint8_t *data, const vg_codec_counts_t *c,
               const vg_codec_limits_t *lim)
{
    if (c->names_split || c->events || c->strings + c->series == 0)
        return;
    size_t n = c->names_end - c->names_at;
    uint8_t *key = vg_malloc (sizeof *lim + n);
    memcpy (key, lim, sizeof *lim);
    memcpy (key + sizeof *lim, data + c->names_at, n);
    vg_batch_share_names (b, key, sizeof *lim + n);
    free (key);
}

static int
s_decode_bytes (const uint8_t *data, size_t len, const vg_codec_limits_t *limits,
                vg_batch_names_t *known, int share, vg_batch_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    vg_codec_limits_t lim = limits ? *limits : vg_codec_default_limits ();
    if (!data && len)
        return vg_codec_fail (err, errlen, VG_EPROTO, "no data");
    vg_codec_counts_t counts;
    int rc = vg_codec_check_trailer (data, len, err, errlen);
    if (rc)
        return rc;
    if (!known || !s_names_known (data, len, &lim, known, &counts)) {
        known = NULL;
        rc = vg_codec_prescan (data, len, &counts, err, errlen);
    }
    if (rc == 0)
        rc = vg_codec_check_counts (&counts, &lim, err, errlen);
    if (rc)
        return rc;
    /* Every array and string is allocated apart: from an arena that goes at
     * once, decoding spends a fraction of the time it spent in malloc and
     * free. */
    vg_arena_t arena = {0};
    ProtobufCAllocator alloc = vg_codec_arena_allocator (&arena);
    Vigil__Batch *m = vg_codec_unpack_batch (data, len, &counts, &alloc);
    if (m)
        rc = s_decode (m, &lim, known, out, err, errlen);
    else
        rc = vg_codec_fail (err, errlen, VG_EPROTO, "malformed protobuf: not a vigil.Batch");
    vg_arena_free (&arena);
    if (rc == 0 && share && !known)
        s_share_names (*out, data, &counts, &lim);
    return rc;
}

int
vg_codec_decode_batch (const uint8_t *data, size_t len, const vg_codec_limits_t *limits,
                       vg_batch_t **out, char *err, size_t errlen)
{
    return s_decode_bytes (data, len, limits, NULL, 0, out, err, errlen);
}

int
vg_codec_decode_batch_named (const uint8_t *data, size_t len, const vg_codec_limits_t *limits,
                             vg_batch_names_t *known, vg_batch_t **out, char *err, size_t errlen)
{
    return s_decode_bytes (data, len, limits, known, 1, out, err, errlen);
}
