/*  coll_store.c - writes groups of batches to PostgreSQL, exactly once.
 *
 *  A write goes in four steps, so the transaction that holds the data is
 *  short and does nothing but write:
 *    1. hosts new to this collector: one upsert, committed on its own;
 *    2. series new to it: a SELECT of those the database has, one INSERT
 *       ... ON CONFLICT DO NOTHING RETURNING from arrays for the others,
 *       committed on its own - a few statements for any number of series;
 *    3. UTC days new to it: vigil.ensure_partitions, committed on its own;
 *    4. BEGIN; the group's (host, seq) keys into vigil.batches, whose
 *       conflicts are the duplicates; binary COPY of the rest's samples,
 *       distributions and events; COMMIT.
 *  Steps 1-3 only ever add rows that are right whatever happens to step 4, so
 *  the ids they return are cached at once. Steps 1 and 2, and the newest
 *  values written by coll_store_flush_latest, are the registry's
 *  (coll_registry.c); this file keeps partitions and the data transaction.
 */
#include "coll_store.h"
#include "coll_migrate.h"
#include "coll_pg.h"
#include "vg_json.h"
#include "coll_registry.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_error.h"
#include "vg_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_DAY_MS       86400000LL
#define S_PAST_MS      (35 * S_DAY_MS) /* samples older than this are dropped */
#define S_FUTURE_MS    S_DAY_MS        /* and so are those this far ahead */
#define S_CHUNK        (1024 * 1024)   /* COPY data is sent in pieces this big */
#define S_COMPLAIN_MS  60000
#define S_SAMPLE_HEAD  14 /* field count, host_id */
#define S_SAMPLE_TUPLE (S_SAMPLE_HEAD + 3 * 12)

/* What a write works out about one item of the group, beyond what the
 * registry keeps in self->reg (host, series, skip, stored, window). */
typedef struct {
    size_t nkeep; /* samples + distributions inside the window */
    size_t ndrop;
    size_t ndrop_events; /* events outside the window, dropped too */
    int64_t smin, smax;  /* the samples' span inside the window */
    int64_t dmin, dmax;  /* and the distributions' */
} s_work_t;

struct coll_store_t {
    char *url;
    PGconn *conn;
    coll_registry_t *registry;
    int32_t *days; /* UTC days (since the epoch) whose partitions exist */
    size_t ndays, days_cap;
    int32_t *want; /* days a write needs that are not known yet */
    size_t want_cap;

    coll_registry_item_t *reg; /* per item of the group */
    size_t reg_cap;
    s_work_t *work;
    size_t work_cap;

    vg_buf_t copy; /* COPY data */
    vg_buf_t text;
    coll_pg_params_t params;
    vg_complain_t range_complaint;
    coll_store_stats_t stats;
    size_t max_statement_bytes;
    size_t copy_sent; /* bytes of the COPY statement in progress */
    int lost;         /* the last failure lost an established connection */
};

/* ---- connection ---- */

static void
s_disconnect (coll_store_t *self)
{
    if (self->conn)
        PQfinish (self->conn);
    self->conn = NULL;
}

/* After a failure: a transient one drops the connection, so the next call
 * starts afresh; any other leaves it usable. Days are learnt again, in case
 * a partition went away under us. */
static int
s_after_failure (coll_store_t *self, int rc)
{
    self->stats.failures++;
    self->ndays = 0;
    coll_pg_last_t last = coll_pg_last ();
    self->lost = rc == VG_ERETRY && self->conn && last.connection_lost && !last.sqlstate[0];
    if (rc == VG_ERETRY)
        s_disconnect (self);
    else if (self->conn && PQtransactionStatus (self->conn) != PQTRANS_IDLE) {
        PGresult *res = PQexec (self->conn, "ROLLBACK");
        PQclear (res);
    }
    return rc;
}

coll_store_t *
coll_store_new (const char *dburl)
{
    coll_store_t *self = vg_calloc (1, sizeof *self);
    self->url = vg_strdup (dburl ? dburl : "");
    self->registry = coll_registry_new ();
    self->max_statement_bytes = COLL_REGISTRY_STATEMENT_BYTES;
    return self;
}

void
coll_store_set_limits (coll_store_t *self, coll_limits_t *limits)
{
    coll_registry_set_limits (self->registry, limits);
}

void
coll_store_set_statement_bytes (coll_store_t *self, size_t bytes)
{
    self->max_statement_bytes = bytes < 4096 ? 4096 : bytes;
    coll_registry_set_statement_bytes (self->registry, self->max_statement_bytes);
}

int
coll_store_connection_lost (const coll_store_t *self)
{
    return self->lost;
}

void
coll_store_destroy (coll_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    coll_store_t *self = *self_p;
    s_disconnect (self);
    coll_registry_destroy (&self->registry);
    free (self->days);
    free (self->want);
    free (self->reg);
    free (self->work);
    vg_buf_free (&self->copy);
    vg_buf_free (&self->text);
    coll_pg_params_free (&self->params);
    free (self->url);
    free (self);
    *self_p = NULL;
}

int
coll_store_connect (coll_store_t *self, char *err, size_t errlen)
{
    if (self->conn && PQstatus (self->conn) == CONNECTION_OK)
        return 0;
    s_disconnect (self);
    int rc;
    PGconn *conn = coll_pg_connect (self->url, "vigil-collector", &rc, err, errlen);
    if (!conn)
        return rc;
    int applied = 0;
    rc = coll_migrate_apply (conn, &applied, err, errlen);
    if (rc) {
        PQfinish (conn);
        return rc;
    }
    char where[256];
    coll_pg_where (conn, self->url, where, sizeof where);
    vg_debug ("store: connected to the database at %s", where);
    self->conn = conn;
    self->ndays = 0;
    return 0;
}

coll_store_stats_t
coll_store_stats (const coll_store_t *self)
{
    coll_store_stats_t stats = self->stats;
    stats.incarnation_changes = coll_registry_incarnation_changes (self->registry);
    stats.statements += coll_registry_statements (self->registry);
    return stats;
}

/* ---- step 3: partitions ---- */

static int64_t
s_day (int64_t ms)
{
    return ms >= 0 ? ms / S_DAY_MS : -((-ms + S_DAY_MS - 1) / S_DAY_MS);
}

static int
s_day_known (const coll_store_t *self, int32_t day)
{
    for (size_t k = 0; k < self->ndays; k++)
        if (self->days[k] == day)
            return 1;
    return 0;
}

/* Counts each item's samples inside and outside its window and makes sure
 * the partitions of the days inside exist (and of the day after, so midnight
 * finds its partition ready). */
static int
s_days_ensure (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    const coll_registry_item_t *r = self->reg;
    s_work_t *w = self->work;
    size_t nwant = 0;
    for (size_t i = 0; i < n; i++) {
        if (r[i].skip)
            continue;
        const vg_batch_t *b = items[i].batch;
        int64_t lo = r[i].lo_ms, hi = r[i].hi_ms;
        int64_t smin = INT64_MAX, smax = INT64_MIN, dmin = INT64_MAX, dmax = INT64_MIN;
        size_t keep = 0;
        for (size_t k = 0; k < b->nsamples; k++) {
            int64_t ts = b->sample_ts_ms[k];
            if (ts < lo || ts > hi || b->sample_series[k] >= b->nseries)
                continue;
            keep++;
            smin = ts < smin ? ts : smin;
            smax = ts > smax ? ts : smax;
        }
        for (size_t k = 0; k < b->ndists; k++) {
            int64_t ts = b->dists[k].ts_ms;
            if (ts < lo || ts > hi || b->dists[k].series >= b->nseries || !b->dists[k].sketch)
                continue;
            keep++;
            dmin = ts < dmin ? ts : dmin;
            dmax = ts > dmax ? ts : dmax;
        }
        w[i].smin = smin, w[i].smax = smax, w[i].dmin = dmin, w[i].dmax = dmax;
        int64_t min = smin < dmin ? smin : dmin, max = smax > dmax ? smax : dmax;
        w[i].nkeep = keep;
        w[i].ndrop = b->nsamples + b->ndists - keep;
        w[i].ndrop_events = 0;
        for (size_t k = 0; k < b->nevents; k++)
            w[i].ndrop_events += b->events[k].ts_ms < lo || b->events[k].ts_ms > hi;
        /* The window bounds an item's span: 37 days at most, plus one ahead.
         * Items received days apart (queued through an outage) add theirs. */
        for (int64_t d = keep ? s_day (min) : 1, end = keep ? s_day (max) + 1 : 0; d <= end; d++) {
            int known = s_day_known (self, (int32_t)d);
            for (size_t k = 0; k < nwant && !known; k++)
                known = self->want[k] == (int32_t)d;
            if (known)
                continue;
            VG_GROW (self->want, self->want_cap, nwant + 1);
            self->want[nwant++] = (int32_t)d;
        }
    }
    if (nwant == 0)
        return 0;
    int32_t *want = self->want;
    coll_pg_params_reset (&self->params);
    vg_buf_t *days = coll_pg_params_next (&self->params);
    coll_pg_array_begin (days, COLL_PG_INT4OID, (uint32_t)nwant);
    for (size_t k = 0; k < nwant; k++)
        coll_pg_bin_int4 (days, want[k]);
    int rc;
    PGresult *res = coll_pg_exec_bin (self->conn, "creating partitions",
                                      "SELECT vigil.ensure_partitions(date '1970-01-01' + d)"
                                      "  FROM unnest($1::integer[]) AS d",
                                      &self->params, &rc, err, errlen);
    if (!res)
        return rc;
    PQclear (res);
    VG_GROW (self->days, self->days_cap, self->ndays + nwant);
    memcpy (self->days + self->ndays, want, nwant * sizeof *want);
    self->ndays += nwant;
    return 0;
}

/* ---- step 4: the data transaction ---- */

static int
s_copy_start (coll_store_t *self, const char *what, const char *sql, char *err, size_t errlen)
{
    int rc = coll_pg_copy_begin (self->conn, what, sql, err, errlen);
    self->stats.statements++;
    vg_buf_reset (&self->copy);
    coll_pg_copy_header (&self->copy);
    self->copy_sent = 0;
    return rc;
}

static int
s_copy_finish (coll_store_t *self, const char *what, char *err, size_t errlen)
{
    coll_pg_copy_trailer (&self->copy);
    int rc = coll_pg_copy_send (self->conn, what, self->copy.data, self->copy.len, err, errlen);
    vg_buf_reset (&self->copy);
    if (rc == 0)
        rc = coll_pg_copy_end (self->conn, what, err, errlen);
    return rc;
}

/* Called after each whole tuple: sends the buffer once it holds S_CHUNK, and
 * ends the COPY and starts another (same transaction) once this one carried
 * max_statement_bytes, so that no statement grows without bound. */
static int
s_send_if_full (coll_store_t *self, const char *what, const char *sql, char *err, size_t errlen)
{
    if (self->copy.len < S_CHUNK && self->copy_sent + self->copy.len < self->max_statement_bytes)
        return 0;
    if (self->copy_sent + self->copy.len >= self->max_statement_bytes) {
        int rc = s_copy_finish (self, what, err, errlen);
        return rc ? rc : s_copy_start (self, what, sql, err, errlen);
    }
    int rc = coll_pg_copy_send (self->conn, what, self->copy.data, self->copy.len, err, errlen);
    self->copy_sent += self->copy.len;
    vg_buf_reset (&self->copy);
    return rc;
}

/* The table a COPY of the group's samples (dists: distributions) goes to:
 * the day's partition when every row falls in one UTC day, which spares
 * PostgreSQL routing each row (a quarter of its time in the COPY), else the
 * partitioned parent. Writes "COPY vigil.<table> " into sql, returns its
 * length; *day is set when it is a partition. */
static size_t
s_copy_table (const coll_store_t *self, size_t n, int dists, const char *parent, char *sql,
              size_t len, int *day)
{
    int64_t min = INT64_MAX, max = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        const s_work_t *w = &self->work[i];
        if (self->reg[i].skip || !self->reg[i].stored)
            continue;
        int64_t lo = dists ? w->dmin : w->smin, hi = dists ? w->dmax : w->smax;
        min = lo < min ? lo : min;
        max = hi > max ? hi : max;
    }
    int k;
    *day = 0;
    if (min > max || s_day (min) != s_day (max))
        k = snprintf (sql, len, "COPY vigil.%s ", parent);
    else {
        *day = 1;
        time_t t = (time_t)(s_day (min) * 86400);
        struct tm tm;
        gmtime_r (&t, &tm);
        k = snprintf (sql, len, "COPY vigil.%s_%04d%02d%02d ", parent, tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday);
    }
    return k > 0 && (size_t)k < len ? (size_t)k : 0;
}

/* A COPY into a day's partition that is gone (dropped by retention while
 * cached here) is transient: the days are learnt again, and the retry makes
 * the partition anew. */
static int
s_copy_started (int rc, int day)
{
    if (rc && day && strcmp (coll_pg_last ().sqlstate, "42P01") == 0)
        return VG_ERETRY;
    return rc;
}

/* An 8-byte field of a binary COPY tuple: length 8, then v big-endian. */
static inline void
s_put_field8 (char *p, uint64_t v)
{
    unsigned char *u = (unsigned char *)p;
    u[0] = u[1] = u[2] = 0;
    u[3] = 8;
    for (int k = 0; k < 8; k++)
        u[4 + k] = (unsigned char)(v >> (56 - 8 * k));
}

/* The hot loop: four fields per sample, series ids looked up per batch. */
static int
s_copy_samples (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    static const char what[] = "writing samples";
    char sql[128];
    int day;
    size_t at = s_copy_table (self, n, 0, "samples", sql, sizeof sql, &day);
    snprintf (sql + at, sizeof sql - at,
              "(host_id, ts, series_id, value) FROM STDIN (FORMAT binary)");
    int rc = s_copy_started (s_copy_start (self, what, sql, err, errlen), day);
    if (rc)
        return rc;
    vg_buf_t *buf = &self->copy;
    const int64_t *all_ids = coll_registry_ids (self->registry);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const coll_registry_item_t *r = &self->reg[i];
        if (r->skip || !r->stored)
            continue;
        const vg_batch_t *b = items[i].batch;
        const int64_t *ids = all_ids + r->first;
        /* The tuple's constant head: 4 fields, then host_id (8 bytes). */
        vg_buf_t head = {0};
        vg_buf_be16 (&head, 4);
        coll_pg_bin_int8 (&head, r->host_id);
        char tuple[S_SAMPLE_TUPLE];
        memcpy (tuple, head.data, S_SAMPLE_HEAD);
        vg_buf_free (&head);
        for (size_t k = 0; k < b->nsamples && rc == 0; k++) {
            int64_t ts = b->sample_ts_ms[k];
            uint32_t s = b->sample_series[k];
            if (ts < r->lo_ms || ts > r->hi_ms || s >= b->nseries)
                continue;
            /* One append per tuple: a call per field costs a third more of
             * the collector's time in this loop. */
            uint64_t value;
            memcpy (&value, &b->sample_value[k], sizeof value);
            s_put_field8 (tuple + S_SAMPLE_HEAD, (uint64_t)coll_pg_ts_from_ms (ts));
            s_put_field8 (tuple + S_SAMPLE_HEAD + 12, (uint64_t)ids[s]);
            s_put_field8 (tuple + S_SAMPLE_HEAD + 24, value);
            vg_buf_append (buf, tuple, sizeof tuple);
            rc = s_send_if_full (self, what, sql, err, errlen);
        }
    }
    if (rc) {
        coll_pg_copy_abort (self->conn, "the collector gave up");
        return rc;
    }
    return s_copy_finish (self, what, err, errlen);
}

/* A bucket store as int4[] of indexes and int8[] of counts, empty buckets
 * left out. */
static void
s_copy_buckets (vg_buf_t *buf, const vg_sketch_store_t *st)
{
    uint32_t nz = 0;
    for (uint32_t k = 0; k < st->len; k++)
        nz += st->counts[k] != 0;
    uint32_t head = nz ? 20 : 12;
    vg_buf_be32 (buf, head + nz * 8);
    coll_pg_array_begin (buf, COLL_PG_INT4OID, nz);
    for (uint32_t k = 0; k < st->len; k++)
        if (st->counts[k])
            coll_pg_bin_int4 (buf, st->offset + (int32_t)k);
    vg_buf_be32 (buf, head + nz * 12);
    coll_pg_array_begin (buf, COLL_PG_INT8OID, nz);
    for (uint32_t k = 0; k < st->len; k++)
        if (st->counts[k])
            coll_pg_bin_int8 (buf, (int64_t)st->counts[k]);
}

static int
s_copy_dists (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    static const char what[] = "writing distributions";
    char sql[256];
    int day;
    size_t at = s_copy_table (self, n, 1, "distributions", sql, sizeof sql, &day);
    snprintf (sql + at, sizeof sql - at,
              "(host_id, ts, series_id, count, sum, min, max, zero_count, bucket_index,"
              " bucket_count, neg_bucket_index, neg_bucket_count) FROM STDIN (FORMAT binary)");
    int rc = s_copy_started (s_copy_start (self, what, sql, err, errlen), day);
    if (rc)
        return rc;
    vg_buf_t *buf = &self->copy;
    const int64_t *ids = coll_registry_ids (self->registry);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const coll_registry_item_t *r = &self->reg[i];
        if (r->skip || !r->stored)
            continue;
        const vg_batch_t *b = items[i].batch;
        for (size_t k = 0; k < b->ndists && rc == 0; k++) {
            const vg_dist_t *d = &b->dists[k];
            if (d->ts_ms < r->lo_ms || d->ts_ms > r->hi_ms || d->series >= b->nseries || !d->sketch)
                continue;
            const vg_sketch_t *sk = d->sketch;
            vg_buf_be16 (buf, 12);
            coll_pg_bin_int8 (buf, r->host_id);
            coll_pg_bin_ts_ms (buf, d->ts_ms);
            coll_pg_bin_int8 (buf, ids[r->first + d->series]);
            coll_pg_bin_int8 (buf, (int64_t)sk->count);
            coll_pg_bin_float8 (buf, sk->sum);
            coll_pg_bin_float8 (buf, sk->count ? sk->min : 0.0);
            coll_pg_bin_float8 (buf, sk->count ? sk->max : 0.0);
            coll_pg_bin_int8 (buf, (int64_t)sk->zero_count);
            s_copy_buckets (buf, &sk->pos);
            s_copy_buckets (buf, &sk->neg);
            rc = s_send_if_full (self, what, sql, err, errlen);
        }
    }
    if (rc) {
        coll_pg_copy_abort (self->conn, "the collector gave up");
        return rc;
    }
    return s_copy_finish (self, what, err, errlen);
}

static const char *
s_str (const vg_batch_t *b, uint32_t index)
{
    return index < b->nstrings && b->strings[index] ? b->strings[index] : "";
}

static int
s_copy_events (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    static const char what[] = "writing events";
    static const char sql[] = "COPY vigil.events (host_id, ts, name, labels, text)"
                              " FROM STDIN (FORMAT binary)";
    int rc = s_copy_start (self, what, sql, err, errlen);
    if (rc)
        return rc;
    vg_buf_t *buf = &self->copy, *t = &self->text;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const coll_registry_item_t *r = &self->reg[i];
        if (r->skip || !r->stored)
            continue;
        const vg_batch_t *b = items[i].batch;
        for (size_t k = 0; k < b->nevents && rc == 0; k++) {
            const vg_event_t *e = &b->events[k];
            if (e->ts_ms < r->lo_ms || e->ts_ms > r->hi_ms)
                continue;
            vg_buf_be16 (buf, 5);
            coll_pg_bin_int8 (buf, r->host_id);
            coll_pg_bin_ts_ms (buf, e->ts_ms);
            const char *name = s_str (b, e->name);
            vg_buf_reset (t);
            coll_pg_utf8_clean (t, name, strlen (name));
            coll_pg_bin_text (buf, t->data, t->len);
            vg_buf_reset (t);
            vg_buf_append (t, "{", 1);
            for (uint32_t l = 0; l < e->nlabels; l++) {
                const char *key = s_str (b, e->labels[2 * l]);
                const char *val = s_str (b, e->labels[2 * l + 1]);
                if (l)
                    vg_buf_append (t, ",", 1);
                vg_json_string (t, key, strlen (key));
                vg_buf_append (t, ":", 1);
                vg_json_string (t, val, strlen (val));
            }
            vg_buf_append (t, "}", 1);
            coll_pg_bin_jsonb (buf, t->data, t->len);
            const char *text = e->text ? e->text : "";
            vg_buf_reset (t);
            coll_pg_utf8_clean (t, text, strlen (text));
            coll_pg_bin_text (buf, t->data, t->len);
            rc = s_send_if_full (self, what, sql, err, errlen);
        }
    }
    if (rc) {
        coll_pg_copy_abort (self->conn, "the collector gave up");
        return rc;
    }
    return s_copy_finish (self, what, err, errlen);
}

typedef struct {
    int64_t host_id;
    int64_t incarnation;
    int64_t seq;
    size_t item;
} s_key_t;

static int
s_key_cmp (const void *a, const void *b)
{
    const s_key_t *x = a, *y = b;
    if (x->host_id != y->host_id)
        return x->host_id < y->host_id ? -1 : 1;
    if (x->incarnation != y->incarnation)
        return x->incarnation < y->incarnation ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The parameters of keys[from, to) into params. */
static void
s_keys_params (coll_store_t *self, const coll_store_item_t *items, const s_key_t *keys, size_t from,
               size_t to, coll_pg_params_t *params)
{
    const s_work_t *w = self->work;
    uint32_t n = (uint32_t)(to - from);
    coll_pg_params_reset (params);
    vg_buf_t *host = coll_pg_params_next (params);
    vg_buf_t *incarnation = coll_pg_params_next (params);
    vg_buf_t *seq = coll_pg_params_next (params);
    vg_buf_t *received = coll_pg_params_next (params);
    vg_buf_t *sent = coll_pg_params_next (params);
    vg_buf_t *count = coll_pg_params_next (params);
    coll_pg_array_begin (host, COLL_PG_INT8OID, n);
    coll_pg_array_begin (incarnation, COLL_PG_INT8OID, n);
    coll_pg_array_begin (seq, COLL_PG_INT8OID, n);
    coll_pg_array_begin (received, COLL_PG_TIMESTAMPTZOID, n);
    coll_pg_array_begin (sent, COLL_PG_TIMESTAMPTZOID, n);
    coll_pg_array_begin (count, COLL_PG_INT4OID, n);
    for (size_t k = from; k < to; k++) {
        const coll_store_item_t *it = &items[keys[k].item];
        coll_pg_bin_int8 (host, keys[k].host_id);
        coll_pg_bin_int8 (incarnation, keys[k].incarnation);
        coll_pg_bin_int8 (seq, keys[k].seq);
        coll_pg_bin_int8 (received, coll_pg_ts_from_ms (it->received_ms));
        /* The ledger's partition key: what a replay of the batch repeats. */
        int64_t sent_ms = it->batch->sent_ms;
        coll_pg_bin_int8 (
            sent, coll_pg_ts_from_ms (coll_registry_sent_plausible (sent_ms) ? sent_ms : 0));
        coll_pg_bin_int4 (count, (int32_t)w[keys[k].item].nkeep);
    }
}

static const char s_keys_sql[] = "INSERT INTO vigil.batches"
                                 " (host_id, incarnation, seq, received_at, sent_at, samples)"
                                 " SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[],"
                                 "                      $4::timestamptz[], $5::timestamptz[],"
                                 "                      $6::integer[]) AS u(h, i, s, r, t, n)"
                                 " WHERE NOT EXISTS (SELECT 1 FROM vigil.batches b"
                                 "                    WHERE b.host_id = u.h AND b.incarnation = u.i"
                                 "                      AND b.seq = u.s)"
                                 " ON CONFLICT DO NOTHING RETURNING host_id, incarnation, seq";

/* Opens the data transaction and records the group's keys, in pieces of at
 * most max_statement_bytes, all in one pipeline: one round trip. Keys go in
 * their order, so two writers recording overlapping keys wait for each other
 * instead of deadlocking. A key is a duplicate when the ledger holds it in
 * any partition (a copy whose sent time differs, NOT EXISTS), or when one in
 * its own partition commits first (the primary key: two collectors storing
 * the same replay at once). Marks the items whose key was new as stored. */
static int
s_begin_with_keys (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    coll_registry_item_t *reg = self->reg;
    s_key_t *keys = vg_malloc ((n + 1) * sizeof *keys);
    size_t nkeys = 0;
    for (size_t i = 0; i < n; i++)
        if (!reg[i].skip)
            keys[nkeys++] = (s_key_t){reg[i].host_id, (int64_t)items[i].batch->incarnation,
                                      (int64_t)items[i].batch->seq, i};
    qsort (keys, nkeys, sizeof *keys, s_key_cmp);
    /* Six array elements of at most 12 bytes each. */
    size_t per_piece = self->max_statement_bytes / 72;
    size_t npieces = (nkeys + per_piece - 1) / per_piece;
    const char **sqls = vg_calloc (npieces + 1, sizeof *sqls);
    const coll_pg_params_t **params = vg_calloc (npieces + 1, sizeof *params);
    coll_pg_params_t *bufs = vg_calloc (npieces + 1, sizeof *bufs);
    PGresult **res = vg_calloc (npieces + 1, sizeof *res);
    sqls[0] = "BEGIN";
    for (size_t p = 0; p < npieces; p++) {
        size_t from = p * per_piece, to = from + per_piece < nkeys ? from + per_piece : nkeys;
        s_keys_params (self, items, keys, from, to, &bufs[p + 1]);
        sqls[p + 1] = s_keys_sql;
        params[p + 1] = &bufs[p + 1];
    }
    int rc = coll_pg_pipeline (self->conn, "recording batches", npieces + 1, sqls, params, res, err,
                               errlen);
    self->stats.statements += npieces;
    for (size_t p = 0; p < npieces && rc == 0; p++) {
        size_t from = p * per_piece, to = from + per_piece < nkeys ? from + per_piece : nkeys;
        for (int r = 0; r < PQntuples (res[p + 1]); r++) {
            s_key_t probe = {strtoll (PQgetvalue (res[p + 1], r, 0), NULL, 10),
                             strtoll (PQgetvalue (res[p + 1], r, 1), NULL, 10),
                             strtoll (PQgetvalue (res[p + 1], r, 2), NULL, 10), 0};
            s_key_t *hit = bsearch (&probe, keys + from, to - from, sizeof *keys, s_key_cmp);
            if (hit)
                reg[hit->item].stored = 1;
        }
    }
    for (size_t p = 0; p <= npieces; p++) {
        PQclear (res[p]);
        coll_pg_params_free (&bufs[p]);
    }
    free (res);
    free (bufs);
    free (params);
    free (sqls);
    free (keys);
    return rc;
}

int
coll_store_write (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    if (n == 0)
        return 0;
    int rc = coll_store_connect (self, err, errlen);
    if (rc)
        return s_after_failure (self, rc);

    /* The same (agent, incarnation, seq) twice in the group is stored once. */
    VG_GROW (self->reg, self->reg_cap, n);
    memset (self->reg, 0, n * sizeof *self->reg);
    VG_GROW (self->work, self->work_cap, n);
    memset (self->work, 0, n * sizeof *self->work);
    coll_registry_item_t *r = self->reg;
    s_work_t *w = self->work;
    for (size_t i = 0; i < n; i++) {
        const vg_batch_t *b = items[i].batch;
        r[i].batch = b;
        r[i].received_ms = items[i].received_ms;
        r[i].lo_ms = items[i].received_ms - S_PAST_MS;
        r[i].hi_ms = items[i].received_ms + S_FUTURE_MS;
        for (size_t j = 0; j < i && !r[i].skip; j++)
            r[i].skip = !r[j].skip && items[j].batch->seq == b->seq &&
                        items[j].batch->incarnation == b->incarnation &&
                        strcmp (items[j].batch->agent_id, b->agent_id) == 0;
    }

    rc = coll_registry_hosts (self->registry, self->conn, r, n, err, errlen);
    if (rc == 0)
        rc = coll_registry_series (self->registry, self->conn, r, n, err, errlen);
    for (size_t i = 0; i < n && rc == 0; i++) {
        items[i].reason = NULL;
        if (!r[i].refused)
            continue;
        items[i].status = VG_ACK_REJECTED;
        items[i].reason = r[i].refused;
        r[i].skip = 1;
    }
    if (rc == 0)
        rc = s_days_ensure (self, items, n, err, errlen);
    if (rc)
        return s_after_failure (self, rc);

    rc = s_begin_with_keys (self, items, n, err, errlen);
    int any_samples = 0, any_dists = 0, any_events = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!r[i].stored)
            continue;
        any_samples |= items[i].batch->nsamples > 0;
        any_dists |= items[i].batch->ndists > 0;
        any_events |= items[i].batch->nevents > 0;
    }
    if (rc == 0 && any_samples)
        rc = s_copy_samples (self, items, n, err, errlen);
    if (rc == 0 && any_dists)
        rc = s_copy_dists (self, items, n, err, errlen);
    if (rc == 0 && any_events)
        rc = s_copy_events (self, items, n, err, errlen);
    if (rc == 0)
        rc = coll_pg_command (self->conn, "writing batches", "COMMIT", 0, NULL, err, errlen);
    if (rc) {
        /* A row outside every partition: one was dropped (retention) while
         * cached here. The days are learnt again, so the retry will work. */
        coll_pg_last_t last = coll_pg_last ();
        if (rc == VG_EINVAL && strcmp (last.sqlstate, "23514") == 0 && !last.constraint)
            rc = VG_ERETRY;
        return s_after_failure (self, rc);
    }

    self->stats.transactions++;
    for (size_t i = 0; i < n; i++) {
        if (r[i].refused)
            continue;
        if (!r[i].stored) {
            items[i].status = VG_ACK_DUPLICATE;
            self->stats.batches_duplicate++;
            continue;
        }
        items[i].status = VG_ACK_STORED;
        items[i].host_id = r[i].host_id;
        items[i].hostname = r[i].hostname;
        items[i].series_ids = coll_registry_ids (self->registry) + r[i].first;
        items[i].min_ts_ms = r[i].lo_ms;
        items[i].max_ts_ms = r[i].hi_ms;
        self->stats.batches_stored++;
        self->stats.samples_stored += w[i].nkeep;
        self->stats.samples_dropped += w[i].ndrop;
        if (w[i].ndrop || w[i].ndrop_events)
            vg_complain (&self->range_complaint, S_COMPLAIN_MS, VG_LOG_WARN,
                         "store: agent %s (%s): %zu samples and %zu events dropped, their"
                         " timestamps are outside [received - 35 days, received + 1 day]",
                         items[i].batch->agent_id, r[i].hostname, w[i].ndrop, w[i].ndrop_events);
    }
    coll_registry_note (self->registry, r, n);
    return 0;
}

/* ---- the ledger over time ---- */

int
coll_store_maintain_ledger (coll_store_t *self, int64_t now_ms, int keep_days, int ahead_days,
                            int *dropped, char *err, size_t errlen)
{
    *dropped = 0;
    int rc = coll_store_connect (self, err, errlen);
    if (rc)
        return s_after_failure (self, rc);
    char today[16], keep[16], ahead[16];
    snprintf (today, sizeof today, "%lld", (long long)s_day (now_ms));
    snprintf (keep, sizeof keep, "%d", keep_days);
    snprintf (ahead, sizeof ahead, "%d", ahead_days);
    const char *params[] = {today, keep, ahead};
    PGresult *res = coll_pg_exec (self->conn, "trimming the batch ledger",
                                  "SELECT vigil.ledger_maintain(date '1970-01-01' + $1::integer,"
                                  " $2::integer, $3::integer)",
                                  3, params, &rc, err, errlen);
    self->stats.statements++;
    if (!res)
        return s_after_failure (self, rc);
    *dropped = atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    return 0;
}

/* ---- newest values ---- */

int
coll_store_flush_latest_piece (coll_store_t *self, size_t max_rows, int *more, char *err,
                               size_t errlen)
{
    *more = 0;
    if (!coll_registry_dirty (self->registry))
        return 0;
    int rc = coll_store_connect (self, err, errlen);
    if (rc == 0)
        rc = coll_registry_flush (self->registry, self->conn, max_rows, more, err, errlen);
    return rc ? s_after_failure (self, rc) : 0;
}

int
coll_store_flush_latest (coll_store_t *self, char *err, size_t errlen)
{
    /* Rounds until nothing is left: a round in progress covers only what
     * was noted when it began. */
    int more = 1, rc = 0;
    while ((more || coll_registry_dirty (self->registry)) && rc == 0)
        rc = coll_store_flush_latest_piece (self, 0, &more, err, errlen);
    return rc;
}
