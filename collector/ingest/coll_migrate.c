/*  coll_migrate.c - applies the embedded migrations (collector/sql/NNN_*.sql).
 *
 *  Everything happens under a session advisory lock taken before anything is
 *  created, so two collectors starting at once take turns: the second finds
 *  the work done. Each migration runs in its own transaction together with
 *  the row that records it, so a failed one leaves no trace and is tried
 *  again at the next start.
 */
#include "coll_migrate.h"
#include "coll_pg.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The advisory lock's key: "vigilmig" as a big-endian bigint. */
#define S_LOCK_KEY "8532464671518452071"

static int
s_exec_script (PGconn *conn, const coll_migration_t *m, char *err, size_t errlen)
{
    char what[128];
    snprintf (what, sizeof what, "migration %s", m->name);
    int rc = coll_pg_command (conn, what, "BEGIN", 0, NULL, err, errlen);
    if (rc)
        return rc;
    /* A script holds many statements: the simple protocol runs them all and
     * stops at the first error. */
    PGresult *res = PQexec (conn, m->sql);
    ExecStatusType st = PQresultStatus (res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = coll_pg_fail (conn, res, what, err, errlen);
    PQclear (res);
    if (rc == 0) {
        char version[16];
        snprintf (version, sizeof version, "%d", m->version);
        const char *params[] = {version, m->name};
        rc = coll_pg_command (conn, what,
                              "INSERT INTO vigil.schema_migrations (version, name) VALUES ($1, $2)",
                              2, params, err, errlen);
    }
    if (rc == 0)
        rc = coll_pg_command (conn, what, "COMMIT", 0, NULL, err, errlen);
    if (rc && PQstatus (conn) == CONNECTION_OK) {
        PGresult *r = PQexec (conn, "ROLLBACK");
        PQclear (r);
    }
    return rc;
}

/* 1 if vigil.schema_migrations exists, 0 if not, or the code of a failure. */
static int
s_ledger_exists (PGconn *conn, char *err, size_t errlen)
{
    int rc;
    PGresult *res = coll_pg_exec (conn, "migrations",
                                  "SELECT to_regclass('vigil.schema_migrations') IS NOT NULL", 0,
                                  NULL, &rc, err, errlen);
    if (!res)
        return rc;
    int exists = PQntuples (res) == 1 && strcmp (PQgetvalue (res, 0, 0), "t") == 0;
    PQclear (res);
    return exists;
}

static int
s_apply_locked (PGconn *conn, int *applied, char *err, size_t errlen)
{
    int rc = 0;
    int exists = s_ledger_exists (conn, err, errlen);
    if (exists < 0)
        return exists;
    if (!exists) {
        rc = coll_pg_command (conn, "migrations", "CREATE SCHEMA IF NOT EXISTS vigil", 0, NULL, err,
                              errlen);
        if (rc == 0)
            rc = coll_pg_command (conn, "migrations",
                                  "CREATE TABLE vigil.schema_migrations ("
                                  " version integer PRIMARY KEY,"
                                  " name text NOT NULL,"
                                  " applied_at timestamptz NOT NULL DEFAULT now())",
                                  0, NULL, err, errlen);
        if (rc)
            return rc;
    }
    PGresult *res = coll_pg_exec (conn, "migrations",
                                  "SELECT version FROM vigil.schema_migrations ORDER BY version", 0,
                                  NULL, &rc, err, errlen);
    if (!res)
        return rc;
    int ndone = PQntuples (res);
    int *done = vg_calloc ((size_t)ndone + 1, sizeof *done);
    int known_max = 0;
    for (int i = 0; i < ndone; i++)
        done[i] = atoi (PQgetvalue (res, i, 0));
    PQclear (res);

    for (const coll_migration_t *m = coll_migrations; m->version > 0; m++) {
        if (m->version > known_max)
            known_max = m->version;
        int seen = 0;
        for (int i = 0; i < ndone && !seen; i++)
            seen = done[i] == m->version;
        if (seen)
            continue;
        rc = s_exec_script (conn, m, err, errlen);
        if (rc)
            break;
        vg_info ("schema: applied migration %s", m->name);
        if (applied)
            (*applied)++;
    }
    if (rc == 0 && ndone > 0 && done[ndone - 1] > known_max)
        vg_warn ("schema: the database is at version %d, newer than this collector knows (%d)",
                 done[ndone - 1], known_max);
    free (done);
    return rc;
}

int
coll_migrate_apply (PGconn *conn, int *applied, char *err, size_t errlen)
{
    if (applied)
        *applied = 0;
    const char *key[] = {S_LOCK_KEY};
    int rc = coll_pg_command (conn, "migrations: lock", "SELECT pg_advisory_lock($1::bigint)", 1,
                              key, err, errlen);
    if (rc)
        return rc;
    rc = s_apply_locked (conn, applied, err, errlen);
    if (PQstatus (conn) == CONNECTION_OK) {
        char uerr[256];
        int urc =
            coll_pg_command (conn, "migrations: unlock", "SELECT pg_advisory_unlock($1::bigint)", 1,
                             key, uerr, sizeof uerr);
        if (urc && rc == 0) {
            snprintf (err, errlen, "%s", uerr);
            rc = urc;
        }
    }
    return rc;
}

int
coll_migrate_current (PGconn *conn)
{
    char err[256];
    int exists = s_ledger_exists (conn, err, sizeof err);
    if (exists <= 0)
        return exists;
    int rc;
    PGresult *res = coll_pg_exec (conn, "migrations",
                                  "SELECT coalesce(max(version), 0) FROM vigil.schema_migrations",
                                  0, NULL, &rc, err, sizeof err);
    if (!res)
        return rc;
    int v = atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    return v;
}
