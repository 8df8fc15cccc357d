/*  rules_index.c - (host_id, series_id) to series, and the hosts' up. */
#include "rules_index.h"
#include "rules_labels.h"
#include "vg_alloc.h"
#include "vg_hash.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* What the map holds for a series no rule reads. */
static char s_ignored_mark;
#define S_IGNORED ((rules_mem_series_t *)&s_ignored_mark)

typedef struct {
    int64_t host_id, series_id;
    rules_mem_series_t *series; /* NULL: empty slot */
} s_entry_t;

typedef struct {
    int64_t host_id;
    char *hostname;
    int64_t last_ms;
    uint32_t interval_ms;
    rules_mem_series_t *up; /* NULL until looked up; S_IGNORED when not read */
    int up_value;           /* -1: no sample yet */
    int64_t up_ts;
} s_host_t;

struct rules_index_t {
    pthread_rwlock_t lock; /* the map: written by the engine, read by observers */
    s_entry_t *map;
    size_t cap, n, max;
    s_host_t *hosts;
    size_t nhosts, hosts_cap;
};

rules_index_t *
rules_index_new (size_t max_entries)
{
    rules_index_t *self = vg_calloc (1, sizeof *self);
    pthread_rwlock_init (&self->lock, NULL);
    self->cap = 1024;
    self->map = vg_calloc (self->cap, sizeof *self->map);
    self->max = max_entries ? max_entries : 10000000;
    return self;
}

void
rules_index_destroy (rules_index_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rules_index_t *self = *self_p;
    free (self->map);
    pthread_rwlock_destroy (&self->lock);
    for (size_t i = 0; i < self->nhosts; i++)
        free (self->hosts[i].hostname);
    free (self->hosts);
    free (self);
    *self_p = NULL;
}

static size_t
s_slot (const rules_index_t *self, int64_t host_id, int64_t series_id)
{
    size_t mask = self->cap - 1;
    size_t i =
        (size_t)vg_hash_mix ((uint64_t)host_id * 0x9e3779b97f4a7c15ULL ^ (uint64_t)series_id) &
        mask;
    while (self->map[i].series &&
           (self->map[i].host_id != host_id || self->map[i].series_id != series_id))
        i = (i + 1) & mask;
    return i;
}

static void
s_put (rules_index_t *self, int64_t host_id, int64_t series_id, rules_mem_series_t *s)
{
    pthread_rwlock_wrlock (&self->lock);
    if (self->n + 1 > self->max) {
        /* Bounded: start over; series are matched again as they come. */
        memset (self->map, 0, self->cap * sizeof *self->map);
        self->n = 0;
    }
    if ((self->n + 1) * 2 > self->cap) {
        s_entry_t *old = self->map;
        size_t oldcap = self->cap;
        self->cap *= 2;
        self->map = vg_calloc (self->cap, sizeof *self->map);
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].series)
                self->map[s_slot (self, old[i].host_id, old[i].series_id)] = old[i];
        free (old);
    }
    size_t i = s_slot (self, host_id, series_id);
    if (!self->map[i].series)
        self->n++;
    self->map[i] = (s_entry_t){host_id, series_id, s};
    pthread_rwlock_unlock (&self->lock);
}

void
rules_index_reset (rules_index_t *self)
{
    pthread_rwlock_wrlock (&self->lock);
    memset (self->map, 0, self->cap * sizeof *self->map);
    self->n = 0;
    pthread_rwlock_unlock (&self->lock);
    for (size_t i = 0; i < self->nhosts; i++) {
        self->hosts[i].up = NULL;
        self->hosts[i].up_value = -1;
    }
}

static s_host_t *
s_host (rules_index_t *self, int64_t host_id, const char *hostname)
{
    for (size_t i = 0; i < self->nhosts; i++)
        if (self->hosts[i].host_id == host_id) {
            s_host_t *h = &self->hosts[i];
            if (hostname && strcmp (h->hostname, hostname) != 0) {
                /* Renamed: its up series is another one now. */
                free (h->hostname);
                h->hostname = vg_strdup (hostname);
                h->up = NULL;
                h->up_value = -1;
            }
            return h;
        }
    VG_GROW (self->hosts, self->hosts_cap, self->nhosts + 1);
    s_host_t *h = &self->hosts[self->nhosts++];
    memset (h, 0, sizeof *h);
    h->host_id = host_id;
    h->hostname = vg_strdup (hostname ? hostname : "");
    h->up_value = -1;
    h->last_ms = INT64_MIN;
    return h;
}

void
rules_index_host (rules_index_t *self, int64_t host_id, const char *hostname, int64_t last_seen_ms,
                  uint32_t interval_ms)
{
    s_host_t *h = s_host (self, host_id, hostname);
    if (last_seen_ms > h->last_ms)
        h->last_ms = last_seen_ms;
    if (interval_ms)
        h->interval_ms = interval_ms;
}

size_t
rules_index_hosts (const rules_index_t *self)
{
    return self->nhosts;
}

/* The store's series for these PromQL labels, if a rule reads it. */
static rules_mem_series_t *
s_find_or_add (rules_mem_t *mem, const char *hostname, const char *metric, int sketch,
               const vg_label_t *labels, size_t nlabels)
{
    vg_label_t stack[32];
    vg_label_t *items = nlabels + 2 <= 32 ? stack : vg_malloc ((nlabels + 2) * sizeof *items);
    size_t n = 0;
    for (size_t i = 0; i < nlabels; i++) {
        const char *key = labels[i].key;
        if (strcmp (key, "host") == 0)
            key = "exported_host";
        else if (strcmp (key, RULES_NAME_LABEL) == 0)
            continue;
        items[n++] = (vg_label_t){key, labels[i].value};
    }
    items[n++] = (vg_label_t){"host", hostname};
    items[n++] = (vg_label_t){RULES_NAME_LABEL, metric};
    rules_labels_t *l = rules_labels_dup (items, n);
    if (items != stack)
        free (items);
    rules_mem_series_t *s = rules_mem_series (mem, l, sketch, 1);
    free (l);
    return s;
}

rules_mem_series_t *
rules_index_series (rules_index_t *self, rules_mem_t *mem, int64_t host_id, int64_t series_id,
                    const char *hostname, const char *metric, int sketch, const vg_label_t *labels,
                    size_t nlabels)
{
    rules_mem_series_t *s = s_find_or_add (mem, hostname, metric, sketch, labels, nlabels);
    s_put (self, host_id, series_id, s ? s : S_IGNORED);
    return s;
}

int
rules_index_filter (rules_index_t *self, int64_t host_id, const int64_t *series_ids, uint32_t n,
                    uint8_t *keep)
{
    int unknown = 0;
    pthread_rwlock_rdlock (&self->lock);
    for (uint32_t i = 0; i < n; i++) {
        rules_mem_series_t *s = self->map[s_slot (self, host_id, series_ids[i])].series;
        keep[i] = s != S_IGNORED;
        unknown |= s == NULL;
    }
    pthread_rwlock_unlock (&self->lock);
    return unknown;
}

rules_mem_series_t *
rules_index_lookup (rules_index_t *self, int64_t host_id, int64_t series_id)
{
    rules_mem_series_t *s = self->map[s_slot (self, host_id, series_id)].series;
    return s == S_IGNORED ? NULL : s;
}

static void
s_mark_readers (const rules_mem_series_t *s, rules_index_mark_fn *mark, void *arg)
{
    size_t n;
    const int *readers = rules_mem_series_readers (s, &n);
    for (size_t i = 0; i < n; i++)
        mark (arg, readers[i]);
}

static rules_mem_series_t *
s_up_series (rules_mem_t *mem, s_host_t *h)
{
    if (!h->up) {
        vg_label_t items[] = {{RULES_NAME_LABEL, "up"}, {"host", h->hostname}};
        rules_labels_t *l = rules_labels_dup (items, 2);
        h->up = rules_mem_series (mem, l, 0, 1);
        if (!h->up)
            h->up = S_IGNORED;
        free (l);
    }
    return h->up == S_IGNORED ? NULL : h->up;
}

static void
s_up_sample (rules_mem_t *mem, s_host_t *h, int64_t ts, int value, rules_index_mark_fn *mark,
             void *arg)
{
    rules_mem_series_t *up = s_up_series (mem, h);
    int changed = value != h->up_value;
    h->up_value = value;
    h->up_ts = ts;
    if (!up)
        return;
    rules_mem_add (mem, up, ts, value);
    if (changed && mark)
        s_mark_readers (up, mark, arg);
}

void
rules_index_apply (rules_index_t *self, rules_mem_t *mem, const rules_queue_batch_t *b,
                   rules_index_mark_fn *mark, void *arg)
{
    s_host_t *h = s_host (self, b->host_id, b->hostname);
    if (b->received_ms > h->last_ms)
        h->last_ms = b->received_ms;
    if (b->interval_ms)
        h->interval_ms = b->interval_ms;
    if (h->up_value != 1)
        s_up_sample (mem, h, b->received_ms, 1, mark, arg);

    /* Each series of the batch, resolved once. */
    rules_mem_series_t **series = vg_calloc (b->nseries + 1, sizeof *series);
    vg_label_t *labels = NULL;
    size_t labels_cap = 0;
    for (uint32_t i = 0; i < b->nseries; i++) {
        size_t slot = s_slot (self, b->host_id, b->series_ids[i]);
        rules_mem_series_t *s = self->map[slot].series;
        if (!s && !b->strings) {
            /* Not known and no labels came (the map was reset since the
             * batch was filtered): the windows are read back anyway. */
            s = S_IGNORED;
        } else if (!s) {
            uint32_t nl = b->nlabels[i];
            VG_GROW (labels, labels_cap, nl + 1);
            const uint32_t *li = b->labels + b->label_at[i];
            for (uint32_t k = 0; k < nl; k++)
                labels[k] = (vg_label_t){b->strings[li[2 * k]], b->strings[li[2 * k + 1]]};
            s = rules_index_series (self, mem, b->host_id, b->series_ids[i], b->hostname,
                                    b->strings[b->names[i]], b->kinds[i] == VG_KIND_DISTRIBUTION,
                                    labels, nl);
            if (!s)
                s = S_IGNORED;
        }
        series[i] = s == S_IGNORED ? NULL : s;
    }
    free (labels);
    unsigned char *got = vg_calloc (b->nseries + 1, 1);
    for (size_t i = 0; i < b->nsamples; i++) {
        uint32_t k = b->sample_series[i];
        int64_t ts = b->sample_ts[i];
        if (k >= b->nseries || !series[k] || ts < b->min_ts_ms || ts > b->max_ts_ms ||
            b->kinds[k] == VG_KIND_DISTRIBUTION)
            continue;
        rules_mem_add (mem, series[k], ts, b->sample_value[i]);
        got[k] = 1;
    }
    for (size_t i = 0; i < b->ndists; i++) {
        uint32_t k = b->dist_series[i];
        int64_t ts = b->dist_ts[i];
        if (k >= b->nseries || !series[k] || !b->dist_sketch[i] || ts < b->min_ts_ms ||
            ts > b->max_ts_ms || b->kinds[k] != VG_KIND_DISTRIBUTION)
            continue;
        rules_mem_add_sketch (mem, series[k], ts, b->dist_sketch[i]);
        got[k] = 1;
    }
    if (mark)
        for (uint32_t k = 0; k < b->nseries; k++)
            if (got[k])
                s_mark_readers (series[k], mark, arg);
    free (got);
    free (series);
}

void
rules_index_up (rules_index_t *self, rules_mem_t *mem, int64_t now, rules_index_mark_fn *mark,
                void *arg)
{
    for (size_t i = 0; i < self->nhosts; i++) {
        s_host_t *h = &self->hosts[i];
        if (h->last_ms == INT64_MIN)
            continue;
        int64_t interval = h->interval_ms ? h->interval_ms : RULES_INDEX_DEFAULT_INTERVAL_MS;
        int value = now - h->last_ms <= RULES_INDEX_DOWN_INTERVALS * interval;
        if (value != h->up_value || now - h->up_ts >= interval)
            s_up_sample (mem, h, now, value, mark, arg);
    }
}
