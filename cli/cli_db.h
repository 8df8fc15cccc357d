/*  cli_db.h - the CLI's connection to PostgreSQL, with errors that say what to do.
 *
 *  The database URL comes from --db, else VIGIL_DATABASE_URL, else
 *  CLI_DB_DEFAULT_URL. Messages name the server as HOST:PORT, never the full
 *  URL, so a password in it is not printed.
 */
#ifndef CLI_DB_H
#define CLI_DB_H

#include <libpq-fe.h>
#include <stddef.h>

#define CLI_DB_DEFAULT_URL "postgresql:///vigil"
#define CLI_DB_ENV         "VIGIL_DATABASE_URL"

/* The URL to use: flag if set, else the environment, else the default. The
 * result is not owned by the caller. */
const char *cli_db_url (const char *flag);

/* Connects (10 s connect timeout unless the URL sets one). Returns the
 * connection, or NULL with err set to
 * "cannot connect to the database at HOST:PORT: <reason>; set --db or VIGIL_DATABASE_URL". */
PGconn *cli_db_connect (const char *url, char *err, size_t errlen);

/* "HOST:PORT/DBNAME" of a connection, for messages. */
void cli_db_where (PGconn *conn, char *out, size_t outlen);

/* libpq's message for the last failure on conn, or for a result if res is
 * not NULL, folded onto one line. */
void cli_db_reason (PGconn *conn, const PGresult *res, char *out, size_t outlen);

/* 1 if res failed because the database has no Vigil schema yet (3F000
 * invalid_schema_name, 42P01 undefined_table): the collector, which creates
 * it, has never run against this database. */
int cli_db_no_schema (const PGresult *res);

#endif
