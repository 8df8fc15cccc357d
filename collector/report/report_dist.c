/*  report_dist.c - distribution rollup rows read in binary and merged here. */
#include "report_dist.h"
#include "report_db.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* $1 metric, $2 since, $3 until (seconds), $4 selector, $5 by, $6 step, $7 tz */
static const char s_sql[] =
    "SELECT vigil.group_key (x.labels, x.hostname, $5),"
    " (extract (epoch FROM CASE WHEN $6::interval IS NULL THEN to_timestamp ($2::float8)"
    "   ELSE vigil.step_start (x.ts, $6::interval, to_timestamp ($2::float8), $7) END)"
    "   * 1000)::bigint,"
    " x.count, x.sum, x.min, x.max, x.zero_count, x.bucket_index, x.bucket_count,"
    " x.neg_bucket_index, x.neg_bucket_count"
    " FROM vigil.rollup_rows ($1, to_timestamp ($2::float8), to_timestamp ($3::float8), $4,"
    "      vigil.steps_hold_hours (to_timestamp ($2::float8), $6::interval, $7)) x"
    " WHERE x.zero_count IS NOT NULL AND x.count > 0";

static uint32_t
s_be32 (const char *p)
{
    uint32_t v;
    memcpy (&v, p, 4);
    return ntohl (v);
}

static uint64_t
s_be64 (const char *p)
{
    return (uint64_t)s_be32 (p) << 32 | s_be32 (p + 4);
}

static double
s_double (const PGresult *res, int row, int col)
{
    uint64_t bits = s_be64 (PQgetvalue (res, row, col));
    double v;
    memcpy (&v, &bits, sizeof v);
    return v;
}

/* The elements of a one-dimensional binary int4[] or int8[] (what
 * array_send writes): *n of them, at *data, each after its 4-byte length.
 * Returns 0, or -1 for what it cannot read. */
static int
s_array (const PGresult *res, int row, int col, uint32_t *n, const char **data, int *width)
{
    int len = PQgetlength (res, row, col);
    const char *p = PQgetvalue (res, row, col);
    if (PQgetisnull (res, row, col) || len < 12)
        return -1;
    uint32_t ndim = s_be32 (p), oid = s_be32 (p + 8);
    *width = oid == 23 ? 4 : oid == 20 ? 8 : 0;
    if (ndim == 0) {
        *n = 0;
        return *width ? 0 : -1;
    }
    if (ndim != 1 || len < 20 || !*width)
        return -1;
    *n = s_be32 (p + 12);
    *data = p + 20;
    return (size_t)len == 20 + (size_t)*n * (4 + (size_t)*width) ? 0 : -1;
}

static int64_t
s_elem (const char *data, uint32_t i, int width)
{
    const char *p = data + (size_t)i * (4 + (size_t)width) + 4;
    return width == 4 ? (int64_t)(int32_t)s_be32 (p) : (int64_t)s_be64 (p);
}

/* Adds a row's buckets to sketch. Returns 0 or -1. */
static int
s_add_store (vg_sketch_t *sk, const PGresult *res, int row, int col, int negative)
{
    uint32_t ni, nc;
    const char *di = NULL, *dc = NULL;
    int wi, wc;
    if (s_array (res, row, col, &ni, &di, &wi) || s_array (res, row, col + 1, &nc, &dc, &wc) ||
        ni != nc)
        return -1;
    for (uint32_t i = 0; i < ni; i++)
        if (vg_sketch_add_bucket (sk, negative, (int32_t)s_elem (di, i, wi),
                                  (uint64_t)s_elem (dc, i, wc)) != 0)
            return -1;
    return 0;
}

static report_dist_cell_t *
s_cell (report_dist_t *d, const char *grp, int64_t bucket)
{
    /* Rows come series by series, in time: the last cell is often it. */
    for (size_t i = d->n; i-- > 0;)
        if (d->cells[i].bucket_ms == bucket && strcmp (d->cells[i].grp, grp) == 0)
            return &d->cells[i];
    VG_GROW (d->cells, d->cap, d->n + 1);
    report_dist_cell_t *c = &d->cells[d->n++];
    c->grp = vg_strdup (grp);
    c->bucket_ms = bucket;
    c->sketch = vg_sketch_new ();
    return c;
}

int
report_dist_fetch (report_ctx_t *c, const char *metric, const char *by, const char *step,
                   report_dist_t *out)
{
    memset (out, 0, sizeof *out);
    if (c->failed)
        return VG_EDB;
    const char *p[] = {metric, c->since, c->until, c->sel, by, step, c->tz};
    PGresult *res = PQexecParams (c->conn, s_sql, 7, NULL, p, NULL, NULL, 1);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        const char *m = PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY);
        snprintf (c->err, c->errlen, "%s: %s", metric, m ? m : PQerrorMessage (c->conn));
        PQclear (res);
        c->failed = 1;
        return VG_EDB;
    }
    vg_sketch_t *row = vg_sketch_new ();
    for (int i = 0; i < PQntuples (res); i++) {
        vg_sketch_reset (row);
        char grp[512];
        int glen = PQgetlength (res, i, 0);
        snprintf (grp, sizeof grp, "%.*s", glen, PQgetvalue (res, i, 0));
        if (s_add_store (row, res, i, 7, 0) || s_add_store (row, res, i, 9, 1)) {
            snprintf (c->err, c->errlen, "%s: a rollup row's sketch cannot be read", metric);
            c->failed = 1;
            break;
        }
        row->count = s_be64 (PQgetvalue (res, i, 2));
        row->sum = s_double (res, i, 3);
        row->min = s_double (res, i, 4);
        row->max = s_double (res, i, 5);
        row->zero_count = s_be64 (PQgetvalue (res, i, 6));
        vg_sketch_merge (s_cell (out, grp, (int64_t)s_be64 (PQgetvalue (res, i, 1)))->sketch, row);
    }
    vg_sketch_destroy (&row);
    PQclear (res);
    return c->failed ? VG_EDB : 0;
}

void
report_dist_free (report_dist_t *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free (d->cells[i].grp);
        vg_sketch_destroy (&d->cells[i].sketch);
    }
    free (d->cells);
    memset (d, 0, sizeof *d);
}

vg_sketch_t *
report_dist_merge (const report_dist_t *d, const char *grp, int64_t bucket_ms)
{
    vg_sketch_t *sk = NULL;
    for (size_t i = 0; i < d->n; i++) {
        const report_dist_cell_t *c = &d->cells[i];
        if ((grp && strcmp (c->grp, grp) != 0) || (bucket_ms >= 0 && c->bucket_ms != bucket_ms))
            continue;
        if (!sk)
            sk = vg_sketch_new ();
        vg_sketch_merge (sk, c->sketch);
    }
    return sk;
}

vg_sketch_t *
report_dist_merge_range (const report_dist_t *d, int64_t lo_ms, int64_t hi_ms)
{
    vg_sketch_t *sk = NULL;
    for (size_t i = 0; i < d->n; i++) {
        const report_dist_cell_t *c = &d->cells[i];
        if (c->bucket_ms < lo_ms || c->bucket_ms >= hi_ms)
            continue;
        if (!sk)
            sk = vg_sketch_new ();
        vg_sketch_merge (sk, c->sketch);
    }
    return sk;
}

report_dist_stats_t
report_dist_stats (const vg_sketch_t *sk, double k)
{
    report_dist_stats_t s = {0};
    if (!sk || sk->count == 0)
        return s;
    s.count = report_val ((double)sk->count);
    s.avg = report_val (sk->sum / (double)sk->count * k);
    s.p50 = report_val (vg_sketch_quantile (sk, 0.5) * k);
    s.p95 = report_val (vg_sketch_quantile (sk, 0.95) * k);
    s.p99 = report_val (vg_sketch_quantile (sk, 0.99) * k);
    s.max = report_val (sk->max * k);
    return s;
}
