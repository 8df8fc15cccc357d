/*  cli_rules.c - `vigil rules check` and `vigil rules test`. */
#include "cli_rules.h"
#include "cli.h"
#include "rules_file.h"
#include "rules_unittest.h"
#include "vg_buf.h"

#include <stdio.h>
#include <string.h>

void
cli_rules_usage (FILE *out)
{
    fprintf (out, "usage: vigil rules check FILE...\n"
                  "       vigil rules test FILE...\n"
                  "\n"
                  "check: loads Prometheus-format rule files as the collector does and reports\n"
                  "every error as FILE:LINE:COLUMN: what is wrong. An expression outside the\n"
                  "supported PromQL (docs/rules.md) is refused with the name of what is not\n"
                  "supported.\n"
                  "\n"
                  "test: runs rule unit tests written for `promtool test rules` (rule_files,\n"
                  "evaluation_interval, input_series, alert_rule_test, promql_expr_test)\n"
                  "through the collector's own evaluator, and prints SUCCESS or each failure.\n"
                  "\n"
                  "exit status: 0 all files good (all tests passed), 1 an error or a failed\n"
                  "test, 2 bad usage.\n"
                  "\n"
                  "examples:\n"
                  "  vigil rules check /etc/vigil/rules/*.yml\n"
                  "  vigil rules test /etc/vigil/rules/tests.yml\n");
}

static int
s_check (int argc, char **argv)
{
    int bad = 0;
    for (int i = 0; i < argc; i++) {
        vg_buf_t errors = {0};
        char *path = argv[i];
        rules_set_t *set = rules_file_load (&path, 1, &errors);
        if (!set) {
            fputs (errors.data ? errors.data : "", stderr);
            fprintf (stderr, "%s: FAILED\n", path);
            bad = 1;
        } else {
            size_t alerts, records;
            rules_set_count (set, &alerts, &records);
            printf ("%s: SUCCESS: %zu group%s, %zu alerting rule%s, %zu recording rule%s\n", path,
                    set->ngroups, set->ngroups == 1 ? "" : "s", alerts, alerts == 1 ? "" : "s",
                    records, records == 1 ? "" : "s");
        }
        vg_buf_free (&errors);
        rules_set_destroy (&set);
    }
    return bad ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static int
s_test (int argc, char **argv)
{
    int bad = 0;
    for (int i = 0; i < argc; i++)
        bad |= rules_unittest_run (argv[i], stdout) != 0;
    fflush (stdout);
    return bad ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int
cli_rules_run (int argc, char **argv)
{
    if (argc >= 2 && (strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0)) {
        cli_rules_usage (stdout);
        return CLI_EXIT_OK;
    }
    if (argc < 3 || (strcmp (argv[1], "check") != 0 && strcmp (argv[1], "test") != 0)) {
        fprintf (stderr, "usage: vigil rules check|test FILE...; see vigil help rules\n");
        return CLI_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++)
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf (stderr, "vigil rules %s: unknown option \"%s\"; see vigil help rules\n",
                     argv[1], argv[i]);
            return CLI_EXIT_USAGE;
        }
    if (strcmp (argv[1], "check") == 0)
        return s_check (argc - 2, argv + 2);
    return s_test (argc - 2, argv + 2);
}
