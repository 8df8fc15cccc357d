/*  main.c - vigil-collector: options, configuration, signals; the work is in
 *  coll_server and coll_writer. */
#include "coll_config.h"
#include "coll_server.h"
#include "coll_store.h"
#include "vg_log.h"

#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static coll_server_t *s_server;

static void
s_on_signal (int sig)
{
    if (s_server)
        coll_server_interrupt (s_server, sig);
}

static void
s_usage (void)
{
    printf ("usage: vigil-collector [-c FILE] [--check | --migrate] [-v] [-V] [-h]\n"
            "\n"
            "Receives batches from Vigil agents over ZeroMQ and stores them in PostgreSQL.\n"
            "\n"
            "  -c, --config FILE  collector.yaml (without it, the defaults below)\n"
            "      --check        validate the configuration and exit\n"
            "      --migrate      create or upgrade the schema and exit (run it as the\n"
            "                     database's owner role; the collector itself may then\n"
            "                     connect as a role without DDL, see docs/security.md)\n"
            "  -v, --verbose      log at debug level\n"
            "  -V, --version      print the version and exit\n"
            "  -h, --help         this help\n"
            "\n"
            "collector.yaml options:\n");
    vg_config_print_options (coll_config_options (), "  ");
    printf ("\nVIGIL_DATABASE_URL, when set, overrides database_url.\n"
            "SIGTERM or SIGINT stops it once the batches it holds are answered.\n"
            "SIGHUP reads the configuration and the allow-list again; a file that does not\n"
            "load changes nothing.\n");
}

/* --migrate: the schema made or upgraded, then exit. */
static int
s_migrate (coll_config_t *config)
{
    char err[1024] = "", db[512];
    coll_config_describe_db (config->database_url, db, sizeof db);
    coll_store_t *store = coll_store_new (config->database_url);
    int rc = coll_store_connect (store, err, sizeof err);
    coll_store_destroy (&store);
    coll_config_destroy (&config);
    if (rc != 0) {
        vg_error ("cannot migrate the schema in %s: %s", db, err);
        return 1;
    }
    vg_info ("the schema in %s is up to date", db);
    return 0;
}

static int
s_bad_usage (void)
{
    fprintf (stderr, "usage: vigil-collector [-c FILE] [--check | --migrate] [-v] [-V] [-h]; "
                     "vigil-collector --help lists the options\n");
    return 2;
}

int
main (int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, 'k'},
        {"migrate", no_argument, NULL, 'm'},
        {"verbose", no_argument, NULL, 'v'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    int check = 0, migrate = 0, verbose = 0, opt;
    while ((opt = getopt_long (argc, argv, "c:vVh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case 'k':
            check = 1;
            break;
        case 'm':
            migrate = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'V':
            printf ("vigil-collector %s\n", VIGIL_VERSION);
            return 0;
        case 'h':
            s_usage ();
            return 0;
        default:
            return s_bad_usage ();
        }
    }
    if (optind < argc) {
        fprintf (stderr, "vigil-collector: unexpected argument \"%s\"\n", argv[optind]);
        return s_bad_usage ();
    }
    vg_log_set_ident ("vigil-collector");
    /* Blocks of 128 KiB and more (frames, batches) are mapped on their own
     * and given back to the system when freed. glibc otherwise raises this
     * threshold after the first such free and serves them from its heaps,
     * which keep what a burst of peers made them hold (docs/security.md). */
    mallopt (M_MMAP_THRESHOLD, 128 * 1024);

    char err[1024] = "";
    coll_config_t *config = coll_config_load (path, err, sizeof err);
    if (!config) {
        fprintf (stderr, "vigil-collector: %s\n", err);
        return 2;
    }
    if (check) {
        printf ("%s: ok\n", path ? path : "(defaults)");
        coll_config_destroy (&config);
        return 0;
    }
    vg_log_set_level (verbose ? VG_LOG_DEBUG : config->level);
    if (migrate)
        return s_migrate (config);
    vg_info ("vigil-collector %s starting with %s", VIGIL_VERSION,
             path ? path : "the default configuration");

    s_server = coll_server_new (config, NULL, err, sizeof err);
    if (!s_server) {
        vg_error ("%s", err);
        coll_config_destroy (&config);
        return 1;
    }
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGHUP, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);

    int rc = coll_server_run (s_server);
    if (rc == COLL_SERVER_FORCED)
        _exit (1);
    coll_server_t *server = s_server;
    s_server = NULL;
    coll_server_destroy (&server);
    coll_config_destroy (&config);
    return rc == 0 ? 0 : 1;
}
