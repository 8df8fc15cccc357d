/*  coll_rollup_db.c - a piece of rollup rows into PostgreSQL: partitions,
 *  then one transaction: the rows new to the database by COPY straight into
 *  their table, the others by COPY into a temporary table and merges. */
#include "coll_rollup_db.h"
#include "coll_migrate.h"
#include "coll_pg.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_error.h"
#include "vg_log.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DAY_MS 86400000LL

struct coll_rollup_db_t {
    char *url;
    PGconn *conn;
    int32_t *days; /* UTC days whose rollup partitions exist */
    size_t ndays, days_cap;
    int32_t *want;
    size_t want_cap;
    const coll_rollup_row_t **order; /* the piece's new rows, in key order */
    size_t order_cap;
    vg_buf_t copy;
    coll_pg_params_t params;
};

/* Rows of the piece that may meet a stored row, tier 0 (minute) and 1
 * (hour); ON COMMIT DELETE ROWS empties it at every commit. */
static const char s_stage_sql[] =
    "CREATE TEMP TABLE IF NOT EXISTS rollup_stage ("
    " tier smallint, host_id bigint, series_id bigint, ts timestamptz, count bigint,"
    " sum double precision, min double precision, max double precision,"
    " first double precision, first_ts timestamptz, last double precision,"
    " last_ts timestamptz, increase double precision, zero_count bigint,"
    " bucket_index integer[], bucket_count bigint[], neg_bucket_index integer[],"
    " neg_bucket_count bigint[], overlap boolean NOT NULL DEFAULT false)"
    " ON COMMIT DELETE ROWS";

/* A counter's increase depends on the order of its samples: an hour delta
 * that falls inside the span already stored (a late batch filling a gap)
 * cannot be merged into it by arithmetic. Such hours are marked before the
 * merge and their increase is summed again afterwards from their minutes:
 * the minutes' own increases plus the steps between consecutive minutes. */
static const char s_mark_overlaps[] =
    "UPDATE pg_temp.rollup_stage st SET overlap = true FROM vigil.rollup_hour h"
    " WHERE st.tier = 1 AND h.host_id = st.host_id AND h.series_id = st.series_id"
    "   AND h.ts = st.ts AND st.first_ts <= h.last_ts AND st.last_ts >= h.first_ts";
static const char s_redo_overlaps[] =
    "UPDATE vigil.rollup_hour h SET increase = x.increase"
    "  FROM (SELECT st.host_id, st.series_id, st.ts,"
    "               (SELECT sum (m.increase) + coalesce (sum (vigil.counter_delta (m.prev,"
    "                       m.first)), 0)"
    "                  FROM (SELECT mm.increase, mm.first,"
    "                               lag (mm.last) OVER (ORDER BY mm.ts) AS prev"
    "                          FROM vigil.rollup_minute mm"
    "                         WHERE mm.host_id = st.host_id AND mm.series_id = st.series_id"
    "                           AND mm.ts >= st.ts AND mm.ts < st.ts + interval '1 hour') m)"
    "               AS increase"
    "          FROM pg_temp.rollup_stage st WHERE st.tier = 1 AND st.overlap) x"
    " WHERE h.host_id = x.host_id AND h.series_id = x.series_id AND h.ts = x.ts";

/* The merge of a delta into a stored row: the rules of coll_rollup_acc.h. */
#define S_MERGE_COMMON                                                                             \
    " ON CONFLICT (host_id, series_id, ts) DO UPDATE SET"                                          \
    " count = r.count + excluded.count, sum = r.sum + excluded.sum,"                               \
    " min = vigil.fmin (r.min, excluded.min), max = vigil.fmax (r.max, excluded.max),"             \
    " first = CASE WHEN excluded.first_ts < r.first_ts THEN excluded.first ELSE r.first END,"      \
    " first_ts = least (r.first_ts, excluded.first_ts),"                                           \
    " last = CASE WHEN excluded.last_ts >= r.last_ts THEN excluded.last ELSE r.last END,"          \
    " last_ts = greatest (r.last_ts, excluded.last_ts),"                                           \
    " increase = vigil.increase_merge (r.first, r.first_ts, r.last, r.last_ts, r.increase,"        \
    "   excluded.first, excluded.first_ts, excluded.last, excluded.last_ts, excluded.increase)"
#define S_MERGE_SKETCH                                                                             \
    ", zero_count = coalesce (r.zero_count, 0) + excluded.zero_count,"                             \
    " (bucket_index, bucket_count) = (SELECT m.idx, m.cnt FROM vigil.bucket_merge ("               \
    "   r.bucket_index, r.bucket_count, excluded.bucket_index, excluded.bucket_count) m),"         \
    " (neg_bucket_index, neg_bucket_count) = (SELECT m.idx, m.cnt FROM vigil.bucket_merge ("       \
    "   r.neg_bucket_index, r.neg_bucket_count, excluded.neg_bucket_index,"                        \
    "   excluded.neg_bucket_count) m)"
#define S_SELECT(tier)                                                                             \
    " SELECT host_id, series_id, ts, count, sum, min, max, first, first_ts, last, last_ts,"        \
    " increase, zero_count, bucket_index, bucket_count, neg_bucket_index, neg_bucket_count"        \
    " FROM pg_temp.rollup_stage WHERE tier = " tier
#define S_INSERT(table, tier, sketch)                                                              \
    "INSERT INTO vigil." table " AS r" S_SELECT (tier) " AND zero_count IS " sketch                \
                                                       " ORDER BY host_id, series_id, ts"

static const char *const s_minute_merges[] = {
    S_INSERT ("rollup_minute", "0", "NULL") S_MERGE_COMMON,
    S_INSERT ("rollup_minute", "0", "NOT NULL") S_MERGE_COMMON S_MERGE_SKETCH,
    NULL,
};
static const char *const s_hour_merges[] = {
    s_mark_overlaps,
    S_INSERT ("rollup_hour", "1", "NULL") S_MERGE_COMMON,
    S_INSERT ("rollup_hour", "1", "NOT NULL") S_MERGE_COMMON S_MERGE_SKETCH,
    s_redo_overlaps,
    NULL,
};

coll_rollup_db_t *
coll_rollup_db_new (const char *dburl)
{
    coll_rollup_db_t *self = vg_calloc (1, sizeof *self);
    self->url = vg_strdup (dburl ? dburl : "");
    return self;
}

void
coll_rollup_db_destroy (coll_rollup_db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    coll_rollup_db_t *self = *self_p;
    if (self->conn)
        PQfinish (self->conn);
    free (self->days);
    free (self->want);
    free (self->order);
    vg_buf_free (&self->copy);
    coll_pg_params_free (&self->params);
    free (self->url);
    free (self);
    *self_p = NULL;
}

static int
s_fail (coll_rollup_db_t *self, int rc)
{
    self->ndays = 0;
    if (rc == VG_ERETRY && self->conn) {
        PQfinish (self->conn);
        self->conn = NULL;
    } else if (self->conn && PQtransactionStatus (self->conn) != PQTRANS_IDLE) {
        PGresult *res = PQexec (self->conn, "ROLLBACK");
        PQclear (res);
    }
    return rc;
}

int
coll_rollup_db_connect (coll_rollup_db_t *self, char *err, size_t errlen)
{
    if (self->conn && PQstatus (self->conn) == CONNECTION_OK)
        return 0;
    if (self->conn)
        PQfinish (self->conn);
    self->conn = NULL;
    int rc;
    PGconn *conn = coll_pg_connect (self->url, "vigil-collector-rollup", &rc, err, errlen);
    if (!conn)
        return rc;
    rc = coll_migrate_apply (conn, NULL, err, errlen);
    if (rc == 0)
        rc = coll_pg_command (conn, "preparing rollups", s_stage_sql, 0, NULL, err, errlen);
    if (rc) {
        PQfinish (conn);
        return rc;
    }
    self->conn = conn;
    self->ndays = 0;
    return 0;
}

/* ---- partitions ---- */

static int
s_day_known (const int32_t *days, size_t n, int32_t day)
{
    for (size_t k = 0; k < n; k++)
        if (days[k] == day)
            return 1;
    return 0;
}

static int
s_partitions (coll_rollup_db_t *self, const coll_rollup_row_t *rows, size_t n, char *err,
              size_t errlen)
{
    size_t nwant = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t b = rows[i].bucket_ms;
        int32_t day = (int32_t)(coll_rollup_acc_bucket (b, S_DAY_MS) / S_DAY_MS);
        if (s_day_known (self->days, self->ndays, day) || s_day_known (self->want, nwant, day))
            continue;
        VG_GROW (self->want, self->want_cap, nwant + 1);
        self->want[nwant++] = day;
    }
    if (nwant == 0)
        return 0;
    coll_pg_params_reset (&self->params);
    vg_buf_t *days = coll_pg_params_next (&self->params);
    coll_pg_array_begin (days, COLL_PG_INT4OID, (uint32_t)nwant);
    for (size_t k = 0; k < nwant; k++)
        coll_pg_bin_int4 (days, self->want[k]);
    int rc = coll_pg_command_bin (self->conn, "creating rollup partitions",
                                  "SELECT vigil.ensure_rollup_partitions (date '1970-01-01' + d)"
                                  "  FROM unnest ($1::integer[]) AS d",
                                  &self->params, err, errlen);
    if (rc)
        return rc;
    VG_GROW (self->days, self->days_cap, self->ndays + nwant);
    memcpy (self->days + self->ndays, self->want, nwant * sizeof *self->want);
    self->ndays += nwant;
    return 0;
}

/* ---- the piece ---- */

/* The columns of rollup_minute and rollup_hour, in their order. */
#define S_COLUMNS                                                                                  \
    "host_id, series_id, ts, count, sum, min, max, first, first_ts, last, last_ts, increase,"      \
    " zero_count, bucket_index, bucket_count, neg_bucket_index, neg_bucket_count"
#define S_NCOLUMNS 17

static void
s_put_columns (vg_buf_t *buf, const coll_rollup_row_t *r)
{
    coll_pg_bin_int8 (buf, r->host_id);
    coll_pg_bin_int8 (buf, r->series_id);
    coll_pg_bin_ts_ms (buf, r->bucket_ms);
    coll_pg_bin_int8 (buf, (int64_t)r->count);
    coll_pg_bin_float8 (buf, r->sum);
    coll_pg_bin_float8 (buf, r->min);
    coll_pg_bin_float8 (buf, r->max);
    coll_pg_bin_float8 (buf, r->first);
    coll_pg_bin_ts_ms (buf, r->first_ts_ms);
    coll_pg_bin_float8 (buf, r->last);
    coll_pg_bin_ts_ms (buf, r->last_ts_ms);
    coll_pg_bin_float8 (buf, r->increase);
    if (r->sketch) {
        coll_pg_bin_int8 (buf, (int64_t)r->sketch->zero_count);
        coll_pg_bin_buckets (buf, &r->sketch->pos);
        coll_pg_bin_buckets (buf, &r->sketch->neg);
    } else {
        for (int k = 0; k < 5; k++)
            coll_pg_bin_null (buf);
    }
}

static int
s_key_cmp (const void *a, const void *b)
{
    const coll_rollup_row_t *x = *(const coll_rollup_row_t *const *)a;
    const coll_rollup_row_t *y = *(const coll_rollup_row_t *const *)b;
    if (x->host_id != y->host_id)
        return x->host_id < y->host_id ? -1 : 1;
    if (x->series_id != y->series_id)
        return x->series_id < y->series_id ? -1 : 1;
    return (x->bucket_ms > y->bucket_ms) - (x->bucket_ms < y->bucket_ms);
}

/* One COPY of rows into sql's table; with tier >= 0 into the stage, each
 * row led by its tier. */
static int
s_copy (coll_rollup_db_t *self, const char *sql, int tier, const coll_rollup_row_t *const *rows,
        size_t n, char *err, size_t errlen)
{
    static const char what[] = "writing rollups";
    int rc = coll_pg_copy_begin (self->conn, what, sql, err, errlen);
    if (rc)
        return rc;
    vg_buf_t *buf = &self->copy;
    vg_buf_reset (buf);
    coll_pg_copy_header (buf);
    for (size_t i = 0; i < n; i++) {
        vg_buf_be16 (buf, tier >= 0 ? S_NCOLUMNS + 1 : S_NCOLUMNS);
        if (tier >= 0)
            coll_pg_bin_int2 (buf, (int16_t)tier);
        s_put_columns (buf, rows[i]);
    }
    coll_pg_copy_trailer (buf);
    rc = coll_pg_copy_send (self->conn, what, buf->data, buf->len, err, errlen);
    vg_buf_reset (buf);
    if (rc == 0)
        rc = coll_pg_copy_end (self->conn, what, err, errlen);
    return rc;
}

/* The piece in one transaction. Rows believed new (trust_fresh) go straight
 * into their table in key order: no conflict to look for, at a fraction of
 * a merge's cost. Should one exist after all (another collector, a restart),
 * the COPY fails and the caller writes the piece again as merges. */
static int
s_piece (coll_rollup_db_t *self, coll_rollup_tier_t tier, const coll_rollup_row_t *rows, size_t n,
         int trust_fresh, size_t *merged, char *err, size_t errlen)
{
    VG_GROW (self->order, self->order_cap, n);
    /* New rows from the front of order, the others from its back. */
    size_t nfresh = 0, back = n;
    for (size_t i = 0; i < n; i++) {
        if (trust_fresh && rows[i].fresh)
            self->order[nfresh++] = &rows[i];
        else
            self->order[--back] = &rows[i];
    }
    size_t nmerge = n - nfresh;
    *merged = nmerge;
    int rc = coll_pg_command (self->conn, "writing rollups", "BEGIN", 0, NULL, err, errlen);
    if (rc == 0 && nfresh) {
        qsort (self->order, nfresh, sizeof *self->order, s_key_cmp);
        rc = s_copy (self,
                     tier == COLL_ROLLUP_HOUR
                         ? "COPY vigil.rollup_hour (" S_COLUMNS ") FROM STDIN (FORMAT binary)"
                         : "COPY vigil.rollup_minute (" S_COLUMNS ") FROM STDIN (FORMAT binary)",
                     -1, self->order, nfresh, err, errlen);
    }
    if (rc == 0 && nmerge) {
        rc = s_copy (self,
                     "COPY pg_temp.rollup_stage (tier, " S_COLUMNS ") FROM STDIN (FORMAT binary)",
                     (int)tier, self->order + nfresh, nmerge, err, errlen);
        const char *const *merges = tier == COLL_ROLLUP_HOUR ? s_hour_merges : s_minute_merges;
        for (size_t k = 0; merges[k] && rc == 0; k++)
            rc = coll_pg_command (self->conn, "merging rollups", merges[k], 0, NULL, err, errlen);
    }
    if (rc == 0)
        rc = coll_pg_command (self->conn, "writing rollups", "COMMIT", 0, NULL, err, errlen);
    return rc;
}

int
coll_rollup_db_write (coll_rollup_db_t *self, coll_rollup_tier_t tier,
                      const coll_rollup_row_t *rows, size_t n, size_t *merged, char *err,
                      size_t errlen)
{
    *merged = 0;
    if (n == 0)
        return 0;
    int rc = coll_rollup_db_connect (self, err, errlen);
    if (rc == 0)
        rc = s_partitions (self, rows, n, err, errlen);
    if (rc)
        return s_fail (self, rc);
    for (int trust = 1; trust >= 0; trust--) {
        rc = s_piece (self, tier, rows, n, trust, merged, err, errlen);
        /* A row believed new was there (unique_violation): all as merges. */
        if (rc == 0 || !trust || strcmp (coll_pg_last ().sqlstate, "23505") != 0)
            break;
        PGresult *res = PQexec (self->conn, "ROLLBACK");
        PQclear (res);
    }
    if (rc) {
        /* A partition dropped under us (retention): learn the days again;
         * the next try makes it anew. */
        coll_pg_last_t last = coll_pg_last ();
        if (strcmp (last.sqlstate, "23514") == 0 && !last.constraint)
            rc = VG_ERETRY;
        return s_fail (self, rc);
    }
    return 0;
}
