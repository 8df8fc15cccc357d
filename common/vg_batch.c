/*  vg_batch.c - the in-memory batch and its intern tables.
 *
 *  vg_batch_series is on the agent's hot path (a log storm may add a million
 *  samples a second into a few hundred series), so a lookup hashes the name
 *  and labels as given and compares against the stored strings: no
 *  allocation and no string interning unless the series is new. Strings and
 *  label arrays live in an arena that vg_batch_clear rewinds, so a batch
 *  reused interval after interval stops allocating once it has warmed up.
 *
 *  What the builder stores is what vg_codec_decode_batch accepts: strings are
 *  valid UTF-8 of at most VG_WIRE_MAX_STRLEN bytes (invalid bytes become '?',
 *  longer strings are cut at a character boundary), label keys are unique and
 *  ascending (for a repeated key the last value wins), at most
 *  VG_WIRE_MAX_LABELS labels per series. vg_batch_add_sample drops NaN and
 *  infinities, which an input computing a value (a rate, a ratio) can only
 *  make by mistake; vg_batch_add_value keeps them, for sources that report
 *  them as values (an exposition's NaN, +Inf and -Inf).
 */
#include "vg_batch.h"
#include "vg_arena.h"
#include "vg_hash.h"
#include "vg_utf8.h"
#include "vg_alloc.h"
#include "vg_wire.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- hashing ---- */

static inline uint64_t
s_hash_combine (uint64_t h, uint64_t v)
{
    return vg_hash_mix (h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6)));
}

/* 1 if s (len bytes) is what the decoder accepts: valid UTF-8, short enough. */
static int
s_clean (const char *s, size_t len)
{
    return len <= VG_WIRE_MAX_STRLEN && vg_utf8_check (s, len) == len;
}

/* A copy of s with invalid bytes replaced by '?' and cut to at most
 * VG_WIRE_MAX_STRLEN bytes at a character boundary. Caller owns it. */
static char *
s_sanitize (const char *s, size_t len, size_t *outlen)
{
    char *out = vg_malloc (len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t k = vg_utf8_seq ((const unsigned char *)s + i, len - i);
        if (o + (k ? k : 1) > VG_WIRE_MAX_STRLEN)
            break;
        if (k == 0) {
            out[o++] = '?';
            i++;
        } else {
            memcpy (out + o, s + i, k);
            o += k;
            i += k;
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* ---- intern tables ---- */

/* A string as given to the builder, checked and hashed once per call. */
typedef struct {
    const char *s;
    size_t len;
    uint64_t hash;
    char *owned; /* a sanitized copy, freed at the end of the call */
} s_str_t;

/* Open addressing with linear probing; a slot holds index + 1, 0 is empty.
 * The full hash of every entry is kept by index, so growing never rehashes
 * strings and a probe compares hashes before strings. */
typedef struct {
    uint32_t *slots;
    size_t cap; /* power of two, at most half full */
    size_t used;
    uint64_t *hashes; /* by entry index */
    size_t hashes_cap;
    uint32_t indexed; /* entries [0, indexed) are in the table */
} s_table_t;

struct vg_batch_index_t {
    vg_arena_t arena; /* strings and label arrays, rewound by vg_batch_clear */
    s_table_t strings;
    s_table_t series;
    vg_label_t *sorted; /* scratch: a call's labels, sorted */
    size_t sorted_cap;
    s_str_t *strs; /* scratch: name, key, value, key, value... */
    size_t strs_cap;
};

static void
s_table_free (s_table_t *t)
{
    free (t->slots);
    free (t->hashes);
    memset (t, 0, sizeof *t);
}

static void
s_table_clear (s_table_t *t)
{
    if (t->slots)
        memset (t->slots, 0, t->cap * sizeof *t->slots);
    t->used = 0;
    t->indexed = 0;
}

static void
s_table_put (s_table_t *t, uint32_t index, uint64_t hash)
{
    size_t mask = t->cap - 1;
    size_t i = (size_t)hash & mask;
    while (t->slots[i])
        i = (i + 1) & mask;
    t->slots[i] = index + 1;
    t->used++;
}

/* Records the hash of entry index and makes room for it in the table. */
static void
s_table_add (s_table_t *t, uint32_t index, uint64_t hash)
{
    VG_GROW (t->hashes, t->hashes_cap, (size_t)index + 1);
    t->hashes[index] = hash;
    t->indexed = index + 1;
    if (hash == 0)
        return;
    if ((t->used + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        free (t->slots);
        t->slots = vg_calloc (cap, sizeof *t->slots);
        t->cap = cap;
        t->used = 0;
        for (uint32_t k = 0; k < index; k++)
            if (t->hashes[k] != 0)
                s_table_put (t, k, t->hashes[k]);
    }
    s_table_put (t, index, hash);
}

/* Entries whose hash is 0 are never matched (pushed series with bad indexes).
 * A real hash of 0 is moved to 1; the table only needs equal inputs to hash
 * equally. */
static inline uint64_t
s_nonzero (uint64_t h)
{
    return h ? h : 1;
}

static uint64_t
s_string_hash (const char *s, size_t len)
{
    return s_nonzero (vg_hash_bytes (s, len));
}

static int
s_series_valid (const vg_batch_t *self, const vg_series_t *ser)
{
    if (ser->name >= self->nstrings)
        return 0;
    for (uint32_t k = 0; k < 2 * ser->nlabels; k++)
        if (ser->labels[k] >= self->nstrings)
            return 0;
    return 1;
}

static uint64_t
s_series_hash_of (const vg_batch_t *self, const vg_series_t *ser)
{
    const uint64_t *sh = self->index->strings.hashes;
    uint64_t h = s_hash_combine ((uint64_t)ser->kind, sh[ser->name]);
    for (uint32_t k = 0; k < 2 * ser->nlabels; k++)
        h = s_hash_combine (h, sh[ser->labels[k]]);
    return s_nonzero (h);
}

/* ---- shared names ---- */

static _Atomic uint64_t s_names_serial;

/* Drops the batch's hold on its strings and series, own or shared. */
static void
s_drop_names (vg_batch_t *self)
{
    if (self->names) {
        vg_batch_names_unref (&self->names);
        self->strings = NULL;
        self->series = NULL;
    }
    self->nstrings = 0;
    self->nseries = 0;
}

/* Copies shared names into the batch's own storage, so that it can add to
 * them. */
static void
s_own (vg_batch_t *self)
{
    vg_batch_names_t *names = self->names;
    if (!names)
        return;
    self->names = NULL;
    self->strings = NULL;
    self->series = NULL;
    self->nstrings = 0;
    self->nseries = 0;
    for (uint32_t i = 0; i < names->nstrings; i++)
        vg_batch_push_string (self, names->strings[i], strlen (names->strings[i]));
    for (uint32_t i = 0; i < names->nseries; i++) {
        const vg_series_t *ser = &names->series[i];
        vg_batch_push_series (self, ser->name, ser->kind, ser->labels, ser->nlabels);
    }
    vg_batch_names_unref (&names);
}

vg_batch_names_t *
vg_batch_share_names (vg_batch_t *self, const void *key, size_t key_len)
{
    assert (!self->names);
    /* One block, laid out as the fields come: names live long, one per
     * connection, and many small blocks of them would scatter the heap. */
    size_t text = 0, labels = 0;
    for (uint32_t i = 0; i < self->nstrings; i++)
        text += strlen (self->strings[i]) + 1;
    for (uint32_t i = 0; i < self->nseries; i++)
        labels += 2 * (size_t)self->series[i].nlabels;
    size_t head = (sizeof (vg_batch_names_t) + 7) & ~(size_t)7;
    size_t bytes = head + self->nstrings * sizeof (char *) + self->nseries * sizeof (vg_series_t) +
                   labels * sizeof (uint32_t) + text + key_len;
    char *block = vg_malloc (bytes);
    vg_batch_names_t *names = (vg_batch_names_t *)block;
    memset (names, 0, sizeof *names);
    atomic_init (&names->refs, 1);
    names->serial = atomic_fetch_add (&s_names_serial, 1) + 1;
    names->bytes = bytes;
    char *p = block + head;
    names->strings = (char **)p;
    p += self->nstrings * sizeof (char *);
    names->series = (vg_series_t *)p;
    p += self->nseries * sizeof (vg_series_t);
    uint32_t *label = (uint32_t *)p;
    p += labels * sizeof (uint32_t);
    for (uint32_t i = 0; i < self->nstrings; i++) {
        size_t n = strlen (self->strings[i]) + 1;
        memcpy (p, self->strings[i], n);
        names->strings[i] = p;
        p += n;
    }
    for (uint32_t i = 0; i < self->nseries; i++) {
        const vg_series_t *ser = &self->series[i];
        size_t n = 2 * (size_t)ser->nlabels;
        if (n)
            memcpy (label, ser->labels, n * sizeof *label);
        names->series[i] = (vg_series_t){ser->name, ser->kind, ser->nlabels, label};
        label += n;
    }
    names->key = (uint8_t *)p;
    if (key_len)
        memcpy (names->key, key, key_len);
    names->key_len = key_len;
    names->nstrings = self->nstrings;
    names->nseries = self->nseries;
    /* The batch drops its own copy and uses the names. */
    self->nstrings = 0;
    self->nseries = 0;
    vg_arena_free (&self->index->arena);
    s_table_clear (&self->index->strings);
    s_table_clear (&self->index->series);
    vg_batch_use_names (self, names);
    vg_batch_names_unref (&names);
    return self->names;
}

void
vg_batch_use_names (vg_batch_t *self, vg_batch_names_t *names)
{
    assert (!self->names && self->nstrings == 0 && self->nseries == 0);
    free (self->strings);
    free (self->series);
    self->strings_cap = 0;
    self->series_cap = 0;
    self->names = vg_batch_names_ref (names);
    self->strings = names->strings;
    self->nstrings = names->nstrings;
    self->series = names->series;
    self->nseries = names->nseries;
}

vg_batch_names_t *
vg_batch_names_ref (vg_batch_names_t *names)
{
    if (names)
        atomic_fetch_add_explicit (&names->refs, 1, memory_order_relaxed);
    return names;
}

void
vg_batch_names_unref (vg_batch_names_t **names_p)
{
    vg_batch_names_t *names = names_p ? *names_p : NULL;
    if (!names)
        return;
    *names_p = NULL;
    if (atomic_fetch_sub_explicit (&names->refs, 1, memory_order_acq_rel) == 1)
        free (names); /* one block */
}

/* Brings the tables up to date with entries appended by vg_batch_push_*. */
static void
s_catch_up (vg_batch_t *self)
{
    s_own (self);
    vg_batch_index_t *ix = self->index;
    for (uint32_t k = ix->strings.indexed; k < self->nstrings; k++) {
        const char *s = self->strings[k];
        s_table_add (&ix->strings, k, s_string_hash (s, strlen (s)));
    }
    for (uint32_t k = ix->series.indexed; k < self->nseries; k++) {
        const vg_series_t *ser = &self->series[k];
        s_table_add (&ix->series, k, s_series_valid (self, ser) ? s_series_hash_of (self, ser) : 0);
    }
}

static uint32_t
s_intern (vg_batch_t *self, const s_str_t *str)
{
    s_table_t *t = &self->index->strings;
    if (t->cap) {
        size_t mask = t->cap - 1;
        for (size_t i = (size_t)str->hash & mask; t->slots[i]; i = (i + 1) & mask) {
            uint32_t k = t->slots[i] - 1;
            if (t->hashes[k] == str->hash && strcmp (self->strings[k], str->s) == 0)
                return k;
        }
    }
    vg_batch_push_string (self, str->s, str->len);
    uint32_t index = self->nstrings - 1;
    s_table_add (t, index, str->hash);
    return index;
}

static void
s_str_init (s_str_t *str, const char *s)
{
    if (!s)
        s = "";
    str->s = s;
    str->len = strlen (s);
    str->owned = NULL;
    if (!s_clean (s, str->len)) {
        str->owned = s_sanitize (s, str->len, &str->len);
        str->s = str->owned;
    }
    str->hash = s_string_hash (str->s, str->len);
}

/* Fills the scratch with name, then sorted unique labels as key, value...;
 * returns the number of labels kept. */
static uint32_t
s_prepare (vg_batch_t *self, const char *name, const vg_label_t *labels, size_t nlabels)
{
    vg_batch_index_t *ix = self->index;
    VG_GROW (ix->strs, ix->strs_cap, 1 + 2 * nlabels);
    s_str_init (&ix->strs[0], name);
    if (nlabels == 0)
        return 0;

    /* Clean first: sanitizing may change how keys compare. */
    VG_GROW (ix->sorted, ix->sorted_cap, nlabels);
    for (size_t i = 0; i < nlabels; i++) {
        s_str_init (&ix->strs[1 + 2 * i], labels[i].key);
        s_str_init (&ix->strs[2 + 2 * i], labels[i].value);
    }
    /* Stable insertion sort of (key, value) pairs by key: label lists are short. */
    s_str_t *p = ix->strs + 1;
    for (size_t i = 1; i < nlabels; i++) {
        s_str_t key = p[2 * i], value = p[2 * i + 1];
        size_t j = i;
        while (j > 0 && strcmp (p[2 * (j - 1)].s, key.s) > 0) {
            p[2 * j] = p[2 * (j - 1)];
            p[2 * j + 1] = p[2 * (j - 1) + 1];
            j--;
        }
        p[2 * j] = key;
        p[2 * j + 1] = value;
    }
    /* A repeated key keeps its last value; the dropped strings are freed. */
    size_t n = 0;
    for (size_t i = 0; i < nlabels; i++) {
        if (i + 1 < nlabels && strcmp (p[2 * i].s, p[2 * (i + 1)].s) == 0) {
            free (p[2 * i].owned);
            free (p[2 * i + 1].owned);
            continue;
        }
        p[2 * n] = p[2 * i];
        p[2 * n + 1] = p[2 * i + 1];
        n++;
    }
    while (n > VG_WIRE_MAX_LABELS) {
        n--;
        free (p[2 * n].owned);
        free (p[2 * n + 1].owned);
    }
    return (uint32_t)n;
}

static void
s_release (vg_batch_t *self, uint32_t nlabels)
{
    for (uint32_t i = 0; i < 1 + 2 * nlabels; i++)
        free (self->index->strs[i].owned);
}

/* ---- the batch ---- */

vg_batch_t *
vg_batch_new (const char *agent_id, const char *hostname)
{
    vg_batch_t *self = vg_calloc (1, sizeof *self);
    self->agent_id = vg_strdup (agent_id ? agent_id : "");
    self->hostname = vg_strdup (hostname ? hostname : "");
    self->index = vg_calloc (1, sizeof *self->index);
    return self;
}

static void
s_free_dists (vg_batch_t *self)
{
    for (size_t i = 0; i < self->ndists; i++)
        vg_sketch_destroy (&self->dists[i].sketch);
    self->ndists = 0;
}

void
vg_batch_destroy (vg_batch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vg_batch_t *self = *self_p;
    s_free_dists (self);
    vg_batch_index_t *ix = self->index;
    vg_arena_free (&ix->arena);
    s_table_free (&ix->strings);
    s_table_free (&ix->series);
    free (ix->sorted);
    free (ix->strs);
    free (ix);
    free (self->agent_id);
    free (self->hostname);
    s_drop_names (self);
    free (self->strings);
    free (self->series);
    free (self->sample_series);
    free (self->sample_ts_ms);
    free (self->sample_value);
    free (self->dists);
    free (self->events);
    free (self);
    *self_p = NULL;
}

void
vg_batch_clear (vg_batch_t *self)
{
    s_free_dists (self);
    s_drop_names (self);
    self->nsamples = 0;
    self->nevents = 0;
    vg_arena_rewind (&self->index->arena);
    s_table_clear (&self->index->strings);
    s_table_clear (&self->index->series);
}

uint32_t
vg_batch_intern (vg_batch_t *self, const char *s)
{
    s_catch_up (self);
    s_str_t str;
    s_str_init (&str, s);
    uint32_t index = s_intern (self, &str);
    free (str.owned);
    return index;
}

static int
s_series_matches (const vg_batch_t *self, const vg_series_t *ser, vg_kind_t kind,
                  const s_str_t *strs, uint32_t nlabels)
{
    if (ser->kind != kind || ser->nlabels != nlabels)
        return 0;
    if (strcmp (self->strings[ser->name], strs[0].s) != 0)
        return 0;
    for (uint32_t k = 0; k < 2 * nlabels; k++)
        if (strcmp (self->strings[ser->labels[k]], strs[1 + k].s) != 0)
            return 0;
    return 1;
}

uint32_t
vg_batch_series (vg_batch_t *self, const char *name, vg_kind_t kind, const vg_label_t *labels,
                 size_t nlabels)
{
    s_catch_up (self);
    vg_batch_index_t *ix = self->index;
    uint32_t n = s_prepare (self, name, labels, nlabels);
    const s_str_t *strs = ix->strs;

    uint64_t h = s_hash_combine ((uint64_t)kind, strs[0].hash);
    for (uint32_t k = 0; k < 2 * n; k++)
        h = s_hash_combine (h, strs[1 + k].hash);
    h = s_nonzero (h);

    s_table_t *t = &ix->series;
    if (t->cap) {
        size_t mask = t->cap - 1;
        for (size_t i = (size_t)h & mask; t->slots[i]; i = (i + 1) & mask) {
            uint32_t k = t->slots[i] - 1;
            if (t->hashes[k] == h && s_series_matches (self, &self->series[k], kind, strs, n)) {
                s_release (self, n);
                return k;
            }
        }
    }

    uint32_t name_index = s_intern (self, &strs[0]);
    uint32_t *idx = vg_arena_alloc (&ix->arena, (2 * (size_t)n + 1) * sizeof *idx);
    for (uint32_t k = 0; k < 2 * n; k++)
        idx[k] = s_intern (self, &strs[1 + k]);
    s_release (self, n);

    VG_GROW (self->series, self->series_cap, (size_t)self->nseries + 1);
    vg_series_t *ser = &self->series[self->nseries];
    ser->name = name_index;
    ser->kind = kind;
    ser->nlabels = n;
    ser->labels = idx;
    uint32_t index = self->nseries++;
    s_table_add (t, index, h);
    return index;
}

void
vg_batch_add_sample (vg_batch_t *self, uint32_t series, int64_t ts_ms, double value)
{
    if (isfinite (value))
        vg_batch_add_value (self, series, ts_ms, value);
}

void
vg_batch_add_value (vg_batch_t *self, uint32_t series, int64_t ts_ms, double value)
{
    assert (series < self->nseries);
    if (self->nsamples == self->samples_cap) {
        size_t cap = self->samples_cap ? self->samples_cap * 2 : 256;
        self->sample_series = vg_realloc (self->sample_series, cap * sizeof *self->sample_series);
        self->sample_ts_ms = vg_realloc (self->sample_ts_ms, cap * sizeof *self->sample_ts_ms);
        self->sample_value = vg_realloc (self->sample_value, cap * sizeof *self->sample_value);
        self->samples_cap = cap;
    }
    size_t i = self->nsamples++;
    self->sample_series[i] = series;
    self->sample_ts_ms[i] = ts_ms;
    self->sample_value[i] = value;
}

void
vg_batch_take_dist (vg_batch_t *self, uint32_t series, int64_t ts_ms, vg_sketch_t **sketch_p)
{
    assert (sketch_p && *sketch_p);
    VG_GROW (self->dists, self->dists_cap, self->ndists + 1);
    vg_dist_t *d = &self->dists[self->ndists++];
    d->series = series;
    d->ts_ms = ts_ms;
    d->sketch = *sketch_p;
    *sketch_p = NULL;
}

void
vg_batch_add_dist (vg_batch_t *self, uint32_t series, int64_t ts_ms, const vg_sketch_t *sketch)
{
    vg_sketch_t *copy = vg_sketch_dup (sketch);
    vg_batch_take_dist (self, series, ts_ms, &copy);
}

void
vg_batch_add_event (vg_batch_t *self, int64_t ts_ms, const char *name, const vg_label_t *labels,
                    size_t nlabels, const char *text)
{
    s_catch_up (self);
    vg_batch_index_t *ix = self->index;
    uint32_t n = s_prepare (self, name, labels, nlabels);
    uint32_t name_index = s_intern (self, &ix->strs[0]);
    uint32_t *idx = vg_arena_alloc (&ix->arena, (2 * (size_t)n + 1) * sizeof *idx);
    for (uint32_t k = 0; k < 2 * n; k++)
        idx[k] = s_intern (self, &ix->strs[1 + k]);
    s_release (self, n);

    s_str_t body;
    s_str_init (&body, text);
    char *copy = vg_arena_alloc (&ix->arena, body.len + 1);
    memcpy (copy, body.s, body.len + 1);
    free (body.owned);

    VG_GROW (self->events, self->events_cap, self->nevents + 1);
    vg_event_t *e = &self->events[self->nevents++];
    e->ts_ms = ts_ms;
    e->name = name_index;
    e->nlabels = n;
    e->labels = idx;
    e->text = copy;
}

void
vg_batch_push_string (vg_batch_t *self, const char *s, size_t len)
{
    s_own (self);
    char *copy = vg_arena_alloc (&self->index->arena, len + 1);
    memcpy (copy, s, len);
    copy[len] = '\0';
    VG_GROW (self->strings, self->strings_cap, (size_t)self->nstrings + 1);
    self->strings[self->nstrings++] = copy;
}

void
vg_batch_push_series (vg_batch_t *self, uint32_t name, vg_kind_t kind, const uint32_t *labels,
                      uint32_t nlabels)
{
    s_own (self);
    uint32_t *idx = vg_arena_alloc (&self->index->arena, (2 * (size_t)nlabels + 1) * sizeof *idx);
    if (nlabels)
        memcpy (idx, labels, 2 * (size_t)nlabels * sizeof *idx);
    VG_GROW (self->series, self->series_cap, (size_t)self->nseries + 1);
    vg_series_t *ser = &self->series[self->nseries++];
    ser->name = name;
    ser->kind = kind;
    ser->nlabels = nlabels;
    ser->labels = idx;
}

size_t
vg_batch_count (const vg_batch_t *self)
{
    return self->nsamples + self->ndists;
}
