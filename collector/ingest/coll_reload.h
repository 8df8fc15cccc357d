/*  coll_reload.h - what a reloaded collector.yaml changes, said in the log. */
#ifndef COLL_RELOAD_H
#define COLL_RELOAD_H

#include "coll_config.h"

#include <stddef.h>

/* Logs, at info, each option whose value differs between old and fresh
 * ("max_peers: 10000 -> 500"; a secret only as "changed"), saying of those
 * that only a restart applies that they wait for it. Returns how many
 * options differ. */
size_t coll_reload_log_changes (const coll_config_t *old, const coll_config_t *fresh);

/* 1 if option name is applied by a running collector on reload, 0 if it
 * takes effect at the next start (listen, database_url, keys, the
 * writer's settings). */
int coll_reload_is_live (const char *name);

#endif
