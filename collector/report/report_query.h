/*  report_query.h - fills a report (report_model.h) from the database,
 *  through the SQL interface (vigil.counter_increase, vigil.dist_stats,
 *  vigil.gauge_stats, vigil.quantile, vigil.deploys_between): each section
 *  of the checklists' reports, read from the metrics a definition
 *  (report_def.h) names, over a daily, weekly or monthly period in a time
 *  zone, for the series a selector picks.
 */
#ifndef REPORT_QUERY_H
#define REPORT_QUERY_H

#include "report_def.h"
#include "report_model.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *kind;     /* daily, weekly or monthly */
    const char *day;      /* YYYY-MM-DD: a day of the period; NULL: the last one over */
    const char *tz;       /* a zone PostgreSQL knows: Asia/Seoul, UTC */
    const char *selector; /* 'service="chat-api"'; NULL or "" for every series */
    int64_t now_ms;
} report_request_t;

/* Runs the report. Returns it (caller owns it), or NULL with the reason in
 * err: a bad kind, day, zone or selector, or the database failing. */
report_t *report_query_run (PGconn *conn, const report_def_t *def, const report_request_t *req,
                            char *err, size_t errlen);

/* ---- for the report library's own files (report_steps.c) ---- */

typedef struct report_dist_s report_dist_t; /* report_dist.h */

/* A report being filled. */
typedef struct {
    PGconn *conn;
    const report_def_t *def;
    report_t *r;
    const char *tz;
    char *sel;                 /* the selector, braces and spaces trimmed */
    char since[32], until[32]; /* the period, as to_timestamp () seconds */
    char *err;
    size_t errlen;
    int failed; /* err says why; what is left is skipped */
    /* The latency metric, read once (report_steps_prefetch) for every
     * section that shows it: grouped by lat_by, in steps of lat_step (the
     * charts' steps, which nest in the table's: one read serves both). */
    report_dist_t *lat;
    const char *lat_by, *lat_step;
    /* The requests metric, read once the same way: report_query_requests
     * by req_by, in steps of req_step. */
    PGresult *req;
    const char *req_by, *req_step;
    /* Memory and CPU per host in the charts' steps (gauge_step); tokens by
     * the breakdown label tok_by and the kind; cost by cost_by. */
    PGresult *mem, *cpu, *tok, *cost;
    const char *gauge_step, *tok_by, *cost_by;
} report_ctx_t;

/* The interface's grouped functions, called with $1 metric, $2 since, $3
 * until, $4 selector, $5 by, $6 step, $7 tz; columns: group, bucket (ms),
 * then the figures named. */
extern const char report_query_inc_sql[];   /* increase */
extern const char report_query_dist_sql[];  /* count, avg, p50, p95, p99, max */
extern const char report_query_gauge_sql[]; /* samples, avg, max, peak_sum */

/* increase per group and step, and whether the group's last label value
 * (after its last comma) matches $8 (a regular expression, anchored):
 * columns group, bucket (ms), increase, matches (t/f). */
extern const char report_query_flag_sql[];

/* Requests by by (may be NULL) and step (may be NULL) with the definition's
 * status label added to by, each flagged as an error or not: columns as
 * report_query_flag_sql. */
PGresult *report_query_requests (report_ctx_t *c, const char *metric, const char *by,
                                 const char *step);
/* The group of a row of report_query_requests without its status: a new
 * string, "" when by was NULL. */
char *report_query_group_of (const char *grp);
/* Its status: what follows the group's last comma. */
const char *report_query_status_of (const char *grp);

/* Runs one of them for metric, with selector (NULL: the report's), by and
 * step (may be NULL). On failure sets c->failed and returns NULL. */
PGresult *report_query_grouped (report_ctx_t *c, const char *sql, const char *metric,
                                const char *selector, const char *by, const char *step);

#endif
