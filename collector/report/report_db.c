/*  report_db.c - statements and times for the report library. */
#include "report_db.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libpq's message on one line. */
static void
s_fold (const char *in, char *out, size_t outlen)
{
    size_t n = 0;
    int space = 0;
    for (const char *p = in ? in : ""; *p && n + 1 < outlen; p++) {
        if (*p == '\n' || *p == '\t' || *p == '\r' || *p == ' ') {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < outlen)
            out[n++] = ' ';
        space = 0;
        out[n++] = *p;
    }
    if (outlen)
        out[n] = '\0';
}

PGresult *
report_db_exec (PGconn *conn, const char *what, const char *sql, int nparams,
                const char *const *params, char *err, size_t errlen)
{
    PGresult *res = PQexecParams (conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus (res);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        return res;
    /* The primary message, without libpq's "ERROR:" and the PL/pgSQL
     * context, which read as noise to a person. */
    const char *primary = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char line[1024];
    s_fold (primary ? primary
            : res   ? PQresultErrorMessage (res)
                    : PQerrorMessage (conn),
            line, sizeof line);
    snprintf (err, errlen, "%s: %s", what, *line ? line : "the database gave no reason");
    PQclear (res);
    return NULL;
}

const char *
report_db_ms (int64_t ms, char *buf, size_t len)
{
    int64_t s = ms / 1000, r = ms % 1000;
    if (r < 0) {
        s--;
        r += 1000;
    }
    snprintf (buf, len, "%lld.%03lld", (long long)s, (long long)r);
    return buf;
}

double
report_db_double (const PGresult *res, int row, int col, int *has)
{
    int ok = res && row < PQntuples (res) && !PQgetisnull (res, row, col);
    if (has)
        *has = ok;
    return ok ? strtod (PQgetvalue (res, row, col), NULL) : 0.0;
}

int
report_db_time (PGconn *conn, const char *text, int64_t now_ms, int64_t *ms, char *err,
                size_t errlen)
{
    int64_t d;
    if (strcmp (text, "now") == 0) {
        *ms = now_ms;
        return 0;
    }
    if (text[0] == '-' && vg_parse_duration_ms (text + 1, &d) == 0) {
        *ms = now_ms - d;
        return 0;
    }
    const char *p[] = {text};
    char why[512];
    PGresult *res = report_db_exec (conn, "time",
                                    "SELECT (extract (epoch FROM $1::timestamptz) * 1000)::bigint",
                                    1, p, why, sizeof why);
    if (!res || PQgetisnull (res, 0, 0)) {
        snprintf (err, errlen,
                  "cannot read the time \"%s\": expected 2025-06-15T10:30:00+09:00, "
                  "\"2025-06-15 10:30 Asia/Seoul\", now, or -2h for two hours ago",
                  text);
        PQclear (res);
        return VG_EINVAL;
    }
    *ms = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    return 0;
}

report_val_t
report_db_val (const PGresult *res, int row, int col)
{
    int has;
    double v = report_db_double (res, row, col, &has);
    return has ? report_val (v) : report_val_none ();
}

PGconn *
report_db_twin (PGconn *conn)
{
    PQconninfoOption *opts = PQconninfo (conn);
    if (!opts)
        return NULL;
    size_t n = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        n++;
    const char **keys = vg_calloc (n + 1, sizeof *keys);
    const char **vals = vg_calloc (n + 1, sizeof *vals);
    size_t k = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val && *o->val) {
            keys[k] = o->keyword;
            vals[k++] = o->val;
        }
    PGconn *twin = PQconnectdbParams (keys, vals, 0);
    free (keys);
    free (vals);
    PQconninfoFree (opts);
    if (PQstatus (twin) != CONNECTION_OK) {
        PQfinish (twin);
        return NULL;
    }
    return twin;
}
