/*  report_def.h - a report definition (report.yaml): which metric each
 *  section of a report reads. The defaults fit the series that
 *  deploy/examples/fastapi-agent.yaml produces; deploy/report.yaml spells
 *  them out. Every key is optional; a section whose metric is "" is left out
 *  of reports ("not configured").
 *
 *      requests:   {metric: api_requests_total, status_label: status_code, errors: "5.."}
 *      latency:    {metric: api_request_duration_seconds, unit: s}
 *      errors:     {metric: api_error_lines_total, label: error_type, top: 5}
 *      memory:     {metric: process_rss_bytes}
 *      cpu:        {metric: process_cpu_percent}
 *      users:      {metric: app_concurrent_users}
 *      tokens:     {metric: llm_tokens, label: kind}
 *      cost:       {metric: llm_cost_usd, unit: USD}
 *      breakdowns:
 *        - {label: endpoint, requests: api_requests_total, latency: api_request_duration_seconds}
 *        - {label: persona, latency: api_chat_duration_seconds}
 *        - {label: model, tokens: llm_tokens, cost: llm_cost_usd}
 *      trend:      {metric: api_request_duration_seconds, quantile: 0.95, weeks: 4,
 *                   warn_rising_weeks: 3, warn_jump: 0.2}
 */
#ifndef REPORT_DEF_H
#define REPORT_DEF_H

#include <stddef.h>
#include <stdint.h>

#define REPORT_DEF_MAX_BREAKDOWNS 8

typedef struct {
    char *label;    /* the label whose values make the rows */
    char *requests; /* counter: requests and errors per value ("" for none) */
    char *latency;  /* distribution: count, average, P95, P99 per value */
    char *tokens;   /* counter */
    char *cost;     /* counter */
} report_breakdown_t;

typedef struct {
    struct {
        char *metric, *status_label, *errors;
    } requests;
    struct {
        char *metric, *unit; /* unit: s or ms, what the metric is in */
    } latency;
    struct {
        char *metric, *label;
        int64_t top;
    } errors;
    struct {
        char *metric;
    } memory, cpu, users;
    struct {
        char *metric, *label;
    } tokens;
    struct {
        char *metric, *unit;
    } cost;
    report_breakdown_t breakdowns[REPORT_DEF_MAX_BREAKDOWNS];
    size_t nbreakdowns;
    struct {
        char *metric;
        double quantile;
        int64_t weeks, warn_rising_weeks;
        double warn_jump;
    } trend;
} report_def_t;

/* Loads path, or only the defaults when path is NULL. On error returns NULL
 * with "file:line: key: reason" in err. Caller owns the result. */
report_def_t *report_def_load (const char *path, char *err, size_t errlen);
void report_def_destroy (report_def_t **self_p);

#endif
