/*  report_criteria.h - criteria.yaml: what a deploy window must show to be
 *  approved. The default is the 24-hour pass table of the operators'
 *  checklist (deploy/criteria.yaml spells it out):
 *
 *      window: 24h            # judged from the deploy (or --since)
 *      extend: 24h            # EXTEND keeps watching this much longer
 *      min_requests: 100      # fewer: too little traffic yet, EXTEND
 *      criteria:
 *        - {name: peak concurrent users, measure: peak_concurrent_users, op: ">=",
 *           target: 20, on_fail: extend}
 *        - {name: error rate, measure: error_rate, op: "<", target: 5%}
 *        - {name: average response, measure: avg_response_seconds, op: "<", target: 5s}
 *        - {name: memory peak, measure: memory_peak_bytes, op: "<", target: 900MB}
 *
 *  A criterion that fails rolls back, unless on_fail says extend. Targets
 *  carry their unit: 5% or 0.05 for shares, 5s or 500ms, 900MB (10^6 bytes)
 *  or 900MiB (2^20), a plain number for counts and CPU percent.
 */
#ifndef REPORT_CRITERIA_H
#define REPORT_CRITERIA_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    REPORT_MEASURE_REQUESTS,
    REPORT_MEASURE_ERRORS,
    REPORT_MEASURE_ERROR_RATE,
    REPORT_MEASURE_SUCCESS_RATE,
    REPORT_MEASURE_AVG_RESPONSE,
    REPORT_MEASURE_P50_RESPONSE,
    REPORT_MEASURE_P95_RESPONSE,
    REPORT_MEASURE_P99_RESPONSE,
    REPORT_MEASURE_PEAK_USERS,
    REPORT_MEASURE_MEMORY_PEAK,
    REPORT_MEASURE_CPU_AVG,
    REPORT_MEASURE_CPU_PEAK,
    REPORT_MEASURE_ERROR_LINES,
    REPORT_MEASURE_COUNT
} report_measure_t;

typedef enum { REPORT_OP_LT, REPORT_OP_LE, REPORT_OP_GT, REPORT_OP_GE } report_op_t;

typedef struct {
    char *name;
    report_measure_t measure;
    report_op_t op;
    double target; /* in the measure's unit: shares 0..1, seconds, bytes */
    int rollback;  /* on_fail: rollback (1) or extend (0) */
} report_criterion_t;

#define REPORT_CRITERIA_MAX 16

typedef struct {
    int64_t window_ms;
    int64_t extend_ms;
    int64_t min_requests;
    report_criterion_t items[REPORT_CRITERIA_MAX];
    size_t n;
} report_criteria_t;

/* Loads path, or the checklist's defaults when path is NULL. On error
 * returns NULL with "file:line: key: reason" in err. Caller owns it. */
report_criteria_t *report_criteria_load (const char *path, char *err, size_t errlen);
void report_criteria_destroy (report_criteria_t **self_p);

/* The measure's name in criteria.yaml ("error_rate"), and its unit as
 * report_model.h has it (REPORT_UNIT_*). */
const char *report_criteria_measure_name (report_measure_t measure);
int report_criteria_measure_unit (report_measure_t measure);
/* "<", "<=", ">", ">=". */
const char *report_criteria_op_name (report_op_t op);
/* Whether actual meets op target. */
int report_criteria_pass (report_op_t op, double actual, double target);

#endif
