/*  cli_ack.c - `vigil ack ID [--comment TEXT] [--expires 2h]`. */
#include "cli_ack.h"
#include "cli.h"
#include "cli_db.h"
#include "vg_error.h"
#include "vg_time.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void
cli_ack_usage (FILE *out)
{
    fprintf (out,
             "usage: vigil ack ID [--comment TEXT] [--expires DURATION] [--by NAME]\n"
             "\n"
             "Acknowledges an alert: its escalation stops climbing. With --expires the ack\n"
             "lapses after DURATION, and if the alert still fires then, the climb resumes\n"
             "with the time that was left to its next level. Without it the ack holds until\n"
             "the alert resolves. ID is the alert's id (the number notifications and\n"
             "ack links carry) or its 16-hex-digit fingerprint.\n"
             "\n"
             "options:\n"
             "  --comment TEXT       why, or what is being done\n"
             "  --expires DURATION   30m, 2h, 1d\n"
             "  --by NAME            who (default $USER)\n"
             "  --db URL             PostgreSQL URL; default $%s, else %s\n"
             "  -h, --help           this help\n"
             "\n"
             "exit status: 0 acknowledged, 1 database error or no such alert, 2 bad usage.\n"
             "\n"
             "example:\n"
             "  vigil ack 42 --comment \"rolling back\" --expires 2h\n",
             CLI_DB_ENV, CLI_DB_DEFAULT_URL);
}

int
cli_ack_run (int argc, char **argv)
{
    static const struct option longopts[] = {
        {"comment", required_argument, NULL, 'c'}, {"expires", required_argument, NULL, 'e'},
        {"by", required_argument, NULL, 'b'},      {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *comment = "", *expires = NULL, *by = getenv ("USER"), *db = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long (argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            comment = optarg;
            break;
        case 'e':
            expires = optarg;
            break;
        case 'b':
            by = optarg;
            break;
        case 'd':
            db = optarg;
            break;
        case 'h':
            cli_ack_usage (stdout);
            return CLI_EXIT_OK;
        default:
            fprintf (stderr, "see vigil ack --help\n");
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf (stderr, "usage: vigil ack ID [--comment TEXT] [--expires DURATION]; see vigil "
                         "ack --help\n");
        return CLI_EXIT_USAGE;
    }
    const char *id = argv[optind];
    int64_t exp_ms = 0;
    if (expires && (vg_parse_duration_ms (expires, &exp_ms) != VG_OK || exp_ms <= 0)) {
        fprintf (stderr, "vigil ack: --expires needs a duration like 30m or 2h, not %s\n", expires);
        return CLI_EXIT_USAGE;
    }
    size_t len = strlen (id);
    int is_fp = len == 16 && strspn (id, "0123456789abcdef") == 16;
    if (!is_fp && (len == 0 || len > 18 || strspn (id, "0123456789") != len)) {
        fprintf (stderr, "vigil ack: \"%s\" is neither an alert id nor a fingerprint\n", id);
        return CLI_EXIT_USAGE;
    }
    char err[1024], ms[32];
    snprintf (ms, sizeof ms, "%" PRId64, exp_ms);
    PGconn *conn = cli_db_connect (cli_db_url (db), err, sizeof err);
    if (!conn) {
        fprintf (stderr, "vigil ack: %s\n", err);
        return CLI_EXIT_FAIL;
    }
    const char *params[] = {is_fp ? NULL : id, is_fp ? id : NULL, ms, by && *by ? by : "unknown",
                            comment};
    PGresult *res = PQexecParams (
        conn,
        "WITH a AS (SELECT alert_id, state, labels->>'alertname' AS name"
        "             FROM vigil.notify_alerts"
        "            WHERE alert_id = $1::bigint OR fingerprint = $2"
        "            ORDER BY updated_at DESC LIMIT 1)"
        "SELECT a.alert_id, a.state, a.name,"
        "       CASE WHEN a.state = 2 THEN vigil.ack_alert (a.alert_id, now (),"
        "         CASE WHEN $3::bigint > 0 THEN now () + make_interval (secs => $3::bigint / "
        "1000.0)"
        "         END, $4, $5, 'cli') END,"
        "       (SELECT count (*) FROM vigil.escalations e WHERE e.alert_id = a.alert_id"
        "         AND e.state IN ('climbing', 'acked', 'top'))"
        "  FROM a",
        5, NULL, params, NULL, NULL, 0);
    int rc = CLI_EXIT_OK;
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        cli_db_reason (conn, res, err, sizeof err);
        fprintf (stderr, "vigil ack: %s\n", err);
        rc = CLI_EXIT_FAIL;
    } else if (PQntuples (res) == 0) {
        fprintf (stderr,
                 "vigil ack: no alert %s has been notified; vigil notifications lists "
                 "what was sent\n",
                 id);
        rc = CLI_EXIT_FAIL;
    } else if (strcmp (PQgetvalue (res, 0, 1), "2") != 0) {
        fprintf (stderr, "vigil ack: alert %s (%s) is not firing: nothing to acknowledge\n",
                 PQgetvalue (res, 0, 0), PQgetvalue (res, 0, 2));
        rc = CLI_EXIT_FAIL;
    } else {
        printf ("alert %s (%s) acknowledged%s%s; %s escalation%s held\n", PQgetvalue (res, 0, 0),
                PQgetvalue (res, 0, 2), expires ? " for " : " until it resolves",
                expires ? expires : "", PQgetvalue (res, 0, 4),
                strcmp (PQgetvalue (res, 0, 4), "1") == 0 ? "" : "s");
    }
    PQclear (res);
    PQfinish (conn);
    return rc;
}
