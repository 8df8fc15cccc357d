/*  cli_ack.h - `vigil ack ID`: acknowledge an alert, which holds its
 *  escalation until the ack expires or the alert resolves. */
#ifndef CLI_ACK_H
#define CLI_ACK_H

#include <stdio.h>

int cli_ack_run (int argc, char **argv);
void cli_ack_usage (FILE *out);

#endif
