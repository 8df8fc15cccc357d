/*  coll_limits.c - per-agent cardinality limits: a count and a token bucket
 *  per agent, under one mutex. */
#include "coll_limits.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <czmq.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    int64_t total;   /* series the agent has, as far as we know */
    double tokens;   /* new series it may register now */
    int64_t fill_ms; /* when tokens were last topped up */
    uint64_t refused;
} s_agent_t;

struct coll_limits_t {
    pthread_mutex_t lock;
    zhashx_t *agents; /* agent id -> s_agent_t */
    int64_t max_total;
    int64_t per_minute;
    uint64_t refused;
};

static void
s_agent_free (void **item)
{
    free (*item);
    *item = NULL;
}

coll_limits_t *
coll_limits_new (int64_t max_series_per_agent, int64_t max_new_series_per_minute)
{
    coll_limits_t *self = vg_calloc (1, sizeof *self);
    pthread_mutex_init (&self->lock, NULL);
    self->agents = zhashx_new ();
    zhashx_set_destructor (self->agents, s_agent_free);
    self->max_total = max_series_per_agent;
    self->per_minute = max_new_series_per_minute;
    return self;
}

void
coll_limits_destroy (coll_limits_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    coll_limits_t *self = *self_p;
    zhashx_destroy (&self->agents);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

/* With the lock held. A new agent starts with a full bucket. */
static s_agent_t *
s_agent (coll_limits_t *self, const char *agent, int64_t now_ms)
{
    s_agent_t *a = zhashx_lookup (self->agents, agent);
    if (!a) {
        a = vg_calloc (1, sizeof *a);
        a->tokens = (double)self->per_minute;
        a->fill_ms = now_ms;
        zhashx_insert (self->agents, agent, a);
    }
    return a;
}

void
coll_limits_known (coll_limits_t *self, const char *agent, int64_t total)
{
    pthread_mutex_lock (&self->lock);
    s_agent_t *a = s_agent (self, agent, 0);
    if (total > a->total)
        a->total = total;
    pthread_mutex_unlock (&self->lock);
}

int
coll_limits_admit (coll_limits_t *self, const char *agent, size_t n, int64_t now_ms, char *why,
                   size_t whylen)
{
    if (n == 0)
        return 0;
    pthread_mutex_lock (&self->lock);
    s_agent_t *a = s_agent (self, agent, now_ms);
    if (a->fill_ms == 0)
        a->fill_ms = now_ms;
    if (self->per_minute > 0 && now_ms > a->fill_ms) {
        a->tokens += (double)(now_ms - a->fill_ms) * (double)self->per_minute / 60000.0;
        if (a->tokens > (double)self->per_minute)
            a->tokens = (double)self->per_minute;
        a->fill_ms = now_ms;
    }
    int rc = 0;
    if (self->max_total > 0 && a->total + (int64_t)n > self->max_total) {
        snprintf (why, whylen,
                  "registering its %zu new series would give the agent %" PRId64
                  " series, over the collector's max_series_per_agent of %" PRId64,
                  n, a->total + (int64_t)n, self->max_total);
        rc = VG_ETOOBIG;
    } else if (self->per_minute > 0 && (int64_t)n > self->per_minute) {
        snprintf (why, whylen,
                  "the batch brings %zu new series, more than the collector's "
                  "max_new_series_per_minute of %" PRId64 " allows at once",
                  n, self->per_minute);
        rc = VG_ETOOBIG;
    } else if (self->per_minute > 0 && (double)n > a->tokens) {
        snprintf (why, whylen,
                  "the batch brings %zu new series and the agent may register %.0f more now "
                  "(max_new_series_per_minute %" PRId64 ")",
                  n, a->tokens, self->per_minute);
        rc = VG_ETOOBIG;
    }
    if (rc == 0) {
        a->total += (int64_t)n;
        a->tokens -= (double)n;
    } else {
        a->refused++;
        self->refused++;
    }
    pthread_mutex_unlock (&self->lock);
    return rc;
}

uint64_t
coll_limits_refused (coll_limits_t *self, const char *agent)
{
    pthread_mutex_lock (&self->lock);
    s_agent_t *a = zhashx_lookup (self->agents, agent);
    uint64_t n = a ? a->refused : 0;
    pthread_mutex_unlock (&self->lock);
    return n;
}

uint64_t
coll_limits_refused_total (coll_limits_t *self)
{
    pthread_mutex_lock (&self->lock);
    uint64_t n = self->refused;
    pthread_mutex_unlock (&self->lock);
    return n;
}
