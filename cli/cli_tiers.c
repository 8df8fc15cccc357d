/*  cli_tiers.c - what each storage tier holds, for `vigil status`. */
#include "cli_tiers.h"
#include "cli_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PGresult *
s_query (PGconn *conn)
{
    PGresult *res =
        PQexec (conn, "SELECT tier, partitions,"
                      " to_char (oldest AT TIME ZONE 'UTC', 'YYYY-MM-DD'),"
                      " to_char (newest AT TIME ZONE 'UTC', 'YYYY-MM-DD'),"
                      " bytes, rows_estimate,"
                      " (newest AT TIME ZONE 'UTC')::date - (oldest AT TIME ZONE 'UTC')::date"
                      " FROM vigil.storage_tiers ()");
    if (PQresultStatus (res) == PGRES_TUPLES_OK)
        return res;
    PQclear (res);
    return NULL;
}

static void
s_size (char *out, size_t len, double bytes)
{
    static const char *units[] = {"B", "kB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1000 && u < 4) {
        bytes /= 1000;
        u++;
    }
    snprintf (out, len, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

void
cli_tiers_text (PGconn *conn, vg_buf_t *out)
{
    PGresult *res = s_query (conn);
    if (!res)
        return;
    vg_buf_puts (out, "\nstorage (UTC days; whole partitions are dropped past each retention):\n");
    for (int i = 0; i < PQntuples (res); i++) {
        const char *tier = PQgetvalue (res, i, 0);
        int parts = atoi (PQgetvalue (res, i, 1));
        char size[32];
        s_size (size, sizeof size, strtod (PQgetvalue (res, i, 4), NULL));
        if (parts == 0) {
            vg_buf_printf (out, "  %-7s no partitions yet\n", tier);
            continue;
        }
        int days = atoi (PQgetvalue (res, i, 6));
        long long rows = atoll (PQgetvalue (res, i, 5));
        vg_buf_printf (out, "  %-7s %d day%s (%s .. %s) in %d partition%s, %s", tier, days,
                       days == 1 ? "" : "s", PQgetvalue (res, i, 2), PQgetvalue (res, i, 3), parts,
                       parts == 1 ? "" : "s", size);
        /* The planner's estimate: unknown (0) until the table was analyzed. */
        if (rows > 0)
            vg_buf_printf (out, ", about %lld rows", rows);
        vg_buf_puts (out, "\n");
    }
    PQclear (res);
}

void
cli_tiers_json (PGconn *conn, vg_buf_t *out)
{
    PGresult *res = s_query (conn);
    vg_buf_puts (out, "\"storage\": [");
    for (int i = 0; res && i < PQntuples (res); i++) {
        vg_buf_puts (out, i ? ", {\"tier\": " : "{\"tier\": ");
        cli_json_string (out, PQgetvalue (res, i, 0));
        vg_buf_printf (out, ", \"partitions\": %d, \"oldest\": ", atoi (PQgetvalue (res, i, 1)));
        cli_json_string (out, PQgetisnull (res, i, 2) ? NULL : PQgetvalue (res, i, 2));
        vg_buf_puts (out, ", \"newest\": ");
        cli_json_string (out, PQgetisnull (res, i, 3) ? NULL : PQgetvalue (res, i, 3));
        vg_buf_printf (out, ", \"bytes\": %s, \"rows_estimate\": %s}", PQgetvalue (res, i, 4),
                       PQgetvalue (res, i, 5));
    }
    vg_buf_puts (out, "]");
    PQclear (res);
}
