/*  cli_status.h - `vigil status`: every host's last contact and vital signs.
 *
 *  Reads vigil.hosts and the latest values kept in vigil.series (no scan of
 *  samples), in one parameterised query, and prints a table or JSON. A host not
 *  seen for CLI_STATUS_STALE_S seconds is marked stale.
 */
#ifndef CLI_STATUS_H
#define CLI_STATUS_H

#include <stdio.h>

#define CLI_STATUS_STALE_S 300

/* The metrics the table shows, as the system input names them. */
#define CLI_STATUS_CPU    "system_cpu_percent"
#define CLI_STATUS_MEM    "system_memory_used_percent"
#define CLI_STATUS_LOAD1  "system_load1"
#define CLI_STATUS_LOAD5  "system_load5"
#define CLI_STATUS_LOAD15 "system_load15"
#define CLI_STATUS_DISK   "system_disk_used_percent" /* labels: mount */
/* The agent's own figures (agent_selfmetrics.c). */
#define CLI_STATUS_PENDING "vigil_agent_batches_pending"
#define CLI_STATUS_OLDEST  "vigil_agent_oldest_unacked_seconds"

/* argv[0] is "status". Returns a CLI_EXIT_* code. */
int cli_status_run (int argc, char **argv);
void cli_status_usage (FILE *out);

#endif
