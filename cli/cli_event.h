/*  cli_event.h - `vigil event`: record a deploy, list deploys. */
#ifndef CLI_EVENT_H
#define CLI_EVENT_H

#include <stdio.h>

/* argv[0] is "event". Returns a CLI_EXIT_* code. */
int cli_event_run (int argc, char **argv);
void cli_event_usage (FILE *out);

#endif
