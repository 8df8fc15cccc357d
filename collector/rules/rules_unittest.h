/*  rules_unittest.h - rule unit tests in promtool's test-file format
 *  (`promtool test rules`), run through Vigil's own evaluator.
 *
 *      rule_files: [alerts.yml]          # relative to the test file; globs
 *      evaluation_interval: 1m
 *      group_eval_order: [first, second]
 *      tests:
 *        - interval: 1m                  # default: evaluation_interval
 *          name: optional
 *          external_labels: {cluster: eu1}
 *          external_url: http://vigil.example
 *          input_series:
 *            - series: 'up{job="api"}'
 *              values: '1 1 0x10 _ stale'
 *          alert_rule_test:
 *            - eval_time: 10m
 *              alertname: InstanceDown
 *              exp_alerts:            # the firing alerts; [] for none
 *                - exp_labels: {severity: page, job: api}
 *                  exp_annotations: {summary: "..."}
 *          promql_expr_test:
 *            - expr: up == 0
 *              eval_time: 4m
 *              exp_samples: [{labels: 'up{job="api"}', value: 0}]
 *
 *  As promtool does: rules are evaluated every evaluation_interval from 0
 *  up to the last eval_time, groups in group_eval_order, with the input
 *  samples up to each evaluation time loaded; alerts are compared at the
 *  evaluation at or just before each eval_time; expressions are evaluated at
 *  their eval_time once all rules have run. Values must be equal exactly.
 *  Windows are Prometheus 3's (open on the left).
 */
#ifndef RULES_UNITTEST_H
#define RULES_UNITTEST_H

#include <stdio.h>

/* Runs the tests of one file, printing as promtool does ("Unit Testing:
 * FILE", then "  SUCCESS" or "  FAILED:" and each failure) to out. Returns
 * 0 when every test passed, 1 when a test failed or the file could not be
 * used. */
int rules_unittest_run (const char *path, FILE *out);

#endif
