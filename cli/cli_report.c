/*  cli_report.c - `vigil report daily|weekly|monthly`: the checklists'
 *  reports, rendered by the collector's own report library. */
#include "cli_report.h"
#include "cli.h"
#include "cli_db.h"
#include "report_def.h"
#include "report_html.h"
#include "report_json.h"
#include "report_md.h"
#include "report_query.h"
#include "vg_buf.h"
#include "vg_time.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
cli_report_usage (FILE *out)
{
    fprintf (out,
             "usage: vigil report daily|weekly|monthly [--date DAY] [--tz ZONE]\n"
             "                    [--where SELECTOR] [--format md|json|html] [--out FILE]\n"
             "                    [--definition report.yaml] [--db URL]\n"
             "\n"
             "The daily, weekly or monthly report of the operators' checklists: requests and\n"
             "success rate; response time (average, P50, P95, P99); errors and the top error\n"
             "messages; memory peak and CPU; peak concurrent users; tokens and cost; the same\n"
             "per endpoint, persona and model; by hour (daily) or by day; deploys; and the\n"
             "week-over-week P95 with a warning when it drifts up. A section without data\n"
             "says so. It reads the rollups through the SQL functions of docs/sql.md.\n"
             "\n"
             "options:\n"
             "  --date DAY         a day of the period: YYYY-MM-DD, today or yesterday; default:\n"
             "                     the last period over (yesterday, last week Monday to\n"
             "                     Sunday, last month)\n"
             "  --tz ZONE          the zone whose midnights bound the period (Asia/Seoul,\n"
             "                     Europe/Paris, UTC...); default UTC\n"
             "  --where SELECTOR   only series it matches: 'service=\"chat-api\"',\n"
             "                     'service=\"chat-api\", host=~\"api-.*\"'\n"
             "  --format FORMAT    md (default: reads well pasted into Slack), json, or html (one\n"
             "                     page with charts, no script, nothing fetched)\n"
             "  --out FILE         write there (whole, or not at all) instead of stdout\n"
             "  --definition FILE  report.yaml: which metric each section reads; default: the\n"
             "                     series of deploy/examples/fastapi-agent.yaml\n"
             "  --db URL           PostgreSQL URL of Vigil's database; default $%s, else %s\n"
             "  -h, --help         this help\n"
             "\n"
             "exit status: 0 report written, 1 database or file error, 2 bad usage (a bad day,\n"
             "zone, selector or definition), 3 written but without any data.\n"
             "\n"
             "examples:\n"
             "  vigil report daily --tz Asia/Seoul --where 'service=\"chat-api\"'\n"
             "  vigil report weekly --date 2025-06-11 --format html --out week-24.html\n"
             "  vigil report monthly --format json | jq .sections.latency.figures.p95\n",
             CLI_DB_ENV, CLI_DB_DEFAULT_URL);
}

/* Writes data to path through a temporary file renamed over it, so a
 * reader never sees half a report. */
static int
s_write_file (const char *path, const vg_buf_t *data)
{
    char *tmp = NULL;
    size_t n = strlen (path) + 16;
    tmp = malloc (n);
    if (!tmp)
        return -1;
    snprintf (tmp, n, "%s.tmp%ld", path, (long)getpid ());
    FILE *f = fopen (tmp, "w");
    int rc = -1;
    if (f) {
        size_t wrote = fwrite (data->data, 1, data->len, f);
        rc = (fclose (f) == 0 && wrote == data->len) ? 0 : -1;
    }
    if (rc == 0 && rename (tmp, path) != 0)
        rc = -1;
    if (rc != 0) {
        int saved = errno;
        unlink (tmp);
        errno = saved;
    }
    free (tmp);
    return rc;
}

/* Whether no section found any data (those not configured aside). */
static int
s_empty (const report_t *r)
{
    for (size_t i = 0; i < r->nsections; i++) {
        const report_section_t *s = &r->sections[i];
        if (!s->none && strcmp (s->id, "trend") != 0)
            return 0;
    }
    return 1;
}

int
cli_report_run (int argc, char **argv)
{
    static const struct option options[] = {
        {"date", required_argument, NULL, 'D'},
        {"tz", required_argument, NULL, 'z'},
        {"where", required_argument, NULL, 'w'},
        {"format", required_argument, NULL, 'f'},
        {"out", required_argument, NULL, 'o'},
        {"definition", required_argument, NULL, 'r'},
        {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *date = NULL, *tz = "UTC", *where = "", *format = "md", *outpath = NULL,
               *defpath = NULL, *db = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 'D':
            date = optarg;
            break;
        case 'z':
            tz = optarg;
            break;
        case 'w':
            where = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 'o':
            outpath = optarg;
            break;
        case 'r':
            defpath = optarg;
            break;
        case 'd':
            db = optarg;
            break;
        case 'h':
            cli_report_usage (stdout);
            return CLI_EXIT_OK;
        case ':':
            fprintf (stderr, "vigil report: %s needs a value; see vigil report --help\n",
                     argv[optind - 1]);
            return CLI_EXIT_USAGE;
        default:
            fprintf (stderr, "vigil report: unknown option '%s'; see vigil report --help\n",
                     argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fprintf (stderr, "vigil report: say which report: daily, weekly or monthly; see vigil "
                         "report --help\n");
        return CLI_EXIT_USAGE;
    }
    const char *kind = argv[optind];
    if (strcmp (kind, "daily") && strcmp (kind, "weekly") && strcmp (kind, "monthly")) {
        fprintf (stderr, "vigil report: a report is daily, weekly or monthly, not \"%s\"\n", kind);
        return CLI_EXIT_USAGE;
    }
    if (strcmp (format, "md") && strcmp (format, "json") && strcmp (format, "html")) {
        fprintf (stderr, "vigil report: --format is md, json or html, not \"%s\"\n", format);
        return CLI_EXIT_USAGE;
    }
    char err[2048];
    report_def_t *def = report_def_load (defpath, err, sizeof err);
    if (!def) {
        fprintf (stderr, "vigil report: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    PGconn *conn = cli_db_connect (cli_db_url (db), err, sizeof err);
    if (!conn) {
        fprintf (stderr, "vigil: %s\n", err);
        report_def_destroy (&def);
        return CLI_EXIT_FAIL;
    }
    int rc = CLI_EXIT_OK;
    report_request_t req = {
        .kind = kind, .day = date, .tz = tz, .selector = where, .now_ms = vg_now_ms ()};
    report_t *r = report_query_run (conn, def, &req, err, sizeof err);
    if (!r) {
        /* What the person gave (day, zone, selector) or the database. */
        int usage = PQstatus (conn) == CONNECTION_OK &&
                    (strstr (err, "selector") || strstr (err, "period") || strstr (err, "date"));
        fprintf (stderr, "vigil report: %s%s\n", err,
                 usage ? "; check --date (YYYY-MM-DD), --tz (a zone like Asia/Seoul) and --where"
                       : "");
        rc = usage ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
        goto out;
    }
    vg_buf_t text = {0};
    if (strcmp (format, "json") == 0)
        report_json_render (r, &text);
    else if (strcmp (format, "html") == 0)
        report_html_render (r, &text);
    else
        report_md_render (r, &text);
    if (outpath) {
        if (s_write_file (outpath, &text) != 0) {
            fprintf (stderr, "vigil report: cannot write %s: %s\n", outpath, strerror (errno));
            rc = CLI_EXIT_FAIL;
        }
    } else if (fwrite (text.data, 1, text.len, stdout) != text.len)
        rc = CLI_EXIT_FAIL;
    vg_buf_free (&text);
    if (rc == CLI_EXIT_OK && s_empty (r)) {
        fprintf (stderr,
                 "vigil report: no data for %s .. %s%s%s: is the collector storing "
                 "data, with rollups on?\n",
                 r->first_day, r->last_day, *where ? " matching " : "", where);
        rc = CLI_EXIT_EMPTY;
    }
    report_model_destroy (&r);
out:
    PQfinish (conn);
    report_def_destroy (&def);
    return rc;
}
