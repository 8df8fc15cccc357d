/*  rules_refill.h - the rule engine's windows read back from PostgreSQL: at
 *  start, after a reload, and after the engine's queue overflowed.
 *
 *  The hosts (with their last contact, for up), every series some rule
 *  reads, and its samples and distributions within the widest window its
 *  rules read (range + offset, or the 5-minute lookback), so that a restart
 *  neither misses a crossing nor starts a rate or a 'for' from nothing.
 */
#ifndef RULES_REFILL_H
#define RULES_REFILL_H

#include "rules_index.h"
#include "rules_mem.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t hosts;
    size_t series;  /* read by some rule */
    size_t samples; /* read back */
    size_t sketches;
} rules_refill_stats_t;

/* Reads what the store's watches need at time now. Returns 0, or VG_ERETRY /
 * VG_EDB with the reason in err. */
int rules_refill (PGconn *conn, rules_index_t *index, rules_mem_t *mem, int64_t now,
                  rules_refill_stats_t *stats, char *err, size_t errlen);

#endif
