/*  cli_silence.c - `vigil silence add|list|expire`. */
#include "cli_silence.h"
#include "cli.h"
#include "cli_db.h"
#include "cli_table.h"
#include "notify_silence.h"
#include "vg_error.h"
#include "vg_time.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

void
cli_silence_usage (FILE *out)
{
    fprintf (out,
             "usage: vigil silence add MATCHERS --for DURATION [--comment TEXT] [--by NAME]\n"
             "       vigil silence list [--all] [--json]\n"
             "       vigil silence expire ID\n"
             "\n"
             "Silences mute the notifications of alerts whose labels match, from now for\n"
             "DURATION. MATCHERS are Alertmanager's: one (service=\"api\"), or several in\n"
             "braces ({service=\"api\", severity=~\"warning|info\"}); =, !=, =~ and !~, regexes\n"
             "anchored. The collector honours a new or expired silence at once. list shows\n"
             "the silences in force or to come (--all: the ended ones too). expire ends a\n"
             "silence now; ID may be its first 8 characters or more.\n"
             "\n"
             "options:\n"
             "  --for DURATION  how long it lasts: 30m, 2h, 1d (add: required)\n"
             "  --comment TEXT  why (shown by list)\n"
             "  --by NAME       who (default $USER)\n"
             "  --all           list: ended silences too\n"
             "  --json          list: print {\"silences\": [...]}\n"
             "  --db URL        PostgreSQL URL; default $%s, else %s\n"
             "  -h, --help      this help\n"
             "\n"
             "exit status: 0 done, 1 database error or no such silence, 2 bad usage.\n"
             "\n"
             "example:\n"
             "  vigil silence add 'service=\"api\"' --for 2h --comment \"deploy 1.4\"\n",
             CLI_DB_ENV, CLI_DB_DEFAULT_URL);
}

static int
s_list (PGconn *conn, int all, int json)
{
    const char *params[] = {all ? "t" : "f"};
    PGresult *res = PQexecParams (
        conn,
        "SELECT silence_id::text AS id, matchers,"
        "       to_char (starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS\"Z\"') AS starts,"
        "       to_char (ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS\"Z\"') AS ends,"
        "       CASE WHEN ends_at <= now () THEN 'ended' WHEN starts_at > now () THEN 'pending'"
        "            ELSE 'active' END AS state, created_by AS by, comment"
        "  FROM vigil.silences WHERE $1::boolean OR ends_at > now ()"
        " ORDER BY ends_at DESC",
        1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        char why[1024];
        cli_db_reason (conn, res, why, sizeof why);
        fprintf (stderr, "vigil silence list: %s\n", why);
        PQclear (res);
        return CLI_EXIT_FAIL;
    }
    static const char *headers[] = {"ID", "MATCHERS", "STARTS", "ENDS", "STATE", "BY", "COMMENT"};
    if (json)
        cli_table_json (stdout, res, "silences");
    else if (PQntuples (res) == 0)
        printf ("no silences%s\n", all ? "" : " in force (--all shows the ended ones)");
    else
        cli_table_print (stdout, res, headers);
    PQclear (res);
    return CLI_EXIT_OK;
}

int
cli_silence_run (int argc, char **argv)
{
    static const struct option longopts[] = {
        {"for", required_argument, NULL, 'f'}, {"comment", required_argument, NULL, 'c'},
        {"by", required_argument, NULL, 'b'},  {"all", no_argument, NULL, 'a'},
        {"json", no_argument, NULL, 'j'},      {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
    };
    const char *dur = NULL, *comment = "", *by = getenv ("USER"), *db = NULL;
    int all = 0, json = 0, opt;
    optind = 1;
    while ((opt = getopt_long (argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'f':
            dur = optarg;
            break;
        case 'c':
            comment = optarg;
            break;
        case 'b':
            by = optarg;
            break;
        case 'a':
            all = 1;
            break;
        case 'j':
            json = 1;
            break;
        case 'd':
            db = optarg;
            break;
        case 'h':
            cli_silence_usage (stdout);
            return CLI_EXIT_OK;
        default:
            fprintf (stderr, "see vigil silence --help\n");
            return CLI_EXIT_USAGE;
        }
    }
    const char *verb = optind < argc ? argv[optind] : NULL;
    int nargs = argc - optind - 1;
    int add = verb && strcmp (verb, "add") == 0, list = verb && strcmp (verb, "list") == 0,
        expire = verb && strcmp (verb, "expire") == 0;
    if (!(add && nargs == 1) && !(list && nargs == 0) && !(expire && nargs == 1)) {
        fprintf (stderr, "usage: vigil silence add MATCHERS --for DURATION | list | expire ID; "
                         "see vigil silence --help\n");
        return CLI_EXIT_USAGE;
    }
    int64_t for_ms = 0;
    if (add && (!dur || vg_parse_duration_ms (dur, &for_ms) != VG_OK || for_ms <= 0)) {
        fprintf (stderr, "vigil silence add: --for needs a duration like 30m, 2h or 1d%s%s\n",
                 dur ? ", not " : "", dur ? dur : "");
        return CLI_EXIT_USAGE;
    }
    char err[1024], id[64];
    PGconn *conn = cli_db_connect (cli_db_url (db), err, sizeof err);
    if (!conn) {
        fprintf (stderr, "vigil silence: %s\n", err);
        return CLI_EXIT_FAIL;
    }
    int rc = CLI_EXIT_OK;
    int64_t now = vg_now_ms ();
    if (list)
        rc = s_list (conn, all, json);
    else if (add) {
        int r = notify_silence_add (conn, argv[optind + 1], now, now + for_ms,
                                    by && *by ? by : "unknown", comment, id, sizeof id, err,
                                    sizeof err);
        if (r == VG_EINVAL) {
            fprintf (stderr, "vigil silence add: bad matchers: %s\n", err);
            rc = CLI_EXIT_USAGE;
        } else if (r != VG_OK) {
            fprintf (stderr, "vigil silence add: %s\n", err);
            rc = CLI_EXIT_FAIL;
        } else
            printf ("silence %s added: %s for %s; vigil silence expire %.8s ends it\n", id,
                    argv[optind + 1], dur, id);
    } else {
        int r = notify_silence_expire (conn, argv[optind + 1], now, id, sizeof id, err, sizeof err);
        if (r != VG_OK) {
            fprintf (stderr, "vigil silence expire: %s\n", err);
            rc = r == VG_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
        } else
            printf ("silence %s expired\n", id);
    }
    PQfinish (conn);
    return rc;
}
