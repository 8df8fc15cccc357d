/*  report_event.c - deploy events in vigil.deploys. */
#include "report_event.h"
#include "report_db.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
report_event_add_deploy (PGconn *conn, const report_deploy_t *d, int64_t *id, char *err,
                         size_t errlen)
{
    char at[32];
    const char *p[] = {d->service,
                       d->version,
                       report_db_ms (d->at_ms, at, sizeof at),
                       d->labels ? d->labels : "{}",
                       d->note ? d->note : "",
                       d->source ? d->source : "api"};
    PGresult *res = report_db_exec (conn, "recording the deploy",
                                    "SELECT vigil.deploy_add ($1, $2, to_timestamp ($3::float8),"
                                    " $4::jsonb, $5, $6)",
                                    6, p, err, errlen);
    if (!res) {
        /* The deploy itself is wrong, not the database. */
        return strstr (err, "vigil: a deploy") || strstr (err, "vigil: deploy labels") ? VG_EINVAL
                                                                                       : VG_EDB;
    }
    if (id)
        *id = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    return 0;
}

#define S_COLUMNS                                                                                  \
    "coalesce (deploy_id, 0), (extract (epoch FROM ts) * 1000)::bigint, service, version, note,"   \
    " source"

static void
s_row (const PGresult *res, int i, report_deploy_row_t *row)
{
    row->deploy_id = strtoll (PQgetvalue (res, i, 0), NULL, 10);
    row->ts_ms = strtoll (PQgetvalue (res, i, 1), NULL, 10);
    row->service = vg_strdup (PQgetvalue (res, i, 2));
    row->version = vg_strdup (PQgetvalue (res, i, 3));
    row->note = vg_strdup (PQgetvalue (res, i, 4));
    row->source = vg_strdup (PQgetvalue (res, i, 5));
}

int
report_event_list (PGconn *conn, int64_t since_ms, int64_t until_ms, const char *selector,
                   report_deploys_t *out, char *err, size_t errlen)
{
    memset (out, 0, sizeof *out);
    char a[32], b[32];
    const char *p[] = {report_db_ms (since_ms, a, sizeof a), report_db_ms (until_ms, b, sizeof b),
                       selector ? selector : ""};
    PGresult *res = report_db_exec (conn, "reading deploys",
                                    "SELECT " S_COLUMNS " FROM vigil.deploys_between"
                                    " (to_timestamp ($1::float8), to_timestamp ($2::float8), $3)",
                                    3, p, err, errlen);
    if (!res)
        return VG_EDB;
    out->n = (size_t)PQntuples (res);
    out->rows = vg_calloc (out->n + 1, sizeof *out->rows);
    for (size_t i = 0; i < out->n; i++)
        s_row (res, (int)i, &out->rows[i]);
    PQclear (res);
    return 0;
}

int
report_event_latest (PGconn *conn, int64_t now_ms, const char *selector, report_deploy_row_t *out,
                     char *err, size_t errlen)
{
    memset (out, 0, sizeof *out);
    char a[32];
    const char *p[] = {report_db_ms (now_ms + 1, a, sizeof a), selector ? selector : ""};
    PGresult *res = report_db_exec (conn, "reading deploys",
                                    "SELECT " S_COLUMNS " FROM vigil.deploys_between"
                                    " ('-infinity', to_timestamp ($1::float8), $2)"
                                    " ORDER BY ts DESC LIMIT 1",
                                    2, p, err, errlen);
    if (!res)
        return VG_EDB;
    int rc = VG_ENOTFOUND;
    if (PQntuples (res) == 1) {
        s_row (res, 0, out);
        rc = 0;
    } else
        snprintf (err, errlen, "no deploy recorded%s%s; record one with vigil event add deploy",
                  selector && *selector ? " matching " : "", selector ? selector : "");
    PQclear (res);
    return rc;
}

void
report_event_row_free (report_deploy_row_t *row)
{
    free (row->service);
    free (row->version);
    free (row->note);
    free (row->source);
    memset (row, 0, sizeof *row);
}

void
report_event_free (report_deploys_t *deploys)
{
    for (size_t i = 0; i < deploys->n; i++)
        report_event_row_free (&deploys->rows[i]);
    free (deploys->rows);
    memset (deploys, 0, sizeof *deploys);
}
