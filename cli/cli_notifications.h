/*  cli_notifications.h - `vigil notifications`: the outbox, what is pending,
 *  delivered and failed, and why. */
#ifndef CLI_NOTIFICATIONS_H
#define CLI_NOTIFICATIONS_H

#include <stdio.h>

int cli_notifications_run (int argc, char **argv);
void cli_notifications_usage (FILE *out);

#endif
