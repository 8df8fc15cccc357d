/*  cli_keygen.h - `vigil keygen NAME`: a CURVE key pair in czmq's zcert format. */
#ifndef CLI_KEYGEN_H
#define CLI_KEYGEN_H

#include <stdio.h>

int cli_keygen_run (int argc, char **argv);
void cli_keygen_usage (FILE *out);

#endif
