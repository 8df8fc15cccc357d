/*  report_status.h - the status page, for the collector's HTTP server to
 *  serve at /: every host with its last contact and vital signs, the active
 *  alerts (when the rules engine's vigil.alerts is there), and the last 24
 *  hours' charts of the report's metrics with deploy markers. One
 *  self-contained HTML page, no script, nothing fetched; it reloads itself
 *  every minute. */
#ifndef REPORT_STATUS_H
#define REPORT_STATUS_H

#include "report_def.h"
#include "vg_buf.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

/* Appends the page as of now_ms, for the series selector picks (NULL or
 * "": all). Returns 0, or VG_EDB with err (and appends nothing). */
int report_status_render (PGconn *conn, const report_def_t *def, const char *selector,
                          int64_t now_ms, vg_buf_t *out, char *err, size_t errlen);

#endif
