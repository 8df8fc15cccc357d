/*  cli_db.c - the CLI's connection to PostgreSQL. */
#include "cli_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
cli_db_url (const char *flag)
{
    if (flag && *flag)
        return flag;
    const char *env = getenv (CLI_DB_ENV);
    if (env && *env)
        return env;
    return CLI_DB_DEFAULT_URL;
}

/* libpq messages span lines ("...failed: Connection refused\n\tIs the server
 * running...?\n"); a CLI error reads better as one line. */
static void
s_fold (const char *in, char *out, size_t outlen)
{
    size_t n = 0;
    int space = 0;
    for (const char *p = in; *p && n + 1 < outlen; p++) {
        if (*p == '\n' || *p == '\t' || *p == ' ' || *p == '\r') {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < outlen)
            out[n++] = ' ';
        space = 0;
        out[n++] = *p;
    }
    out[n] = '\0';
}

static void
s_hostport (PGconn *conn, char *out, size_t outlen)
{
    const char *host = PQhost (conn);
    const char *port = PQport (conn);
    snprintf (out, outlen, "%s:%s", host && *host ? host : "localhost",
              port && *port ? port : "5432");
}

void
cli_db_where (PGconn *conn, char *out, size_t outlen)
{
    char hp[512];
    s_hostport (conn, hp, sizeof hp);
    const char *db = PQdb (conn);
    snprintf (out, outlen, "%s/%s", hp, db ? db : "");
}

void
cli_db_reason (PGconn *conn, const PGresult *res, char *out, size_t outlen)
{
    const char *msg = res ? PQresultErrorMessage (res) : PQerrorMessage (conn);
    s_fold (msg && *msg ? msg : "unknown error", out, outlen);
}

PGconn *
cli_db_connect (const char *url, char *err, size_t errlen)
{
    /* Later entries win, so the URL (expanded from dbname) overrides these. */
    const char *keys[] = {"connect_timeout", "application_name", "client_encoding", "dbname", NULL};
    const char *values[] = {"10", "vigil", "UTF8", url, NULL};
    PGconn *conn = PQconnectdbParams (keys, values, 1);
    if (PQstatus (conn) == CONNECTION_OK) {
        PQsetNoticeProcessor (conn, NULL, NULL);
        return conn;
    }
    char reason[1024];
    cli_db_reason (conn, NULL, reason, sizeof reason);
    const char *host = PQhost (conn);
    if (!host || !*host) {
        /* libpq could not even parse the URL: there is no server to name. */
        snprintf (err, errlen, "cannot use the database URL: %s; set --db or %s", reason,
                  CLI_DB_ENV);
    } else {
        char hp[512];
        s_hostport (conn, hp, sizeof hp);
        snprintf (err, errlen, "cannot connect to the database at %s: %s; set --db or %s", hp,
                  reason, CLI_DB_ENV);
    }
    PQfinish (conn);
    return NULL;
}

int
cli_db_no_schema (const PGresult *res)
{
    const char *state = PQresultErrorField (res, PG_DIAG_SQLSTATE);
    return state && (strcmp (state, "3F000") == 0 || strcmp (state, "42P01") == 0);
}
