/*  cli_report.h - `vigil report daily|weekly|monthly`. */
#ifndef CLI_REPORT_H
#define CLI_REPORT_H

#include <stdio.h>

/* argv[0] is "report". Returns a CLI_EXIT_* code. */
int cli_report_run (int argc, char **argv);
void cli_report_usage (FILE *out);

#endif
