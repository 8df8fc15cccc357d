/*  vigil-copy-ceiling - what PostgreSQL ingests with no Vigil in between.
 *
 *  Binary COPY of N rows with the columns of vigil.samples (host_id bigint,
 *  ts timestamptz, series_id bigint, value double) into a plain, logged,
 *  unindexed table, in ~1 MB chunks, in one transaction. The
 *  clock (monotonic) runs from BEGIN to the end of COMMIT, so it includes
 *  building the rows, the WAL flush and the commit - the same work the
 *  collector's ingest path does per group. --index adds the btree on
 *  (series_id, ts) first, to show what one index costs.
 *
 *  vigil-copy-ceiling --db URL --rows N [--hosts H] [--series S] [--chunk BYTES]
 *                     [--index]
 *
 *  Prints a human line and, last, "rows_per_s=<M>" for scripts.
 */
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_time.h"

#include <getopt.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Microseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
#define S_PG_EPOCH_US 946684800000000LL

typedef struct {
    const char *db;
    int64_t rows;
    int64_t hosts;
    int64_t series;
    int64_t chunk;
    int index;
    int checkpoint;
} s_args_t;

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: vigil-copy-ceiling --db URL --rows N [--hosts H] [--series S]\n"
                  "                          [--chunk BYTES] [--index] [--no-checkpoint]\n"
                  "  Binary COPY of N rows into a plain table ceiling_samples with the\n"
                  "  columns of vigil.samples (host_id bigint, ts timestamptz, series_id\n"
                  "  bigint, value double precision), timed from BEGIN to the end of COMMIT.\n"
                  "  Rows come from H hosts (50) of S series each (1000), one sample per\n"
                  "  series and second. --index adds a btree on (series_id, ts).\n");
}

static void
s_quiet (void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static int
s_exec (PGconn *conn, const char *sql)
{
    PGresult *res = PQexec (conn, sql);
    ExecStatusType st = PQresultStatus (res);
    PQclear (res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        fprintf (stderr, "vigil-copy-ceiling: %s: %s", sql, PQerrorMessage (conn));
        return -1;
    }
    return 0;
}

static int
s_send (PGconn *conn, vg_buf_t *buf)
{
    if (PQputCopyData (conn, buf->data, (int)buf->len) != 1) {
        fprintf (stderr, "vigil-copy-ceiling: COPY data: %s", PQerrorMessage (conn));
        return -1;
    }
    vg_buf_reset (buf);
    return 0;
}

/* Rows are laid out as the load generator sends them: H hosts of S series
 * each, one sample per series and second, values varying. */
static int
s_copy (PGconn *conn, const s_args_t *a, int64_t base_ms)
{
    static const char header[] = "PGCOPY\n\377\r\n";
    vg_buf_t buf = {0};
    vg_buf_reserve (&buf, (size_t)a->chunk + 64);
    vg_buf_append (&buf, header, 11);
    vg_buf_be32 (&buf, 0); /* flags */
    vg_buf_be32 (&buf, 0); /* header extension length */

    int rc = -1;
    PGresult *res = PQexec (conn, "COPY ceiling_samples (host_id, ts, series_id, value) FROM STDIN "
                                  "WITH (FORMAT binary)");
    if (PQresultStatus (res) != PGRES_COPY_IN) {
        fprintf (stderr, "vigil-copy-ceiling: COPY: %s", PQerrorMessage (conn));
        PQclear (res);
        goto out;
    }
    PQclear (res);

    int64_t base_us = base_ms * 1000 - S_PG_EPOCH_US;
    for (int64_t i = 0; i < a->rows; i++) {
        int64_t tick = i / (a->series * a->hosts);
        int64_t host_id = i / a->series % a->hosts + 1;
        int64_t series_id = (host_id - 1) * a->series + i % a->series + 1;
        vg_buf_be16 (&buf, 4);
        vg_buf_be32 (&buf, 8);
        vg_buf_be64 (&buf, (uint64_t)host_id);
        vg_buf_be32 (&buf, 8);
        vg_buf_be64 (&buf, (uint64_t)(base_us + tick * 1000000));
        vg_buf_be32 (&buf, 8);
        vg_buf_be64 (&buf, (uint64_t)series_id);
        vg_buf_be32 (&buf, 8);
        vg_buf_bedouble (&buf, (double)(series_id % 100) + (double)(tick % 60) * 0.25);
        if ((int64_t)buf.len >= a->chunk && s_send (conn, &buf) != 0)
            goto out;
    }
    vg_buf_be16 (&buf, 0xffff); /* trailer */
    if (s_send (conn, &buf) != 0)
        goto out;
    if (PQputCopyEnd (conn, NULL) != 1) {
        fprintf (stderr, "vigil-copy-ceiling: COPY end: %s", PQerrorMessage (conn));
        goto out;
    }
    rc = 0;
    while ((res = PQgetResult (conn)) != NULL) {
        if (PQresultStatus (res) != PGRES_COMMAND_OK) {
            fprintf (stderr, "vigil-copy-ceiling: COPY: %s", PQerrorMessage (conn));
            rc = -1;
        }
        PQclear (res);
    }
out:
    vg_buf_free (&buf);
    return rc;
}

static int
s_parse_args (int argc, char **argv, s_args_t *a)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"rows", required_argument, NULL, 'n'},
        {"series", required_argument, NULL, 's'},
        {"hosts", required_argument, NULL, 'H'},
        {"chunk", required_argument, NULL, 'c'},
        {"index", no_argument, NULL, 'i'},
        {"no-checkpoint", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *a = (s_args_t){.db = getenv ("VIGIL_DATABASE_URL"),
                    .rows = 0,
                    .hosts = 50,
                    .series = 1000,
                    .chunk = 1024 * 1024,
                    .checkpoint = 1};
    int c;
    while ((c = getopt_long (argc, argv, "d:n:s:H:c:iCh", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            a->db = optarg;
            break;
        case 'n':
            a->rows = strtoll (optarg, NULL, 10);
            break;
        case 's':
            a->series = strtoll (optarg, NULL, 10);
            break;
        case 'H':
            a->hosts = strtoll (optarg, NULL, 10);
            break;
        case 'c':
            a->chunk = strtoll (optarg, NULL, 10);
            break;
        case 'i':
            a->index = 1;
            break;
        case 'C':
            a->checkpoint = 0;
            break;
        case 'h':
            s_usage (stdout);
            exit (0);
        default:
            s_usage (stderr);
            return -1;
        }
    }
    if (!a->db || a->rows <= 0 || a->hosts <= 0 || a->series <= 0 || a->chunk < 1024) {
        s_usage (stderr);
        return -1;
    }
    return 0;
}

int
main (int argc, char **argv)
{
    s_args_t a;
    if (s_parse_args (argc, argv, &a) != 0)
        return 2;

    PGconn *conn = PQconnectdb (a.db);
    if (PQstatus (conn) != CONNECTION_OK) {
        fprintf (stderr, "vigil-copy-ceiling: cannot connect: %s", PQerrorMessage (conn));
        PQfinish (conn);
        return 1;
    }
    PQsetNoticeProcessor (conn, s_quiet, NULL);

    int rc = 1;
    if (s_exec (conn, "DROP TABLE IF EXISTS ceiling_samples") != 0 ||
        s_exec (conn, "CREATE TABLE ceiling_samples (host_id bigint NOT NULL, "
                      "ts timestamptz NOT NULL, series_id bigint NOT NULL, "
                      "value double precision NOT NULL)") != 0)
        goto out;
    if (a.index && s_exec (conn, "CREATE INDEX ON ceiling_samples (series_id, ts)") != 0)
        goto out;
    /* Start from a clean checkpoint so leftover dirty pages from earlier work
     * are not charged to this run (the ingest benchmark does the same). */
    if (a.checkpoint && s_exec (conn, "CHECKPOINT") != 0)
        goto out;

    int64_t t0 = vg_mono_ns ();
    if (s_exec (conn, "BEGIN") != 0 || s_copy (conn, &a, vg_now_ms ()) != 0 ||
        s_exec (conn, "COMMIT") != 0)
        goto out;
    int64_t t1 = vg_mono_ns ();

    char *count = NULL;
    PGresult *res = PQexec (conn, "SELECT count(*) FROM ceiling_samples");
    if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1)
        count = vg_strdup (PQgetvalue (res, 0, 0));
    PQclear (res);
    if (!count || strtoll (count, NULL, 10) != a.rows) {
        fprintf (stderr, "vigil-copy-ceiling: table holds %s rows, expected %" PRId64 "\n",
                 count ? count : "?", a.rows);
        free (count);
        goto out;
    }
    free (count);

    double secs = (double)(t1 - t0) / 1e9;
    double rate = (double)a.rows / secs;
    printf ("copy-ceiling: %" PRId64 " rows, binary COPY in %" PRId64
            " KB chunks, one transaction, the columns of vigil.samples, %s: %.3f s, %.0f rows/s\n",
            a.rows, a.chunk / 1024, a.index ? "btree on (series_id, ts)" : "no index", secs, rate);
    printf ("rows_per_s=%.0f\n", rate);
    rc = 0;
out:
    PQfinish (conn);
    return rc;
}
