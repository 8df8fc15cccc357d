/*  report_event.h - deploy events: recorded by `vigil event add deploy`, by
 *  the collector's HTTP API (a POST calls report_event_add_deploy), or by
 *  SQL (vigil.deploy_add); read by reports and the verdict. */
#ifndef REPORT_EVENT_H
#define REPORT_EVENT_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *service; /* required */
    const char *version; /* required */
    int64_t at_ms;       /* when it happened, ms since the epoch */
    const char *labels;  /* a JSON object, or NULL for none */
    const char *note;    /* may be NULL */
    const char *source;  /* "cli", "api"... */
} report_deploy_t;

/* Records a deploy; *id (may be NULL) gets its id. Returns 0, or VG_EINVAL
 * (refused: no service or version, more than a day ahead, labels not an
 * object) or VG_EDB, with the database's reason in err. */
int report_event_add_deploy (PGconn *conn, const report_deploy_t *deploy, int64_t *id, char *err,
                             size_t errlen);

/* A deploy as read back. deploy_id is 0 for an agent's own event. */
typedef struct {
    int64_t deploy_id;
    int64_t ts_ms;
    char *service, *version, *note, *source;
} report_deploy_row_t;

typedef struct {
    report_deploy_row_t *rows;
    size_t n;
} report_deploys_t;

/* The deploys in [since_ms, until_ms) that selector allows (see
 * vigil.deploys_between). Returns 0 or VG_EDB with err; out is owned by the
 * caller (report_event_free). */
int report_event_list (PGconn *conn, int64_t since_ms, int64_t until_ms, const char *selector,
                       report_deploys_t *out, char *err, size_t errlen);
/* The newest deploy at or before now_ms that selector allows; 0, VG_ENOTFOUND
 * or VG_EDB. */
int report_event_latest (PGconn *conn, int64_t now_ms, const char *selector,
                         report_deploy_row_t *out, char *err, size_t errlen);
void report_event_row_free (report_deploy_row_t *row);
void report_event_free (report_deploys_t *deploys);

#endif
