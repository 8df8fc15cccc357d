/*  vigil_main.c - `vigil`, the operator's CLI: a table of subcommands.
 *
 *  Each command lives in its own cli_<name>.c and is one row of s_commands;
 *  this file only finds the row and hands over the rest of the arguments.
 */
#include "cli.h"
#include "cli_ack.h"
#include "cli_notifications.h"
#include "cli_silence.h"
#include "cli_alerts.h"
#include "cli_rules.h"
#include "cli_event.h"
#include "cli_report.h"
#include "cli_keygen.h"
#include "cli_status.h"
#include "cli_verdict.h"

#include <stdio.h>
#include <string.h>

static const cli_command_t s_commands[] = {
    {"status", "every host's last contact and vital signs", cli_status_run, cli_status_usage},
    {"ack", "acknowledge an alert: its escalation stops climbing", cli_ack_run, cli_ack_usage},
    {"silence", "mute alerts by label for a while: add, list, expire", cli_silence_run,
     cli_silence_usage},
    {"notifications", "the outbox: pending, delivered and failed notifications",
     cli_notifications_run, cli_notifications_usage},
    {"rules", "check rule files; run rule unit tests (promtool's format)", cli_rules_run,
     cli_rules_usage},
    {"alerts", "the active alerts; their history", cli_alerts_run, cli_alerts_usage},
    {"event", "record a deploy; list deploys", cli_event_run, cli_event_usage},
    {"report", "the daily, weekly or monthly report (md, json, html)", cli_report_run,
     cli_report_usage},
    {"verdict", "approve, extend or roll back a deploy window", cli_verdict_run, cli_verdict_usage},
    {"keygen", "make a CURVE key pair for an agent or a collector", cli_keygen_run,
     cli_keygen_usage},
};

#define S_NCOMMANDS (sizeof s_commands / sizeof s_commands[0])

static const cli_command_t *
s_find (const char *name)
{
    for (size_t i = 0; i < S_NCOMMANDS; i++)
        if (strcmp (s_commands[i].name, name) == 0)
            return &s_commands[i];
    return NULL;
}

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: vigil [--help | --version] COMMAND [OPTIONS]\n"
                  "       vigil help COMMAND\n"
                  "\n"
                  "Vigil's operator tool: reads what the collector stored in PostgreSQL.\n"
                  "\n"
                  "commands:\n");
    for (size_t i = 0; i < S_NCOMMANDS; i++)
        fprintf (out, "  %-14s %s\n", s_commands[i].name, s_commands[i].summary);
    fprintf (out, "  %-14s %s\n", "help", "this help, or a command's (vigil help status)");
    fprintf (out,
             "\noptions:\n"
             "  -h, --help     this help; after a command, that command's help\n"
             "  -V, --version  print the version and exit\n"
             "\n"
             "Every command that reads the database takes --db URL, else $VIGIL_DATABASE_URL,\n"
             "else postgresql:///vigil.\n"
             "\n");
    /* The complete help: every command's flags too. */
    for (size_t i = 0; i < S_NCOMMANDS; i++)
        s_commands[i].usage (out);
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        fprintf (stderr, "usage: vigil [--help | --version] COMMAND [OPTIONS]\ncommands:");
        for (size_t i = 0; i < S_NCOMMANDS; i++)
            fprintf (stderr, " %s", s_commands[i].name);
        fprintf (stderr, "\nsee vigil --help\n");
        return CLI_EXIT_USAGE;
    }
    const char *word = argv[1];
    if (strcmp (word, "-h") == 0 || strcmp (word, "--help") == 0) {
        s_usage (stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp (word, "-V") == 0 || strcmp (word, "--version") == 0) {
        printf ("vigil %s\n", VIGIL_VERSION);
        return CLI_EXIT_OK;
    }
    if (strcmp (word, "help") == 0) {
        if (argc < 3) {
            s_usage (stdout);
            return CLI_EXIT_OK;
        }
        const cli_command_t *cmd = s_find (argv[2]);
        if (!cmd) {
            fprintf (stderr, "vigil: no command '%s'; see vigil --help\n", argv[2]);
            return CLI_EXIT_USAGE;
        }
        cmd->usage (stdout);
        return CLI_EXIT_OK;
    }
    const cli_command_t *cmd = s_find (word);
    if (!cmd) {
        fprintf (stderr, "vigil: %s '%s'; see vigil --help\n",
                 word[0] == '-' ? "unknown option" : "no command", word);
        return CLI_EXIT_USAGE;
    }
    return cmd->run (argc - 1, argv + 1);
}
