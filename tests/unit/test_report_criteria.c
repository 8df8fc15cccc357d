/*  test_report_criteria.c - criteria.yaml: the checklist's defaults,
 *  targets read with their units, and every mistake named with its line. */
#include "report_criteria.h"
#include "test_assert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char s_dir[] = "/tmp/vigil-test-criteria.XXXXXX";

static report_criteria_t *
s_load (const char *yaml, char *err, size_t errlen)
{
    char path[256];
    snprintf (path, sizeof path, "%s/criteria.yaml", s_dir);
    FILE *f = fopen (path, "w");
    ASSERT (f != NULL);
    fputs (yaml, f);
    fclose (f);
    return report_criteria_load (path, err, errlen);
}

static void
s_refused (const char *yaml, const char *reason)
{
    char err[1024] = "";
    report_criteria_t *c = s_load (yaml, err, sizeof err);
    if (c)
        TEST_FAIL ("accepted: %s", yaml);
    ASSERT_STR_CONTAINS (err, reason);
}

int
main (void)
{
    if (!mkdtemp (s_dir))
        TEST_FAIL ("mkdtemp");
    char err[1024];

    /* The checklist's table. */
    report_criteria_t *c = report_criteria_load (NULL, err, sizeof err);
    ASSERT (c != NULL);
    ASSERT_EQ (c->window_ms, 24 * 3600000LL);
    ASSERT_EQ (c->n, 4);
    ASSERT_STR_EQ (c->items[0].name, "peak concurrent users");
    ASSERT_EQ (c->items[0].op, REPORT_OP_GE);
    ASSERT_EQ (c->items[0].rollback, 0);
    ASSERT_NEAR (c->items[1].target, 0.05, 1e-12);
    ASSERT_NEAR (c->items[3].target, 900e6, 0);
    report_criteria_destroy (&c);

    /* Targets carry their units. */
    c = s_load ("window: 48h\nextend: 12h\nmin_requests: 5\ncriteria:\n"
                "  - {measure: error_rate, op: \"<\", target: 5%}\n"
                "  - {measure: error_rate, op: \"<=\", target: 0.01}\n"
                "  - {measure: p95_response_seconds, op: \"<\", target: 500ms}\n"
                "  - {measure: avg_response_seconds, op: \"<\", target: 2m}\n"
                "  - {measure: memory_peak_bytes, op: \"<\", target: 900MiB}\n"
                "  - {measure: memory_peak_bytes, op: \"<\", target: 1GB}\n"
                "  - {measure: cpu_peak_percent, op: \"<\", target: 80%, on_fail: extend}\n"
                "  - {name: users, measure: peak_concurrent_users, op: \">\", target: 20}\n",
                err, sizeof err);
    if (!c)
        TEST_FAIL ("%s", err);
    ASSERT_EQ (c->window_ms, 48 * 3600000LL);
    ASSERT_EQ (c->extend_ms, 12 * 3600000LL);
    ASSERT_EQ (c->min_requests, 5);
    ASSERT_EQ (c->n, 8);
    ASSERT_NEAR (c->items[0].target, 0.05, 1e-12);
    ASSERT_NEAR (c->items[1].target, 0.01, 1e-12);
    ASSERT_NEAR (c->items[2].target, 0.5, 1e-12);
    ASSERT_NEAR (c->items[3].target, 120, 0);
    ASSERT_NEAR (c->items[4].target, 900.0 * 1048576, 0);
    ASSERT_NEAR (c->items[5].target, 1e9, 0);
    ASSERT_NEAR (c->items[6].target, 80, 0);
    ASSERT_EQ (c->items[6].rollback, 0);
    ASSERT_STR_EQ (c->items[7].name, "users");
    ASSERT_STR_EQ (c->items[2].name, "p95_response_seconds");
    ASSERT (report_criteria_pass (REPORT_OP_LT, 0.04, c->items[0].target));
    ASSERT (!report_criteria_pass (REPORT_OP_LT, 0.05, c->items[0].target));
    ASSERT (report_criteria_pass (REPORT_OP_LE, 0.01, c->items[1].target));
    ASSERT (!report_criteria_pass (REPORT_OP_GT, 20, c->items[7].target));
    report_criteria_destroy (&c);

    /* Mistakes, with their line. */
    s_refused ("criteria:\n  - {measure: error_rate, op: \"<\", target: 5}\n",
               "criteria.yaml:2: criteria[0].target: error_rate is a share: 5% or 0.05, not \"5\"");
    s_refused ("criteria:\n  - {measure: avg_response_seconds, op: \"<\", target: 5 parsecs}\n",
               "is a time: 5s or 500ms");
    s_refused ("criteria:\n  - {measure: error_rate, op: \"=\", target: 5%}\n",
               "criteria[0].op: expected <, <=, > or >=, not \"=\"");
    s_refused ("criteria:\n  - {measure: mood, op: \"<\", target: 1}\n",
               "unknown measure \"mood\"");
    s_refused ("criteria:\n  - {measure: error_rate, op: \"<\", target: 5%, on_fail: panic}\n",
               "expected rollback or extend");
    s_refused ("criteria:\n  - {measure: error_rate, target: 5%}\n", "op");
    s_refused ("criteria: []\n", "a list of 1 to 16 criteria");
    s_refused ("window: soon\n", "criteria.yaml:1: window");
    s_refused ("windows: 24h\n", "windows");

    char path[256];
    snprintf (path, sizeof path, "%s/criteria.yaml", s_dir);
    unlink (path);
    rmdir (s_dir);
    printf ("test_report_criteria: ok\n");
    return 0;
}
