/*  cli.h - what every `vigil` subcommand shares: its descriptor and exit codes.
 *
 *  A subcommand is one row of the table in vigil_main.c:
 *
 *      {"status", "every host's last contact and vital signs",
 *       cli_status_run, cli_status_usage},
 *
 *  run gets the arguments after the command word (argv[0] is the command's
 *  name) and returns one of the CLI_EXIT_* codes; usage prints the command's
 *  complete help. Adding a command is adding a row and a cli_<name>.c file.
 */
#ifndef CLI_H
#define CLI_H

#include <stdio.h>

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAIL = 1,  /* the command could not do its job (database, files) */
    CLI_EXIT_USAGE = 2, /* bad command line */
    CLI_EXIT_EMPTY = 3, /* worked, but there is nothing to show yet */
};

typedef struct {
    const char *name;
    const char *summary; /* one line, for `vigil --help` */
    int (*run) (int argc, char **argv);
    void (*usage) (FILE *out);
} cli_command_t;

#endif
