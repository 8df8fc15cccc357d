/*  http_ingest.c - ingest's figures and health. */
#include "http_ingest.h"
#include "vg_alloc.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Commit latency buckets, seconds. */
static const double s_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBOUNDS (sizeof s_bounds / sizeof s_bounds[0])

struct http_ingest_t {
    char *db_url;
    const coll_server_t *_Atomic server;
    pthread_mutex_t lock;
    uint64_t batches, samples, buckets[NBOUNDS + 1];
    double latency_sum;
};

http_ingest_t *
http_ingest_new (const char *db_url)
{
    http_ingest_t *self = vg_calloc (1, sizeof *self);
    self->db_url = vg_strdup (db_url);
    pthread_mutex_init (&self->lock, NULL);
    return self;
}

void
http_ingest_destroy (http_ingest_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    http_ingest_t *self = *self_p;
    pthread_mutex_destroy (&self->lock);
    free (self->db_url);
    free (self);
    *self_p = NULL;
}

static void
s_on_commit (const coll_committed_t *batches, size_t n, void *arg)
{
    http_ingest_t *self = arg;
    pthread_mutex_lock (&self->lock);
    for (size_t i = 0; i < n; i++) {
        double s = (double)(batches[i].committed_ms - batches[i].received_ms) / 1000.0;
        size_t b = 0;
        while (b < NBOUNDS && s > s_bounds[b])
            b++;
        self->buckets[b]++;
        self->latency_sum += s;
        self->batches++;
        self->samples += batches[i].batch->nsamples;
    }
    pthread_mutex_unlock (&self->lock);
}

coll_commit_observer_t
http_ingest_observer (http_ingest_t *self)
{
    return (coll_commit_observer_t){s_on_commit, self};
}

void
http_ingest_set_server (http_ingest_t *self, const coll_server_t *server)
{
    atomic_store (&self->server, server);
}

static void
s_counter (vg_buf_t *out, const char *name, const char *help, unsigned long long v)
{
    vg_buf_printf (out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name, v);
}

static void
s_metrics (vg_buf_t *out, void *arg)
{
    http_ingest_t *self = arg;
    const coll_server_t *server = atomic_load (&self->server);
    if (server) {
        coll_server_stats_t st = coll_server_stats (server);
        s_counter (out, "vigil_ingest_messages_total", "Messages received from agents.",
                   st.messages);
        s_counter (out, "vigil_ingest_batches_accepted_total",
                   "Batches decoded and handed to the writer.", st.batches_accepted);
        s_counter (out, "vigil_ingest_batches_names_known_total",
                   "Batches whose strings and series were, byte for byte, those of the "
                   "connection's batch before: not read again.",
                   st.batches_names_known);
        s_counter (out, "vigil_ingest_batches_rejected_total", "Batches answered REJECTED.",
                   st.batches_rejected);
        s_counter (out, "vigil_ingest_messages_dropped_total", "Malformed messages dropped.",
                   st.messages_dropped);
        s_counter (out, "vigil_ingest_acks_sent_total", "Acks sent to agents.", st.acks_sent);
        vg_buf_printf (out,
                       "# HELP vigil_ingest_queue_depth Batches waiting for the database.\n"
                       "# TYPE vigil_ingest_queue_depth gauge\nvigil_ingest_queue_depth %llu\n",
                       (unsigned long long)st.queued);
    }
    pthread_mutex_lock (&self->lock);
    uint64_t batches = self->batches, samples = self->samples, buckets[NBOUNDS + 1];
    memcpy (buckets, self->buckets, sizeof buckets);
    double sum = self->latency_sum;
    pthread_mutex_unlock (&self->lock);
    s_counter (out, "vigil_ingest_batches_stored_total", "Batches stored (committed).", batches);
    s_counter (out, "vigil_ingest_samples_stored_total", "Samples in the batches stored.", samples);
    vg_buf_puts (out, "# HELP vigil_ingest_commit_latency_seconds From a batch's arrival to its "
                      "commit.\n# TYPE vigil_ingest_commit_latency_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t b = 0; b < NBOUNDS; b++) {
        cum += buckets[b];
        vg_buf_printf (out, "vigil_ingest_commit_latency_seconds_bucket{le=\"%g\"} %llu\n",
                       s_bounds[b], (unsigned long long)cum);
    }
    cum += buckets[NBOUNDS];
    vg_buf_printf (out,
                   "vigil_ingest_commit_latency_seconds_bucket{le=\"+Inf\"} %llu\n"
                   "vigil_ingest_commit_latency_seconds_sum %.6f\n"
                   "vigil_ingest_commit_latency_seconds_count %llu\n",
                   (unsigned long long)cum, sum, (unsigned long long)cum);
}

static int
s_health_db (char *reason, size_t len, void *arg)
{
    http_ingest_t *self = arg;
    const char *keys[] = {"dbname", "connect_timeout", NULL};
    const char *values[] = {self->db_url, "2", NULL};
    if (PQpingParams (keys, values, 1) == PQPING_OK)
        return 0;
    snprintf (reason, len,
              "PostgreSQL is not answering: nothing is stored; agents keep their batches until "
              "it is back");
    return 1;
}

static int
s_health_queue (char *reason, size_t len, void *arg)
{
    http_ingest_t *self = arg;
    const coll_server_t *server = atomic_load (&self->server);
    if (!server)
        return 0;
    coll_server_stats_t st = coll_server_stats (server);
    if (!st.paused)
        return 0;
    snprintf (reason, len,
              "the queue to the database is full (%llu batches): not reading from agents "
              "until it drains",
              (unsigned long long)st.queued);
    return 1;
}

void
http_ingest_register (http_ingest_t *self, http_server_t *http)
{
    http_server_metrics (http, s_metrics, self);
    http_server_health (http, s_health_db, self);
    http_server_health (http, s_health_queue, self);
}
