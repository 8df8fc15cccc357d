/*  http_rules.h - the rules stage's figures for /metrics: rule evaluations
 *  (how many, how many failed, how long each took), alerts by state, the
 *  transitions stored and waiting for the database, the queue of committed
 *  batches between ingest and the engine, and what the engine keeps in
 *  memory. Read from rules_engine_stats at each scrape. */
#ifndef HTTP_RULES_H
#define HTTP_RULES_H

#include "http_server.h"
#include "rules_engine.h"

/* Registers the figures of engine (which must outlive the server). */
void http_rules_register (rules_engine_t *engine, http_server_t *http);

#endif
