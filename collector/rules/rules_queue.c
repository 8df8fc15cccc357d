/*  rules_queue.c - a mutex, a condition variable and an array of copies. */
#include "rules_queue.h"
#include "vg_alloc.h"
#include "vg_time.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct rules_queue_t {
    rules_queue_filter_fn *filter;
    void *filter_arg;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    rules_queue_batch_t **items;
    size_t n, cap;
    size_t bytes, max_bytes;
    int overflowed;
    int woken;
    uint64_t batches, dropped;
};

rules_queue_t *
rules_queue_new (size_t max_bytes, rules_queue_filter_fn *filter, void *arg)
{
    rules_queue_t *self = vg_calloc (1, sizeof *self);
    self->filter = filter;
    self->filter_arg = arg;
    pthread_mutex_init (&self->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init (&attr);
    pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
    pthread_cond_init (&self->cond, &attr);
    pthread_condattr_destroy (&attr);
    self->max_bytes = max_bytes;
    return self;
}

void
rules_queue_batch_free (rules_queue_batch_t **batch_p)
{
    if (!batch_p || !*batch_p)
        return;
    rules_queue_batch_t *b = *batch_p;
    for (size_t i = 0; i < b->ndists; i++)
        vg_sketch_destroy (&b->dist_sketch[i]);
    /* Everything else lives in the one block b is the start of. */
    free (b);
    *batch_p = NULL;
}

void
rules_queue_destroy (rules_queue_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rules_queue_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        rules_queue_batch_free (&self->items[i]);
    free (self->items);
    pthread_mutex_destroy (&self->lock);
    pthread_cond_destroy (&self->cond);
    free (self);
    *self_p = NULL;
}

/* Carves aligned pieces out of one allocation. */
typedef struct {
    char *p;
    size_t used;
} s_carve_t;

static void *
s_take (s_carve_t *c, size_t bytes)
{
    size_t at = (c->used + 15) & ~(size_t)15;
    c->used = at + bytes;
    return c->p ? c->p + at : NULL;
}

/* What of a batch is copied: the samples of kept series, and names and
 * labels when some series is new to the engine. */
typedef struct {
    const uint8_t *keep; /* NULL: every series */
    uint32_t *remap;     /* with keep: a kept series' index in the copy */
    uint32_t nseries;    /* series copied */
    int meta;
    size_t nsamples, ndists;
} s_plan_t;

/* Lays the copy out (c->p NULL: only measures). */
static void
s_layout (s_carve_t *c, const coll_committed_t *in, const s_plan_t *plan, rules_queue_batch_t **out)
{
    const vg_batch_t *b = in->batch;
    rules_queue_batch_t *q = s_take (c, sizeof *q);
    size_t nlabelidx = 0, textlen = 0;
    if (plan->meta) {
        for (uint32_t i = 0; i < b->nseries; i++)
            if (!plan->keep || plan->keep[i])
                nlabelidx += 2 * (size_t)b->series[i].nlabels;
        for (uint32_t i = 0; i < b->nstrings; i++)
            textlen += strlen (b->strings[i]) + 1;
    }
    uint32_t nstrings = plan->meta ? b->nstrings : 0;
    char **strings = s_take (c, (nstrings + 1) * sizeof (char *));
    uint32_t ns = plan->nseries;
    int64_t *ids = s_take (c, (ns + 1) * sizeof (int64_t));
    uint32_t *names = s_take (c, (ns + 1) * sizeof (uint32_t));
    uint8_t *kinds = s_take (c, ns + 1);
    uint32_t *label_at = s_take (c, (ns + 1) * sizeof (uint32_t));
    uint32_t *nlabels = s_take (c, (ns + 1) * sizeof (uint32_t));
    uint32_t *labels = s_take (c, (nlabelidx + 1) * sizeof (uint32_t));
    uint32_t *sseries = s_take (c, (plan->nsamples + 1) * sizeof (uint32_t));
    int64_t *sts = s_take (c, (plan->nsamples + 1) * sizeof (int64_t));
    double *sval = s_take (c, (plan->nsamples + 1) * sizeof (double));
    uint32_t *dseries = s_take (c, (plan->ndists + 1) * sizeof (uint32_t));
    int64_t *dts = s_take (c, (plan->ndists + 1) * sizeof (int64_t));
    vg_sketch_t **dsk = s_take (c, (plan->ndists + 1) * sizeof (vg_sketch_t *));
    size_t hlen = strlen (in->hostname ? in->hostname : "") + 1;
    char *hostname = s_take (c, hlen);
    char *blob = s_take (c, textlen + 1);
    if (!c->p)
        return;
    memset (q, 0, sizeof *q);
    q->host_id = in->host_id;
    q->hostname = hostname;
    memcpy (hostname, in->hostname ? in->hostname : "", hlen);
    q->received_ms = in->received_ms;
    q->interval_ms = b->interval_ms;
    q->min_ts_ms = in->min_ts_ms;
    q->max_ts_ms = in->max_ts_ms;
    q->strings = plan->meta ? strings : NULL;
    q->nstrings = nstrings;
    for (uint32_t i = 0; i < nstrings; i++) {
        size_t l = strlen (b->strings[i]) + 1;
        memcpy (blob, b->strings[i], l);
        strings[i] = blob;
        blob += l;
    }
    q->nseries = ns;
    q->series_ids = ids;
    q->names = names;
    q->kinds = kinds;
    q->label_at = label_at;
    q->nlabels = nlabels;
    q->labels = labels;
    const uint8_t *keep = plan->keep;
    size_t k = 0;
    for (uint32_t i = 0, j = 0; i < b->nseries; i++) {
        if (keep && !keep[i])
            continue;
        const vg_series_t *s = &b->series[i];
        ids[j] = in->series_ids[i];
        kinds[j] = (uint8_t)s->kind;
        names[j] = s->name;
        label_at[j] = (uint32_t)k;
        nlabels[j] = plan->meta ? s->nlabels : 0;
        if (plan->meta) {
            memcpy (labels + k, s->labels, 2 * (size_t)s->nlabels * sizeof *labels);
            k += 2 * (size_t)s->nlabels;
        }
        j++;
    }
    if (!keep) {
        memcpy (sseries, b->sample_series, b->nsamples * sizeof *sseries);
        memcpy (sts, b->sample_ts_ms, b->nsamples * sizeof *sts);
        memcpy (sval, b->sample_value, b->nsamples * sizeof *sval);
        q->nsamples = b->nsamples;
    } else {
        for (size_t i = 0; i < b->nsamples; i++) {
            uint32_t s = b->sample_series[i];
            if (s >= b->nseries || !keep[s])
                continue;
            sseries[q->nsamples] = plan->remap[s];
            sts[q->nsamples] = b->sample_ts_ms[i];
            sval[q->nsamples] = b->sample_value[i];
            q->nsamples++;
        }
    }
    q->sample_series = sseries;
    q->sample_ts = sts;
    q->sample_value = sval;
    q->dist_series = dseries;
    q->dist_ts = dts;
    q->dist_sketch = dsk;
    for (size_t i = 0; i < b->ndists; i++) {
        uint32_t s = b->dists[i].series;
        if (keep && (s >= b->nseries || !keep[s]))
            continue;
        dseries[q->ndists] = keep ? plan->remap[s] : s;
        dts[q->ndists] = b->dists[i].ts_ms;
        dsk[q->ndists] = b->dists[i].sketch ? vg_sketch_dup (b->dists[i].sketch) : NULL;
        q->ndists++;
    }
    *out = q;
}

/* Decides what of a batch to copy. keep and remap are the caller's
 * buffers (keepcap elements each). */
static void
s_plan (rules_queue_t *self, const coll_committed_t *in, uint8_t **keep, uint32_t **remap,
        size_t *keepcap, s_plan_t *plan)
{
    const vg_batch_t *b = in->batch;
    memset (plan, 0, sizeof *plan);
    plan->meta = 1;
    plan->nseries = b->nseries;
    plan->nsamples = b->nsamples;
    plan->ndists = b->ndists;
    if (!self->filter)
        return;
    if (*keepcap < (size_t)b->nseries + 1) {
        *keepcap = (size_t)b->nseries + 1;
        *keep = vg_realloc (*keep, *keepcap);
        *remap = vg_realloc (*remap, *keepcap * sizeof **remap);
    }
    plan->meta = self->filter (self->filter_arg, in->host_id, in->series_ids, b->nseries, *keep);
    plan->keep = *keep;
    plan->remap = *remap;
    plan->nseries = 0;
    for (uint32_t i = 0; i < b->nseries; i++)
        if ((*keep)[i])
            (*remap)[i] = plan->nseries++;
    plan->nsamples = plan->ndists = 0;
    for (size_t i = 0; i < b->nsamples; i++)
        plan->nsamples += b->sample_series[i] < b->nseries && (*keep)[b->sample_series[i]];
    for (size_t i = 0; i < b->ndists; i++)
        plan->ndists += b->dists[i].series < b->nseries && (*keep)[b->dists[i].series];
}

size_t
rules_queue_push (rules_queue_t *self, const coll_committed_t *batches, size_t n)
{
    size_t lost = 0, keepcap = 0;
    uint8_t *keep = NULL;
    uint32_t *remap = NULL;
    for (size_t i = 0; i < n; i++) {
        s_plan_t plan;
        s_plan (self, &batches[i], &keep, &remap, &keepcap, &plan);
        s_carve_t measure = {0};
        s_layout (&measure, &batches[i], &plan, NULL);
        size_t bytes = measure.used + plan.ndists * 256;
        pthread_mutex_lock (&self->lock);
        int fits = self->bytes + bytes <= self->max_bytes;
        if (!fits) {
            self->overflowed = 1;
            self->dropped++;
        }
        pthread_mutex_unlock (&self->lock);
        if (!fits) {
            lost++;
            continue;
        }
        /* Copied outside the lock: writers copy in parallel. */
        s_carve_t c = {.p = vg_malloc (measure.used)};
        rules_queue_batch_t *q = NULL;
        s_layout (&c, &batches[i], &plan, &q);
        q->bytes = bytes;
        pthread_mutex_lock (&self->lock);
        VG_GROW (self->items, self->cap, self->n + 1);
        self->items[self->n++] = q;
        self->bytes += bytes;
        self->batches++;
        pthread_cond_signal (&self->cond);
        pthread_mutex_unlock (&self->lock);
    }
    free (keep);
    free (remap);
    return lost;
}

rules_queue_batch_t **
rules_queue_drain (rules_queue_t *self, size_t *n, int *overflowed)
{
    pthread_mutex_lock (&self->lock);
    rules_queue_batch_t **items = self->items;
    *n = self->n;
    *overflowed = self->overflowed;
    self->items = NULL;
    self->n = self->cap = 0;
    self->bytes = 0;
    self->overflowed = 0;
    pthread_mutex_unlock (&self->lock);
    return items;
}

void
rules_queue_wait (rules_queue_t *self, int64_t deadline_ms)
{
    pthread_mutex_lock (&self->lock);
    while (self->n == 0 && !self->woken) {
        int64_t now = vg_mono_ms ();
        if (now >= deadline_ms)
            break;
        struct timespec ts;
        clock_gettime (CLOCK_MONOTONIC, &ts);
        int64_t wait = deadline_ms - now;
        ts.tv_sec += wait / 1000;
        ts.tv_nsec += (wait % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        if (pthread_cond_timedwait (&self->cond, &self->lock, &ts) == ETIMEDOUT)
            break;
    }
    self->woken = 0;
    pthread_mutex_unlock (&self->lock);
}

void
rules_queue_wake (rules_queue_t *self)
{
    pthread_mutex_lock (&self->lock);
    self->woken = 1;
    pthread_cond_signal (&self->cond);
    pthread_mutex_unlock (&self->lock);
}

rules_queue_stats_t
rules_queue_stats (rules_queue_t *self)
{
    pthread_mutex_lock (&self->lock);
    rules_queue_stats_t st = {self->batches, self->dropped, self->bytes, self->n};
    pthread_mutex_unlock (&self->lock);
    return st;
}
