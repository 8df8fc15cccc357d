/*  cli_alerts.h - `vigil alerts`: the active alerts the collector's rules
 *  keep in vigil.alerts, and `vigil alerts history`: their transitions
 *  (vigil.alert_transitions) in a time range. */
#ifndef CLI_ALERTS_H
#define CLI_ALERTS_H

#include <stdio.h>

/* argv[0] is "alerts". Returns a CLI_EXIT_* code. */
int cli_alerts_run (int argc, char **argv);
void cli_alerts_usage (FILE *out);

#endif
