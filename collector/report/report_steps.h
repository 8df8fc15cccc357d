/*  report_steps.h - the parts of a report over time (report_query.c calls
 *  them): the table by hour or day with the charts drawn from the same
 *  figures, and the week-over-week trend of a quantile with its warning. */
#ifndef REPORT_STEPS_H
#define REPORT_STEPS_H

#include "report_query.h"

/* Reads the latency, requests, memory, CPU, tokens and cost metrics once
 * each for the sections that show them (c->lat, c->req...), by the label of
 * the breakdown that shows them too, in the charts' steps (which nest in the
 * table's); report_steps_release frees them. */
void report_steps_prefetch (report_ctx_t *c);
void report_steps_release (report_ctx_t *c);
/* The "By hour" (daily) or "By day" table, and the charts: response time
 * P50/P95/P99, request rate, error rate, memory and CPU. */
void report_steps_by_time (report_ctx_t *c);
/* Only the charts, over c's window, in steps of step (an interval, "1 hour")
 * of step_minutes, each step's time written with fmt (to_char). */
void report_steps_charts (report_ctx_t *c, const char *step, const char *fmt, double step_minutes);
/* The quantile of each of the definition's last weeks up to the period's
 * end, with a warning when it rose warn_rising_weeks weeks in a row or more
 * than warn_jump in the last one. */
void report_steps_trend (report_ctx_t *c);

#endif
