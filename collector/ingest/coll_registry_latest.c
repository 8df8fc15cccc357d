/*  coll_registry_latest.c - the newest value of each series and host, noted
 *  after each commit and written by coll_registry_flush (coll_registry.h). */
#include "coll_registry.h"
#include "coll_pg.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_log.h"

#include <stdlib.h>
#include <string.h>

#include "coll_registry_int.h"

uint64_t
coll_registry_incarnation_changes (const coll_registry_t *self)
{
    return self->incarnation_changes;
}

/* After the commit: what the group changed in the newest values. */
void
coll_registry_note (coll_registry_t *self, const coll_registry_item_t *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const coll_registry_item_t *w = &items[i];
        if (w->skip)
            continue;
        const vg_batch_t *b = items[i].batch;
        s_host_t *h = w->host;
        if (items[i].received_ms > h->seen_ms)
            h->seen_ms = items[i].received_ms;
        int new_incarnation = w->stored && h->have_seq && h->incarnation != (int64_t)b->incarnation;
        if (new_incarnation) {
            self->incarnation_changes++;
            vg_warn ("registry: agent %s (%s) sends under a new incarnation %016" PRIx64
                     " (was %016" PRIx64 ", last seq %" PRIu64 "): its state directory was lost"
                     " or made anew; its sequence numbers start again and nothing earlier is"
                     " taken for a duplicate",
                     b->agent_id, h->hostname ? h->hostname : "", b->incarnation,
                     (uint64_t)h->incarnation, (uint64_t)h->seq);
        }
        if (w->stored && (!h->have_seq || new_incarnation || (uint64_t)h->seq < b->seq)) {
            h->incarnation = (int64_t)b->incarnation;
            h->seq = (int64_t)b->seq;
            h->have_seq = 1;
            h->have_skew = coll_registry_sent_plausible (b->sent_ms);
            h->skew_ms = h->have_skew ? b->sent_ms - items[i].received_ms : 0;
        }
        if (!h->dirty) {
            h->dirty = 1;
            VG_GROW (self->dirty_hosts, self->dirty_hosts_cap, self->ndirty_hosts + 1);
            self->dirty_hosts[self->ndirty_hosts++] = h;
        }
        if (!w->stored)
            continue;
        s_series_t **ents = self->ents + w->first;
        for (size_t k = 0; k < b->nsamples + b->ndists; k++) {
            int64_t ts;
            uint32_t s;
            double v;
            if (k < b->nsamples) {
                ts = b->sample_ts_ms[k];
                s = b->sample_series[k];
                v = b->sample_value[k];
            } else {
                const vg_dist_t *d = &b->dists[k - b->nsamples];
                if (!d->sketch || d->sketch->count == 0)
                    continue;
                ts = d->ts_ms;
                s = d->series;
                v = d->sketch->sum / (double)d->sketch->count; /* the mean */
            }
            if (ts < w->lo_ms || ts > w->hi_ms || s >= b->nseries)
                continue;
            s_series_t *e = ents[s];
            if (ts < e->last_ts_ms)
                continue;
            e->last_ts_ms = ts;
            e->last_value = v;
            if (!e->dirty) {
                e->dirty = 1;
                VG_GROW (self->dirty_series, self->dirty_series_cap, self->ndirty_series + 1);
                self->dirty_series[self->ndirty_series++] = e;
            }
        }
    }
}

static int
s_dirty_cmp (const void *a, const void *b)
{
    const s_series_t *x = *(s_series_t *const *)a, *y = *(s_series_t *const *)b;
    if (x->host_id != y->host_id)
        return x->host_id < y->host_id ? -1 : 1;
    return x->series_id < y->series_id ? -1 : x->series_id > y->series_id;
}

int
coll_registry_dirty (const coll_registry_t *self)
{
    return self->ndirty_series > 0 || self->ndirty_hosts > 0;
}

int
coll_registry_flush (coll_registry_t *self, PGconn *conn, size_t max_rows, int *more, char *err,
                     size_t errlen)
{
    *more = 0;
    if (!coll_registry_dirty (self))
        return 0;
    if (max_rows == 0 || max_rows > COLL_REGISTRY_ARRAY_CHUNK)
        max_rows = COLL_REGISTRY_ARRAY_CHUNK;
    /* The next piece, oldest first; sorted, so that every collector updates
     * rows in one order and none deadlocks another. */
    if (self->round_end == 0)
        self->round_end = self->ndirty_series;
    size_t from = self->flush_from, end = self->round_end;
    size_t to = end - from > max_rows ? from + max_rows : end;
    if (to - from > 1)
        qsort (self->dirty_series + from, to - from, sizeof *self->dirty_series, s_dirty_cmp);
    size_t nh = self->ndirty_hosts;
    coll_pg_params_reset (&self->params);
    vg_buf_t *p[9];
    for (int k = 0; k < 9; k++)
        p[k] = coll_pg_params_next (&self->params);
    coll_pg_array_begin (p[0], COLL_PG_INT8OID, (uint32_t)(to - from));
    coll_pg_array_begin (p[1], COLL_PG_INT8OID, (uint32_t)(to - from));
    coll_pg_array_begin (p[2], COLL_PG_TIMESTAMPTZOID, (uint32_t)(to - from));
    coll_pg_array_begin (p[3], COLL_PG_FLOAT8OID, (uint32_t)(to - from));
    for (size_t k = from; k < to; k++) {
        const s_series_t *e = self->dirty_series[k];
        coll_pg_bin_int8 (p[0], e->host_id);
        coll_pg_bin_int8 (p[1], e->series_id);
        coll_pg_bin_int8 (p[2], coll_pg_ts_from_ms (e->last_ts_ms));
        coll_pg_bin_float8 (p[3], e->last_value);
    }
    coll_pg_array_begin (p[4], COLL_PG_INT8OID, (uint32_t)nh);
    coll_pg_array_begin (p[5], COLL_PG_TIMESTAMPTZOID, (uint32_t)nh);
    coll_pg_array_begin (p[6], COLL_PG_INT8OID, (uint32_t)nh);
    coll_pg_array_begin (p[7], COLL_PG_INT8OID, (uint32_t)nh);
    coll_pg_array_begin (p[8], COLL_PG_INT8OID, (uint32_t)nh);
    for (size_t k = 0; k < nh; k++) {
        const s_host_t *h = self->dirty_hosts[k];
        coll_pg_bin_int8 (p[4], h->host_id);
        coll_pg_bin_int8 (p[5], coll_pg_ts_from_ms (h->seen_ms));
        if (h->have_seq) {
            coll_pg_bin_int8 (p[6], h->seq);
            coll_pg_bin_int8 (p[8], h->incarnation);
        } else {
            coll_pg_bin_null (p[6]);
            coll_pg_bin_null (p[8]);
        }
        if (h->have_seq && h->have_skew)
            coll_pg_bin_int8 (p[7], h->skew_ms);
        else
            coll_pg_bin_null (p[7]);
    }
    /* Only forward: another collector may have written newer values. A
     * new incarnation starts its sequence numbers again. The piece's rows
     * are looked up by the primary key: planned alone, the UPDATE hashed
     * all of vigil.series for each piece (27 of its 36 ms at 50,000 series,
     * and growing with the table), hence the settings for its transaction. */
    const char *sqls[] = {
        "SELECT set_config ('enable_hashjoin', 'off', true),"
        "       set_config ('enable_mergejoin', 'off', true)",
        "WITH s AS ("
        "  UPDATE vigil.series s SET last_ts = u.ts, last_value = u.v"
        "    FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[],"
        "                $4::float8[]) AS u(host_id, series_id, ts, v)"
        "   WHERE s.host_id = u.host_id AND s.series_id = u.series_id"
        "     AND (s.last_ts IS NULL OR s.last_ts <= u.ts)"
        "  RETURNING 1),"
        " h AS ("
        "  UPDATE vigil.hosts h SET last_seen = greatest(h.last_seen, u.seen),"
        "         last_seq = CASE WHEN u.seq IS NULL THEN h.last_seq"
        "                         WHEN u.inc <> h.incarnation OR u.seq >= h.last_seq"
        "                         THEN u.seq ELSE h.last_seq END,"
        "         clock_skew_ms = CASE WHEN u.inc <> h.incarnation OR u.seq >= h.last_seq"
        "                              THEN coalesce(u.skew, h.clock_skew_ms)"
        "                              ELSE h.clock_skew_ms END,"
        "         incarnation = coalesce(u.inc, h.incarnation)"
        "    FROM unnest($5::bigint[], $6::timestamptz[], $7::bigint[], $8::bigint[],"
        "                $9::bigint[]) AS u(host_id, seen, seq, skew, inc)"
        "   WHERE h.host_id = u.host_id"
        "  RETURNING 1)"
        " SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM h)"};
    const coll_pg_params_t *params[] = {NULL, &self->params};
    PGresult *res[2] = {NULL, NULL};
    int rc =
        coll_pg_pipeline (conn, "writing the newest values", 2, sqls, params, res, err, errlen);
    PQclear (res[0]);
    PQclear (res[1]);
    self->statements++;
    if (rc)
        return rc; /* what this piece held stays dirty, for the next call */
    for (size_t k = from; k < to; k++)
        self->dirty_series[k]->dirty = 0;
    for (size_t k = 0; k < nh; k++)
        self->dirty_hosts[k]->dirty = 0;
    self->ndirty_hosts = 0;
    self->flush_from = to;
    if (to < end) {
        *more = 1;
        return 0;
    }
    /* The round is over: what was noted during it moves to the front. */
    self->ndirty_series -= end;
    if (self->ndirty_series)
        memmove (self->dirty_series, self->dirty_series + end,
                 self->ndirty_series * sizeof *self->dirty_series);
    self->flush_from = self->round_end = 0;
    return 0;
}
