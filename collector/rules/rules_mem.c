/*  rules_mem.c - series in memory, indexed by label set and by the
 *  selectors that read them. */
#include "rules_mem.h"
#include "rules_map.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_hash.h"

#include <stdlib.h>
#include <string.h>

struct rules_mem_series_t {
    rules_labels_t *labels; /* owned */
    uint64_t hash;
    int sketch;
    int64_t *ts;
    double *v;
    vg_sketch_t **sk;     /* sketch series only */
    size_t start, n, cap; /* samples are [start, start + n) */
    int64_t window_ms;    /* the widest watch that matches; -1: none */
    int *readers;
    size_t nreaders, readers_cap;
};

typedef struct {
    const rules_node_t *sel;
    int64_t window_ms;
    int *readers;
    size_t nreaders, readers_cap;
    rules_mem_series_t **series;
    size_t nseries, series_cap;
} s_watch_t;

typedef struct {
    size_t *items; /* watch indexes */
    size_t n, cap;
} s_list_t;

struct rules_mem_t {
    rules_source_t source; /* first: the source is the store */
    size_t max_samples;
    rules_mem_series_t **series;
    size_t nseries, series_cap;
    /* label-set hash -> series index + 1, open addressing */
    size_t *table;
    size_t table_cap;
    s_watch_t *watches;
    size_t nwatches, watches_cap;
    /* selector pointer -> watch index + 1 */
    size_t *wtable;
    size_t wtable_cap;
    /* A new series is matched only against the watches that could read it:
     * each watch is filed under one of its equality matchers ("name 0xff
     * value", a label other than the name when it has one), or with the few
     * that have none. */
    rules_arena_t *keys_arena;
    rules_map_t keys; /* key -> index in lists */
    s_list_t *lists;
    size_t nlists, lists_cap;
    s_list_t unkeyed;
    size_t dropped;
};

static int s_select (rules_source_t *src, const rules_node_t *sel, int64_t mint, int64_t maxt,
                     rules_arena_t *arena, rules_view_t **views, size_t *n);

rules_mem_t *
rules_mem_new (size_t max_samples)
{
    rules_mem_t *self = vg_calloc (1, sizeof *self);
    self->source.select = s_select;
    self->max_samples = max_samples;
    self->table_cap = 64;
    self->table = vg_calloc (self->table_cap, sizeof *self->table);
    self->wtable_cap = 64;
    self->wtable = vg_calloc (self->wtable_cap, sizeof *self->wtable);
    self->keys_arena = rules_arena_new ();
    rules_map_init (&self->keys, self->keys_arena, 64);
    return self;
}

static void
s_series_free (rules_mem_series_t *s)
{
    if (s->sk)
        for (size_t i = 0; i < s->n; i++)
            vg_sketch_destroy (&s->sk[s->start + i]);
    free (s->sk);
    free (s->ts);
    free (s->v);
    free (s->labels);
    free (s->readers);
    free (s);
}

void
rules_mem_destroy (rules_mem_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rules_mem_t *self = *self_p;
    rules_mem_unwatch_all (self);
    for (size_t i = 0; i < self->nseries; i++)
        s_series_free (self->series[i]);
    free (self->series);
    free (self->table);
    free (self->lists);
    free (self->unkeyed.items);
    rules_arena_destroy (&self->keys_arena);
    free (self->watches);
    free (self->wtable);
    free (self);
    *self_p = NULL;
}

rules_source_t *
rules_mem_source (rules_mem_t *self)
{
    return &self->source;
}

/*  --------------------------------------------------------------------------
 *  Indexes
 */

static size_t
s_find_slot (const rules_mem_t *self, const rules_labels_t *labels, uint64_t h)
{
    size_t mask = self->table_cap - 1, i = (size_t)h & mask;
    while (self->table[i]) {
        const rules_mem_series_t *s = self->series[self->table[i] - 1];
        if (s->hash == h && rules_labels_equal (s->labels, labels))
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

static void
s_rehash (rules_mem_t *self)
{
    free (self->table);
    self->table_cap *= 2;
    self->table = vg_calloc (self->table_cap, sizeof *self->table);
    for (size_t k = 0; k < self->nseries; k++) {
        rules_mem_series_t *s = self->series[k];
        self->table[s_find_slot (self, s->labels, s->hash)] = k + 1;
    }
}

static size_t
s_wslot (const rules_mem_t *self, const rules_node_t *sel)
{
    size_t mask = self->wtable_cap - 1;
    size_t i = (size_t)vg_hash_mix ((uint64_t)(uintptr_t)sel) & mask;
    while (self->wtable[i] && self->watches[self->wtable[i] - 1].sel != sel)
        i = (i + 1) & mask;
    return i;
}

static void
s_wrehash (rules_mem_t *self)
{
    free (self->wtable);
    self->wtable_cap *= 2;
    self->wtable = vg_calloc (self->wtable_cap, sizeof *self->wtable);
    for (size_t k = 0; k < self->nwatches; k++)
        self->wtable[s_wslot (self, self->watches[k].sel)] = k + 1;
}

/* Equality matchers first: they are cheap and usually decide. */
static int
s_matches (const rules_node_t *sel, const rules_labels_t *labels)
{
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < sel->nmatchers; i++) {
            const rules_matcher_t *m = &sel->matchers[i];
            if ((m->op == RULES_MATCH_EQ) != (pass == 0))
                continue;
            if (!rules_matcher_matches (m, rules_labels_get (labels, m->name)))
                return 0;
        }
    return 1;
}

static void
s_add_reader (int **readers, size_t *n, size_t *cap, int reader)
{
    for (size_t i = 0; i < *n; i++)
        if ((*readers)[i] == reader)
            return;
    VG_GROW (*readers, *cap, *n + 1);
    (*readers)[(*n)++] = reader;
}

/* Links series s to watch w. */
static void
s_link (s_watch_t *w, rules_mem_series_t *s)
{
    VG_GROW (w->series, w->series_cap, w->nseries + 1);
    w->series[w->nseries++] = s;
    if (w->window_ms > s->window_ms)
        s->window_ms = w->window_ms;
    for (size_t i = 0; i < w->nreaders; i++)
        s_add_reader (&s->readers, &s->nreaders, &s->readers_cap, w->readers[i]);
}

static void
s_list_add (s_list_t *l, size_t watch)
{
    VG_GROW (l->items, l->cap, l->n + 1);
    l->items[l->n++] = watch;
}

/* The equality matcher a watch is filed under, or NULL. */
static const rules_matcher_t *
s_key_matcher (const rules_node_t *sel)
{
    const rules_matcher_t *name = NULL;
    for (size_t i = 0; i < sel->nmatchers; i++) {
        const rules_matcher_t *m = &sel->matchers[i];
        if (m->op != RULES_MATCH_EQ || !m->value[0])
            continue;
        if (strcmp (m->name, RULES_NAME_LABEL) != 0)
            return m;
        name = m;
    }
    return name;
}

static const char *
s_key (rules_mem_t *self, const char *name, const char *value, size_t *len)
{
    vg_buf_t b = {0};
    vg_buf_puts (&b, name);
    vg_buf_append (&b, "\xff", 1);
    vg_buf_puts (&b, value);
    char *k = rules_arena_strndup (self->keys_arena, b.data, b.len);
    *len = b.len;
    vg_buf_free (&b);
    return k;
}

static void
s_file_watch (rules_mem_t *self, size_t watch)
{
    const rules_matcher_t *m = s_key_matcher (self->watches[watch].sel);
    if (!m) {
        s_list_add (&self->unkeyed, watch);
        return;
    }
    size_t len;
    const char *key = s_key (self, m->name, m->value, &len);
    int added;
    int *li = rules_map_put (&self->keys, key, len, (int)self->nlists, &added);
    if (added) {
        VG_GROW (self->lists, self->lists_cap, self->nlists + 1);
        memset (&self->lists[self->nlists++], 0, sizeof (s_list_t));
    }
    s_list_add (&self->lists[*li], watch);
}

void
rules_mem_watch (rules_mem_t *self, const rules_node_t *sel, int64_t window_ms, int reader)
{
    size_t slot = s_wslot (self, sel);
    s_watch_t *w;
    if (self->wtable[slot]) {
        w = &self->watches[self->wtable[slot] - 1];
        if (window_ms > w->window_ms)
            w->window_ms = window_ms;
        s_add_reader (&w->readers, &w->nreaders, &w->readers_cap, reader);
        for (size_t i = 0; i < w->nseries; i++) {
            rules_mem_series_t *s = w->series[i];
            if (w->window_ms > s->window_ms)
                s->window_ms = w->window_ms;
            s_add_reader (&s->readers, &s->nreaders, &s->readers_cap, reader);
        }
        return;
    }
    VG_GROW (self->watches, self->watches_cap, self->nwatches + 1);
    w = &self->watches[self->nwatches++];
    memset (w, 0, sizeof *w);
    w->sel = sel;
    w->window_ms = window_ms;
    s_add_reader (&w->readers, &w->nreaders, &w->readers_cap, reader);
    self->wtable[slot] = self->nwatches;
    if (self->nwatches * 2 > self->wtable_cap)
        s_wrehash (self);
    s_file_watch (self, self->nwatches - 1);
    for (size_t i = 0; i < self->nseries; i++)
        if (s_matches (sel, self->series[i]->labels))
            s_link (w, self->series[i]);
}

void
rules_mem_unwatch_all (rules_mem_t *self)
{
    for (size_t i = 0; i < self->nwatches; i++) {
        free (self->watches[i].readers);
        free (self->watches[i].series);
    }
    self->nwatches = 0;
    memset (self->wtable, 0, self->wtable_cap * sizeof *self->wtable);
    for (size_t i = 0; i < self->nlists; i++)
        free (self->lists[i].items);
    self->nlists = 0;
    self->unkeyed.n = 0;
    rules_arena_reset (self->keys_arena);
    rules_map_init (&self->keys, self->keys_arena, 64);
    for (size_t i = 0; i < self->nseries; i++) {
        self->series[i]->window_ms = -1;
        self->series[i]->nreaders = 0;
    }
}

rules_mem_series_t *
rules_mem_find (rules_mem_t *self, const rules_labels_t *labels)
{
    uint64_t h = rules_labels_hash (labels);
    size_t slot = s_find_slot (self, labels, h);
    return self->table[slot] ? self->series[self->table[slot] - 1] : NULL;
}

rules_mem_series_t *
rules_mem_series (rules_mem_t *self, const rules_labels_t *labels, int sketch, int only_watched)
{
    uint64_t h = rules_labels_hash (labels);
    size_t slot = s_find_slot (self, labels, h);
    if (self->table[slot])
        return self->series[self->table[slot] - 1];
    /* Which watches read it, decided once: those filed under one of its
     * labels, and those filed under none. */
    size_t *hits = NULL, nhits = 0, hcap = 0;
    vg_buf_t key = {0};
    for (size_t k = 0; k <= labels->n; k++) {
        const s_list_t *list = &self->unkeyed;
        if (k < labels->n) {
            vg_buf_reset (&key);
            vg_buf_puts (&key, labels->items[k].key);
            vg_buf_append (&key, "\xff", 1);
            vg_buf_puts (&key, labels->items[k].value);
            int *li = rules_map_get (&self->keys, key.data, key.len);
            if (!li)
                continue;
            list = &self->lists[*li];
        }
        for (size_t i = 0; i < list->n; i++)
            if (s_matches (self->watches[list->items[i]].sel, labels)) {
                VG_GROW (hits, hcap, nhits + 1);
                hits[nhits++] = list->items[i];
            }
    }
    vg_buf_free (&key);
    if (only_watched && nhits == 0)
        return NULL;
    rules_mem_series_t *s = vg_calloc (1, sizeof *s);
    s->labels = rules_labels_dup (labels->items, labels->n);
    s->hash = h;
    s->sketch = sketch;
    s->window_ms = -1;
    VG_GROW (self->series, self->series_cap, self->nseries + 1);
    self->series[self->nseries++] = s;
    self->table[slot] = self->nseries;
    if (self->nseries * 2 > self->table_cap)
        s_rehash (self);
    for (size_t i = 0; i < nhits; i++)
        s_link (&self->watches[hits[i]], s);
    free (hits);
    return s;
}

/*  --------------------------------------------------------------------------
 *  Samples
 */

static void
s_drop_front (rules_mem_series_t *s, size_t k)
{
    if (s->sk)
        for (size_t i = 0; i < k; i++)
            vg_sketch_destroy (&s->sk[s->start + i]);
    s->start += k;
    s->n -= k;
    if (s->n == 0)
        s->start = 0;
}

/* Room for one more sample at the end. */
static void
s_reserve (rules_mem_series_t *s)
{
    if (s->start + s->n < s->cap)
        return;
    if (s->start > 0 && s->start >= s->cap / 2) {
        /* Move the live part to the front rather than grow. */
        memmove (s->ts, s->ts + s->start, s->n * sizeof *s->ts);
        memmove (s->v, s->v + s->start, s->n * sizeof *s->v);
        if (s->sk)
            memmove (s->sk, s->sk + s->start, s->n * sizeof *s->sk);
        s->start = 0;
        return;
    }
    size_t cap = s->cap ? s->cap * 2 : 8;
    s->ts = vg_realloc (s->ts, cap * sizeof *s->ts);
    s->v = vg_realloc (s->v, cap * sizeof *s->v);
    if (s->sketch)
        s->sk = vg_realloc (s->sk, cap * sizeof *s->sk);
    s->cap = cap;
}

/* Inserts at time order; returns the index (relative to start) written, and
 * whether it replaced a sample. */
static size_t
s_insert (rules_mem_t *self, rules_mem_series_t *s, int64_t ts, double v, int *replaced)
{
    *replaced = 0;
    size_t pos = s->n;
    if (s->n > 0 && ts <= s->ts[s->start + s->n - 1]) {
        const int64_t *t = s->ts + s->start;
        size_t lo = 0, hi = s->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (t[mid] < ts)
                lo = mid + 1;
            else
                hi = mid;
        }
        pos = lo;
        if (pos < s->n && t[pos] == ts) {
            s->v[s->start + pos] = v;
            *replaced = 1;
            return pos;
        }
    }
    if (self->max_samples && s->n >= self->max_samples) {
        if (pos == 0)
            return (size_t)-1; /* older than all it keeps: not kept */
        s_drop_front (s, 1);
        pos--;
        self->dropped++;
    }
    s_reserve (s);
    size_t at = s->start + pos, tail = s->n - pos;
    memmove (s->ts + at + 1, s->ts + at, tail * sizeof *s->ts);
    memmove (s->v + at + 1, s->v + at, tail * sizeof *s->v);
    if (s->sk)
        memmove (s->sk + at + 1, s->sk + at, tail * sizeof *s->sk);
    s->ts[at] = ts;
    s->v[at] = v;
    if (s->sk)
        s->sk[at] = NULL;
    s->n++;
    return pos;
}

void
rules_mem_add (rules_mem_t *self, rules_mem_series_t *s, int64_t ts, double v)
{
    int replaced;
    size_t pos = s_insert (self, s, ts, v, &replaced);
    if (pos != (size_t)-1 && s->sk && replaced)
        vg_sketch_destroy (&s->sk[s->start + pos]);
}

void
rules_mem_add_sketch (rules_mem_t *self, rules_mem_series_t *s, int64_t ts,
                      const vg_sketch_t *sketch)
{
    double mean = sketch->count ? sketch->sum / (double)sketch->count : 0;
    int replaced;
    size_t pos = s_insert (self, s, ts, mean, &replaced);
    if (pos == (size_t)-1 || !s->sk)
        return;
    vg_sketch_t **slot = &s->sk[s->start + pos];
    if (replaced)
        vg_sketch_destroy (slot);
    *slot = vg_sketch_dup (sketch);
}

void
rules_mem_trim (rules_mem_t *self, int64_t now)
{
    for (size_t i = 0; i < self->nseries; i++) {
        rules_mem_series_t *s = self->series[i];
        if (s->n == 0)
            continue;
        /* What no watch reads is dropped altogether. The newest sample
         * older than the window stays: an instant selector may still need
         * it while it is within the lookback, and it costs one sample. */
        int64_t oldest = s->window_ms < 0 ? INT64_MAX : now - s->window_ms;
        const int64_t *t = s->ts + s->start;
        size_t k = 0;
        while (k < s->n && t[k] <= oldest)
            k++;
        if (s->window_ms >= 0 && k > 0)
            k--;
        if (k > 0)
            s_drop_front (s, k);
    }
}

const int *
rules_mem_series_readers (const rules_mem_series_t *s, size_t *n)
{
    *n = s->nreaders;
    return s->readers;
}

int64_t
rules_mem_series_window (const rules_mem_series_t *s)
{
    return s->window_ms;
}

const rules_labels_t *
rules_mem_series_labels (const rules_mem_series_t *s)
{
    return s->labels;
}

int64_t
rules_mem_series_last (const rules_mem_series_t *s)
{
    return s->n ? s->ts[s->start + s->n - 1] : INT64_MIN;
}

rules_mem_stats_t
rules_mem_stats (const rules_mem_t *self)
{
    rules_mem_stats_t st = {0};
    st.series = self->nseries;
    st.watches = self->nwatches;
    st.dropped = self->dropped;
    for (size_t i = 0; i < self->nseries; i++) {
        const rules_mem_series_t *s = self->series[i];
        st.samples += s->n;
        st.bytes += sizeof *s + s->cap * (sizeof (int64_t) + sizeof (double));
        for (size_t k = 0; k < s->labels->n; k++)
            st.bytes += strlen (s->labels->items[k].key) + strlen (s->labels->items[k].value) + 2 +
                        sizeof (vg_label_t);
        if (s->sk) {
            st.bytes += s->cap * sizeof (vg_sketch_t *);
            for (size_t k = 0; k < s->n; k++) {
                const vg_sketch_t *sk = s->sk[s->start + k];
                if (sk) {
                    st.sketches++;
                    st.bytes += sizeof *sk + (sk->pos.cap + sk->neg.cap) * sizeof (uint64_t);
                }
            }
        }
    }
    return st;
}

/*  --------------------------------------------------------------------------
 *  The source
 */

static int
s_select (rules_source_t *src, const rules_node_t *sel, int64_t mint, int64_t maxt,
          rules_arena_t *arena, rules_view_t **views, size_t *n)
{
    rules_mem_t *self = (rules_mem_t *)src;
    (void)mint;
    (void)maxt;
    rules_mem_series_t **list;
    size_t count;
    size_t slot = s_wslot (self, sel);
    if (self->wtable[slot]) {
        const s_watch_t *w = &self->watches[self->wtable[slot] - 1];
        list = w->series;
        count = w->nseries;
    } else {
        /* Not watched (a test's expression): scan. */
        list = rules_arena_alloc (arena, (self->nseries ? self->nseries : 1) * sizeof *list);
        count = 0;
        for (size_t i = 0; i < self->nseries; i++)
            if (s_matches (sel, self->series[i]->labels))
                list[count++] = self->series[i];
    }
    rules_view_t *out = rules_arena_alloc (arena, (count ? count : 1) * sizeof *out);
    for (size_t i = 0; i < count; i++) {
        const rules_mem_series_t *s = list[i];
        out[i] = (rules_view_t){.labels = s->labels,
                                .ts = s->ts ? s->ts + s->start : NULL,
                                .v = s->v ? s->v + s->start : NULL,
                                .sk = s->sk ? s->sk + s->start : NULL,
                                .n = s->n};
    }
    *views = out;
    *n = count;
    return VG_OK;
}
