/*  test_commit_hook.c - the stages after ingest are told of every batch
 *  stored, once, after its commit, with the ids the database gave its host
 *  and series; duplicates are not told again. An in-process collector against
 *  a real PostgreSQL, fed by a scripted agent over a real ZeroMQ socket. */
#include "coll_commit.h"
#include "coll_config.h"
#include "coll_server.h"
#include "test_agent_peer.h"
#include "test_assert.h"
#include "test_pg.h"
#include "vg_alloc.h"
#include "vg_time.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEEN 16

/* What the observer was told, copied as an observer must. */
typedef struct {
    int64_t host_id;
    char hostname[64];
    uint64_t seq;
    size_t nsamples;
    int64_t series_ids[4];
    uint32_t nseries;
    int window_ok;
} s_told_t;

typedef struct {
    pthread_mutex_t lock;
    int calls;
    size_t n;
    s_told_t seen[MAX_SEEN];
} s_seen_t;

static void
s_observe (const coll_committed_t *batches, size_t n, void *arg)
{
    s_seen_t *seen = arg;
    pthread_mutex_lock (&seen->lock);
    seen->calls++;
    for (size_t i = 0; i < n && seen->n < MAX_SEEN; i++) {
        const coll_committed_t *c = &batches[i];
        s_told_t *s = &seen->seen[seen->n++];
        s->host_id = c->host_id;
        snprintf (s->hostname, sizeof s->hostname, "%s", c->hostname);
        s->seq = c->batch->seq;
        s->nsamples = c->batch->nsamples;
        s->nseries = c->batch->nseries;
        for (uint32_t k = 0; k < c->batch->nseries && k < 4; k++)
            s->series_ids[k] = c->series_ids[k];
        s->window_ok = c->min_ts_ms < c->received_ms && c->received_ms < c->max_ts_ms &&
                       c->received_ms <= c->committed_ms;
    }
    pthread_mutex_unlock (&seen->lock);
}

static void *
s_serve (void *arg)
{
    coll_server_run (arg);
    return NULL;
}

static vg_batch_t *
s_batch (uint64_t seq, int64_t now)
{
    vg_batch_t *b = vg_batch_new ("agent-hook", "host-hook");
    b->seq = seq;
    b->sent_ms = now;
    vg_label_t l[] = {{"mode", "user"}};
    uint32_t cpu = vg_batch_series (b, "cpu_percent", VG_KIND_GAUGE, l, 1);
    uint32_t up = vg_batch_series (b, "up", VG_KIND_GAUGE, NULL, 0);
    vg_batch_add_sample (b, cpu, now - 2000, 12.5);
    vg_batch_add_sample (b, cpu, now - 1000, 13.5);
    vg_batch_add_sample (b, up, now - 1000, 1);
    return b;
}

int
main (void)
{
    char *url = test_pg_fresh_db ("vigil_test_commit_hook");
    PGconn *db = test_pg_connect (url);
    setenv ("VIGIL_DATABASE_URL", url, 1);
    char err[512];
    coll_config_t *config = coll_config_load (NULL, err, sizeof err);
    if (!config)
        TEST_FAIL ("config: %s", err);
    free (config->listen);
    config->listen = vg_strdup ("tcp://127.0.0.1:*");

    s_seen_t seen = {.lock = PTHREAD_MUTEX_INITIALIZER};
    coll_commit_observers_t observers = {.items = {{s_observe, &seen}}, .n = 1};
    coll_server_t *server = coll_server_new (config, &observers, err, sizeof err);
    if (!server)
        TEST_FAIL ("server: %s", err);
    pthread_t thread;
    ASSERT_EQ (pthread_create (&thread, NULL, s_serve, server), 0);

    test_agent_peer_t *peer = test_agent_peer_new (coll_server_endpoint (server));
    int64_t now = vg_now_ms ();
    vg_batch_t *b1 = s_batch (1, now), *b2 = s_batch (2, now);
    test_agent_peer_send_batch (peer, b1);
    test_agent_peer_expect_ack (peer, 1, VG_ACK_STORED);
    test_agent_peer_send_batch (peer, b1); /* a resend: stored already, not told again */
    test_agent_peer_expect_ack (peer, 1, VG_ACK_DUPLICATE);
    test_agent_peer_send_batch (peer, b2);
    test_agent_peer_expect_ack (peer, 2, VG_ACK_STORED);

    /* The observer ran before the acks left: no waiting needed. */
    pthread_mutex_lock (&seen.lock);
    ASSERT_EQ (seen.n, 2);
    ASSERT_EQ (seen.seen[0].seq, 1);
    ASSERT_EQ (seen.seen[1].seq, 2);
    long long host_id =
        test_pg_count (db, "SELECT host_id FROM vigil.hosts WHERE agent_id = 'agent-hook'");
    for (int i = 0; i < 2; i++) {
        ASSERT_EQ (seen.seen[i].host_id, host_id);
        ASSERT_STR_EQ (seen.seen[i].hostname, "host-hook");
        ASSERT_EQ (seen.seen[i].nsamples, 3);
        ASSERT_EQ (seen.seen[i].nseries, 2);
        ASSERT (seen.seen[i].window_ok);
        /* Series ids are the database's, in the batch's series order. */
        ASSERT_EQ (seen.seen[i].series_ids[0],
                   test_pg_count (db,
                                  "SELECT series_id FROM vigil.series"
                                  " WHERE metric = 'cpu_percent' AND labels->>'mode' = 'user'"));
        ASSERT_EQ (seen.seen[i].series_ids[1],
                   test_pg_count (db, "SELECT series_id FROM vigil.series WHERE metric = 'up'"));
    }
    ASSERT_LE (seen.calls, 2);
    pthread_mutex_unlock (&seen.lock);
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.samples"), 6);

    coll_server_interrupt (server, SIGTERM);
    pthread_join (thread, NULL);
    coll_server_destroy (&server);
    test_agent_peer_destroy (&peer);
    vg_batch_destroy (&b1);
    vg_batch_destroy (&b2);
    coll_config_destroy (&config);
    PQfinish (db);
    free (url);
    printf ("test_commit_hook: ok\n");
    return 0;
}
