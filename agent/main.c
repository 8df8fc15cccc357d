/*  main.c - vigil-agent: command line only; the agent lives in agent_*. */
#include "agent_config.h"
#include "agent_expose.h"
#include "agent_loop.h"
#include "vg_log.h"

#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: vigil-agent [-c FILE] [--check | --once] [-v]\n"
                  "Try 'vigil-agent --help' for more.\n");
}

static void
s_help (void)
{
    printf (
        "vigil-agent %s - gathers metrics on this host and sends them to a Vigil collector.\n"
        "\n"
        "usage: vigil-agent [-c FILE] [--check | --once] [-v]\n"
        "\n"
        "  -c, --config FILE  the configuration (default %s)\n"
        "      --check        validate the configuration (syntax, keys, values) and exit:\n"
        "                     0 and \"FILE: OK, N inputs\", or 2 and the error\n"
        "      --once         run every input twice, 1 s apart, print the second reading in\n"
        "                     the Prometheus text format and exit (connects nowhere); non-zero\n"
        "                     when an input failed, with the reason on stderr\n"
        "  -v, --verbose      debug logging, whatever agent.log_level says\n"
        "  -h, --help         this text\n"
        "  -V, --version      the version\n"
        "\n"
        "Signals: SIGTERM/SIGINT send what is collected, wait up to agent.shutdown_timeout\n"
        "for acknowledgements and exit 0; SIGHUP reloads the configuration (a file with an\n"
        "error is logged and the running configuration kept).\n"
        "\n",
        VIGIL_VERSION, AGENT_CONFIG_DEFAULT_PATH);
    agent_config_print_reference ();
}

int main (int argc, char *argv[]);

int
main (int argc, char *argv[])
{
    enum { OPT_CHECK = 256, OPT_ONCE };
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, OPT_CHECK},
        {"once", no_argument, NULL, OPT_ONCE},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    /* One malloc arena for all threads: the agent's threads allocate little
     * and seldom, and each arena of its own keeps pages resident. */
    mallopt (M_ARENA_MAX, 1);
    const char *path = AGENT_CONFIG_DEFAULT_PATH;
    int check = 0, once = 0, verbose = 0, opt;
    while ((opt = getopt_long (argc, argv, "c:vhV", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case OPT_CHECK:
            check = 1;
            break;
        case OPT_ONCE:
            once = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'h':
            s_help ();
            return 0;
        case 'V':
            printf ("vigil-agent %s\n", VIGIL_VERSION);
            return 0;
        default:
            s_usage (stderr);
            return 2;
        }
    }
    if (optind < argc || (check && once)) {
        fprintf (stderr, "vigil-agent: %s\n",
                 optind < argc ? "unexpected argument" : "--check and --once do not go together");
        s_usage (stderr);
        return 2;
    }
    vg_log_set_ident ("vigil-agent");
    if (verbose)
        vg_log_set_level (VG_LOG_DEBUG);

    char err[1024];
    agent_config_t *config = agent_config_load (path, err, sizeof err);
    if (!config) {
        fprintf (stderr, "vigil-agent: %s\n", err);
        if (strcmp (path, AGENT_CONFIG_DEFAULT_PATH) == 0 && strstr (err, "cannot open"))
            fprintf (stderr, "vigil-agent: give the configuration with -c FILE; "
                             "deploy/agent.yaml is a commented example\n");
        return 2;
    }
    if (check) {
        printf ("%s: OK, %zu inputs\n", path, config->ninputs);
        agent_config_destroy (&config);
        return 0;
    }
    if (once) {
        if (!verbose)
            vg_log_set_level (config->agent.log_level_value);
        int rc = agent_expose_once (config, stdout, stderr);
        agent_config_destroy (&config);
        return rc == 0 ? 0 : 1;
    }
    agent_loop_t *loop = agent_loop_new (&config, verbose, err, sizeof err);
    if (!loop) {
        vg_error ("%s", err);
        return 1;
    }
    int rc = agent_loop_run (loop);
    agent_loop_destroy (&loop);
    return rc;
}
