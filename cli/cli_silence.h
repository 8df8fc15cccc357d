/*  cli_silence.h - `vigil silence add|list|expire`: silences in PostgreSQL,
 *  which the collector's notify stage honours at once. */
#ifndef CLI_SILENCE_H
#define CLI_SILENCE_H

#include <stdio.h>

int cli_silence_run (int argc, char **argv);
void cli_silence_usage (FILE *out);

#endif
