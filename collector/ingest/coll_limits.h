/*  coll_limits.h - per-agent cardinality limits, shared by every writer.
 *
 *  Two limits, each 0 for none:
 *    max_series_per_agent       series one agent may have in all;
 *    max_new_series_per_minute  new series one agent may register, as a
 *                               bucket that holds that many and refills at
 *                               that rate: a burst up to the limit at once,
 *                               then the limit per minute.
 *  A batch that would pass either is refused whole (nothing of it is stored)
 *  with the reason, and counted for its agent. What an agent has is learnt
 *  from the database when a writer first meets it, then counted as series are
 *  registered; with several collectors on one database the count is what this
 *  one has seen, a lower bound. Thread-safe. Time is a parameter.
 */
#ifndef COLL_LIMITS_H
#define COLL_LIMITS_H

#include <stddef.h>
#include <stdint.h>

typedef struct coll_limits_t coll_limits_t;

coll_limits_t *coll_limits_new (int64_t max_series_per_agent, int64_t max_new_series_per_minute);
void coll_limits_destroy (coll_limits_t **self_p);

/* The database holds total series of agent (learnt when a writer meets it). */
void coll_limits_known (coll_limits_t *self, const char *agent, int64_t total);

/* Asks to register n new series for agent at now_ms (monotonic). Returns 0
 * and counts them, or VG_ETOOBIG with the reason in why (and counts a
 * refused batch for the agent). */
int coll_limits_admit (coll_limits_t *self, const char *agent, size_t n, int64_t now_ms, char *why,
                       size_t whylen);

/* Batches refused for agent so far, and refused in all. */
uint64_t coll_limits_refused (coll_limits_t *self, const char *agent);
uint64_t coll_limits_refused_total (coll_limits_t *self);

#endif
