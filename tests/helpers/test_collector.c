/*  test_collector.c - an in-process collector for integration tests. */
#include "test_collector.h"
#include "test_assert.h"
#include "vg_alloc.h"
#include "vg_config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *
s_serve (void *arg)
{
    coll_server_run (arg);
    return NULL;
}

test_collector_t *
test_collector_start (const char *url, const char *yaml)
{
    test_collector_t *self = vg_calloc (1, sizeof *self);
    self->url = vg_strdup (url);
    char dir[] = "/tmp/vigil-test-collector.XXXXXX";
    if (!mkdtemp (dir))
        TEST_FAIL ("mkdtemp failed");
    char *path = vg_asprintf ("%s/collector.yaml", dir);
    FILE *f = fopen (path, "w");
    if (!f)
        TEST_FAIL ("cannot write %s", path);
    fprintf (f, "listen: tcp://127.0.0.1:*\ndatabase_url: \"%s\"\n%s\n", url, yaml ? yaml : "");
    fclose (f);
    char err[1024];
    unsetenv ("VIGIL_DATABASE_URL");
    self->config = coll_config_load (path, err, sizeof err);
    if (!self->config)
        TEST_FAIL ("collector config: %s", err);
    unlink (path);
    rmdir (dir);
    free (path);

    self->rollup = coll_rollup_new (self->config);
    coll_commit_observers_t observers = {.n = 0};
    coll_rollup_observe (self->rollup, &observers);
    self->server = coll_server_new (self->config, &observers, err, sizeof err);
    if (!self->server)
        TEST_FAIL ("collector: %s", err);
    pthread_t *thread = vg_malloc (sizeof *thread);
    if (pthread_create (thread, NULL, s_serve, self->server) != 0)
        TEST_FAIL ("cannot start the collector's thread");
    self->thread = thread;
    self->peer = test_agent_peer_new (coll_server_endpoint (self->server));
    return self;
}

void
test_collector_store (test_collector_t *self, const vg_batch_t *batch)
{
    test_agent_peer_send_batch (self->peer, batch);
    test_agent_peer_expect_ack (self->peer, batch->seq, VG_ACK_STORED);
}

void
test_collector_sync (test_collector_t *self)
{
    if (!self->rollup)
        TEST_FAIL ("test_collector_sync: rollups are off");
    if (coll_rollup_sync (self->rollup, 60000) != 0)
        TEST_FAIL ("the rollups were not written within 60 s");
}

void
test_collector_stop (test_collector_t **self_p)
{
    test_collector_t *self = *self_p;
    if (!self)
        return;
    coll_server_interrupt (self->server, SIGTERM);
    pthread_join (*(pthread_t *)self->thread, NULL);
    free (self->thread);
    coll_server_destroy (&self->server);
    coll_rollup_destroy (&self->rollup);
    test_agent_peer_destroy (&self->peer);
    coll_config_destroy (&self->config);
    free (self->url);
    free (self);
    *self_p = NULL;
}
