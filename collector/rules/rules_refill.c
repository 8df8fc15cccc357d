/*  rules_refill.c - hosts, series, samples and distributions back from
 *  PostgreSQL, with parameters and binary arrays. */
#include "rules_refill.h"
#include "coll_pg.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <stdlib.h>
#include <string.h>

/* Read back a little more than the windows need: a sample just older than a
 * window can still be the one an instant selector takes. */
#define S_SLACK_MS 60000

typedef struct {
    int64_t host_id, series_id;
    int64_t window;
} s_want_t;

static int
s_want_cmp (const void *a, const void *b)
{
    const s_want_t *x = a, *y = b;
    return (x->window > y->window) - (x->window < y->window);
}

static int
s_hosts (PGconn *conn, rules_index_t *index, rules_refill_stats_t *st, char *err, size_t errlen)
{
    int rc;
    PGresult *res = coll_pg_exec (conn, "reading hosts",
                                  "SELECT host_id, hostname,"
                                  "       (extract (epoch FROM last_seen) * 1000)::bigint"
                                  "  FROM vigil.hosts",
                                  0, NULL, &rc, err, errlen);
    if (!res)
        return rc;
    for (int i = 0; i < PQntuples (res); i++)
        rules_index_host (index, strtoll (PQgetvalue (res, i, 0), NULL, 10), PQgetvalue (res, i, 1),
                          strtoll (PQgetvalue (res, i, 2), NULL, 10), 0);
    st->hosts = (size_t)PQntuples (res);
    PQclear (res);
    return 0;
}

/* Every series, one row per label, grouped. */
static int
s_series (PGconn *conn, rules_index_t *index, rules_mem_t *mem, s_want_t **wants, size_t *nwants,
          char *err, size_t errlen)
{
    int rc;
    PGresult *res =
        coll_pg_exec (conn, "reading series",
                      "SELECT s.host_id, s.series_id, s.metric, s.kind, h.hostname, l.key, l.value"
                      "  FROM vigil.series s JOIN vigil.hosts h ON h.host_id = s.host_id"
                      "  LEFT JOIN LATERAL jsonb_each_text (s.labels) l ON true"
                      " ORDER BY s.host_id, s.series_id, l.key",
                      0, NULL, &rc, err, errlen);
    if (!res)
        return rc;
    size_t cap = 0;
    vg_label_t *labels = NULL;
    size_t lcap = 0;
    int rows = PQntuples (res);
    for (int i = 0; i < rows;) {
        int64_t host_id = strtoll (PQgetvalue (res, i, 0), NULL, 10);
        int64_t series_id = strtoll (PQgetvalue (res, i, 1), NULL, 10);
        int first = i;
        size_t nl = 0;
        for (; i < rows && strtoll (PQgetvalue (res, i, 0), NULL, 10) == host_id &&
               strtoll (PQgetvalue (res, i, 1), NULL, 10) == series_id;
             i++) {
            if (PQgetisnull (res, i, 5))
                continue;
            VG_GROW (labels, lcap, nl + 1);
            labels[nl++] = (vg_label_t){PQgetvalue (res, i, 5), PQgetvalue (res, i, 6)};
        }
        rules_mem_series_t *s = rules_index_series (
            index, mem, host_id, series_id, PQgetvalue (res, first, 4), PQgetvalue (res, first, 2),
            atoi (PQgetvalue (res, first, 3)) == 2, labels, nl);
        if (s) {
            VG_GROW (*wants, cap, *nwants + 1);
            (*wants)[(*nwants)++] = (s_want_t){host_id, series_id, rules_mem_series_window (s)};
        }
    }
    free (labels);
    PQclear (res);
    return 0;
}

/* A PostgreSQL integer array's text ("{1,2,-3}"); returns the count. */
static size_t
s_int_array (const char *text, int64_t **out, size_t *cap)
{
    size_t n = 0;
    const char *p = text;
    if (*p == '{')
        p++;
    while (*p && *p != '}') {
        char *end;
        long long v = strtoll (p, &end, 10);
        if (end == p)
            break;
        VG_GROW (*out, *cap, n + 1);
        (*out)[n++] = v;
        p = end;
        if (*p == ',')
            p++;
    }
    return n;
}

static vg_sketch_t *
s_sketch (PGresult *res, int row, int64_t **idx, size_t *icap, int64_t **cnt, size_t *ccap)
{
    vg_sketch_t *sk = vg_sketch_new ();
    for (int neg = 0; neg < 2; neg++) {
        size_t ni = s_int_array (PQgetvalue (res, row, neg ? 10 : 8), idx, icap);
        size_t nc = s_int_array (PQgetvalue (res, row, neg ? 11 : 9), cnt, ccap);
        for (size_t k = 0; k < ni && k < nc; k++)
            if ((*cnt)[k] > 0 && (*idx)[k] >= INT32_MIN && (*idx)[k] <= INT32_MAX)
                vg_sketch_add_bucket (sk, neg, (int32_t)(*idx)[k], (uint64_t)(*cnt)[k]);
    }
    sk->count = strtoull (PQgetvalue (res, row, 3), NULL, 10);
    sk->sum = strtod (PQgetvalue (res, row, 4), NULL);
    sk->min = strtod (PQgetvalue (res, row, 5), NULL);
    sk->max = strtod (PQgetvalue (res, row, 6), NULL);
    sk->zero_count = strtoull (PQgetvalue (res, row, 7), NULL, 10);
    return sk;
}

/* The samples (or distributions) of wants[0..n), all with the same window. */
static int
s_read (PGconn *conn, rules_index_t *index, rules_mem_t *mem, const s_want_t *wants, size_t n,
        int64_t since, int dists, rules_refill_stats_t *st, char *err, size_t errlen)
{
    coll_pg_params_t p = {0};
    vg_buf_t *hosts = coll_pg_params_next (&p), *ids = coll_pg_params_next (&p),
             *from = coll_pg_params_next (&p);
    coll_pg_array_begin (hosts, COLL_PG_INT8OID, (uint32_t)n);
    coll_pg_array_begin (ids, COLL_PG_INT8OID, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        coll_pg_bin_int8 (hosts, wants[i].host_id);
        coll_pg_bin_int8 (ids, wants[i].series_id);
    }
    vg_buf_be64 (from, (uint64_t)since);
    const char *sql =
        dists ? "SELECT d.host_id, d.series_id, (extract (epoch FROM d.ts) * 1000)::bigint,"
                "       d.count, d.sum, d.min, d.max, d.zero_count, d.bucket_index,"
                "       d.bucket_count, d.neg_bucket_index, d.neg_bucket_count"
                "  FROM vigil.distributions d"
                "  JOIN unnest ($1::bigint[], $2::bigint[]) AS w (h, id)"
                "    ON d.host_id = w.h AND d.series_id = w.id"
                " WHERE d.ts > 'epoch'::timestamptz + $3::bigint * interval '1 millisecond'"
              : "SELECT s.host_id, s.series_id, (extract (epoch FROM s.ts) * 1000)::bigint,"
                "       s.value"
                "  FROM vigil.samples s"
                "  JOIN unnest ($1::bigint[], $2::bigint[]) AS w (h, id)"
                "    ON s.host_id = w.h AND s.series_id = w.id"
                " WHERE s.ts > 'epoch'::timestamptz + $3::bigint * interval '1 millisecond'";
    int rc;
    PGresult *res = coll_pg_exec_bin (conn, dists ? "reading distributions" : "reading samples",
                                      sql, &p, &rc, err, errlen);
    coll_pg_params_free (&p);
    if (!res)
        return rc;
    int64_t *idx = NULL, *cnt = NULL;
    size_t icap = 0, ccap = 0;
    for (int i = 0; i < PQntuples (res); i++) {
        rules_mem_series_t *s =
            rules_index_lookup (index, strtoll (PQgetvalue (res, i, 0), NULL, 10),
                                strtoll (PQgetvalue (res, i, 1), NULL, 10));
        if (!s)
            continue;
        int64_t ts = strtoll (PQgetvalue (res, i, 2), NULL, 10);
        if (dists) {
            vg_sketch_t *sk = s_sketch (res, i, &idx, &icap, &cnt, &ccap);
            rules_mem_add_sketch (mem, s, ts, sk);
            vg_sketch_destroy (&sk);
            st->sketches++;
        } else {
            rules_mem_add (mem, s, ts, strtod (PQgetvalue (res, i, 3), NULL));
            st->samples++;
        }
    }
    free (idx);
    free (cnt);
    PQclear (res);
    return 0;
}

int
rules_refill (PGconn *conn, rules_index_t *index, rules_mem_t *mem, int64_t now,
              rules_refill_stats_t *st, char *err, size_t errlen)
{
    memset (st, 0, sizeof *st);
    int rc = s_hosts (conn, index, st, err, errlen);
    if (rc != 0)
        return rc;
    s_want_t *wants = NULL;
    size_t n = 0;
    rc = s_series (conn, index, mem, &wants, &n, err, errlen);
    st->series = n;
    if (rc == 0 && n > 1)
        qsort (wants, n, sizeof *wants, s_want_cmp);
    /* One query per window length (and table): few, since rules share them. */
    for (size_t i = 0; rc == 0 && i < n;) {
        size_t k = i;
        while (k < n && wants[k].window == wants[i].window)
            k++;
        int64_t since = now - wants[i].window - S_SLACK_MS;
        rc = s_read (conn, index, mem, wants + i, k - i, since, 0, st, err, errlen);
        if (rc == 0)
            rc = s_read (conn, index, mem, wants + i, k - i, since, 1, st, err, errlen);
        i = k;
    }
    free (wants);
    return rc;
}
