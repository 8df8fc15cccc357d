/*  main.c - vigil-collector: options, configuration, signals; the work is in
 *  coll_server and coll_writer. */
#include "coll_config.h"
#include "coll_retention.h"
#include "coll_rollup.h"
#include "coll_server.h"
#include "coll_store.h"
#include "http_api.h"
#include "http_ingest.h"
#include "http_rules.h"
#include "http_pages.h"
#include "http_server.h"
#include "notify_engine.h"
#include "notify_sender.h"
#include "report_def.h"
#include "report_send.h"
#include "rules_engine.h"
#include "vg_alloc.h"
#include "vg_log.h"

#include <getopt.h>
#include <libgen.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static coll_server_t *s_server;
static rules_engine_t *s_rules;

/* The rule engine, when collector.yaml names rule files. */
static rules_engine_t *
s_rules_new (const coll_config_t *config, notify_engine_t *notify, char *err, size_t errlen)
{
    if (config->rule_files.n == 0)
        return NULL;
    char *dir = config->path ? vg_strdup (config->path) : NULL;
    rules_engine_config_t rc = {.rule_files = config->rule_files.items,
                                .nrule_files = config->rule_files.n,
                                .rule_dir = dir ? dirname (dir) : NULL,
                                .database_url = config->database_url,
                                .default_interval_ms = config->rules_interval_ms,
                                .min_eval_interval_ms = config->rules_min_interval_ms,
                                .hook = notify ? notify_engine_transition : NULL,
                                .hook_arg = notify};
    rules_engine_t *engine = rules_engine_new (&rc, err, errlen);
    free (dir);
    return engine;
}

/* SIGTERM, SIGINT: the server drains and stops. SIGHUP: the server reloads
 * the configuration and the allow-list, and the rule engine its rule files
 * (a file with an error is reported and what runs stays). Both calls are
 * safe in a signal handler. */
static void
s_on_signal (int sig)
{
    if (sig == SIGHUP && s_rules)
        rules_engine_request_reload (s_rules);
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
            "SIGHUP reads the configuration, the allow-list and the rule files again; a file\n"
            "that does not load changes nothing.\n");
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
    /* The report definition the status page reads. */
    char *def_path = coll_config_relative (config, config->report_definition);
    report_def_t *report_def = report_def_load (def_path, err, sizeof err);
    free (def_path);
    if (!report_def) {
        fprintf (stderr, "vigil-collector: report_definition: %s\n", err);
        coll_config_destroy (&config);
        return 2;
    }
    /* Notify: routes.yaml, checked with the rest. */
    notify_engine_t *engine = NULL;
    if (config->routes_file) {
        notify_config_t *routes = notify_config_load (config->routes_file, err, sizeof err);
        if (!routes) {
            fprintf (stderr, "vigil-collector: %s\n", err);
            report_def_destroy (&report_def);
            coll_config_destroy (&config);
            return 2;
        }
        engine = notify_engine_new (&routes, config->ack_key, config->external_url,
                                    config->ack_link_ttl_ms);
    }
    /* Rules: their transitions reach notify inside the transaction that
     * stores them. */
    s_rules = s_rules_new (config, engine, err, sizeof err);
    if (!s_rules && config->rule_files.n) {
        fprintf (stderr, "vigil-collector: %s\n", err);
        notify_engine_destroy (&engine);
        report_def_destroy (&report_def);
        coll_config_destroy (&config);
        return 2;
    }
    /* The daily report, through notify's outbox. */
    report_send_t *daily = NULL;
    if (config->daily_report_receiver && *config->daily_report_receiver) {
        report_send_config_t dc = {.receiver = config->daily_report_receiver,
                                   .at = config->daily_report_at,
                                   .selector = config->daily_report_where,
                                   .def = report_def,
                                   .cfg = engine ? notify_engine_config (engine) : NULL};
        daily = report_send_new (&dc, err, sizeof err);
        if (!daily) {
            fprintf (stderr, "vigil-collector: %s\n", err);
            rules_engine_destroy (&s_rules);
            notify_engine_destroy (&engine);
            report_def_destroy (&report_def);
            coll_config_destroy (&config);
            return 2;
        }
    }
    if (check || migrate) {
        /* Both only needed the configuration checked whole. */
        report_send_destroy (&daily);
        rules_engine_destroy (&s_rules);
        notify_engine_destroy (&engine);
        report_def_destroy (&report_def);
        if (migrate) {
            vg_log_set_level (verbose ? VG_LOG_DEBUG : config->level);
            return s_migrate (config);
        }
        printf ("%s: ok\n", path ? path : "(defaults)");
        coll_config_destroy (&config);
        return 0;
    }
    vg_log_set_level (verbose ? VG_LOG_DEBUG : config->level);
    vg_info ("vigil-collector %s starting with %s", VIGIL_VERSION,
             path ? path : "the default configuration");

    http_ingest_t *ingest_figures = http_ingest_new (config->database_url);
    coll_rollup_t *rollup = coll_rollup_new (config);
    coll_retention_t *retention = coll_retention_new (config);
    coll_commit_observers_t observers = {.items = {http_ingest_observer (ingest_figures)}, .n = 1};
    if (s_rules)
        observers.items[observers.n++] = (coll_commit_observer_t){rules_engine_observe, s_rules};
    coll_rollup_observe (rollup, &observers);
    s_server = coll_server_new (config, &observers, err, sizeof err);
    if (!s_server) {
        vg_error ("%s", err);
        rules_engine_destroy (&s_rules);
        coll_rollup_destroy (&rollup);
        coll_retention_destroy (&retention);
        http_ingest_destroy (&ingest_figures);
        report_send_destroy (&daily);
        notify_engine_destroy (&engine);
        report_def_destroy (&report_def);
        coll_config_destroy (&config);
        return 1;
    }
    http_ingest_set_server (ingest_figures, s_server);
    if (s_rules && rules_engine_start (s_rules) != 0) {
        vg_error ("cannot start the rule engine's thread");
        return 1;
    }
    notify_sender_t *sender = engine ? notify_sender_new (engine, config->database_url) : NULL;
    if (daily)
        report_send_start (daily, config->database_url);
    if (engine)
        vg_info ("notify: routes from %s", config->routes_file);
    else
        vg_info ("notify: no routes_file: alerts are not sent anywhere");
    http_server_t *http = NULL;
    http_api_t *api = NULL;
    http_pages_t *pages = NULL;
    if (strcmp (config->http_listen, "off") != 0) {
        http_server_options_t hopts = {.listen = config->http_listen,
                                       .token = config->http_token,
                                       .tls_cert = config->http_tls_cert,
                                       .tls_key = config->http_tls_key};
        http = http_server_new (&hopts);
        http_ingest_register (ingest_figures, http);
        if (s_rules)
            http_rules_register (s_rules, http);
        api = http_api_new (config->database_url, engine ? notify_engine_signer (engine) : NULL,
                            sender);
        http_api_register (api, http);
        pages = http_pages_new (config->database_url, report_def);
        http_pages_register (pages, http, &hopts);
        http_server_metrics (http, coll_retention_metrics, retention);
        if (http_server_start (http, err, sizeof err) != 0) {
            /* Storing matters more than serving: go on without HTTP. */
            vg_error ("%s; going on without /health, /metrics and the API", err);
            http_server_destroy (&http);
        }
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
    http_server_destroy (&http);
    http_api_destroy (&api);
    http_pages_destroy (&pages);
    notify_sender_destroy (&sender);
    report_send_destroy (&daily);
    coll_server_t *server = s_server;
    s_server = NULL;
    coll_server_destroy (&server);
    rules_engine_destroy (&s_rules);
    http_ingest_destroy (&ingest_figures);
    notify_engine_destroy (&engine);
    coll_rollup_destroy (&rollup);
    coll_retention_destroy (&retention);
    report_def_destroy (&report_def);
    coll_config_destroy (&config);
    return rc == 0 ? 0 : 1;
}
