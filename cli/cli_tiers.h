/*  cli_tiers.h - how much each storage tier holds (vigil.storage_tiers ()),
 *  for `vigil status`: raw samples and distributions, per-minute and
 *  per-hour rollups. */
#ifndef CLI_TIERS_H
#define CLI_TIERS_H

#include "vg_buf.h"

#include <libpq-fe.h>

/* Appends a "storage:" block of one line per tier. Appends nothing when the
 * database has no such function (a schema older than the collector's). */
void cli_tiers_text (PGconn *conn, vg_buf_t *out);
/* Appends "\"storage\": [...]" (an empty list in the same case). */
void cli_tiers_json (PGconn *conn, vg_buf_t *out);

#endif
