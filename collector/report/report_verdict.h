/*  report_verdict.h - the go/no-go of a deploy window against criteria
 *  (report_criteria.h): APPROVE, EXTEND (keep watching, how long and why) or
 *  ROLLBACK (which criterion), with each criterion's target, actual value
 *  and outcome; stored in vigil.verdicts.
 *
 *  In this order:
 *    ROLLBACK  a criterion whose on_fail is rollback fails, with enough
 *              traffic (min_requests) to mean it - even before the window
 *              is over;
 *    EXTEND    the window is not over (for what is left of it); too little
 *              traffic; a criterion whose on_fail is extend fails; or a
 *              criterion has no data (for `extend` longer);
 *    APPROVE   every criterion passes over the whole window.
 *  The measures are those of the report (report_def.h names the metrics),
 *  read through the same SQL interface over [since, min(until, now)).
 */
#ifndef REPORT_VERDICT_H
#define REPORT_VERDICT_H

#include "report_criteria.h"
#include "report_def.h"
#include "report_model.h"
#include "vg_buf.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    REPORT_APPROVE = 0,
    REPORT_EXTEND = 10,
    REPORT_ROLLBACK = 20,
} report_outcome_t; /* also the exit status of `vigil verdict` */

typedef struct {
    int64_t since_ms, until_ms; /* the window */
    int64_t deploy_id;          /* the deploy it starts at; 0 for none */
    const char *deploy;         /* "chat-api 1.4.2", or NULL */
    const char *selector;       /* "" for every series */
} report_window_t;

typedef struct {
    const report_criterion_t *criterion;
    report_val_t actual;
    int pass; /* 1, 0, or -1 for no data */
} report_judged_t;

typedef struct {
    report_outcome_t outcome;
    int64_t extend_ms; /* EXTEND: how much longer to watch */
    char reason[1024];
    report_judged_t rows[REPORT_CRITERIA_MAX];
    size_t n;
    report_val_t requests;
    int64_t judged_until_ms; /* min (until, now) */
    int64_t verdict_id;      /* once stored */
} report_verdict_t;

/* Judges the window as of now_ms. Returns 0, or VG_EDB / VG_EINVAL (a bad
 * selector) with err. */
int report_verdict_judge (PGconn *conn, const report_def_t *def, const report_criteria_t *criteria,
                          const report_window_t *window, int64_t now_ms, report_verdict_t *out,
                          char *err, size_t errlen);
/* Stores it in vigil.verdicts (through vigil.verdict_record); sets
 * verdict_id. */
int report_verdict_store (PGconn *conn, const report_window_t *window, report_verdict_t *verdict,
                          char *err, size_t errlen);

const char *report_verdict_name (report_outcome_t outcome);
/* The verdict for people: the answer, the window, a table of target,
 * actual and pass. */
void report_verdict_text (const report_verdict_t *v, const report_window_t *w, vg_buf_t *out);
void report_verdict_json (const report_verdict_t *v, const report_window_t *w, vg_buf_t *out);
/* The last limit verdicts stored, newest first, as text or JSON. */
int report_verdict_history (PGconn *conn, int limit, int json, vg_buf_t *out, char *err,
                            size_t errlen);

#endif
