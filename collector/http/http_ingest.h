/*  http_ingest.h - the ingest stage's figures for /metrics and its checks
 *  for /health: the server's counters (coll_server_stats), and what a commit
 *  observer counts after each commit (batches and samples stored, the time
 *  from a batch's arrival to its commit). /health fails when PostgreSQL does
 *  not answer or the queue to the writer is full. */
#ifndef HTTP_INGEST_H
#define HTTP_INGEST_H

#include "coll_commit.h"
#include "coll_server.h"
#include "http_server.h"

typedef struct http_ingest_t http_ingest_t;

/* db_url is pinged by /health. */
http_ingest_t *http_ingest_new (const char *db_url);
void http_ingest_destroy (http_ingest_t **self_p);

/* The commit observer that counts what is stored (add it to the server's
 * observers before the server starts). */
coll_commit_observer_t http_ingest_observer (http_ingest_t *self);
/* Registers the figures and the checks; server may be set later (the
 * counters of coll_server_stats are shown once it is). */
void http_ingest_register (http_ingest_t *self, http_server_t *http);
void http_ingest_set_server (http_ingest_t *self, const coll_server_t *server);

#endif
