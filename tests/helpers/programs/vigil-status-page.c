/*  vigil-status-page - renders the status page (report_status_render) to a
 *  file, as the collector's HTTP server will serve it, for the tests that
 *  open it in a browser.
 *
 *      vigil-status-page --db URL --out FILE [--where SELECTOR]
 */
#include "report_def.h"
#include "report_status.h"
#include "vg_buf.h"
#include "vg_time.h"

#include <getopt.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

int
main (int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"where", required_argument, NULL, 'w'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL, *path = NULL, *where = "";
    int c;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'o')
            path = optarg;
        else if (c == 'w')
            where = optarg;
        else
            return 2;
    }
    if (!db || !path) {
        fprintf (stderr, "usage: vigil-status-page --db URL --out FILE [--where SELECTOR]\n");
        return 2;
    }
    char err[1024];
    report_def_t *def = report_def_load (NULL, err, sizeof err);
    PGconn *conn = PQconnectdb (db);
    if (!def || PQstatus (conn) != CONNECTION_OK) {
        fprintf (stderr, "vigil-status-page: %s\n", def ? PQerrorMessage (conn) : err);
        return 1;
    }
    vg_buf_t page = {0};
    int rc = report_status_render (conn, def, where, vg_now_ms (), &page, err, sizeof err);
    if (rc == 0) {
        FILE *f = fopen (path, "w");
        if (!f || fwrite (page.data, 1, page.len, f) != page.len || fclose (f) != 0)
            rc = 1;
    } else
        fprintf (stderr, "vigil-status-page: %s\n", err);
    vg_buf_free (&page);
    PQfinish (conn);
    report_def_destroy (&def);
    return rc ? 1 : 0;
}
