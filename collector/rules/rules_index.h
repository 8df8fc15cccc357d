/*  rules_index.h - what the rule engine knows of the hosts and series that
 *  ingest stores: which (host_id, series_id) is which series of the store
 *  (or one no rule reads, remembered so it is matched once), and every
 *  host's up{host=...} series.
 *
 *  A series' labels for PromQL are its own, plus "host" (the agent's
 *  hostname; a label of its own called host becomes exported_host) and
 *  "__name__". up is 1 while a host's batches arrive and 0 once none has for
 *  three of its agent's intervals (10 s when the agent does not say); it gets
 *  a sample every interval, and at once when it changes. The engine's
 *  thread owns an index; rules_index_filter alone may run on other threads
 *  (the map is guarded by a read-write lock that only the engine writes).
 */
#ifndef RULES_INDEX_H
#define RULES_INDEX_H

#include "rules_mem.h"
#include "rules_queue.h"

#include <stddef.h>
#include <stdint.h>

#define RULES_INDEX_DEFAULT_INTERVAL_MS 10000
#define RULES_INDEX_DOWN_INTERVALS      3

typedef struct rules_index_t rules_index_t;

/* Called with each rule that reads a series that got data. */
typedef void (rules_index_mark_fn) (void *arg, int reader);

/* max_entries bounds the series map: past it, the map is forgotten and
 * rebuilt from the batches that follow. */
rules_index_t *rules_index_new (size_t max_entries);
void rules_index_destroy (rules_index_t **self_p);

/* Adds a batch's samples and distributions to the store (those with times
 * the store accepted), marks the rules that read them, and notes the host's
 * contact (and up = 1 if it was down). */
void rules_index_apply (rules_index_t *self, rules_mem_t *mem, const rules_queue_batch_t *batch,
                        rules_index_mark_fn *mark, void *arg);

/* The store's series for a series read back from the database, registered
 * in the map; NULL when no rule reads it. */
rules_mem_series_t *rules_index_series (rules_index_t *self, rules_mem_t *mem, int64_t host_id,
                                        int64_t series_id, const char *hostname, const char *metric,
                                        int sketch, const vg_label_t *labels, size_t nlabels);
/* The store's series of (host_id, series_id), NULL when unknown or not
 * read by any rule. */
rules_mem_series_t *rules_index_lookup (rules_index_t *self, int64_t host_id, int64_t series_id);
/* Registers a host (from the database at start, or a batch). */
void rules_index_host (rules_index_t *self, int64_t host_id, const char *hostname,
                       int64_t last_seen_ms, uint32_t interval_ms);
/* Writes the up samples due at now, marking the rules that read up. */
void rules_index_up (rules_index_t *self, rules_mem_t *mem, int64_t now, rules_index_mark_fn *mark,
                     void *arg);
/* From any thread (the commit observer): keep[i] = 1 for each series of
 * the batch a rule reads or the index has not seen, 0 for those it knows no
 * rule reads. Returns 1 if some series is new to the index. */
int rules_index_filter (rules_index_t *self, int64_t host_id, const int64_t *series_ids, uint32_t n,
                        uint8_t *keep);

/* Forgets the series map and the up series (the store or its watches were
 * replaced); hosts are kept. */
void rules_index_reset (rules_index_t *self);

size_t rules_index_hosts (const rules_index_t *self);

#endif
