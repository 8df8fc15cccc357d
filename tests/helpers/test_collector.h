/*  test_collector.h - a collector in the test's process, as vigil-collector
 *  runs it (server, writer, rollups), on a free port against a real
 *  database, with a scripted agent connected to it.
 *
 *      test_collector_t *tc = test_collector_start (url, NULL);
 *      test_collector_store (tc, batch);      sends, expects STORED
 *      test_collector_sync (tc);              rollups written
 *      test_collector_stop (&tc);
 */
#ifndef TEST_COLLECTOR_H
#define TEST_COLLECTOR_H

#include "coll_config.h"
#include "coll_rollup.h"
#include "coll_server.h"
#include "test_agent_peer.h"
#include "vg_batch.h"

typedef struct {
    coll_config_t *config;
    coll_server_t *server;
    coll_rollup_t *rollup; /* NULL with rollups off */
    test_agent_peer_t *peer;
    char *url;
    void *thread; /* the server's */
} test_collector_t;

/* yaml: collector.yaml lines added to the defaults (NULL for none); listen
 * and database_url are set here. Fails the test on any error. */
test_collector_t *test_collector_start (const char *url, const char *yaml);
/* Sends batch and fails the test unless it is acknowledged STORED. */
void test_collector_store (test_collector_t *self, const vg_batch_t *batch);
/* Waits until the rollups hold everything stored so far. */
void test_collector_sync (test_collector_t *self);
void test_collector_stop (test_collector_t **self_p);

#endif
