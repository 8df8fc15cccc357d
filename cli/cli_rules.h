/*  cli_rules.h - `vigil rules check FILE...` and `vigil rules test FILE...`:
 *  rule files checked with the collector's own loader, and rule unit tests
 *  in promtool's format run through the collector's own evaluator. */
#ifndef CLI_RULES_H
#define CLI_RULES_H

#include <stdio.h>

/* argv[0] is "rules". Returns a CLI_EXIT_* code. */
int cli_rules_run (int argc, char **argv);
void cli_rules_usage (FILE *out);

#endif
