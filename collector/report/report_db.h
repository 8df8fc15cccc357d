/*  report_db.h - the report library's statements: parameters in text, one
 *  line of error that names what failed, and times as milliseconds. */
#ifndef REPORT_DB_H
#define REPORT_DB_H

#include "report_model.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

/* Runs sql with nparams text parameters (NULL for SQL NULL). Returns the
 * result (caller PQclear()s it), or NULL with "what: the database's message"
 * in err. */
PGresult *report_db_exec (PGconn *conn, const char *what, const char *sql, int nparams,
                          const char *const *params, char *err, size_t errlen);

/* A second connection with conn's parameters, to read beside it (PostgreSQL
 * gives each connection one core); NULL if it cannot be made. PQfinish() it. */
PGconn *report_db_twin (PGconn *conn);

/* ms since the epoch as a parameter: "1718438400.000" seconds, for
 * to_timestamp ($n::float8). buf needs 32 bytes. */
const char *report_db_ms (int64_t ms, char *buf, size_t len);

/* A cell as a double; *has = 0 for NULL (has may be NULL). */
double report_db_double (const PGresult *res, int row, int col, int *has);
/* A cell as a report's value: none for NULL. */
report_val_t report_db_val (const PGresult *res, int row, int col);

/* Reads a time as the CLI takes it: "now", "-2h" or "-30m" (a duration before
 * now_ms), or anything PostgreSQL reads as a timestamptz
 * ("2025-06-15T10:30:00+09:00", "2025-06-15 10:30 Asia/Seoul"), asking the
 * database. Returns 0 and *ms, or VG_EINVAL with the reason in err. */
int report_db_time (PGconn *conn, const char *text, int64_t now_ms, int64_t *ms, char *err,
                    size_t errlen);

#endif
