/*  cli_verdict.c - `vigil verdict`: the go/no-go of a deploy window. */
#include "cli_verdict.h"
#include "cli.h"
#include "cli_db.h"
#include "report_criteria.h"
#include "report_db.h"
#include "report_def.h"
#include "report_event.h"
#include "report_verdict.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_error.h"
#include "vg_time.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
cli_verdict_usage (FILE *out)
{
    fprintf (out,
             "usage: vigil verdict (--since TIME | --deploy latest|ID) [--window DURATION]\n"
             "                     [--criteria criteria.yaml] [--where SELECTOR]\n"
             "                     [--definition report.yaml] [--json] [--no-store] [--db URL]\n"
             "       vigil verdict --history [--limit N] [--json] [--db URL]\n"
             "\n"
             "Judges a deploy window against stated criteria - by default the checklist's\n"
             "24-hour pass table: peak concurrent users >= 20, error rate < 5 %%, average\n"
             "response < 5 s, memory peak < 900 MB - and answers APPROVE, EXTEND (keep\n"
             "watching: how long and why) or ROLLBACK (which criterion failed), with a table\n"
             "of target, actual and pass. Every verdict is stored; --history lists them.\n"
             "\n"
             "options:\n"
             "  --since TIME        the window starts then: now, -24h, 2025-06-15T10:30:00+09:00\n"
             "  --deploy latest|ID  the window starts at the newest deploy (that --where\n"
             "                      allows) or at deploy ID; without --where, the series of\n"
             "                      the deploy's service are judged (service=\"...\")\n"
             "  --window DURATION   its length: 24h, 48h; default the criteria's window (24h)\n"
             "  --criteria FILE     criteria.yaml (deploy/criteria.yaml is the checklist's)\n"
             "  --where SELECTOR    only series it matches: 'service=\"chat-api\"'\n"
             "  --definition FILE   report.yaml: the metrics the measures read\n"
             "  --json              print JSON\n"
             "  --no-store          do not keep this verdict in vigil.verdicts\n"
             "  --history           the verdicts kept, newest first (--limit, default 20)\n"
             "  --db URL            PostgreSQL URL of Vigil's database; default $%s, else %s\n"
             "  -h, --help          this help\n"
             "\n"
             "exit status: 0 APPROVE, 10 EXTEND, 20 ROLLBACK; 1 database error, 2 bad usage.\n"
             "\n"
             "examples:\n"
             "  vigil verdict --deploy latest --where 'service=\"chat-api\"'\n"
             "  vigil verdict --since -48h --window 48h --criteria criteria.yaml\n"
             "  vigil verdict --history\n",
             CLI_DB_ENV, CLI_DB_DEFAULT_URL);
}

typedef struct {
    const char *since, *deploy, *window, *criteria, *where, *definition, *db;
    int json, store, history, limit;
} s_args_t;

static int
s_parse (int argc, char **argv, s_args_t *a)
{
    static const struct option options[] = {
        {"since", required_argument, NULL, 's'},
        {"deploy", required_argument, NULL, 'D'},
        {"window", required_argument, NULL, 'w'},
        {"criteria", required_argument, NULL, 'c'},
        {"where", required_argument, NULL, 'W'},
        {"definition", required_argument, NULL, 'r'},
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"no-store", no_argument, NULL, 'n'},
        {"history", no_argument, NULL, 'H'},
        {"limit", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 's':
            a->since = optarg;
            break;
        case 'D':
            a->deploy = optarg;
            break;
        case 'w':
            a->window = optarg;
            break;
        case 'c':
            a->criteria = optarg;
            break;
        case 'W':
            a->where = optarg;
            break;
        case 'r':
            a->definition = optarg;
            break;
        case 'd':
            a->db = optarg;
            break;
        case 'j':
            a->json = 1;
            break;
        case 'n':
            a->store = 0;
            break;
        case 'H':
            a->history = 1;
            break;
        case 'l':
            a->limit = atoi (optarg);
            break;
        case 'h':
            cli_verdict_usage (stdout);
            return -1;
        case ':':
            fprintf (stderr, "vigil verdict: %s needs a value; see vigil verdict --help\n",
                     argv[optind - 1]);
            return CLI_EXIT_USAGE;
        default:
            fprintf (stderr, "vigil verdict: unknown option '%s'; see vigil verdict --help\n",
                     argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "vigil verdict: unexpected argument '%s'\n", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    if (!a->history && !!a->since == !!a->deploy) {
        fprintf (stderr, "vigil verdict: give --since TIME or --deploy latest|ID (one of them); "
                         "see vigil verdict --help\n");
        return CLI_EXIT_USAGE;
    }
    if (a->limit <= 0)
        a->limit = 20;
    return 0;
}

/* The deploy the window starts at: fills window, *label (owned) and, when
 * no --where was given, *where (owned) for the deploy's service. */
static int
s_deploy (PGconn *conn, const s_args_t *a, report_window_t *w, char **label, char **where)
{
    char err[1024];
    report_deploy_row_t d;
    int rc;
    if (strcmp (a->deploy, "latest") == 0)
        rc = report_event_latest (conn, vg_now_ms (), a->where, &d, err, sizeof err);
    else {
        char *end;
        long long id = strtoll (a->deploy, &end, 10);
        if (*end || id <= 0) {
            fprintf (stderr, "vigil verdict: --deploy takes latest or a deploy id, not \"%s\"\n",
                     a->deploy);
            return CLI_EXIT_USAGE;
        }
        report_deploys_t all;
        rc =
            report_event_list (conn, 0, vg_now_ms () + 86400000LL * 2, NULL, &all, err, sizeof err);
        if (rc == 0) {
            rc = VG_ENOTFOUND;
            snprintf (err, sizeof err, "no deploy %lld; see vigil event list", id);
            for (size_t i = 0; i < all.n; i++)
                if (all.rows[i].deploy_id == id) {
                    d = all.rows[i];
                    memset (&all.rows[i], 0, sizeof all.rows[i]);
                    rc = 0;
                }
            report_event_free (&all);
        }
    }
    if (rc) {
        fprintf (stderr, "vigil verdict: %s\n", err);
        return rc == VG_ENOTFOUND ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
    }
    w->since_ms = d.ts_ms;
    w->deploy_id = d.deploy_id;
    *label = vg_asprintf ("%s %s", d.service, d.version);
    if (!a->where)
        *where = vg_asprintf ("service=\"%s\"", d.service);
    report_event_row_free (&d);
    return 0;
}

int
cli_verdict_run (int argc, char **argv)
{
    s_args_t a = {.store = 1};
    int rc = s_parse (argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    char err[2048];
    report_criteria_t *crit = NULL;
    report_def_t *def = NULL;
    if (!a.history) {
        crit = report_criteria_load (a.criteria, err, sizeof err);
        def = crit ? report_def_load (a.definition, err, sizeof err) : NULL;
        if (!crit || !def) {
            fprintf (stderr, "vigil verdict: %s\n", err);
            report_criteria_destroy (&crit);
            return CLI_EXIT_USAGE;
        }
    }
    int64_t window_ms = crit ? crit->window_ms : 0;
    if (a.window && (vg_parse_duration_ms (a.window, &window_ms) != 0 || window_ms <= 0)) {
        fprintf (stderr, "vigil verdict: --window takes a duration like 24h or 48h, not \"%s\"\n",
                 a.window);
        report_criteria_destroy (&crit);
        report_def_destroy (&def);
        return CLI_EXIT_USAGE;
    }
    PGconn *conn = cli_db_connect (cli_db_url (a.db), err, sizeof err);
    if (!conn) {
        fprintf (stderr, "vigil: %s\n", err);
        report_criteria_destroy (&crit);
        report_def_destroy (&def);
        return CLI_EXIT_FAIL;
    }
    vg_buf_t out = {0};
    char *label = NULL, *where = NULL;
    if (a.history) {
        rc = report_verdict_history (conn, a.limit, a.json, &out, err, sizeof err) ? CLI_EXIT_FAIL
                                                                                   : CLI_EXIT_OK;
        if (rc)
            fprintf (stderr, "vigil verdict: %s\n", err);
        goto out;
    }
    report_window_t w = {0};
    int64_t now = vg_now_ms ();
    if (a.deploy) {
        if ((rc = s_deploy (conn, &a, &w, &label, &where)) != 0)
            goto out;
    } else if (report_db_time (conn, a.since, now, &w.since_ms, err, sizeof err) != 0) {
        fprintf (stderr, "vigil verdict: --since: %s\n", err);
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    w.until_ms = w.since_ms + window_ms;
    w.deploy = label;
    w.selector = a.where ? a.where : where ? where : "";
    report_verdict_t v;
    int jrc = report_verdict_judge (conn, def, crit, &w, now, &v, err, sizeof err);
    if (jrc) {
        fprintf (stderr, "vigil verdict: %s\n", err);
        rc = jrc == VG_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
        goto out;
    }
    if (a.store && report_verdict_store (conn, &w, &v, err, sizeof err) != 0) {
        fprintf (stderr, "vigil verdict: %s (the verdict below was not kept)\n", err);
        v.verdict_id = 0;
    }
    if (a.json)
        report_verdict_json (&v, &w, &out);
    else {
        report_verdict_text (&v, &w, &out);
        if (v.verdict_id)
            vg_buf_printf (&out, "\nverdict %lld kept; exit status %d\n", (long long)v.verdict_id,
                           (int)v.outcome);
    }
    rc = (int)v.outcome;
out:
    if (out.len)
        fputs (out.data, stdout);
    vg_buf_free (&out);
    free (label);
    free (where);
    PQfinish (conn);
    report_criteria_destroy (&crit);
    report_def_destroy (&def);
    return rc;
}
