/*  cli_verdict.h - `vigil verdict`: the go/no-go of a deploy window. */
#ifndef CLI_VERDICT_H
#define CLI_VERDICT_H

#include <stdio.h>

/* argv[0] is "verdict". Returns 0 (APPROVE), 10 (EXTEND), 20 (ROLLBACK) or a
 * CLI_EXIT_* code. */
int cli_verdict_run (int argc, char **argv);
void cli_verdict_usage (FILE *out);

#endif
