/*  coll_rollup_db.h - writes rollup rows to PostgreSQL on a connection of
 *  its own.
 *
 *  One call writes a piece of rows of one tier (sorted by host, series,
 *  bucket, as coll_rollup_acc_take gives them) in one short transaction.
 *  Rows marked fresh (no row of their bucket stored) go by binary COPY
 *  straight into vigil.rollup_minute or vigil.rollup_hour; the others by
 *  binary COPY into a temporary table, then INSERT ... ON CONFLICT, merging
 *  each delta into the row already stored by the rules of
 *  coll_rollup_acc.h. An hour delta that falls
 *  inside the span its stored row already covers (a late batch filling a
 *  gap) has its counter increase summed again from the hour's minutes. The
 *  partitions a piece needs are made first. Not thread-safe: one per thread.
 */
#ifndef COLL_ROLLUP_DB_H
#define COLL_ROLLUP_DB_H

#include "coll_rollup_acc.h"

#include <stddef.h>

typedef struct coll_rollup_db_t coll_rollup_db_t;

/* The URL is copied; nothing connects yet. */
coll_rollup_db_t *coll_rollup_db_new (const char *dburl);
void coll_rollup_db_destroy (coll_rollup_db_t **self_p);

/* Connects if not connected (applying migrations, as the writers do).
 * Returns 0, VG_ERETRY (unreachable) or VG_EDB; err says why. */
int coll_rollup_db_connect (coll_rollup_db_t *self, char *err, size_t errlen);

typedef enum { COLL_ROLLUP_MINUTE = 0, COLL_ROLLUP_HOUR = 1 } coll_rollup_tier_t;

/* Writes n rows of tier. Returns 0 after the commit, with *merged the rows
 * that went in as merges; VG_ERETRY when nothing was written and trying
 * again later may work, or VG_EDB when the database refused the piece. */
int coll_rollup_db_write (coll_rollup_db_t *self, coll_rollup_tier_t tier,
                          const coll_rollup_row_t *rows, size_t n, size_t *merged, char *err,
                          size_t errlen);

#endif
