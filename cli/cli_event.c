/*  cli_event.c - `vigil event`: record a deploy, list deploys. */
#include "cli_event.h"
#include "cli.h"
#include "cli_db.h"
#include "cli_json.h"
#include "report_db.h"
#include "report_event.h"
#include "vg_buf.h"
#include "vg_error.h"
#include "vg_json.h"
#include "vg_time.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
cli_event_usage (FILE *out)
{
    fprintf (
        out,
        "usage: vigil event add deploy --service NAME --version VERSION [--at TIME]\n"
        "                              [--note TEXT] [--label KEY=VALUE]... [--db URL]\n"
        "       vigil event list [--since TIME] [--until TIME] [--where SELECTOR] [--json]\n"
        "                        [--db URL]\n"
        "\n"
        "Records a deploy, which reports mark on their charts and `vigil verdict\n"
        "--deploy latest` starts its window at; lists the deploys recorded (agents'\n"
        "own \"deploy\" events too).\n"
        "\n"
        "options:\n"
        "  --service NAME     the service deployed (the label service of its series)\n"
        "  --version VERSION  the version deployed\n"
        "  --at TIME          when it happened; default now. TIME is now, -2h (two hours\n"
        "                     ago; also 30m, 1d), or what PostgreSQL reads as a\n"
        "                     timestamptz: 2025-06-15T10:30:00+09:00, \"2025-06-15 10:30\n"
        "                     Asia/Seoul\"\n"
        "  --note TEXT        a note shown with the deploy\n"
        "  --label KEY=VALUE  more labels (repeat it): --label env=prod\n"
        "  --since TIME       list from this time; default -7d\n"
        "  --until TIME       list up to this time; default now\n"
        "  --where SELECTOR   only deploys it allows: 'service=\"chat-api\"'\n"
        "  --json             print JSON instead of a table\n"
        "  --db URL           PostgreSQL URL of Vigil's database; default $%s, else %s\n"
        "  -h, --help         this help\n"
        "\n"
        "exit status: 0 done, 1 database error, 2 bad usage or a deploy refused.\n"
        "\n"
        "examples:\n"
        "  vigil event add deploy --service chat-api --version 1.4.2\n"
        "  vigil event add deploy --service chat-api --version 1.4.1 --at -3h --note rollback\n"
        "  vigil event list --since -30d --where 'service=\"chat-api\"'\n",
        CLI_DB_ENV, CLI_DB_DEFAULT_URL);
}

/* UTC ISO 8601 of ms since the epoch. */
static void
s_iso (int64_t ms, char *out, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

typedef struct {
    const char *db, *service, *version, *at, *note, *since, *until, *where;
    int json;
    vg_buf_t labels; /* a JSON object being built */
    size_t nlabels;
} s_args_t;

static int
s_add_label (s_args_t *a, const char *kv)
{
    const char *eq = strchr (kv, '=');
    if (!eq || eq == kv) {
        fprintf (stderr, "vigil event: --label expects KEY=VALUE, not \"%s\"\n", kv);
        return CLI_EXIT_USAGE;
    }
    vg_buf_puts (&a->labels, a->nlabels++ ? ", " : "{");
    vg_json_string (&a->labels, kv, (size_t)(eq - kv));
    vg_buf_puts (&a->labels, ": ");
    vg_json_string (&a->labels, eq + 1, strlen (eq + 1));
    return 0;
}

/* Parses the options after "add deploy" or "list". */
static int
s_parse (int argc, char **argv, s_args_t *a)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},      {"service", required_argument, NULL, 's'},
        {"version", required_argument, NULL, 'v'}, {"at", required_argument, NULL, 'a'},
        {"note", required_argument, NULL, 'n'},    {"label", required_argument, NULL, 'l'},
        {"since", required_argument, NULL, 'S'},   {"until", required_argument, NULL, 'U'},
        {"where", required_argument, NULL, 'w'},   {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    optind = 1;
    opterr = 0;
    int c, rc;
    while ((c = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 'd':
            a->db = optarg;
            break;
        case 's':
            a->service = optarg;
            break;
        case 'v':
            a->version = optarg;
            break;
        case 'a':
            a->at = optarg;
            break;
        case 'n':
            a->note = optarg;
            break;
        case 'l':
            if ((rc = s_add_label (a, optarg)) != 0)
                return rc;
            break;
        case 'S':
            a->since = optarg;
            break;
        case 'U':
            a->until = optarg;
            break;
        case 'w':
            a->where = optarg;
            break;
        case 'j':
            a->json = 1;
            break;
        case 'h':
            cli_event_usage (stdout);
            return -1;
        case ':':
            fprintf (stderr, "vigil event: %s needs a value; see vigil event --help\n",
                     argv[optind - 1]);
            return CLI_EXIT_USAGE;
        default:
            fprintf (stderr, "vigil event: unknown option '%s'; see vigil event --help\n",
                     argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "vigil event: unexpected argument '%s'; see vigil event --help\n",
                 argv[optind]);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int
s_add (PGconn *conn, s_args_t *a)
{
    char err[1024];
    int64_t at = vg_now_ms ();
    if (a->at && report_db_time (conn, a->at, vg_now_ms (), &at, err, sizeof err) != 0) {
        fprintf (stderr, "vigil event: --at: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    if (a->nlabels)
        vg_buf_puts (&a->labels, "}");
    report_deploy_t d = {.service = a->service,
                         .version = a->version,
                         .at_ms = at,
                         .labels = a->nlabels ? a->labels.data : NULL,
                         .note = a->note,
                         .source = "cli"};
    int64_t id;
    int rc = report_event_add_deploy (conn, &d, &id, err, sizeof err);
    if (rc) {
        fprintf (stderr, "vigil event: %s\n", err);
        return rc == VG_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
    }
    char when[32];
    s_iso (at, when, sizeof when);
    printf ("recorded deploy %lld: %s %s at %s\n", (long long)id, a->service, a->version, when);
    return CLI_EXIT_OK;
}

static int
s_list (PGconn *conn, s_args_t *a)
{
    char err[1024];
    int64_t now = vg_now_ms (), since = now - 7 * 86400000LL, until = now + 1;
    if ((a->since && report_db_time (conn, a->since, now, &since, err, sizeof err) != 0) ||
        (a->until && report_db_time (conn, a->until, now, &until, err, sizeof err) != 0)) {
        fprintf (stderr, "vigil event: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    report_deploys_t list;
    if (report_event_list (conn, since, until, a->where, &list, err, sizeof err) != 0) {
        fprintf (stderr, "vigil event: %s\n", err);
        return strstr (err, "selector") ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
    }
    vg_buf_t out = {0};
    if (a->json)
        vg_buf_puts (&out, "{\"deploys\": [");
    else if (list.n)
        vg_buf_puts (&out,
                     "WHEN (UTC)             SERVICE          VERSION      SOURCE      NOTE\n");
    for (size_t i = 0; i < list.n; i++) {
        const report_deploy_row_t *r = &list.rows[i];
        char when[32];
        s_iso (r->ts_ms, when, sizeof when);
        if (a->json) {
            vg_buf_printf (&out, "%s{\"id\": %lld, \"at\": \"%s\", \"service\": ", i ? ", " : "",
                           (long long)r->deploy_id, when);
            cli_json_string (&out, r->service);
            vg_buf_puts (&out, ", \"version\": ");
            cli_json_string (&out, r->version);
            vg_buf_puts (&out, ", \"source\": ");
            cli_json_string (&out, r->source);
            vg_buf_puts (&out, ", \"note\": ");
            cli_json_string (&out, r->note);
            vg_buf_puts (&out, "}");
        } else
            vg_buf_printf (&out, "%-22s %-16s %-12s %-11s %s\n", when, r->service, r->version,
                           r->source, r->note);
    }
    if (a->json)
        vg_buf_puts (&out, "]}\n");
    else if (!list.n)
        vg_buf_puts (&out, "no deploys in that time; record one with vigil event add deploy\n");
    fputs (out.data, stdout);
    vg_buf_free (&out);
    report_event_free (&list);
    return CLI_EXIT_OK;
}

int
cli_event_run (int argc, char **argv)
{
    int add = argc >= 3 && strcmp (argv[1], "add") == 0;
    int list = argc >= 2 && strcmp (argv[1], "list") == 0;
    if (argc >= 2 && (strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0)) {
        cli_event_usage (stdout);
        return CLI_EXIT_OK;
    }
    if (add && strcmp (argv[2], "deploy") != 0) {
        fprintf (stderr, "vigil event: can add deploy events only, not \"%s\"\n", argv[2]);
        return CLI_EXIT_USAGE;
    }
    if (!add && !list) {
        fprintf (stderr, "usage: vigil event add deploy --service NAME --version VERSION ...\n"
                         "       vigil event list ...; see vigil event --help\n");
        return CLI_EXIT_USAGE;
    }
    s_args_t a = {0};
    int skip = add ? 2 : 1;
    int rc = s_parse (argc - skip, argv + skip, &a);
    if (rc) {
        vg_buf_free (&a.labels);
        return rc < 0 ? CLI_EXIT_OK : rc;
    }
    if (add && (!a.service || !a.version)) {
        fprintf (stderr, "vigil event: a deploy needs --service and --version\n");
        vg_buf_free (&a.labels);
        return CLI_EXIT_USAGE;
    }
    char err[2048];
    PGconn *conn = cli_db_connect (cli_db_url (a.db), err, sizeof err);
    if (!conn) {
        fprintf (stderr, "vigil: %s\n", err);
        vg_buf_free (&a.labels);
        return CLI_EXIT_FAIL;
    }
    rc = add ? s_add (conn, &a) : s_list (conn, &a);
    PQfinish (conn);
    vg_buf_free (&a.labels);
    return rc;
}
