/*  cli_notifications.c - `vigil notifications`. */
#include "cli_notifications.h"
#include "cli.h"
#include "cli_db.h"
#include "cli_table.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

void
cli_notifications_usage (FILE *out)
{
    fprintf (out,
             "usage: vigil notifications [--status STATUS] [--receiver NAME] [--limit N] [--json]\n"
             "\n"
             "The outbox: every notification the collector made, newest first, with how many\n"
             "attempts it took and, for one not delivered, when it is tried next or why it\n"
             "failed. A summary per receiver and status comes first.\n"
             "\n"
             "options:\n"
             "  --status STATUS   pending, delivered or failed\n"
             "  --receiver NAME   only this receiver's\n"
             "  --limit N         at most N rows (default 50)\n"
             "  --json            print {\"notifications\": [...]}\n"
             "  --db URL          PostgreSQL URL; default $%s, else %s\n"
             "  -h, --help        this help\n"
             "\n"
             "exit status: 0 shown, 1 database error, 2 bad usage, 3 none yet.\n"
             "\n"
             "example:\n"
             "  vigil notifications --status failed\n",
             CLI_DB_ENV, CLI_DB_DEFAULT_URL);
}

int
cli_notifications_run (int argc, char **argv)
{
    static const struct option longopts[] = {
        {"status", required_argument, NULL, 's'},
        {"receiver", required_argument, NULL, 'r'},
        {"limit", required_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},
        {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *status = NULL, *receiver = NULL, *limit = "50", *db = NULL;
    int json = 0, opt;
    optind = 1;
    while ((opt = getopt_long (argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 's':
            status = optarg;
            break;
        case 'r':
            receiver = optarg;
            break;
        case 'l':
            limit = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'd':
            db = optarg;
            break;
        case 'h':
            cli_notifications_usage (stdout);
            return CLI_EXIT_OK;
        default:
            fprintf (stderr, "see vigil notifications --help\n");
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "vigil notifications: unexpected argument \"%s\"\n", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    if (status && strcmp (status, "pending") && strcmp (status, "delivered") &&
        strcmp (status, "failed")) {
        fprintf (stderr, "vigil notifications: --status is pending, delivered or failed\n");
        return CLI_EXIT_USAGE;
    }
    char *end;
    long n = strtol (limit, &end, 10);
    if (*end || n < 1 || n > 100000) {
        fprintf (stderr, "vigil notifications: --limit takes 1 to 100000\n");
        return CLI_EXIT_USAGE;
    }
    char err[1024];
    PGconn *conn = cli_db_connect (cli_db_url (db), err, sizeof err);
    if (!conn) {
        fprintf (stderr, "vigil notifications: %s\n", err);
        return CLI_EXIT_FAIL;
    }
    const char *params[] = {status, receiver, limit};
    PGresult *sum = NULL,
             *res = PQexecParams (
                 conn,
                 "SELECT notification_id AS id,"
                 "       to_char (created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS\"Z\"') AS "
                 "created,"
                 "       receiver, kind, status, attempts, reason,"
                 "       array_to_string (alert_ids, ',') AS alerts,"
                 "       CASE status WHEN 'pending' THEN 'next attempt ' ||"
                 "              to_char (next_attempt_at AT TIME ZONE 'UTC', 'HH24:MI:SS\"Z\"') ||"
                 "              coalesce ('; last: ' || last_error, '')"
                 "            WHEN 'delivered' THEN 'at ' ||"
                 "              to_char (delivered_at AT TIME ZONE 'UTC', 'HH24:MI:SS\"Z\"')"
                 "            ELSE last_error END AS detail,"
                 "       idempotency_key::text AS key"
                 "  FROM vigil.notifications"
                 " WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR receiver = $2)"
                 " ORDER BY notification_id DESC LIMIT $3::integer",
                 3, NULL, params, NULL, NULL, 0);
    int rc = CLI_EXIT_OK;
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        cli_db_reason (conn, res, err, sizeof err);
        fprintf (stderr, "vigil notifications: %s\n", err);
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    if (json) {
        cli_table_json (stdout, res, "notifications");
        goto out;
    }
    if (PQntuples (res) == 0) {
        printf ("no notifications%s yet\n", status || receiver ? " of that kind" : "");
        rc = CLI_EXIT_EMPTY;
        goto out;
    }
    sum = PQexec (conn, "SELECT receiver, count (*) FILTER (WHERE status = 'pending'),"
                        "  count (*) FILTER (WHERE status = 'delivered'),"
                        "  count (*) FILTER (WHERE status = 'failed')"
                        "  FROM vigil.notifications GROUP BY 1 ORDER BY 1");
    if (PQresultStatus (sum) == PGRES_TUPLES_OK) {
        static const char *h[] = {"RECEIVER", "PENDING", "DELIVERED", "FAILED"};
        cli_table_print (stdout, sum, h);
        printf ("\n");
    }
    static const char *headers[] = {"ID",    "CREATED", "RECEIVER", "KIND",   "STATUS",
                                    "TRIES", "REASON",  "ALERTS",   "DETAIL", "KEY"};
    cli_table_print (stdout, res, headers);
out:
    PQclear (sum);
    PQclear (res);
    PQfinish (conn);
    return rc;
}
