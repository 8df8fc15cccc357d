/*  coll_store_copy.c - the rows of a group as binary COPY: samples,
 *  distributions and events, each sent in 1 MiB pieces and cut into several
 *  COPY statements past max_statement_bytes. Samples and distributions go
 *  straight into their day's partition when the group's fall in one UTC day,
 *  samples into the day's part when the group's hosts are all in one. */
#include "coll_store_int.h"
#include "vg_error.h"
#include "vg_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_CHUNK        (1024 * 1024) /* COPY data is sent in pieces this big */
#define S_SAMPLE_HEAD  14            /* field count, host_id */
#define S_SAMPLE_TUPLE (S_SAMPLE_HEAD + 3 * 12)

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

/* The part of a day in parts that every stored item's rows go to, or -1
 * when they go to several (the group holds hosts of other writers). */
static int
s_common_part (const coll_store_t *self, size_t n, int parts)
{
    int part = -1;
    for (size_t i = 0; i < n; i++) {
        const coll_registry_item_t *r = &self->reg[i];
        if (r->skip || !r->stored)
            continue;
        int k = (int)(r->host_id % parts);
        if (k < 0 || (part >= 0 && k != part))
            return -1;
        part = k;
    }
    return part;
}

/* The table a COPY of the group's samples (dists: distributions) goes to:
 * the day's partition when every row falls in one UTC day, which spares
 * PostgreSQL routing each row (a quarter of its time in the COPY), and of
 * samples the day's part when every host is in one (coll_store_set_sample_parts);
 * else the partitioned parent. Writes "COPY vigil.<table> " into sql, returns
 * its length; *day is set when it is a partition. */
static size_t
s_copy_table (const coll_store_t *self, size_t n, int dists, const char *parent, char *sql,
              size_t len, int *day)
{
    int64_t min = INT64_MAX, max = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        const coll_store_work_t *w = &self->work[i];
        if (self->reg[i].skip || !self->reg[i].stored)
            continue;
        int64_t lo = dists ? w->dmin : w->smin, hi = dists ? w->dmax : w->smax;
        min = lo < min ? lo : min;
        max = hi > max ? hi : max;
    }
    int k;
    *day = 0;
    if (min > max || coll_store_day (min) != coll_store_day (max))
        k = snprintf (sql, len, "COPY vigil.%s ", parent);
    else {
        *day = 1;
        int64_t d = coll_store_day (min);
        time_t t = (time_t)(d * 86400);
        struct tm tm;
        gmtime_r (&t, &tm);
        int parts = dists ? 1 : coll_store_day_parts (self, d);
        int part = parts > 1 ? s_common_part (self, n, parts) : -1;
        char suffix[16] = "";
        if (part >= 0)
            snprintf (suffix, sizeof suffix, "_p%d", part);
        k = snprintf (sql, len, "COPY vigil.%s_%04d%02d%02d%s ", parent, tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, suffix);
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

/* Starts the COPY of the group's rows of table (dists: distributions) into
 * the table s_copy_table chooses, with columns; sql receives the statement,
 * which s_send_if_full repeats when it cuts the COPY. */
static int
s_copy_open (coll_store_t *self, size_t n, int dists, const char *table, const char *columns,
             const char *what, char *sql, size_t sqlcap, char *err, size_t errlen)
{
    int day;
    size_t at = s_copy_table (self, n, dists, table, sql, sqlcap, &day);
    snprintf (sql + at, sqlcap - at, "%s FROM STDIN (FORMAT binary)", columns);
    return s_copy_started (s_copy_start (self, what, sql, err, errlen), day);
}

/* Ends a COPY: sends what is left when rc is 0, else aborts it. */
static int
s_copy_close (coll_store_t *self, const char *what, int rc, char *err, size_t errlen)
{
    if (rc) {
        coll_pg_copy_abort (self->conn, "the collector gave up");
        return rc;
    }
    return s_copy_finish (self, what, err, errlen);
}

/* The hot loop: four fields per sample, series ids looked up per batch. */
static int
s_copy_samples (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    static const char what[] = "writing samples";
    char sql[128];
    int rc = s_copy_open (self, n, 0, "samples", "(host_id, ts, series_id, value)", what, sql,
                          sizeof sql, err, errlen);
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
        /* The tuple's constant head: 4 fields (big-endian), then host_id. */
        char tuple_head[S_SAMPLE_HEAD] = {0, 4};
        s_put_field8 (tuple_head + 2, (uint64_t)r->host_id);
        /* Each tuple is written in place, room made for the batch's tuples
         * at once: a call per tuple (vg_buf_append and its copy) was 3.5 %
         * of the collector's time. */
        for (size_t k = 0; k < b->nsamples && rc == 0; k++) {
            if (buf->cap - buf->len <= S_SAMPLE_TUPLE)
                vg_buf_reserve (buf, (b->nsamples - k) * (size_t)S_SAMPLE_TUPLE);
            int64_t ts = b->sample_ts_ms[k];
            uint32_t s = b->sample_series[k];
            if (ts < r->lo_ms || ts > r->hi_ms || s >= b->nseries)
                continue;
            uint64_t value;
            memcpy (&value, &b->sample_value[k], sizeof value);
            char *tuple = buf->data + buf->len;
            memcpy (tuple, tuple_head, S_SAMPLE_HEAD);
            s_put_field8 (tuple + S_SAMPLE_HEAD, (uint64_t)coll_pg_ts_from_ms (ts));
            s_put_field8 (tuple + S_SAMPLE_HEAD + 12, (uint64_t)ids[s]);
            s_put_field8 (tuple + S_SAMPLE_HEAD + 24, value);
            buf->len += S_SAMPLE_TUPLE;
            rc = s_send_if_full (self, what, sql, err, errlen);
        }
    }
    return s_copy_close (self, what, rc, err, errlen);
}

static int
s_copy_dists (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    static const char what[] = "writing distributions";
    char sql[256];
    int rc = s_copy_open (self, n, 1, "distributions",
                          "(host_id, ts, series_id, count, sum, min, max, zero_count,"
                          " bucket_index, bucket_count, neg_bucket_index, neg_bucket_count)",
                          what, sql, sizeof sql, err, errlen);
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
            coll_pg_bin_buckets (buf, &sk->pos);
            coll_pg_bin_buckets (buf, &sk->neg);
            rc = s_send_if_full (self, what, sql, err, errlen);
        }
    }
    return s_copy_close (self, what, rc, err, errlen);
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
    return s_copy_close (self, what, rc, err, errlen);
}

int
coll_store_copy_rows (coll_store_t *self, coll_store_item_t *items, size_t n, char *err,
                      size_t errlen)
{
    int any_samples = 0, any_dists = 0, any_events = 0;
    for (size_t i = 0; i < n; i++) {
        if (!self->reg[i].stored)
            continue;
        any_samples |= items[i].batch->nsamples > 0;
        any_dists |= items[i].batch->ndists > 0;
        any_events |= items[i].batch->nevents > 0;
    }
    int rc = 0;
    if (any_samples)
        rc = s_copy_samples (self, items, n, err, errlen);
    if (rc == 0 && any_dists)
        rc = s_copy_dists (self, items, n, err, errlen);
    if (rc == 0 && any_events)
        rc = s_copy_events (self, items, n, err, errlen);
    return rc;
}
